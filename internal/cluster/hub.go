package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// Hub carries live events to every replica: each event is delivered to
// this replica's subscribers at once (the in-process broker) and published
// on a Redis channel, from which the other replicas deliver it to theirs.
// While Redis is down events reach this replica's pages only; nothing
// waits on Redis.
type Hub struct {
	local    *ui.Broker
	r        *Redis
	origin   string // this replica, so it skips its own events coming back
	channel  string
	onRemote func(ui.Event)
	onFlush  func()
	log      *slog.Logger

	out  chan []byte // published by one goroutine, in order
	once sync.Once
	done chan struct{}
}

// envelope is an event on the wire.
type envelope struct {
	Origin string   `json:"origin"`
	Event  ui.Event `json:"event"`
	// Flush, instead of an event: drop every cached read (see Flush).
	Flush bool `json:"flush,omitempty"`
}

// pending is how many events may wait to be published; beyond that they
// reach this replica's pages only.
const pending = 4096

// NewHub returns a Hub over local. onRemote (may be nil) is called with
// each event that another replica published, before local subscribers get
// it: the place to drop what this replica cached about the project.
func NewHub(r *Redis, local *ui.Broker, onRemote func(ui.Event), log *slog.Logger) *Hub {
	b := make([]byte, 8)
	rand.Read(b)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Hub{local: local, r: r, origin: hex.EncodeToString(b), channel: r.Key("live"), onRemote: onRemote, log: log,
		out: make(chan []byte, pending), done: make(chan struct{})}
}

// Publish implements ui.Hub.
func (h *Hub) Publish(e ui.Event) {
	h.local.Publish(e)
	if !h.r.Up() {
		return
	}
	msg, err := json.Marshal(envelope{Origin: h.origin, Event: e})
	if err != nil {
		return
	}
	select {
	case h.out <- msg:
	default:
		h.log.Warn("live updates: publish queue full; an event reaches this replica's pages only", "project_id", e.Project)
	}
}

// OnFlush sets the function called when another replica calls Flush. Set
// it before Run.
func (h *Hub) OnFlush(f func()) { h.onFlush = f }

// Flush tells the other replicas to drop what they cached of the state
// that this replica has just changed (a session ended, a member removed),
// on the live-update channel, in order with the events.
func (h *Hub) Flush() {
	if !h.r.Up() {
		return // the others do not trust their caches while Redis is down
	}
	msg, err := json.Marshal(envelope{Origin: h.origin, Flush: true})
	if err != nil {
		return
	}
	// Rare (a person's change), so worth a short wait for room in the
	// queue; unsent, the others keep their entries until the cache's TTL.
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case h.out <- msg:
	case <-t.C:
		h.log.Error("live updates: publish queue full; a cache flush was not sent to the other replicas")
	}
}

// Subscribe implements ui.Hub.
func (h *Hub) Subscribe(project cloudsage.ProjectID) (<-chan ui.Event, func()) {
	return h.local.Subscribe(project)
}

// Close ends every local subscription (the server is shutting down).
func (h *Hub) Close() {
	h.once.Do(func() { close(h.done) })
	h.local.Close()
}

// Run publishes this replica's events and delivers the others' until ctx
// ends or Close is called. It survives Redis restarts: the subscription
// reconnects and resubscribes.
func (h *Hub) Run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-h.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); h.publishLoop(ctx) }()
	h.receiveLoop(ctx)
	wg.Wait()
}

func (h *Hub) publishLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case msg := <-h.out:
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			err := h.r.rdb.Publish(pctx, h.channel, msg).Err()
			cancel()
			if ctx.Err() == nil {
				h.r.observe(err)
			}
		}
	}
}

func (h *Hub) receiveLoop(ctx context.Context) {
	ps := h.r.rdb.Subscribe(ctx, h.channel)
	stop := context.AfterFunc(ctx, func() { ps.Close() }) // a blocked receive ends only when its connection closes
	defer stop()
	defer ps.Close()
	for {
		msg, err := ps.ReceiveMessage(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// go-redis reconnects and resubscribes on the next receive;
			// wait for Redis to be back rather than spin.
			h.r.observe(err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(CheckEvery):
			}
			continue
		}
		var env envelope
		if json.Unmarshal([]byte(msg.Payload), &env) != nil || env.Origin == h.origin {
			continue
		}
		if env.Flush {
			if h.onFlush != nil {
				h.onFlush()
			}
			continue
		}
		if env.Event.Project <= 0 {
			continue
		}
		if h.onRemote != nil {
			h.onRemote(env.Event)
		}
		h.local.Publish(env.Event)
	}
}
