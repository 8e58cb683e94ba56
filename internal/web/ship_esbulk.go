package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/shipper/esbulk"
)

// esVersion is the Elasticsearch version the compatibility endpoints
// report: shippers pick their request format from it (Filebeat, Logstash
// and the 8.x clients refuse anything older than 8).
const esVersion = "8.19.0"

// esSeq numbers stored documents in bulk responses (_seq_no).
var esSeq atomic.Int64

// esHeaders marks a response as Elasticsearch's: the official clients
// refuse responses without X-Elastic-Product.
func esHeaders(w http.ResponseWriter) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
}

// esFail answers an Elasticsearch-style error.
func (s *Server) esFail(w http.ResponseWriter, code int, typ, reason string) {
	esHeaders(w)
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="cloudsage", charset="UTF-8"`)
	}
	w.WriteHeader(code)
	w.Write(esbulk.Error(code, typ, reason))
}

// esAuthFail answers an authentication or other request-level error.
func (s *Server) esAuthFail(w http.ResponseWriter, r *http.Request, err error) {
	retryAfter(w, err)
	code, msg := s.shipStatus(r, err)
	typ := "illegal_argument_exception"
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		typ = "security_exception"
	case http.StatusTooManyRequests:
		typ = "es_rejected_execution_exception"
	case http.StatusRequestEntityTooLarge:
		typ = "content_too_long_exception"
	case http.StatusUnsupportedMediaType:
		typ = "media_type_header_exception"
	}
	if code >= 500 {
		typ = "exception"
	}
	s.esFail(w, code, typ, msg)
}

// POST /_bulk and /{index}/_bulk: Elasticsearch bulk indexing. Stored
// documents are answered "created" (201) once durable; each failed item
// has its own status and the top-level "errors" flag is set.
func (s *Server) esBulk(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	const proto = "es_bulk"
	pr, err := s.shipProject(r)
	if err != nil {
		s.esAuthFail(w, r, err)
		return
	}
	switch mt := mediaType(r); mt {
	case "application/x-ndjson", "application/json", "application/vnd.elasticsearch+x-ndjson", "application/vnd.elasticsearch+json", "text/plain", "":
	default:
		s.esFail(w, http.StatusNotAcceptable, "media_type_header_exception",
			"Content-Type header ["+mt+"] is not supported: send application/x-ndjson")
		return
	}
	data, _, err := s.shipBody(w, r)
	if err != nil {
		s.esAuthFail(w, r, err)
		return
	}
	req, err := esbulk.Decode(data, r.PathValue("index"), newDocIDs())
	if err != nil {
		s.metrics.IngestRequests.WithLabelValues(proto, "rejected").Inc()
		s.esFail(w, http.StatusBadRequest, "illegal_argument_exception", err.Error())
		return
	}
	body := ingest.Body{Lines: req.Lines, Documents: true, Source: proto, Bytes: req.Bytes, Received: len(req.Items), Rejected: req.Errors()}
	for _, it := range req.Items {
		if it.Status >= 300 && len(body.Reasons) < ingest.MaxReasons {
			body.Reasons = append(body.Reasons, it.Reason)
		}
	}
	for i, line := range body.Lines {
		if len(line) > s.cfg.MaxLineBytes {
			s.esFail(w, http.StatusRequestEntityTooLarge, "content_too_long_exception",
				"document "+strconv.Itoa(i+1)+" is larger than the "+strconv.Itoa(s.cfg.MaxLineBytes)+"-byte limit of one log record")
			return
		}
	}
	if _, err := s.ingestLines(r.Context(), pr, proto, body, start); err != nil {
		s.esAuthFail(w, r, err)
		return
	}
	took := time.Since(start).Milliseconds()
	esHeaders(w)
	w.WriteHeader(http.StatusOK)
	w.Write(esbulk.Response(req.Items, took, esSeq.Add(int64(len(req.Lines)))-int64(len(req.Lines))))
}

// newDocIDs returns the id generator of one bulk request: a random
// prefix and a counter, so a request costs one read of the random source
// rather than one a document.
func newDocIDs() func() string {
	b := make([]byte, 12)
	rand.Read(b)
	prefix := base64.RawURLEncoding.EncodeToString(b)
	n := uint64(0)
	return func() string {
		n++
		return prefix + strconv.FormatUint(n, 36)
	}
}

// esRootOr answers GET / as Elasticsearch's cluster info when the request
// carries credentials (a shipper's version probe), else serves next (the
// dashboard's home page).
func (s *Server) esRootOr(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" && r.Header.Get("X-API-Key") == "" {
			next.ServeHTTP(w, r)
			return
		}
		s.esProbe(func(map[string]string) any {
			return map[string]any{
				"name": "cloudsage", "cluster_name": "cloudsage", "cluster_uuid": "cloudsage",
				"version": map[string]any{"number": esVersion, "build_flavor": "default", "build_type": "cloudsage",
					"lucene_version": "9.12.0", "minimum_wire_compatibility_version": "7.17.0",
					"minimum_index_compatibility_version": "7.0.0"},
				"tagline": "You Know, for Search",
			}
		}).ServeHTTP(w, r)
	})
}

// esProbe answers one of the setup requests shippers make before they send
// (version, licence, templates, ILM policies, pipelines): authenticated,
// answered so that the shipper goes on; CloudSage keeps no index settings.
func (s *Server) esProbe(answer func(path map[string]string) any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.shipProject(r); err != nil {
			s.esAuthFail(w, r, err)
			return
		}
		esHeaders(w)
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return
		}
		enc := json.NewEncoder(w)
		enc.Encode(answer(map[string]string{"name": r.PathValue("name")}))
	})
}

// esRoutes registers the Elasticsearch compatibility endpoints.
func (s *Server) esRoutes(mux *http.ServeMux) {
	ack := func(map[string]string) any { return map[string]any{"acknowledged": true} }
	mux.HandleFunc("POST /_bulk", s.esBulk)
	mux.HandleFunc("PUT /_bulk", s.esBulk) // /{index}/_bulk: see esIndexBulk
	mux.Handle("GET /_license", s.esProbe(func(map[string]string) any {
		return map[string]any{"license": map[string]any{"status": "active", "type": "basic", "uid": "cloudsage"}}
	}))
	mux.Handle("GET /_xpack", s.esProbe(func(map[string]string) any {
		return map[string]any{"build": map[string]any{}, "license": map[string]any{"status": "active", "type": "basic", "mode": "basic"}, "features": map[string]any{}}
	}))
	mux.Handle("GET /_cluster/health", s.esProbe(func(map[string]string) any {
		return map[string]any{"cluster_name": "cloudsage", "status": "green", "timed_out": false, "number_of_nodes": 1, "number_of_data_nodes": 1}
	}))
	mux.Handle("GET /_index_template/{name}", s.esProbe(func(p map[string]string) any {
		return map[string]any{"index_templates": []any{map[string]any{"name": p["name"],
			"index_template": map[string]any{"index_patterns": []string{strings.TrimSuffix(p["name"], "*") + "*"}, "data_stream": map[string]any{}}}}}
	}))
	mux.Handle("GET /_template/{name}", s.esProbe(func(p map[string]string) any {
		return map[string]any{p["name"]: map[string]any{"index_patterns": []string{p["name"] + "*"}}}
	}))
	mux.Handle("GET /_ilm/policy/{name}", s.esProbe(func(p map[string]string) any {
		return map[string]any{p["name"]: map[string]any{"version": 1, "policy": map[string]any{"phases": map[string]any{}}}}
	}))
	mux.Handle("GET /_ingest/pipeline/{name}", s.esProbe(func(p map[string]string) any {
		return map[string]any{p["name"]: map[string]any{"processors": []any{}}}
	}))
	mux.Handle("GET /_data_stream/{name}", s.esProbe(func(p map[string]string) any {
		return map[string]any{"data_streams": []any{map[string]any{"name": p["name"], "status": "GREEN"}}}
	}))
	for _, p := range []string{"/_index_template/{name}", "/_template/{name}", "/_ilm/policy/{name}", "/_ingest/pipeline/{name}", "/_data_stream/{name}"} {
		mux.Handle("PUT "+p, s.esProbe(ack))
	}
}

// esIndexBulk routes POST /{index}/_bulk to esBulk ahead of mux: as a mux
// pattern it would conflict with /api/ and the /_template/{name} probes.
func (s *Server) esIndexBulk(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost || r.Method == http.MethodPut {
			if index, ok := strings.CutSuffix(r.URL.Path, "/_bulk"); ok && len(index) > 1 &&
				!strings.Contains(index[1:], "/") && index != "/api" && !strings.HasPrefix(index, "/_") {
				r.SetPathValue("index", index[1:])
				r.Pattern = r.Method + " /{index}/_bulk"
				s.esBulk(w, r)
				return
			}
		}
		mux.ServeHTTP(w, r)
	})
}
