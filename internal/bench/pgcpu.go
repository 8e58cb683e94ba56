package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"time"
)

// backendCPU measures the CPU time of the PostgreSQL backends serving one
// bench store: the connections it opens carry application_name app, and a
// sampler reads their pids from pg_stat_activity and their CPU from
// /proc/<pid>/stat every 100 ms, so a backend that exits is counted up to
// its last sample. Only this store's backends count, not the server's
// background processes nor other clients of a shared server.
type backendCPU struct {
	admin *sql.DB
	app   string

	mu         sync.Mutex
	base, last map[int]time.Duration // per backend pid: at start (absent: started later), latest
	stop, done chan struct{}
}

func (m *backendCPU) sample(ctx context.Context) map[int]time.Duration {
	rows, err := m.admin.QueryContext(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, m.app)
	if err != nil {
		return nil
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			if c, ok := pidCPU(pid); ok {
				out[pid] = c
			}
		}
	}
	return out
}

// start takes the baseline and starts sampling.
func (m *backendCPU) start(ctx context.Context) {
	m.base, m.last = m.sample(ctx), map[int]time.Duration{}
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(m.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			m.record(m.sample(ctx))
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
}

func (m *backendCPU) record(s map[int]time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for pid, c := range s {
		m.last[pid] = c
	}
}

// used stops sampling and returns the backends' CPU time since start.
func (m *backendCPU) used(ctx context.Context) time.Duration {
	close(m.stop)
	<-m.done
	return m.sofar(ctx)
}

// sofar returns the backends' CPU time since start, sampling them once more.
func (m *backendCPU) sofar(ctx context.Context) time.Duration {
	m.record(m.sample(ctx))
	m.mu.Lock()
	defer m.mu.Unlock()
	var d time.Duration
	for pid, c := range m.last {
		d += c - m.base[pid]
	}
	return d
}

// freshSchema creates a schema named prefix_<random hex> on the PostgreSQL
// at base for one bench run, and returns an admin connection to it, the
// schema's name and base with search_path set to it. dropSchema removes it.
func freshSchema(ctx context.Context, base, prefix string) (admin *sql.DB, schema, url string, err error) {
	admin, err = sql.Open("pgx", base)
	if err != nil {
		return nil, "", "", err
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema = prefix + "_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return nil, "", "", err
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return admin, schema, base + sep + "search_path=" + schema, nil
}

// dropSchema drops a freshSchema and closes its admin connection, unless
// $CLOUDSAGE_BENCH_KEEP asks to keep it to look at after the run.
func dropSchema(admin *sql.DB, schema string) {
	if os.Getenv("CLOUDSAGE_BENCH_KEEP") == "" {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	}
	admin.Close()
}
