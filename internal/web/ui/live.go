package ui

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cloudsage/cloudsage"
)

// Live event types. A page listens for them with the htmx sse extension:
// panels refresh on "score" and "action", the live tail on "batch", and the
// page's status line shows "note".
const (
	EventScore  = "score"  // a new risk score (after an ingest)
	EventBatch  = "batch"  // a committed ingest batch
	EventAction = "action" // feedback recorded on an action
	EventNote   = "note"   // a short human-readable line, sent with each of the above
)

// Event is one live update of a project. It is plain data (JSON-encodable),
// so a fan-out across replicas can carry it.
type Event struct {
	Type    string              `json:"type"`
	Project cloudsage.ProjectID `json:"project"`
	At      time.Time           `json:"at"`
	Score   float64             `json:"score,omitempty"`
	Label   string              `json:"label,omitempty"`
	Lines   int                 `json:"lines,omitempty"`
	BatchID int64               `json:"batch_id,omitempty"` // of a batch event
	Action  string              `json:"action,omitempty"`   // action id
	Status  string              `json:"status,omitempty"`   // done, dismissed, snoozed
}

// Note is the event as one line a person reads.
func (e Event) Note() string {
	switch e.Type {
	case EventBatch:
		return fmt.Sprintf("New logs: %s lines ingested at %s; risk %.0f (%s).", thousands(int64(e.Lines)), e.At.UTC().Format("15:04:05"), e.Score, LabelText(e.Label))
	case EventScore:
		return fmt.Sprintf("Risk score is now %.0f (%s).", e.Score, LabelText(e.Label))
	case EventAction:
		return fmt.Sprintf("An action was marked %s.", e.Status)
	}
	return ""
}

// Hub delivers live events to the pages open on a project. Broker is the
// in-process one; a Valkey/Redis fan-out for several replicas implements
// the same interface.
type Hub interface {
	Publish(e Event)
	// Subscribe returns a channel of the project's events and a func that
	// ends the subscription. A subscriber too slow to keep up loses events
	// rather than slowing the publisher.
	Subscribe(project cloudsage.ProjectID) (<-chan Event, func())
}

// Broker is the in-process Hub.
type Broker struct {
	mu     sync.Mutex
	subs   map[cloudsage.ProjectID]map[chan Event]struct{}
	closed bool
}

// NewBroker returns an empty Broker.
func NewBroker() *Broker {
	return &Broker{subs: map[cloudsage.ProjectID]map[chan Event]struct{}{}}
}

// Publish sends e to every subscriber of e.Project without blocking.
func (b *Broker) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[e.Project] {
		select {
		case ch <- e:
		default: // a slow subscriber loses this event
		}
	}
}

// Subscribe implements Hub.
func (b *Broker) Subscribe(project cloudsage.ProjectID) (<-chan Event, func()) {
	ch := make(chan Event, 16)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		close(ch)
		return ch, func() {}
	}
	if b.subs[project] == nil {
		b.subs[project] = map[chan Event]struct{}{}
	}
	b.subs[project][ch] = struct{}{}
	b.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			b.mu.Lock()
			if _, ok := b.subs[project][ch]; ok {
				close(ch)
			}
			delete(b.subs[project], ch)
			if len(b.subs[project]) == 0 {
				delete(b.subs, project)
			}
			b.mu.Unlock()
		})
	}
}

// Close ends every subscription (their channels close) and refuses new
// ones: streams end, so a server shutting down need not wait for them.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for p, subs := range b.subs {
		for ch := range subs {
			close(ch)
		}
		delete(b.subs, p)
	}
}

// Subscribers returns how many subscriptions project has.
func (b *Broker) Subscribers(project cloudsage.ProjectID) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs[project])
}

// Stream returns the server-sent-events handler of project's live updates.
// The caller checks access first. Each event is sent under its type (data:
// its note, HTML-escaped) and, but for scores, again as "note"; a comment every
// keepAlive keeps proxies from closing an idle stream.
func Stream(h Hub, project cloudsage.ProjectID, keepAlive time.Duration) http.Handler {
	return StreamWith(h, project, keepAlive, writeEvent)
}

// StreamWith is Stream with each event written by write (which may write
// nothing for events its stream does not carry).
func StreamWith(h Hub, project cloudsage.ProjectID, keepAlive time.Duration, write func(io.Writer, Event) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Time{}) // a stream outlives the server's write timeout
		hd := w.Header()
		hd.Set("Content-Type", "text/event-stream")
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Accel-Buffering", "no")
		events, stop := h.Subscribe(project)
		defer stop()
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "retry: 3000\n: connected\n\n")
		if err := rc.Flush(); err != nil {
			return
		}
		tick := time.NewTicker(keepAlive)
		defer tick.Stop()
		ctx := r.Context()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
					return
				}
			case e, ok := <-events:
				if !ok {
					return
				}
				if err := write(w, e); err != nil {
					return
				}
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	})
}

// oneLine keeps an SSE data field on one line.
var oneLine = strings.NewReplacer("\n", " ", "\r", " ")

func writeEvent(w io.Writer, e Event) error {
	var b bytes.Buffer
	note := oneLine.Replace(html.EscapeString(e.Note()))
	fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", e.Type, note)
	if e.Type != EventScore { // a score comes with its batch, whose note says it all
		fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", EventNote, note)
	}
	_, err := w.Write(b.Bytes())
	return err
}
