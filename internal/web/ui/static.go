package ui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// StaticPrefix is where static files are served.
const StaticPrefix = "/static/"

type asset struct {
	ctype string
	etag  string
	body  []byte
	gz    []byte // nil when gzip does not help
}

// Static serves the embedded static files at content-hash URLs
// (/static/app.1a2b3c4d.css), so they can be cached for a year.
type Static struct {
	byURL map[string]*asset // hashed URL path -> asset
	urls  map[string]string // logical name ("app.css") -> hashed URL
}

func newStatic() (*Static, error) {
	s := &Static{byURL: map[string]*asset{}, urls: map[string]string{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(name)
		hashed := StaticPrefix + strings.TrimSuffix(name, ext) + "." + hash + ext
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "text/plain; charset=utf-8"
		}
		a := &asset{ctype: ctype, etag: `"` + hash + `"`, body: body}
		if len(body) > 512 {
			var b bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
			zw.Write(body)
			zw.Close()
			if b.Len() < len(body)*9/10 {
				a.gz = b.Bytes()
			}
		}
		s.byURL[hashed] = a
		s.urls[name] = hashed
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static files: %w", err)
	}
	return s, nil
}

// URL returns the content-hash URL of a static file ("app.css",
// "vendor/htmx-2.0.11.min.js"), or an error for an unknown one.
func (s *Static) URL(name string) (string, error) {
	u, ok := s.urls[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return u, nil
}

// Size returns the bytes of the named file as served with gzip.
func (s *Static) Size(name string) int {
	a := s.byURL[s.urls[name]]
	if a == nil {
		return 0
	}
	if a.gz != nil {
		return len(a.gz)
	}
	return len(a.body)
}

// ServeHTTP serves a static file by its hashed URL, gzipped when the client
// accepts it, with a year-long immutable cache lifetime.
func (s *Static) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a := s.byURL[r.URL.Path]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", a.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}
