package sqlstore

import (
	"sync"
	"time"
)

// maxHolds is how many hold times are kept per transaction name.
const maxHolds = 1 << 14

// holdLog records how long write transactions held the writer (SQLite's
// one writer; on PostgreSQL the locks they take), by name, from begin to
// the end of commit: what the ingest benchmark reports as write-transaction
// hold time. The zero value is ready.
type holdLog struct {
	mu sync.Mutex
	by map[string][]time.Duration
}

func (h *holdLog) add(what string, d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.by == nil {
		h.by = map[string][]time.Duration{}
	}
	if l := h.by[what]; len(l) < maxHolds {
		h.by[what] = append(l, d)
	}
}

// WriteHolds returns the hold times of the write transactions named what
// ("ingest" for a batch) since the store was opened, up to the first 16,384.
func (db *DB) WriteHolds(what string) []time.Duration {
	db.holds.mu.Lock()
	defer db.holds.mu.Unlock()
	return append([]time.Duration(nil), db.holds.by[what]...)
}
