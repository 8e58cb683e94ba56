package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// streamHeartbeat is how often an idle API stream sends a comment.
const streamHeartbeat = 15 * time.Second

// streamReport is the data of an API stream's "report" event: the risk
// report a stored batch produced.
type streamReport struct {
	ProjectID cloudsage.ProjectID `json:"project_id"`
	BatchID   int64               `json:"batch_id"`
	Score     float64             `json:"score"`
	Label     string              `json:"label"`
	Lines     int                 `json:"lines"`
	At        time.Time           `json:"at"`
}

// GET /api/projects/{id}/stream: the project's reports as server-sent
// events for programs — one "event: report" with a JSON data line per
// stored batch, whichever replica stored it, and a comment as heartbeat.
// A session or an API token with the read scope.
func (s *Server) projectStream(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	ui.StreamWith(s.pages.hub, pr.ID, s.heartbeat, writeReport).ServeHTTP(w, r)
	return nil
}

// writeReport writes a batch event as a "report" event; other events are
// for pages and are not sent.
func writeReport(w io.Writer, e ui.Event) error {
	if e.Type != ui.EventBatch {
		return nil
	}
	data, err := json.Marshal(streamReport{ProjectID: e.Project, BatchID: e.BatchID, Score: e.Score, Label: e.Label, Lines: e.Lines, At: e.At})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: report\ndata: %s\n\n", data)
	return err
}
