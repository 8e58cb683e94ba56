package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/store"
)

// ingestAnswer is the batch summary of POST /api/ingest/{id}.
type ingestAnswer struct {
	BatchID         store.BatchID  `json:"batch_id"`
	Received        int            `json:"received"`
	Accepted        int            `json:"accepted"`
	Rejected        int            `json:"rejected"`
	RejectedReasons []string       `json:"rejected_reasons"`
	Repaired        int            `json:"repaired_utf8"`        // lines kept with invalid UTF-8 or NUL bytes shown as U+FFFD
	Flagged         int            `json:"flagged_invalid_json"` // broken NDJSON lines kept as text flagged _cloudsage_invalid_json (setting keep_invalid_ndjson)
	Events          int            `json:"events"`
	Bytes           int64          `json:"bytes"`
	Formats         map[string]int `json:"formats"`
	NewPatterns     int            `json:"new_patterns"`
	Risk            riskSummary    `json:"risk"`
	DurationMS      float64        `json:"duration_ms"`
	Duplicate       bool           `json:"duplicate"` // the first batch's summary: this body was stored before
}

type riskSummary struct {
	Score float64 `json:"score"`
	Label string  `json:"label"`
}

// POST /api/ingest/{id}: plain text, NDJSON, a JSON array of strings or
// objects, or a multipart upload, optionally gzip-encoded. Answers once
// the batch is committed. A retry (the same Idempotency-Key, or without
// one the same decoded body, within 24 h) is answered with the first
// batch's summary and "duplicate": true, and stores nothing.
func (s *Server) ingestPost(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	const proto = "http"
	markIngest(r)
	pr, p, err := s.accessIngest(r)
	if err != nil {
		return err
	}
	ok, wait, err := s.limiter.Allow(r.Context(), "ingest:"+strconv.FormatInt(int64(pr.ID), 10))
	if err != nil {
		return err
	}
	if !ok {
		s.metrics.RateLimited.Inc()
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return &cloudsage.Error{Kind: cloudsage.RateLimited,
			Message: "ingest rate limit of " + strconv.Itoa(s.cfg.RateLimit) + " requests a minute reached for this project",
			Detail:  map[string]int{"retry_after_seconds": secs}}
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	dec, err := ingest.Decode(body, r.Header.Get("Content-Type"), r.Header.Get("Content-Encoding"), s.ingestLimits(pr, r))
	if err != nil {
		s.metrics.IngestRequests.WithLabelValues(proto, "rejected").Inc()
		return err
	}
	if dec.Received == 0 {
		s.metrics.IngestRequests.WithLabelValues(proto, "rejected").Inc()
		return cloudsage.Errorf(cloudsage.Invalid, "no log lines in the body")
	}
	dec.Key = key
	res, err := s.storeBatch(auth.WithPrincipal(r.Context(), p), pr, dec, proto, start)
	if err != nil {
		return err
	}
	b := res.Batch
	reasons := b.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	writeJSON(w, http.StatusOK, ingestAnswer{
		BatchID: b.ID, Received: b.Received, Accepted: b.Accepted, Rejected: b.Rejected, RejectedReasons: reasons, Repaired: dec.Repaired, Flagged: dec.Flagged,
		Events: res.Events, Bytes: b.Bytes, Formats: b.Formats, NewPatterns: b.NewPatterns,
		Risk:       riskSummary{Score: b.Score, Label: b.Label},
		DurationMS: float64(time.Since(start).Microseconds()) / 1000,
		Duplicate:  res.Duplicate,
	})
	return nil
}

// ingestLimits are the decoding limits of a body for project pr.
func (s *Server) ingestLimits(pr store.Project, r *http.Request) ingest.Limits {
	return ingest.Limits{MaxBytes: s.cfg.MaxBodyBytes, MaxLineBytes: s.cfg.MaxLineBytes, KeepInvalidNDJSON: pr.Settings.KeepInvalidNDJSON,
		SizeHint: r.ContentLength}
}

// idempotencyKey reads the Idempotency-Key header: 1 to 255 printable
// ASCII characters, or none.
func idempotencyKey(r *http.Request) (string, error) {
	vs := r.Header.Values("Idempotency-Key")
	if len(vs) == 0 {
		return "", nil
	}
	k := strings.Trim(vs[0], `" `)
	ok := len(vs) == 1 && k != "" && len(k) <= 255
	for i := 0; ok && i < len(k); i++ {
		ok = k[i] > ' ' && k[i] < 0x7f
	}
	if !ok {
		return "", cloudsage.Errorf(cloudsage.Invalid, "Idempotency-Key must be one value of 1 to 255 printable ASCII characters without spaces")
	}
	return k, nil
}

// storeBatch ingests a decoded body into project pr, counts it in the
// ingest metrics of protocol proto (duration since start) and tells the
// open pages.
func (s *Server) storeBatch(ctx context.Context, pr store.Project, dec ingest.Body, proto string, start time.Time) (ingest.Result, error) {
	release, err := s.gate.enter(ctx)
	if err != nil {
		if cloudsage.KindOf(err) == cloudsage.RateLimited {
			s.metrics.RateLimited.Inc()
		}
		return ingest.Result{}, err
	}
	defer release()
	if err := s.checkIngestLimit(ctx, pr.ID, dec.Accepted()); err != nil {
		return ingest.Result{}, err
	}
	res, err := s.ingest.Ingest(ctx, pr, dec)
	if err != nil {
		s.metrics.IngestRequests.WithLabelValues(proto, "error").Inc()
		return res, err
	}
	if res.Duplicate {
		s.metrics.IngestRequests.WithLabelValues(proto, "duplicate").Inc()
		return res, nil
	}
	s.lastIngest.Store(s.now().UnixNano())
	s.metrics.IngestRequests.WithLabelValues(proto, "ok").Inc()
	s.metrics.IngestLines.WithLabelValues(proto).Add(float64(dec.Accepted()))
	s.metrics.IngestBytes.WithLabelValues(proto).Add(float64(dec.Bytes))
	s.metrics.IngestEvents.WithLabelValues(proto).Add(float64(res.Events))
	s.metrics.IngestRejected.WithLabelValues(proto).Add(float64(dec.Rejected))
	s.metrics.IngestDuration.WithLabelValues(proto).Observe(time.Since(start).Seconds())
	s.publishBatch(pr.ID, res.Batch)
	s.recordIngest(ctx, pr, proto, res.Batch)
	return res, nil
}

// GET /api/ingest/{id}?limit=: recent batches with their status, newest first.
func (s *Server) ingestList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 50, 1, 1000)
	if err != nil {
		return err
	}
	bs, err := s.store.Batches(r.Context(), pr.ID, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"batches": bs})
	return nil
}

// intParam reads an integer query parameter within [lo, hi].
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, cloudsage.Errorf(cloudsage.Invalid, "%s=%q: want a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

// POST /api/ingest: the same body as POST /api/ingest/{id}, for the
// project of the API token (`cloudsage ingest` and other log forwarders);
// ?project=ID, when given, must name it. Limited like the shipper
// endpoints, in lines and bytes a second rather than requests.
func (s *Server) ingestByToken(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	const proto = "forward"
	pr, err := s.shipProject(r)
	if err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	dec, err := ingest.Decode(body, r.Header.Get("Content-Type"), r.Header.Get("Content-Encoding"), s.ingestLimits(pr, r))
	if err != nil {
		s.metrics.IngestRequests.WithLabelValues(proto, "rejected").Inc()
		return err
	}
	if dec.Received == 0 {
		s.metrics.IngestRequests.WithLabelValues(proto, "rejected").Inc()
		return cloudsage.Errorf(cloudsage.Invalid, "no log lines in the body")
	}
	if dec.Key, err = idempotencyKey(r); err != nil {
		return err
	}
	res, err := s.ingestLines(r.Context(), pr, proto, dec, start)
	if err != nil {
		retryAfter(w, err)
		return err
	}
	reasons := dec.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"project_id": pr.ID, "received": dec.Received, "accepted": len(dec.Lines),
		"rejected": dec.Rejected, "rejected_reasons": reasons, "flagged_invalid_json": dec.Flagged, "bytes": dec.Bytes,
		"duration_ms": float64(time.Since(start).Microseconds()) / 1000, "batch_id": res.Batch.ID, "duplicate": res.Duplicate})
	return nil
}
