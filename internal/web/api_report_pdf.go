package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/cloudsage/cloudsage/internal/pdfreport"
	"github.com/cloudsage/cloudsage/internal/store"
)

// GET /api/projects/{id}/report.pdf?horizon=24h|48h|72h: the project's
// latest report as a PDF (score, factors, forecast chart, the actions not
// marked done, dismissed or snoozed, top patterns). Before any logs it is
// a report that says so.
func (s *Server) reportPDF(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	h, err := horizonParam(r)
	if err != nil {
		return err
	}
	doc := pdfreport.Document{Project: pr.Name, GeneratedAt: s.now().UTC(), High: pr.Settings.HighThreshold, Medium: pr.Settings.MediumThreshold}
	doc.Report.Forecast.HorizonHours = h
	body, _, err := s.ingest.Report(r.Context(), pr, h)
	switch {
	case store.IsNotFound(err):
		// No logs yet: the document says so.
	case err != nil:
		return err
	default:
		statuses, err := s.store.ActionStatuses(r.Context(), pr.ID)
		if err != nil {
			return err
		}
		kept, err := filterActions(body, statuses, s.now())
		if err != nil {
			return err
		}
		raw, _ := json.Marshal(kept)
		if err := json.Unmarshal(raw, &doc.Report); err != nil {
			return fmt.Errorf("read report: %w", err)
		}
	}
	var buf bytes.Buffer // a report is small; buffered so that a failure is still a JSON error
	if err := s.pdf.Render(&buf, doc); err != nil {
		return fmt.Errorf("render report PDF: %w", err)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="project-%d-report.pdf"`, pr.ID))
	_, err = buf.WriteTo(w)
	return err
}
