package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/advisor"
	"github.com/cloudsage/cloudsage/internal/export"
	"github.com/cloudsage/cloudsage/internal/store"
)

// GET /api/projects/{id}/export?format=csv|json&what=events|patterns|risk|actions&from=&to=
// streams a table of the project: CSV with a header row (text/csv) or NDJSON
// (application/x-ndjson). Events take the logs search's filters too (q,
// level, service, host, pattern) and come chunk by chunk, newest batches
// first, through store.ScanEvents, so memory stays bounded whatever the
// project's size. from/to bound events (their time), patterns (last seen
// from, first seen before to) and the risk history; actions are those of
// the latest report.
func (s *Server) exportTable(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f, err := export.ParseFormat(q.Get("format"))
	if err != nil {
		return err
	}
	table, err := export.ParseTable(q.Get("what"))
	if err != nil {
		return err
	}
	eq, err := eventQuery(r, pr.ID)
	if err != nil {
		return err
	}
	if !eq.From.IsZero() && !eq.To.IsZero() && !eq.To.After(eq.From) {
		return cloudsage.Errorf(cloudsage.Invalid, "to must be after from")
	}
	// A large export outlasts the server's write timeout (meant for
	// ordinary answers); an hour still frees a stalled client's connection.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour))
	sw := &startedWriter{ResponseWriter: w}
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="project-%d-%s.%s"`, pr.ID, table, f.Ext()))
	err = s.writeTable(r, sw, f, table, pr, eq)
	if err == nil || !sw.started {
		return err // before the first byte the caller still gets a JSON error
	}
	// Mid-stream the status is sent: cut the response so that the client
	// sees a broken transfer, not a complete-looking short file.
	s.failure(r, "export failed mid-stream", err)
	panic(http.ErrAbortHandler)
}

func (s *Server) writeTable(r *http.Request, w http.ResponseWriter, f export.Format, table export.Table, pr store.Project, eq store.EventQuery) error {
	ctx := r.Context()
	switch table {
	case export.Events:
		out := export.NewWriter(w, f, export.EventColumns)
		err := s.store.ScanEvents(ctx, eq, func(e store.Event) error { return out.Row(e, export.EventRow(e)) })
		if err != nil {
			return err
		}
		return out.Flush()
	case export.Patterns:
		ps, err := s.store.Patterns(ctx, pr.ID, maxExportPatterns)
		if err != nil {
			return err
		}
		out := export.NewWriter(w, f, export.PatternColumns)
		for _, p := range ps {
			if !eq.From.IsZero() && p.LastSeen.Before(eq.From) || !eq.To.IsZero() && !p.FirstSeen.Before(eq.To) {
				continue
			}
			if err := out.Row(p, export.PatternRow(p)); err != nil {
				return err
			}
		}
		return out.Flush()
	case export.Risk:
		ps, err := s.store.RiskHistory(ctx, pr.ID, eq.From, eq.To)
		if err != nil {
			return err
		}
		out := export.NewWriter(w, f, export.RiskColumns)
		for _, p := range ps {
			if err := out.Row(p, export.RiskRow(p)); err != nil {
				return err
			}
		}
		return out.Flush()
	}
	as, err := s.exportActions(r, pr)
	if err != nil {
		return err
	}
	out := export.NewWriter(w, f, export.ActionColumns)
	for _, a := range as {
		if err := out.Row(a, export.ActionRow(a)); err != nil {
			return err
		}
	}
	return out.Flush()
}

// maxExportPatterns is more than the miner keeps for a project.
const maxExportPatterns = 1_000_000

// exportActions are the latest report's actions, hidden ones included,
// each with the feedback on it.
func (s *Server) exportActions(r *http.Request, pr store.Project) ([]export.Action, error) {
	body, _, err := s.ingest.Report(r.Context(), pr, 24)
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var rep struct {
		Actions []advisor.Action `json:"actions"`
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		return nil, fmt.Errorf("read report actions: %w", err)
	}
	statuses, err := s.store.ActionStatuses(r.Context(), pr.ID)
	if err != nil {
		return nil, err
	}
	byID := map[string]store.ActionStatus{}
	for _, st := range statuses {
		byID[st.ActionID] = st
	}
	out := make([]export.Action, 0, len(rep.Actions))
	for _, a := range rep.Actions {
		ea := export.Action{ID: a.ID, Key: a.Key, Title: a.Title, Priority: a.Priority, Score: a.Score, Why: a.Why}
		if st, ok := byID[a.ID]; ok {
			ea.Status = st.Status
			if st.Until != nil {
				u := st.Until.UTC()
				ea.Until = &u
			}
		}
		out = append(out, ea)
	}
	return out, nil
}

// startedWriter records whether any of the body was written.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startedWriter) Write(b []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *startedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
