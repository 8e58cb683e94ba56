package web

import (
	"net/http"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// liveKeepAlive is how often an idle live stream sends a comment.
const liveKeepAlive = 25 * time.Second

// GET /projects/{id}/live: the project's live updates as server-sent
// events (new score, batch, action), for the htmx sse extension.
func (s *Server) pageLive(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.pageProject(r, store.RoleViewer)
	if err != nil {
		return err
	}
	ui.Stream(s.pages.hub, pr.ID, liveKeepAlive).ServeHTTP(w, r)
	return nil
}

// publishBatch tells the project's open pages about a committed batch and
// its new score.
func (s *Server) publishBatch(id cloudsage.ProjectID, b store.Batch) {
	now := s.now().UTC()
	s.pages.hub.Publish(ui.Event{Type: ui.EventBatch, Project: id, At: now, Score: b.Score, Label: b.Label, Lines: b.Accepted, BatchID: int64(b.ID)})
	s.pages.hub.Publish(ui.Event{Type: ui.EventScore, Project: id, At: now, Score: b.Score, Label: b.Label})
}

// publishAction tells the project's open pages about feedback on an action.
func (s *Server) publishAction(id cloudsage.ProjectID, action, status string) {
	s.flushReads() // the event makes pages read the statuses again
	s.pages.hub.Publish(ui.Event{Type: ui.EventAction, Project: id, At: s.now().UTC(), Action: action, Status: status})
}

// CloseLive ends every live-update stream; the server calls it when it
// shuts down (http.Server.RegisterOnShutdown), since a stream never ends
// by itself.
func (s *Server) CloseLive() {
	if c, ok := s.pages.hub.(interface{ Close() }); ok {
		c.Close()
	}
}
