// Package ui is the dashboard's presentation: the embedded html/template
// pages and fragments, the static files (CSS, the project's small scripts
// and the vendored htmx, htmx-ext-sse and uPlot) served at content-hash
// URLs, the view models handlers fill, the live-update broker and the
// sample logs behind "Load sample logs". Package web's page handlers load
// data, fill a view model and call Renderer.Page.
package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"math"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/version"
)

//go:embed templates
var templateFS embed.FS

// Pages lists every page template (templates/pages/NAME.html); each defines
// "title" and "content" and is rendered inside "layout".
var Pages = []string{"login", "register", "projects", "project", "ingest", "logs", "settings", "error",
	"login-2fa", "magic", "account", "members", "invite"}

// Fragments lists the partial templates handlers render on their own (for
// htmx swaps and live updates). New checks that each is defined.
var Fragments = []string{"score", "factors", "forecast", "actions", "patterns", "history",
	"loglines", "batch", "tokens", "live-note"}

// CSP is the Content-Security-Policy of every page: scripts and styles from
// this origin only, no inline script, no inline style attribute, no eval.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
	"base-uri 'none'; object-src 'none'"

// Renderer renders the pages. It is safe for concurrent use.
type Renderer struct {
	static *Static
	pages  map[string]*template.Template
	base   *template.Template // layout + partials, for fragments
}

// New parses every template and loads every static file, and checks that
// each page and fragment is defined.
func New() (*Renderer, error) {
	st, err := newStatic()
	if err != nil {
		return nil, err
	}
	r := &Renderer{static: st, pages: map[string]*template.Template{}}
	base := template.New("").Funcs(r.funcs())
	shared, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	if _, err := base.ParseFS(templateFS, shared...); err != nil {
		return nil, fmt.Errorf("parse templates: %w", err)
	}
	for _, name := range append([]string{"layout"}, Fragments...) {
		if base.Lookup(name) == nil {
			return nil, fmt.Errorf("template %q is not defined", name)
		}
	}
	r.base = base
	for _, name := range Pages {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFS, "templates/pages/"+name+".html"); err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		for _, part := range []string{"title", "content"} {
			if t.Lookup(part) == nil {
				return nil, fmt.Errorf("page %s does not define %q", name, part)
			}
		}
		r.pages[name] = t
	}
	files, _ := fs.Glob(templateFS, "templates/pages/*.html")
	if len(files) != len(Pages) {
		return nil, fmt.Errorf("templates/pages holds %d pages, Pages lists %d", len(files), len(Pages))
	}
	return r, nil
}

// MustNew is New that panics: the templates are embedded, so an error is a
// bug found at start-up.
func MustNew() *Renderer {
	r, err := New()
	if err != nil {
		panic(err)
	}
	return r
}

// Static returns the handler of the static files; mount it at StaticPrefix.
func (r *Renderer) Static() *Static { return r.static }

// Execute renders page name with data into w.
func (r *Renderer) Execute(w io.Writer, name string, data any) error {
	t := r.pages[name]
	if t == nil {
		return fmt.Errorf("no page %q", name)
	}
	if err := t.ExecuteTemplate(w, "layout", data); err != nil {
		return fmt.Errorf("render page %s: %w", name, err)
	}
	return nil
}

// ExecuteFragment renders the partial template name with data into w.
func (r *Renderer) ExecuteFragment(w io.Writer, name string, data any) error {
	if err := r.base.ExecuteTemplate(w, name, data); err != nil {
		return fmt.Errorf("render fragment %s: %w", name, err)
	}
	return nil
}

// SetHeaders sets the security headers every page and fragment carries.
func SetHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// Page renders page name to w with status. It renders into a buffer first,
// so a template error never leaves half a page.
func (r *Renderer) Page(w http.ResponseWriter, status int, name string, data any) error {
	var b bytes.Buffer
	if err := r.Execute(&b, name, data); err != nil {
		return err
	}
	return write(w, status, &b)
}

// Fragment renders a partial template to w (for htmx requests).
func (r *Renderer) Fragment(w http.ResponseWriter, status int, name string, data any) error {
	var b bytes.Buffer
	if err := r.ExecuteFragment(&b, name, data); err != nil {
		return err
	}
	return write(w, status, &b)
}

func write(w http.ResponseWriter, status int, b *bytes.Buffer) error {
	h := w.Header()
	SetHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", fmt.Sprint(b.Len()))
	w.WriteHeader(status)
	_, err := b.WriteTo(w)
	return err
}

func (r *Renderer) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": func(name string) (string, error) { return r.static.URL(name) },
		"ago":   Ago,
		"stale": Stale,
		"abs": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"hm":  func(t time.Time) string { return t.UTC().Format("Jan 2 15:04") },
		"clock": func(t time.Time) string {
			return t.UTC().Format("15:04:05")
		},
		"score": func(v float64) string { return fmt.Sprintf("%.0f", v) },
		"pct":   func(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) },
		"num":   func(v any) string { return thousands(toInt(v)) },
		"bytes": Bytes,
		"ms": func(v float64) string {
			if v < 1 {
				return fmt.Sprintf("%.2f ms", v)
			}
			return fmt.Sprintf("%.0f ms", v)
		},
		"label": LabelText,
		"trend": func(v float64) string {
			switch {
			case v >= 1:
				return fmt.Sprintf("rising %.1f/h", v)
			case v <= -1:
				return fmt.Sprintf("falling %.1f/h", -v)
			}
			return "steady"
		},
		"round":       func(v float64) float64 { return math.Round(v*10) / 10 },
		"lower":       strings.ToLower,
		"base":        path.Base,
		"add":         func(a, b int) int { return a + b },
		"projectURL":  func(id cloudsage.ProjectID, tab string) string { return ProjectURL(id, tab) },
		"version":     version.String,
		"when":        func(t, now time.Time) whenData { return whenData{T: t, Now: now} },
		"actionData":  func(a ActionView, p *ProjectRef) actionData { return actionData{A: a, CanAct: p.CanAct()} },
		"commentForm": func(url, target, id string) commentForm { return commentForm{URL: url, Target: target, ID: id} },
		"stamp": func(t time.Time) string {
			return t.UTC().Format("Jan 02 15:04:05")
		},
		"levels": func() []string { return []string{"fatal", "error", "warn", "info", "debug", "trace", "unknown"} },
	}
}

type whenData struct{ T, Now time.Time }

// commentForm is what the comment form needs: where it posts, the
// comment target and a suffix that keeps its element ids unique.
type commentForm struct{ URL, Target, ID string }

type actionData struct {
	A      ActionView
	CanAct bool
}

// LabelText is a label as people read it: "High risk", "Medium risk",
// "Low risk", or "No data".
func LabelText(label string) string {
	switch strings.ToLower(label) {
	case "high":
		return "High risk"
	case "medium":
		return "Medium risk"
	case "low":
		return "Low risk"
	}
	return "No data"
}

// StaleAfter is how old a project's newest event may be before its pages
// say they show old data, not a live view (the engine then also evaluates
// at the newest event's time: ingest.Backfill).
const StaleAfter = time.Hour

// Stale reports whether data whose newest event is at t is old at now.
func Stale(t, now time.Time) bool { return !t.IsZero() && now.Sub(t) > StaleAfter }

// Ago says how long before now t was: "just now", "2 m ago", "3 h ago",
// "5 d ago"; "never" for the zero time.
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d m ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d d ago", int(d.Hours()/24))
}

// Bytes formats a size: "812 B", "4.2 KB", "10.0 MB".
func Bytes(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	case n < 1<<30:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int:
		return int64(n)
	case int64:
		return n
	case uint64:
		return int64(n)
	case float64:
		return int64(math.Round(n))
	}
	return 0
}
