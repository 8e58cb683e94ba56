package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/auth"
	"github.com/cloudsage/cloudsage/internal/ingest"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// sampleHours is how much history "Load sample logs" generates.
const sampleHours = 3

func (s *Server) ingestPage(r *http.Request, pr store.Project, u store.User) (ui.IngestPage, error) {
	pg := ui.IngestPage{
		Layout:   s.projectLayout("Ingest", "ingest", pr, u),
		APIURL:   "/api/ingest/" + strconv.FormatInt(int64(pr.ID), 10),
		MaxBytes: s.cfg.MaxBodyBytes,
	}
	bs, err := s.store.Batches(r.Context(), pr.ID, 20)
	if err != nil {
		return pg, err
	}
	want := r.URL.Query().Get("batch")
	for _, b := range bs {
		v := ui.NewBatchView(b)
		pg.Batches = append(pg.Batches, v)
		if want != "" && strconv.FormatInt(int64(b.ID), 10) == want {
			pg.Result = &v
		}
	}
	return pg, nil
}

// GET /projects/{id}/ingest[?batch=ID]: paste, upload, sample logs, and the
// batch just ingested.
func (s *Server) pageIngest(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleMember)
	if err != nil {
		return err
	}
	pg, err := s.ingestPage(r, pr, u)
	if err != nil {
		return err
	}
	return s.pages.ui.Page(w, http.StatusOK, "ingest", pg)
}

// POST /projects/{id}/ingest: a pasted form (logs=...) or, without
// JavaScript, a multipart upload. With JavaScript, uploads go straight to
// the API (POST /api/ingest/{id}) with a progress bar.
func (s *Server) pageIngestPost(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleMember)
	if err != nil {
		return err
	}
	lim := s.ingestLimits(pr, r)
	var dec ingest.Body
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/") {
		dec, err = ingest.Decode(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes), ct, r.Header.Get("Content-Encoding"), lim)
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes*2) // form encoding can double the size
		if err := r.ParseForm(); err != nil {
			return s.ingestFailed(w, r, pr, u, formError(err))
		}
		lim.SizeHint = 0 // the form's size, not the text's
		dec, err = ingest.Decode(strings.NewReader(r.PostForm.Get("logs")), "text/plain", "", lim)
		dec.Source = "paste"
	}
	if err == nil && dec.Received == 0 {
		err = cloudsage.Errorf(cloudsage.Invalid, "no log lines: paste some lines or choose a file")
	}
	if err != nil {
		return s.ingestFailed(w, r, pr, u, err)
	}
	b, err := s.ingestBody(r, w, pr, dec)
	if err != nil {
		return s.ingestFailed(w, r, pr, u, err)
	}
	seeOther(w, r, ui.ProjectURL(pr.ID, "ingest")+"?batch="+strconv.FormatInt(int64(b.ID), 10))
	return nil
}

// POST /projects/{id}/ingest/sample: "Load sample logs": three hours of a
// web shop's logs ending now, whose last half hour is an incident.
func (s *Server) pageIngestSample(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleMember)
	if err != nil {
		return err
	}
	now := s.now()
	text := strings.Join(ui.SampleLogs(now, sampleHours, uint64(now.UnixNano())), "\n")
	dec, err := ingest.Decode(strings.NewReader(text), "text/plain", "",
		ingest.Limits{MaxBytes: max(s.cfg.MaxBodyBytes, int64(len(text))), MaxLineBytes: s.cfg.MaxLineBytes})
	if err != nil {
		return err
	}
	dec.Source = "sample"
	if _, err := s.ingestBody(r, w, pr, dec); err != nil {
		return s.ingestFailed(w, r, pr, u, err)
	}
	seeOther(w, r, ui.ProjectURL(pr.ID))
	return nil
}

// ingestBody stores a decoded batch as the API's ingest does (same rate
// limit, metrics and live update).
func (s *Server) ingestBody(r *http.Request, w http.ResponseWriter, pr store.Project, dec ingest.Body) (store.Batch, error) {
	start := time.Now()
	const proto = "web"
	ok, wait, err := s.limiter.Allow(r.Context(), "ingest:"+strconv.FormatInt(int64(pr.ID), 10))
	if err != nil {
		return store.Batch{}, err
	}
	if !ok {
		s.metrics.RateLimited.Inc()
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		return store.Batch{}, cloudsage.Errorf(cloudsage.RateLimited, "ingest rate limit reached for this project; try again in %s", wait.Round(time.Second))
	}
	ctx := r.Context()
	if p, err := s.user(r); err == nil {
		ctx = auth.WithPrincipal(ctx, p) // the uploader, in the activity
	}
	res, err := s.storeBatch(ctx, pr, dec, proto, start)
	if err != nil {
		return store.Batch{}, err
	}
	return res.Batch, nil
}

// ingestFailed shows the ingest page with the error; internal errors go to
// the error page.
func (s *Server) ingestFailed(w http.ResponseWriter, r *http.Request, pr store.Project, u store.User, err error) error {
	if cloudsage.KindOf(err) == cloudsage.Internal {
		return err
	}
	pg, lerr := s.ingestPage(r, pr, u)
	if lerr != nil {
		return lerr
	}
	pg.Error = cloudsage.MessageOf(err)
	return s.pages.ui.Page(w, statusOf(cloudsage.KindOf(err)), "ingest", pg)
}
