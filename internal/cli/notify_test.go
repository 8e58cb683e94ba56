package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/notify"
)

// TestNotifyAfterKillAndRestart: a webhook receiver that is down while
// the server is killed (SIGKILL) and restarted gets the notification of a
// score passing a rule's threshold, once, signed, after the restart.
func TestNotifyAfterKillAndRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	addr, dir := freeAddr(t), t.TempDir()
	t.Setenv("CLOUDSAGE_NOTIFY_RETRY_BASE", "200ms")
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
	base := fmt.Sprintf("%s/api/projects/%d", srv.url, p.ID)

	hookAddr := freeAddr(t) // nothing listens there yet: the receiver is down
	code, b = call(t, c, "POST", base+"/channels", "application/json",
		fmt.Sprintf(`{"type":"webhook","name":"pager","target":"http://%s/hook","secret":"restart-secret"}`, hookAddr))
	if code != 201 || strings.Contains(string(b), "restart-secret") {
		t.Fatalf("create channel: %d %s", code, b)
	}
	if code, b := call(t, c, "POST", base+"/rules", "application/json", `{"kind":"score","params":{"threshold":30}}`); code != 201 {
		t.Fatalf("create rule: %d %s", code, b)
	}
	// Ten minutes of nothing but errors: the score passes 30.
	var sb strings.Builder
	now := time.Now().UTC()
	for i := range 600 {
		fmt.Fprintf(&sb, "time=%s level=error msg=\"checkout failed: upstream timeout\" order=%d\n", now.Add(time.Duration(i-600)*time.Second).Format(time.RFC3339), i)
	}
	code, b = call(t, c, "POST", fmt.Sprintf("%s/api/ingest/%d", srv.url, p.ID), "text/plain", sb.String())
	var ans struct{ Risk struct{ Score float64 } }
	json.Unmarshal(b, &ans)
	if code != 200 || ans.Risk.Score < 30 {
		t.Fatalf("ingest: %d, want a score of 30 or more: %s", code, b)
	}
	// The server tries and fails at least once, then is killed.
	type hist struct {
		Notifications []struct {
			Status    string
			Attempts  int
			LastError string `json:"last_error"`
		}
	}
	var h hist
	for range 100 {
		_, b = call(t, c, "GET", base+"/notifications", "", "")
		json.Unmarshal(b, &h)
		if len(h.Notifications) > 0 && h.Notifications[0].Attempts > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(h.Notifications) == 0 || h.Notifications[0].Attempts == 0 || h.Notifications[0].Status != "pending" || h.Notifications[0].LastError == "" {
		t.Fatalf("before the kill want a pending, failed attempt: %s", b)
	}
	srv.cmd.Process.Signal(syscall.SIGKILL)
	srv.cmd.Wait()

	// The receiver comes up; the server restarts and delivers.
	var mu sync.Mutex
	var bodies []notify.WebhookBody
	ln, err := net.Listen("tcp", hookAddr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", hookAddr, err)
	}
	rcv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := notify.Verify("restart-secret", r.Header.Get(notify.SignatureHeader), body, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("receiver: %v", err)
		}
		var wb notify.WebhookBody
		json.Unmarshal(body, &wb)
		mu.Lock()
		bodies = append(bodies, wb)
		mu.Unlock()
	})}
	go rcv.Serve(ln)
	defer rcv.Close()
	srv = startServe(t, addr, dir)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // a repeat would arrive now
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || bodies[0].Count < 1 || bodies[0].Events[0].Kind != "score" || len(bodies[0].Events[0].Factors) == 0 ||
		len(bodies[0].Events[0].Actions) == 0 || !strings.Contains(bodies[0].Events[0].URL, "/projects/") {
		t.Fatalf("after the restart the receiver got %+v\nserver log:\n%s", bodies, srv.out)
	}
	_, b = call(t, c, "GET", base+"/notifications", "", "")
	json.Unmarshal(b, &h)
	for _, n := range h.Notifications {
		if n.Status != "sent" {
			t.Errorf("history after delivery: %s", b)
		}
	}
}
