package web

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/parse"
	"github.com/cloudsage/cloudsage/internal/shipper"
	"github.com/cloudsage/cloudsage/internal/store"
)

// The log-shipper endpoints (OTLP, Loki push, Elasticsearch _bulk; the
// syslog listeners through IngestRecords) share what is in this file: the
// project comes from the API token however the shipper sends it, bodies
// are decompressed within the size limit, the per-project budget counts
// lines and bytes rather than requests, and the decoded records go to the
// same ingest service as /api/ingest.

// shipToken finds the API token of a shipper request: Authorization
// Bearer, Basic (the token as the password, any user name: Promtail,
// Filebeat, Logstash, Fluent Bit), ApiKey (Elasticsearch API keys:
// base64 of "id:token", or the token itself), or an X-API-Key header.
func shipToken(r *http.Request) (string, error) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case h == "":
		if k := r.Header.Get("X-API-Key"); k != "" {
			return k, nil
		}
		return "", cloudsage.Errorf(cloudsage.Unauthorized, "send the project's API token as Authorization: Bearer <token> (or as the Basic auth password)")
	case strings.EqualFold(scheme, "Bearer") && cred != "":
		return cred, nil
	case strings.EqualFold(scheme, "Basic"):
		if _, pass, ok := r.BasicAuth(); ok && pass != "" {
			return pass, nil
		}
	case strings.EqualFold(scheme, "ApiKey") && cred != "":
		if b, err := base64.StdEncoding.DecodeString(cred); err == nil {
			if _, key, ok := strings.Cut(string(b), ":"); ok && key != "" {
				return key, nil
			}
		}
		return cred, nil
	}
	return "", cloudsage.Errorf(cloudsage.Unauthorized, "Authorization must be Bearer <token>, Basic with the token as password, or ApiKey")
}

// shipProject authenticates a shipper request and returns the token's
// project, which the token must allow to ingest. An X-Scope-OrgID header
// (Loki's tenant) or a project query parameter, when sent, must name it.
func (s *Server) shipProject(r *http.Request) (store.Project, error) {
	markIngest(r)
	tok, err := shipToken(r)
	if err != nil {
		return store.Project{}, err
	}
	pr, err := s.ProjectForToken(r.Context(), tok, s.clientIP(r))
	if err != nil {
		return pr, err
	}
	for _, want := range []string{r.Header.Get("X-Scope-OrgID"), r.URL.Query().Get("project")} {
		if want != "" && want != strconv.FormatInt(int64(pr.ID), 10) {
			return pr, cloudsage.Errorf(cloudsage.Forbidden, "this API token belongs to project %d, not %q", pr.ID, want)
		}
	}
	return pr, nil
}

// ProjectForToken returns the project an API token may ingest into: the
// token must not have expired and must have the ingest scope. ip is where
// the request came from, recorded as the token's last address.
func (s *Server) ProjectForToken(ctx context.Context, token, ip string) (store.Project, error) {
	now := s.now()
	t, err := s.store.TokenByHash(ctx, auth.HashSecret(token), now, ip)
	if store.IsNotFound(err) {
		return store.Project{}, cloudsage.Errorf(cloudsage.Unauthorized, "unknown or revoked API token")
	}
	if err != nil {
		return store.Project{}, err
	}
	if t.Expired(now) {
		return store.Project{}, cloudsage.Errorf(cloudsage.Unauthorized, "API token %q expired at %s", t.Name, t.ExpiresAt.Format(time.RFC3339))
	}
	if !t.Has(store.ScopeIngest) {
		return store.Project{}, cloudsage.Errorf(cloudsage.Forbidden, "this API token's scopes (%s) do not allow ingest", store.JoinScopes(t.Scopes))
	}
	pr, err := s.store.ProjectByID(ctx, t.ProjectID)
	if store.IsNotFound(err) {
		return pr, cloudsage.Errorf(cloudsage.Unauthorized, "unknown or revoked API token")
	}
	pr.Role = t.Role
	return pr, err
}

// shipBody reads a shipper request's body, decompressed (gzip, deflate,
// zstd), at most MaxBodyBytes. It returns the media type too.
func (s *Server) shipBody(w http.ResponseWriter, r *http.Request) ([]byte, string, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var rd io.Reader = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	identity := enc == "" || enc == "identity"
	switch enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(rd)
		if err != nil {
			return nil, mt, &cloudsage.Error{Kind: cloudsage.Invalid, Message: "body is not valid gzip (Content-Encoding: gzip)", Err: err}
		}
		defer zr.Close()
		rd = zr
	case "deflate":
		fr := flate.NewReader(rd)
		defer fr.Close()
		rd = fr
	case "zstd":
		zr, err := zstd.NewReader(rd, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(s.cfg.MaxBodyBytes)))
		if err != nil {
			return nil, mt, err
		}
		defer zr.Close()
		rd = zr
	default:
		return nil, mt, unsupportedMedia{"unsupported Content-Encoding " + strconv.Quote(enc) + " (use gzip, deflate, zstd or none)"}
	}
	// An uncompressed body of known length is read into one buffer of its
	// size, not copied again each time a growing buffer fills up.
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && identity {
		buf.Grow(int(min(n, s.cfg.MaxBodyBytes)) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(rd, s.cfg.MaxBodyBytes+1))
	data := buf.Bytes()
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || int64(len(data)) > s.cfg.MaxBodyBytes:
		return nil, mt, cloudsage.Errorf(cloudsage.TooLarge, "body larger than %d bytes", s.cfg.MaxBodyBytes)
	case err != nil:
		return nil, mt, &cloudsage.Error{Kind: cloudsage.Invalid, Message: "body could not be read or decompressed", Err: err}
	}
	return data, mt, nil
}

// IngestRecords stores decoded shipper records in project pr through the
// ingest service, after charging the project's shipper budget. The
// records reach the engine as they are (ingest.Body.Records), not as
// lines. A record larger than MaxLineBytes (its message, level, service,
// host, field names and values) is rejected. It returns the records
// rejected, added to res's; on error nothing is stored.
func (s *Server) IngestRecords(ctx context.Context, pr store.Project, proto string, res shipper.Result, start time.Time) (rejected int, reasons []string, err error) {
	body := ingest.Body{Source: proto, Rejected: res.Rejected, Reasons: res.Reasons}
	body.Records = make([]parse.Structured, 0, len(res.Records))
	for i := range res.Records {
		n := res.Records[i].Size()
		if n > s.cfg.MaxLineBytes {
			body.Rejected++
			if len(body.Reasons) < shipper.MaxReasons {
				body.Reasons = append(body.Reasons, "record larger than "+strconv.Itoa(s.cfg.MaxLineBytes)+" bytes")
			}
			continue
		}
		body.Records = append(body.Records, *res.Records[i].Structured())
		body.Bytes += int64(n)
	}
	body.Received = len(body.Records) + body.Rejected
	if _, err := s.ingestLines(ctx, pr, proto, body, start); err != nil {
		return 0, nil, err
	}
	return body.Rejected, body.Reasons, nil
}

// ingestLines charges the budget and stores body; an empty body stores
// nothing and succeeds. A retried body is answered, not stored
// (Result.Duplicate).
func (s *Server) ingestLines(ctx context.Context, pr store.Project, proto string, body ingest.Body, start time.Time) (ingest.Result, error) {
	if body.Accepted() == 0 {
		s.metrics.IngestRejected.WithLabelValues(proto).Add(float64(body.Rejected))
		return ingest.Result{}, nil
	}
	if ok, wait := s.shipBudget.Take(ctx, "ship:"+strconv.FormatInt(int64(pr.ID), 10), int64(body.Accepted()), body.Bytes); !ok {
		s.metrics.RateLimited.Inc()
		secs := int(math.Ceil(wait.Seconds()))
		return ingest.Result{}, &cloudsage.Error{Kind: cloudsage.RateLimited, Detail: map[string]int{"retry_after_seconds": secs},
			Message: "this project's shipper budget (" + strconv.Itoa(s.cfg.ShipLinesPerSecond) + " lines and " +
				strconv.FormatInt(s.cfg.ShipBytesPerSecond, 10) + " bytes a second) is used up: retry after " + strconv.Itoa(secs) + " s"}
	}
	return s.storeBatch(ctx, pr, body, proto, start)
}

// unsupportedMedia is a body whose Content-Type or Content-Encoding the
// protocol does not define: 415 Unsupported Media Type.
type unsupportedMedia struct{ msg string }

func (e unsupportedMedia) Error() string { return e.msg }

// shipStatus is the HTTP status and user-safe message of a shipper
// endpoint's error; server errors are logged.
func (s *Server) shipStatus(r *http.Request, err error) (int, string) {
	var um unsupportedMedia
	if errors.As(err, &um) {
		return http.StatusUnsupportedMediaType, um.msg
	}
	_, code := s.failure(r, "shipper request failed", err)
	return code, cloudsage.MessageOf(err)
}

// retryAfter sets Retry-After from a rate-limit error's detail.
func retryAfter(w http.ResponseWriter, err error) {
	var ce *cloudsage.Error
	if errors.As(err, &ce) && ce.Kind == cloudsage.RateLimited {
		if d, ok := ce.Detail.(map[string]int); ok {
			w.Header().Set("Retry-After", strconv.Itoa(max(d["retry_after_seconds"], 1)))
		}
	}
}

// ShipBudget charges shipper lines and bytes per key: Budget in-process,
// cluster.Budget across replicas.
type ShipBudget interface {
	Take(ctx context.Context, key string, lines, bytes int64) (bool, time.Duration)
}

// shipBurst is how many seconds' worth of the shipper budget a project may
// spend at once.
const shipBurst = 5 * time.Second

// Budget limits amounts (lines, bytes) per key and second, with a burst
// of a few seconds' worth. A request is let through while the key has any
// budget left and is charged in full, so a batch larger than the burst is
// not refused forever; the debt then delays the next ones. Safe for
// concurrent use; in-process (one replica).
type Budget struct {
	lines, bytes float64 // per second
	burst        float64 // seconds
	now          func() time.Time

	mu sync.Mutex
	m  map[string]*budgetState
}

type budgetState struct {
	lines, bytes float64
	at           time.Time
}

// NewBudget returns a Budget of lines and bytes a second (0: unlimited).
func NewBudget(lines, bytes int64, burst time.Duration, now func() time.Time) *Budget {
	return &Budget{lines: float64(lines), bytes: float64(bytes), burst: burst.Seconds(), now: now, m: map[string]*budgetState{}}
}

// Take charges lines and bytes to key, or reports how long until the key
// has budget again.
func (b *Budget) Take(_ context.Context, key string, lines, bytes int64) (bool, time.Duration) {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	st := b.m[key]
	if st == nil {
		if len(b.m) > 100000 {
			clear(b.m)
		}
		st = &budgetState{lines: b.lines * b.burst, bytes: b.bytes * b.burst, at: now}
		b.m[key] = st
	}
	dt := now.Sub(st.at).Seconds()
	st.at = now
	st.lines = math.Min(b.lines*b.burst, st.lines+dt*b.lines)
	st.bytes = math.Min(b.bytes*b.burst, st.bytes+dt*b.bytes)
	var wait float64
	if b.lines > 0 && st.lines <= 0 {
		wait = math.Max(wait, (1-st.lines)/b.lines)
	}
	if b.bytes > 0 && st.bytes <= 0 {
		wait = math.Max(wait, (1-st.bytes)/b.bytes)
	}
	if wait > 0 {
		return false, time.Duration(wait * float64(time.Second))
	}
	st.lines -= float64(lines)
	st.bytes -= float64(bytes)
	return true, 0
}
