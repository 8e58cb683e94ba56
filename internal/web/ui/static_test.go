package ui

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestStaticServing(t *testing.T) {
	r := MustNew()
	u, err := r.Static().URL("vendor/htmx-2.0.11.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^/static/vendor/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js$`).MatchString(u) {
		t.Errorf("URL = %q, want a content-hash URL", u)
	}
	req := httptest.NewRequest("GET", u, nil)
	req.Header.Set("Accept-Encoding", "br, gzip")
	w := httptest.NewRecorder()
	r.Static().ServeHTTP(w, req)
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("GET %s = %d, encoding %q; want 200 gzip", u, w.Code, w.Header().Get("Content-Encoding"))
	}
	if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control = %q, want immutable", cc)
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	orig, _ := staticFS.ReadFile("static/vendor/htmx-2.0.11.min.js")
	if !bytes.Equal(plain, orig) {
		t.Errorf("gunzipped body differs from the file")
	}
	// without gzip, conditional, unknown
	req = httptest.NewRequest("GET", u, nil)
	w = httptest.NewRecorder()
	r.Static().ServeHTTP(w, req)
	if w.Header().Get("Content-Encoding") != "" || !bytes.Equal(w.Body.Bytes(), orig) {
		t.Errorf("plain GET: encoding %q, %d bytes; want the file as is", w.Header().Get("Content-Encoding"), w.Body.Len())
	}
	req.Header.Set("If-None-Match", w.Header().Get("ETag"))
	w = httptest.NewRecorder()
	r.Static().ServeHTTP(w, req)
	if w.Code != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", w.Code)
	}
	for _, p := range []string{"/static/vendor/htmx-2.0.11.min.js", "/static/app.css", "/static/nope.1234.js"} {
		w = httptest.NewRecorder()
		r.Static().ServeHTTP(w, httptest.NewRequest("GET", p, nil))
		if w.Code != 404 {
			t.Errorf("GET %s = %d, want 404 (only hashed URLs are served)", p, w.Code)
		}
	}
}

// The JS a page loads stays within budget: under 150 KB compressed.
func TestJSBudget(t *testing.T) {
	r := MustNew()
	total := 0
	for _, f := range []string{"vendor/htmx-2.0.11.min.js", "vendor/htmx-ext-sse-2.2.4.min.js", "vendor/uplot-1.6.32.iife.min.js", "app.js"} {
		n := r.Static().Size(f)
		if n == 0 {
			t.Errorf("no static file %s", f)
		}
		total += n
	}
	if total > 150_000 {
		t.Errorf("JS = %d bytes gzipped, want <= 150000", total)
	}
	t.Logf("JS on the project page: %d bytes gzipped", total)
}
