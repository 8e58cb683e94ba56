package browser

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// pageClient is a browser-like HTTP client that does not follow redirects.
type pageClient struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newPageClient(t *testing.T, base string) *pageClient {
	jar, _ := cookiejar.New(nil)
	return &pageClient{t: t, base: base, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type pageResp struct {
	code int
	loc  string
	body string
	h    http.Header
}

func (c *pageClient) do(method, path string, form url.Values, hdr ...string) pageResp {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return pageResp{code: resp.StatusCode, loc: resp.Header.Get("Location"), body: string(b), h: resp.Header}
}

func (c *pageClient) want(r pageResp, code int, what string) {
	c.t.Helper()
	if r.code != code {
		c.t.Errorf("%s = %d, want %d (%s)", what, r.code, code, strings.TrimSpace(r.body[:min(len(r.body), 200)]))
	}
}

func (c *pageClient) register(email string) {
	c.t.Helper()
	r := c.do("POST", "/register", url.Values{"email": {email}, "password": {"a long passphrase " + email}})
	if r.code != http.StatusSeeOther || r.loc != "/projects" {
		c.t.Fatalf("register %s = %d -> %q (%s)", email, r.code, r.loc, r.body)
	}
}

var idRE = regexp.MustCompile(`^/projects/(\d+)/ingest$`)

func TestPagesOverHTTP(t *testing.T) {
	base := serve(t)
	ann := newPageClient(t, base)

	r := ann.do("GET", "/", nil)
	if r.code != http.StatusSeeOther || r.loc != "/register" {
		t.Errorf("GET / on a new server = %d -> %q, want the first-run page", r.code, r.loc)
	}
	r = ann.do("GET", "/login", nil)
	ann.want(r, 200, "GET /login")
	if r.h.Get("Content-Security-Policy") != ui.CSP {
		t.Errorf("/login CSP = %q", r.h.Get("Content-Security-Policy"))
	}
	r = ann.do("GET", "/projects/1/logs?q=x", nil)
	if r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login?next=") {
		t.Errorf("a page without a session = %d -> %q, want the login page", r.code, r.loc)
	}
	ann.want(ann.do("POST", "/register", url.Values{"email": {"nope"}, "password": {"short"}}), 400, "register with bad input")
	ann.register("ann@example.com")
	ann.want(ann.do("POST", "/register", url.Values{"email": {"ann@example.com"}, "password": {"another long one"}}), 409, "register twice")
	if r := ann.do("GET", "/", nil); r.loc != "/projects" {
		t.Errorf("GET / logged in -> %q, want /projects", r.loc)
	}

	// A cross-site form post is refused; a same-origin one goes through.
	ann.want(ann.do("POST", "/projects", url.Values{"name": {"evil"}}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"), 403, "cross-site POST /projects")
	ann.want(ann.do("POST", "/projects", url.Values{"name": {""}}), 400, "POST /projects without a name")
	r = ann.do("POST", "/projects", url.Values{"name": {"shop <api>"}}, "Origin", base, "Sec-Fetch-Site", "same-origin")
	m := idRE.FindStringSubmatch(r.loc)
	if r.code != http.StatusSeeOther || m == nil {
		t.Fatalf("POST /projects = %d -> %q", r.code, r.loc)
	}
	p := "/projects/" + m[1]

	r = ann.do("GET", "/projects", nil)
	ann.want(r, 200, "GET /projects")
	if !strings.Contains(r.body, "shop &lt;api&gt;") || strings.Contains(r.body, "shop <api>") {
		t.Errorf("/projects does not show the escaped project name")
	}
	r = ann.do("GET", p, nil)
	ann.want(r, 200, "project page before any logs")
	if !strings.Contains(r.body, "No logs yet") {
		t.Errorf("the empty project page does not invite to send logs")
	}

	// Ingest: an empty paste, then the sample logs.
	r = ann.do("POST", p+"/ingest", url.Values{"logs": {"  \n"}})
	ann.want(r, 400, "an empty paste")
	if !strings.Contains(r.body, "no log lines") {
		t.Errorf("an empty paste does not say why it failed")
	}
	r = ann.do("POST", p+"/ingest", url.Values{"logs": {"2026-11-20 10:00:00,000 ERROR [db] pool exhausted\n2026-11-20 10:00:01,000 INFO [web] ok"}})
	if r.code != http.StatusSeeOther || !strings.Contains(r.loc, "?batch=") {
		t.Fatalf("paste = %d -> %q", r.code, r.loc)
	}
	r = ann.do("GET", r.loc, nil)
	if !strings.Contains(r.body, `class="batch"`) {
		t.Errorf("the ingest page does not show the batch just ingested")
	}
	r = ann.do("POST", p+"/ingest/sample", url.Values{})
	if r.code != http.StatusSeeOther || r.loc != p {
		t.Fatalf("load sample logs = %d -> %q", r.code, r.loc)
	}
	r = ann.do("GET", p, nil)
	ann.want(r, 200, "project page")
	for _, w := range []string{"Chain:", "Error rate", "Done", "Dismiss", "Snooze", `data-chart="forecast"`} {
		if !strings.Contains(r.body, w) {
			t.Errorf("the project page lacks %q", w)
		}
	}
	for _, tag := range regexp.MustCompile(`(?i)<script[^>]*>`).FindAllString(r.body, -1) {
		if !strings.Contains(tag, "src=") {
			t.Errorf("inline script on the project page: %s", tag)
		}
	}
	ids := regexp.MustCompile(`id="action-([^"]+)"`).FindAllStringSubmatch(r.body, -1)
	if len(ids) < 3 {
		t.Fatalf("%d actions on the project page, want at least 3", len(ids))
	}

	// Panels, horizons, actions.
	for _, h := range []string{"24", "48", "72"} {
		r = ann.do("GET", p+"/panel/forecast?horizon="+h, nil, "HX-Request", "true")
		ann.want(r, 200, "forecast panel "+h)
		if !strings.Contains(r.body, `aria-current="true">`+h+` h<`) || strings.Contains(r.body, "<html") {
			t.Errorf("forecast panel %s h is not a fragment marking its horizon", h)
		}
	}
	ann.want(ann.do("GET", p+"/panel/nope", nil), 404, "unknown panel")
	ann.want(ann.do("POST", p+"/actions/"+ids[0][1], url.Values{"status": {"maybe"}}), 400, "action with a bad status")
	r = ann.do("POST", p+"/actions/"+ids[0][1], url.Values{"status": {"done"}}, "HX-Request", "true")
	if r.code != 200 || r.body != "" {
		t.Errorf("htmx Done = %d %q, want 200 and nothing (the action leaves the list)", r.code, r.body)
	}
	r = ann.do("POST", p+"/actions/"+ids[1][1], url.Values{"status": {"snoozed"}})
	if r.code != http.StatusSeeOther || r.loc != p {
		t.Errorf("Snooze without htmx = %d -> %q", r.code, r.loc)
	}
	r = ann.do("GET", p+"/panel/actions", nil)
	if strings.Contains(r.body, ids[0][1]) || strings.Contains(r.body, ids[1][1]) || !strings.Contains(r.body, ids[2][1]) {
		t.Errorf("after Done and Snooze the actions panel still lists them, or lost the third")
	}

	// Logs.
	r = ann.do("GET", p+"/logs?q=exhausted", nil)
	ann.want(r, 200, "log search")
	if !strings.Contains(r.body, "<mark>exhausted</mark>") {
		t.Errorf("the log search does not highlight its match")
	}
	ann.want(ann.do("GET", p+"/logs?level=loud", nil), 400, "log search with a bad level")
	ann.want(ann.do("GET", p+"/logs?from=yesterday", nil), 400, "log search with a bad time")
	r = ann.do("GET", p+"/logs?level=error", nil, "HX-Request", "true", "HX-Target", "loglines")
	if r.code != 200 || !strings.HasPrefix(r.body, `<div id="loglines">`) {
		t.Errorf("the live tail's refresh is not the log lines fragment: %d %.80q", r.code, r.body)
	}

	// Settings, tokens.
	ann.want(ann.do("GET", p+"/settings", nil), 200, "settings")
	set := url.Values{"name": {"shop-api"}, "high_threshold": {"30"}, "medium_threshold": {"40"}, "retention_days": {"7"}, "time_zone": {"Europe/Paris"}}
	r = ann.do("POST", p+"/settings", set)
	ann.want(r, 400, "settings with medium above high")
	if !strings.Contains(r.body, "medium_threshold") {
		t.Errorf("the settings error does not name the field")
	}
	set.Set("high_threshold", "80")
	r = ann.do("POST", p+"/settings", set)
	if r.code != http.StatusSeeOther {
		t.Fatalf("save settings = %d %s", r.code, r.body)
	}
	r = ann.do("GET", r.loc, nil)
	if !strings.Contains(r.body, "Settings saved") || !strings.Contains(r.body, `value="Europe/Paris"`) || !strings.Contains(r.body, `value="80"`) {
		t.Errorf("the saved settings are not shown")
	}
	r = ann.do("POST", p+"/settings/tokens", url.Values{"name": {"vector"}})
	ann.want(r, 201, "create token")
	secret := regexp.MustCompile(`id="new-token" type="text" readonly value="([^"]+)"`).FindStringSubmatch(r.body)
	if secret == nil {
		t.Fatalf("the new token is not shown")
	}
	if !strings.Contains(r.body, "Bearer "+secret[1]) {
		t.Errorf("the curl line does not carry the new token")
	}
	r = ann.do("GET", p+"/settings", nil)
	if strings.Contains(r.body, secret[1]) {
		t.Errorf("the token secret is shown a second time")
	}
	tid := regexp.MustCompile(`/settings/tokens/(\d+)/revoke`).FindStringSubmatch(r.body)
	if tid == nil {
		t.Fatalf("no revoke button")
	}

	// Another user sees none of it.
	bob := newPageClient(t, base)
	bob.register("bob@example.com")
	for _, path := range []string{p, p + "/logs", p + "/ingest", p + "/settings", p + "/live", p + "/panel/score"} {
		bob.want(bob.do("GET", path, nil), 404, "bob GET "+path)
	}
	for _, path := range []string{p + "/ingest", p + "/ingest/sample", p + "/actions/" + ids[2][1], p + "/settings",
		p + "/settings/tokens", p + "/settings/tokens/" + tid[1] + "/revoke", p + "/delete"} {
		bob.want(bob.do("POST", path, url.Values{"status": {"done"}, "name": {"x"}, "confirm": {"shop-api"}}), 404, "bob POST "+path)
	}

	r = ann.do("POST", p+"/settings/tokens/"+tid[1]+"/revoke", url.Values{})
	ann.want(r, http.StatusSeeOther, "revoke token")
	if r := ann.do("GET", p+"/settings", nil); strings.Contains(r.body, "/revoke") {
		t.Errorf("the revoked token is still listed")
	}

	// Danger zone.
	ann.want(ann.do("POST", p+"/delete", url.Values{"confirm": {"shop"}}), 400, "delete without the exact name")
	r = ann.do("POST", p+"/delete", url.Values{"confirm": {"shop-api"}})
	if r.code != http.StatusSeeOther || r.loc != "/projects" {
		t.Errorf("delete = %d -> %q", r.code, r.loc)
	}
	ann.want(ann.do("GET", p, nil), 404, "a deleted project")

	// Log out.
	r = ann.do("POST", "/logout", url.Values{})
	if r.code != http.StatusSeeOther || r.loc != "/login" {
		t.Errorf("logout = %d -> %q", r.code, r.loc)
	}
	if r := ann.do("GET", "/projects", nil); r.code != http.StatusSeeOther {
		t.Errorf("/projects after logout = %d, want a redirect to /login", r.code)
	}
	r = ann.do("POST", "/login", url.Values{"email": {"ann@example.com"}, "password": {"wrong password"}})
	ann.want(r, 401, "login with a wrong password")
	r = ann.do("POST", "/login", url.Values{"email": {"ann@example.com"}, "password": {"a long passphrase ann@example.com"}, "next": {"//evil.example/"}})
	if r.code != http.StatusSeeOther || r.loc != "/projects" {
		t.Errorf("login with an off-site next = %d -> %q, want /projects", r.code, r.loc)
	}
}

func TestStaticFilesOverHTTP(t *testing.T) {
	base := serve(t)
	c := newPageClient(t, base)
	r := c.do("GET", "/login", nil)
	srcs := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(r.body, -1)
	if len(srcs) < 4 {
		t.Fatalf("the login page links %d static files", len(srcs))
	}
	for _, s := range srcs {
		r := c.do("GET", s[1], nil, "Accept-Encoding", "gzip")
		c.want(r, 200, "GET "+s[1])
		if !strings.Contains(r.h.Get("Cache-Control"), "immutable") {
			t.Errorf("%s Cache-Control = %q", s[1], r.h.Get("Cache-Control"))
		}
	}
}
