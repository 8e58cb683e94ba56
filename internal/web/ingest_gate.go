package web

import (
	"context"
	"runtime"
	"sync/atomic"

	"github.com/cloudsage/cloudsage"
)

// ingestGate bounds how many batches a replica stores at once. Each batch
// is CPU (decoding, analysis, the engine snapshot) and a dozen store round
// trips; without a bound a burst of shippers takes every database
// connection and every core, and the dashboard's reads queue behind it for
// seconds. Batches past the bound wait their turn, up to a queue of
// maxWaiting; past that the shipper is told to come back (429 with
// Retry-After) instead of the queue growing without end.
type ingestGate struct {
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiting int64
}

// newIngestGate admits n batches at once (0: four per core, so some wait
// on the database while others analyse, but at most 8: half of a
// PostgreSQL replica's 16 connections stay for the reads) with up to
// maxWaiting queued (0: 64 per slot).
func newIngestGate(n, maxWaiting int) *ingestGate {
	if n <= 0 {
		n = min(4*runtime.GOMAXPROCS(0), defaultIngestSlots)
	}
	if maxWaiting <= 0 {
		maxWaiting = 64 * n
	}
	return &ingestGate{slots: make(chan struct{}, n), maxWaiting: int64(maxWaiting)}
}

// defaultIngestSlots caps the default bound.
const defaultIngestSlots = 8

// errIngestBusy is the answer when the queue is full.
var errIngestBusy = &cloudsage.Error{Kind: cloudsage.RateLimited, Message: "this server is storing as many batches as it can: retry in a second",
	Detail: map[string]int{"retry_after_seconds": 1}}

// enter waits for a slot (or ctx's end) and returns its release.
func (g *ingestGate) enter(ctx context.Context) (func(), error) {
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	default:
	}
	if g.waiting.Add(1) > g.maxWaiting {
		g.waiting.Add(-1)
		return nil, errIngestBusy
	}
	defer g.waiting.Add(-1)
	select {
	case g.slots <- struct{}{}:
		return g.leave, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (g *ingestGate) leave() { <-g.slots }
