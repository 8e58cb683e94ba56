package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeHelperProcess is not a test: the tests below run the test binary
// again with CLOUDSAGE_SERVE_HELPER=1 to get a real `cloudsage serve`
// process they can kill.
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv("CLOUDSAGE_SERVE_HELPER") != "1" {
		t.Skip("helper process for the serve tests")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	code := Run(ctx, []string{"serve"}, Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	os.Exit(code)
}

type serveProc struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	out  *bytes.Buffer
	addr string
	dir  string
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startServe(t *testing.T, addr, dir string, env ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Env = append(os.Environ(), "CLOUDSAGE_SERVE_HELPER=1", "CLOUDSAGE_ADDR="+addr, "CLOUDSAGE_DATA_DIR="+dir, "CLOUDSAGE_DATABASE_URL=")
	cmd.Env = append(cmd.Env, env...) // the last of a repeated key wins
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{t: t, cmd: cmd, url: "http://" + addr, out: &out, addr: addr, dir: dir}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(p.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("serve did not answer /healthz: %s", out.String())
	return nil
}

func call(t *testing.T, c *http.Client, method, url, ctype, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// TestKillNineKeepsAcknowledgedBatches: every line of an acknowledged
// ingest is found after the server is killed with SIGKILL and restarted.
func TestKillNineKeepsAcknowledgedBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	addr, dir := freeAddr(t), t.TempDir()
	srv := startServe(t, addr, dir)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: time.Minute}
	cred := `{"email":"ann@example.com","password":"a long passphrase for ann"}`
	if code, b := call(t, c, "POST", srv.url+"/api/auth/register", "application/json", cred); code != 201 {
		t.Fatalf("register: %d %s", code, b)
	}
	code, b := call(t, c, "POST", srv.url+"/api/projects", "application/json", `{"name":"shop"}`)
	if code != 201 {
		t.Fatalf("project: %d %s", code, b)
	}
	var p struct{ ID int64 }
	json.Unmarshal(b, &p)
	const n = 500
	for batch := range 3 {
		var sb strings.Builder
		for i := range n {
			fmt.Fprintf(&sb, "durability-marker-%d lost write check batch %d\n", batch*n+i, batch)
		}
		if code, b := call(t, c, "POST", fmt.Sprintf("%s/api/ingest/%d", srv.url, p.ID), "text/plain", sb.String()); code != 200 {
			t.Fatalf("ingest %d: %d %s", batch, code, b)
		}
	}
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()

	srv = startServe(t, addr, dir)
	seen := map[string]bool{}
	url := fmt.Sprintf("%s/api/projects/%d/logs?q=marker&limit=1000", srv.url, p.ID)
	next := url
	re := regexp.MustCompile(`durability-marker-\d+`)
	for range 10 {
		code, b := call(t, c, "GET", next, "", "")
		if code != 200 {
			t.Fatalf("search after restart: %d %s", code, b)
		}
		var page struct {
			Events     []struct{ Message string }
			NextCursor *string `json:"next_cursor"`
		}
		json.Unmarshal(b, &page)
		for _, e := range page.Events {
			seen[re.FindString(e.Message)] = true
		}
		if page.NextCursor == nil {
			break
		}
		next = url + "&cursor=" + *page.NextCursor
	}
	if len(seen) != 3*n {
		t.Errorf("after kill -9 found %d of %d acknowledged lines", len(seen), 3*n)
	}
	// The engine resumed from its snapshot: the report counts every event.
	code, b = call(t, c, "GET", fmt.Sprintf("%s/api/forecast/%d", srv.url, p.ID), "", "")
	var rep struct{ Events int }
	json.Unmarshal(b, &rep)
	if code != 200 || rep.Events != 3*n {
		t.Errorf("forecast after restart: %d, events %d, want %d", code, rep.Events, 3*n)
	}

	// SIGTERM shuts down gracefully and promptly, exit status 0.
	srv.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, srv.out)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("serve did not stop within 20 s of SIGTERM")
	}
}

func TestServeRejectsBadConfig(t *testing.T) {
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"serve", "--rate-limit", "0", "--addr", "nowhere"}, Stdio{Out: &out, Err: &errb})
	if code != 2 || !strings.Contains(errb.String(), "rate-limit") || !strings.Contains(errb.String(), "addr") {
		t.Errorf("bad config: exit %d, stderr %q; want 2 naming both problems", code, errb.String())
	}
}

func TestUserCreate(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := Run(context.Background(), []string{"user", "create", "--email", "Root@Example.com", "--password-stdin", "--data-dir", dir},
		Stdio{In: strings.NewReader("a long admin password\n"), Out: &out, Err: &errb})
	if code != 0 || !strings.Contains(out.String(), "root@example.com") {
		t.Fatalf("user create: exit %d, out %q, err %q", code, out.String(), errb.String())
	}
	out.Reset()
	code = Run(context.Background(), []string{"user", "create", "--email", "root@example.com", "--data-dir", dir}, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code != 1 || !strings.Contains(errb.String(), "already exists") {
		t.Errorf("duplicate user create: exit %d, err %q", code, errb.String())
	}
	code = Run(context.Background(), []string{"user", "create", "--email", "x@example.com", "--password-stdin", "--data-dir", dir},
		Stdio{In: strings.NewReader("short\n"), Out: &out, Err: &errb})
	if code != 1 {
		t.Errorf("short password: exit %d", code)
	}
	code = Run(context.Background(), []string{"user", "list"}, Stdio{Out: &out, Err: &errb})
	if code != 2 {
		t.Errorf("user list: exit %d, want usage error", code)
	}
}
