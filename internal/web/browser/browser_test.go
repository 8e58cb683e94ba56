package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/cloudsage/cloudsage/internal/cli"
	"github.com/cloudsage/cloudsage/internal/testenv"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// lockedBuffer collects the server's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serve runs `cloudsage serve` on 127.0.0.1:0 with a temp data folder,
// and then the extra flags, and returns its URL; the server stops when the
// test ends.
func serve(t *testing.T, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--rate-limit", "1000"}, extra...),
			cli.Stdio{In: strings.NewReader(""), Out: &out, Err: &errs})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited with %d: %s", code, errs.String())
			}
		case <-time.After(15 * time.Second):
			t.Errorf("serve did not stop within 15 s of its context ending")
		}
	})
	re := regexp.MustCompile(`serving on (http://\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, errs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start: %s", errs.String())
	return ""
}

// browser starts headless Chromium and returns a context driving one tab.
// Console errors and CSP violations fail the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := testenv.Chromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	// A guard against a hung browser, not a speed budget: under -race on a
	// busy 2-core machine the journey has taken 70–100 s.
	ctx, cancelT := context.WithTimeout(ctx, 240*time.Second)
	t.Cleanup(func() { cancelT(); cancelB(); cancelA() })
	var mu sync.Mutex
	var problems []string
	listen := func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				msg = "log: " + e.Entry.Text + " " + e.Entry.URL
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				msg = "console.error: " + strings.Join(parts, " ")
			}
		}
		if msg != "" {
			mu.Lock()
			problems = append(problems, msg)
			mu.Unlock()
		}
	}
	if err := chromedp.Listen(ctx, listen); err != nil {
		t.Fatalf("listen to chromium: %v", err)
	}
	enableLog := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdplog.Enable, cdp.Empty{})
		return err
	})
	if err := chromedp.Do(ctx, enableLog); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range problems {
			if strings.Contains(p, "net::ERR_") || strings.Contains(p, "EventSource") {
				continue // a live stream cut at the end of the test
			}
			if strings.Contains(p, "/favicon.ico") {
				continue // asked for by Chromium of pages without an icon (an identity provider's)
			}
			t.Errorf("browser: %s", p)
		}
	})
	return ctx
}

// artifacts is where screenshots go: $CLOUDSAGE_ARTIFACTS or a temp dir.
func artifacts(t *testing.T) string {
	dir := os.Getenv("CLOUDSAGE_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// shoot saves full-page screenshots of the current page at desktop and
// phone widths.
func shoot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	for _, w := range []struct {
		width, height int64
		suffix        string
	}{{1280, 900, "desktop"}, {390, 844, "phone"}} {
		err := chromedp.Do(ctx, chromedp.EmulateViewport(w.width, w.height), chromedp.Sleep(200*time.Millisecond)) // charts resize
		if err != nil {
			t.Fatalf("viewport %s: %v", name, err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(dir, name+"-"+w.suffix+".png")
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", p)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf("document.querySelectorAll(%q).length", sel)))
	if err != nil {
		t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func location(t *testing.T, ctx context.Context) *url.URL {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// waitFor polls cond (a JS expression) until it is true or 15 s pass.
func waitFor(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("Boolean("+cond+")"))
		if err != nil {
			t.Fatalf("wait for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s (%s)", what, cond)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var wordRE = regexp.MustCompile(`[A-Za-z]{5,}`)

// The whole journey of a new user: sign up, create a project, paste the
// sample logs, read score, factors and actions, mark one done, search the
// logs for a word of an action's evidence, log out.
func TestJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	base := serve(t)
	ctx := browser(t)
	shots := artifacts(t)

	// First run: / leads to the sign-up page.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("email"))); err != nil {
		t.Fatal(err)
	}
	if got := location(t, ctx).Path; got != "/register" {
		t.Errorf("first visit to / landed on %s, want /register", got)
	}
	if !strings.Contains(text(t, ctx, "h1"), "Welcome") {
		t.Errorf("first-run page heading = %q, want a welcome", text(t, ctx, "h1"))
	}
	shoot(t, ctx, shots, "register")
	err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("email"), "ann@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "a long passphrase for ann"),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("name")),
	)
	if err != nil {
		t.Fatalf("sign up: %v", err)
	}
	if got := location(t, ctx).Path; got != "/projects" {
		t.Fatalf("after sign-up at %s, want /projects", got)
	}

	// Create a project: its ingest page opens.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("name"), "checkout-api"),
		chromedp.Submit(chromedp.ID("name")),
		chromedp.WaitVisible(chromedp.ID("logs")),
	)
	if err != nil {
		t.Fatalf("create project: %v", err)
	}
	ingestPath := location(t, ctx).Path
	projectPath := strings.TrimSuffix(ingestPath, "/ingest")
	if !regexp.MustCompile(`^/projects/\d+$`).MatchString(projectPath) {
		t.Fatalf("after creating a project at %s, want /projects/{id}/ingest", ingestPath)
	}

	// Paste the sample logs.
	sample := strings.Join(ui.SampleLogs(time.Now(), 3, 42), "\n")
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("logs"), sample),
		chromedp.Click(chromedp.CSS(`#paste-form button[type=submit]:not([formaction])`)),
		chromedp.WaitVisible(chromedp.CSS(".batch")),
	)
	if err != nil {
		t.Fatalf("paste logs: %v", err)
	}
	if acc := text(t, ctx, ".batch dd"); acc == "0" || acc == "" {
		t.Errorf("batch summary says %q lines accepted", acc)
	}
	shoot(t, ctx, shots, "ingest")

	// Upload a file: the page's script posts it to the API with a progress
	// bar, then shows the new batch.
	before := location(t, ctx).RawQuery
	file := filepath.Join(t.TempDir(), "app.log")
	upload := "2026-11-20 10:00:00,000 INFO [web] uploaded line one\n2026-11-20 10:00:01,000 WARN [web] uploaded line two\n"
	if err := os.WriteFile(file, []byte(upload), 0o644); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
		chromedp.Click(chromedp.CSS(`#upload-form button[type=submit]`)),
	)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	waitFor(t, ctx, "the uploaded batch", fmt.Sprintf(`location.search.includes("batch=") && location.search !== %q && document.readyState === "complete" && document.querySelector(".batch")`, "?"+before))
	if acc := text(t, ctx, ".batch dd"); acc != "2" {
		t.Errorf("the uploaded batch accepted %q lines, want 2", acc)
	}

	// The project page: score, three top factors, at least three actions.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+projectPath), chromedp.WaitVisible(chromedp.ID("score"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "charts", `document.querySelectorAll(".uplot").length >= 2`)
	score := text(t, ctx, "#score .score-num")
	if !regexp.MustCompile(`^\d{1,3}$`).MatchString(score) || score == "0" {
		t.Errorf("score = %q, want a number above 0", score)
	}
	if n := count(t, ctx, "#factors .factor.top"); n != 3 {
		t.Errorf("top factors = %d, want 3", n)
	}
	nActions := count(t, ctx, "#actions li.action")
	if nActions < 3 {
		t.Fatalf("actions = %d, want at least 3", nActions)
	}
	if n := count(t, ctx, "#forecast .step"); n != 4 {
		t.Errorf("chain steps = %d, want 4", n)
	}
	shoot(t, ctx, shots, "project")
	dark := chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}})
		return err
	})
	if err := chromedp.Do(ctx, dark, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("score"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "charts", `document.querySelectorAll(".uplot").length >= 2`)
	shoot(t, ctx, shots, "project-dark")

	// An evidence word of the first action, then mark it done.
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("#actions li.action"), "id"))
	if err != nil {
		t.Fatal(err)
	}
	firstID := attr.Value
	// The evidence patterns' templates of every action: their words occur in log messages.
	evidence, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll("#actions .evidence .pats code")).map(function(e){return e.textContent}).join("\n")`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf("#%s button[value=done]", firstID))))
	if err != nil {
		t.Fatalf("click Done: %v", err)
	}
	waitFor(t, ctx, "the action to leave the list", fmt.Sprintf(`!document.getElementById(%q)`, firstID))
	if n := count(t, ctx, "#actions li.action"); n != nActions-1 {
		t.Errorf("after Done: %d actions, want %d", n, nActions-1)
	}
	// It stays gone after a reload.
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("actions"))); err != nil {
		t.Fatal(err)
	}
	if n := count(t, ctx, "#"+firstID); n != 0 {
		t.Errorf("the action marked done is back after a reload")
	}

	// Search the logs for a word of the evidence.
	word := ""
	for _, w := range strings.Fields(evidence) {
		w = strings.ToLower(strings.Trim(w, `:,.;'"()[]`))
		if wordRE.MatchString(w) && len(wordRE.FindString(w)) == len(w) {
			word = w
			break
		}
	}
	if word == "" {
		t.Fatalf("no word in the action's evidence %q", evidence)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+projectPath+"/logs"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), word),
		chromedp.Submit(chromedp.ID("q")),
	)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	waitFor(t, ctx, "the search results", fmt.Sprintf(`location.search.includes("q=%s") && document.readyState === "complete" && document.getElementById("loglines")`, word))
	if n := count(t, ctx, "#loglines mark"); n == 0 {
		dbg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " | " + document.querySelector("#loglines").textContent.slice(0, 300)`))
		t.Errorf("searching the logs for %q highlights nothing (%s)", word, dbg)
	} else if m := strings.ToLower(text(t, ctx, "#loglines mark")); m != word {
		t.Errorf("highlighted %q, want %q", m, word)
	}
	shoot(t, ctx, shots, "logs")

	for _, p := range []struct{ path, name string }{{projectPath + "/settings", "settings"}, {"/projects", "projects"}} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+p.path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
			t.Fatal(err)
		}
		shoot(t, ctx, shots, p.name)
	}

	// Log out.
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.ID("password")))
	if err != nil {
		t.Fatalf("log out: %v", err)
	}
	if got := location(t, ctx).Path; got != "/login" {
		t.Errorf("after logging out at %s, want /login", got)
	}
	shoot(t, ctx, shots, "login")
	if err := chromedp.Do(ctx, chromedp.Navigate(base+projectPath), chromedp.WaitVisible(chromedp.ID("password"))); err != nil {
		t.Fatalf("the project page after logging out: %v", err)
	}
}

// apiClient is a logged-in HTTP client of the JSON API.
type apiClient struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func (c *apiClient) do(method, path, ctype string, body io.Reader, out any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		c.t.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// An open project page shows a new score without a reload when logs
// arrive through the API.
func TestLiveScore(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	base := serve(t)
	ctx := browser(t)
	jar, _ := cookiejar.New(nil)
	c := &apiClient{t: t, base: base, hc: &http.Client{Jar: jar}}
	creds := `{"email":"bob@example.com","password":"a long passphrase for bob"}`
	c.do("POST", "/api/auth/register", "application/json", strings.NewReader(creds), nil)
	var pr struct{ ID int64 }
	c.do("POST", "/api/projects", "application/json", strings.NewReader(`{"name":"live"}`), &pr)
	lines := ui.SampleLogs(time.Now(), 3, 9)
	cut := len(lines) * 3 / 5 // before the incident
	c.do("POST", fmt.Sprintf("/api/ingest/%d", pr.ID), "text/plain", strings.NewReader(strings.Join(lines[:cut], "\n")), nil)

	u, _ := url.Parse(base)
	var session string
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "cloudsage_session" {
			session = ck.Value
		}
	}
	projectURL := fmt.Sprintf("%s/projects/%d", base, pr.ID)
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, network.SetCookie, network.SetCookieParams{Name: "cloudsage_session", Value: session,
				Domain: u.Hostname(), Path: "/", HTTPOnly: new(true)})
			return err
		}),
		chromedp.Navigate(projectURL),
		chromedp.WaitVisible(chromedp.ID("score")),
		chromedp.Evaluate[chromedp.Void](`window.__notReloaded = true`),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the live stream to open", `document.getElementById("live-status").dataset.state === "open"`)
	before := text(t, ctx, "#score .score-num")

	c.do("POST", fmt.Sprintf("/api/ingest/%d", pr.ID), "text/plain", strings.NewReader(strings.Join(lines[cut:], "\n")), nil)
	var rep struct {
		Risk struct{ Score float64 }
	}
	c.do("GET", fmt.Sprintf("/api/forecast/%d", pr.ID), "", nil, &rep)
	want := fmt.Sprintf("%.0f", rep.Risk.Score)
	if want == before {
		t.Fatalf("the second ingest left the score at %s; the test needs a change", before)
	}
	waitFor(t, ctx, "the new score", fmt.Sprintf(`document.querySelector("#score .score-num").textContent.trim() === %q`, want))
	waitFor(t, ctx, "the live note", `document.getElementById("live-note").textContent.includes("New logs")`)
	still, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__notReloaded === true`))
	if err != nil {
		t.Fatal(err)
	}
	if !still {
		t.Errorf("the page reloaded to show the new score")
	}
	t.Logf("score %s -> %s without a reload", before, want)
}
