// Package chunk is the stored form of events: the codec of an event chunk,
// the tokenizer that makes a chunk's search index, the exact matcher of a
// search over decoded events and the cache of a search's matches per
// chunk. It is pure: the SQL store (internal/store/sqlstore) keeps chunks
// in rows and asks the database's index for candidate chunks.
//
// Events are stored in chunks: up to MaxEvents events of one batch per
// row, in a columnar encoding compressed with zstd (codec.go, columns.go;
// S2 and row encodings before, still read), with the chunk's time range and level bitmap beside it and one
// index document holding the chunk's distinct search tokens (plus a key
// token per service, host and pattern). A search asks the index for
// candidate chunks, newest first, and filters their decoded events exactly
// with a Matcher. One index document per chunk instead of one per event is
// what makes ingest cheap.
//
// An event's id is its chunk's id shifted left by IDShift plus the event's
// ordinal in the chunk, so ids grow with insertion. A chunk written by
// compaction or rewritten by retention (stored ids) holds events of other
// chunks and batches: it stores each event's id and batch id, so events
// keep them (and a cursor stays valid) whatever chunk they move to.
package chunk

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudsage/cloudsage"
)

// MaxEvents is the most events a chunk holds.
const MaxEvents = 1024

// IDShift is how far a chunk id is shifted to make its events' ids.
const IDShift = 12

// Chunk encodings: version 1 numbers events by ordinal in the chunk (ids
// follow from the chunk id) and takes the batch from the chunk's row;
// version 2 stores each event's id and batch id (as deltas). Both store
// an event after another, and are only read now: version 3 (columns.go)
// stores each field of the events apart, which compresses better, and
// says which of the two numberings it uses.
const (
	version1 = 1
	version2 = 2
	version3 = 3
)

// BatchID identifies a stored ingest batch.
type BatchID int64

// Event is a stored event: its id, the batch that brought it, and the
// event.
type Event struct {
	ID      int64   `json:"id"`
	BatchID BatchID `json:"batch_id"`
	cloudsage.Event
}

// Chunk is one stored row of events.
type Chunk struct {
	ID      int64
	Project cloudsage.ProjectID
	Batch   BatchID
	// Run is the sorted run the chunk belongs to: 0 for a batch's own
	// chunks (the batch is their run), a compaction's run key otherwise.
	Run     int64
	MinTime int64 // Unix ns
	MaxTime int64
	N       int
	Levels  int64    // bit 1<<level for every level present
	Data    []byte   // compressed encoding
	Tokens  []string // distinct index tokens, [a-z0-9]+ each
}

// LevelBits returns the bitmap of levels.
func LevelBits(ls []cloudsage.Level) int64 {
	var m int64
	for _, l := range ls {
		m |= LevelBit(l)
	}
	return m
}

// LevelBit is the bit of level l in a chunk's level bitmap.
func LevelBit(l cloudsage.Level) int64 { return 1 << (uint(uint8(l)) & 63) }

// Build splits evs, ordered by time (stably), into chunks of at most
// MaxEvents events, encoded and tokenized (ID and Batch are left for the
// caller), on up to GOMAXPROCS goroutines. The order makes each chunk's
// time range narrow, which is what lets a newest-first search stop after a
// few chunks; readers order by time anyway, and ids still follow the input
// order among equal times.
func Build(p cloudsage.ProjectID, evs []cloudsage.Event) []Chunk {
	ptrs := make([]*cloudsage.Event, len(evs))
	for i := range evs {
		ptrs[i] = &evs[i]
	}
	if !slices.IsSortedFunc(ptrs, byTime) {
		slices.SortStableFunc(ptrs, byTime)
	}
	return buildParts(len(evs), func(lo, hi int) Chunk { return buildChunk(p, ptrs[lo:hi], nil) })
}

// Rebuild encodes evs, in the order given, into version-2 chunks of at
// most MaxEvents events that keep each event's id and batch id: what
// compaction writes when it merges chunks and retention when it cuts one.
func Rebuild(p cloudsage.ProjectID, evs []Event) []Chunk {
	ptrs := make([]*Event, len(evs))
	for i := range evs {
		ptrs[i] = &evs[i]
	}
	return RebuildPtrs(p, ptrs)
}

// RebuildPtrs is Rebuild of the events evs point to, in that order: a
// caller that orders events (compaction merging chunks by time) sorts the
// pointers instead of moving the events.
func RebuildPtrs(p cloudsage.ProjectID, evs []*Event) []Chunk {
	return buildParts(len(evs), func(lo, hi int) Chunk {
		ptrs := make([]*cloudsage.Event, hi-lo)
		ids := make([]storedID, hi-lo)
		for i := lo; i < hi; i++ {
			ptrs[i-lo], ids[i-lo] = &evs[i].Event, storedID{evs[i].ID, evs[i].BatchID}
		}
		return buildChunk(p, ptrs, ids)
	})
}

// buildParts builds the chunks of n events, MaxEvents at a time, with
// build(lo, hi) for events lo to hi, on up to GOMAXPROCS goroutines.
func buildParts(n int, build func(lo, hi int) Chunk) []Chunk {
	out := make([]Chunk, (n+MaxEvents-1)/MaxEvents)
	one := func(i int) { out[i] = build(i*MaxEvents, min((i+1)*MaxEvents, n)) }
	workers := min(runtime.GOMAXPROCS(0), len(out))
	if workers <= 1 {
		for i := range out {
			one(i)
		}
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(out) {
					return
				}
				one(i)
			}
		})
	}
	wg.Wait()
	return out
}

func byTime(a, b *cloudsage.Event) int { return a.Time.Compare(b.Time) }

// NS is t in Unix nanoseconds, 0 for the zero time (as the stores keep
// times).
func NS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// FromNS is the time NS gave n for (the zero time for 0), in UTC.
func FromNS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
