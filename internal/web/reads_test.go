package web_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/cloudsage/cloudsage/internal/store/postgres"
	"github.com/cloudsage/cloudsage/internal/store/storetest"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// queryCounter counts the queries PostgreSQL connections send.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	q.n.Add(1)
	return ctx
}

func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// readsSetup is one replica on PostgreSQL and Redis (as `serve` runs it)
// whose queries are counted, a user and their project with a batch.
func readsSetup(tb testing.TB) (*client, string, *queryCounter) {
	rs := testenv.StartRedis(tb)
	dsn := storetest.PostgresSchema(tb)
	qc := &queryCounter{}
	st, err := postgres.Open(context.Background(), dsn, postgres.WithTracer(qc))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	e := startReplica(tb, st, rs.URL, nil)
	ann := e.user("ann")
	p := ann.project("shop")
	want(tb, "ingest", ann.text("/api/ingest/"+p, sampleLogs(200, "reads")), 200)
	return ann, p, qc
}

// TestReadRoundTrips: on a warm replica a forecast read makes no database
// round trip (session, membership, action statuses, report all cached),
// and the project page makes no more than its own data needs.
func TestReadRoundTrips(t *testing.T) {
	ann, p, qc := readsSetup(t)
	for _, c := range []struct {
		path string
		max  int64 // queries a read, on average over 20
	}{
		{"/api/forecast/" + p, 0},
		{"/projects/" + p, 6},
	} {
		want(t, "warm-up", ann.get(c.path), 200)
		before := qc.n.Load()
		const reads = 20
		for range reads {
			want(t, c.path, ann.get(c.path), 200)
		}
		// Background work (the token flusher, the compactor) may query
		// meanwhile: allow one query over the 20 reads for it.
		n := qc.n.Load() - before
		t.Logf("%s: %d queries over %d reads", c.path, n, reads)
		if n > c.max*reads+1 {
			t.Errorf("%s: %d queries over %d warm reads, want at most %d a read", c.path, n, reads, c.max)
		}
	}
}

// BenchmarkReads measures a warm forecast read and project page over
// loopback HTTP (client and server in this process): time and allocations
// a read, and the database queries it sends.
func BenchmarkReads(b *testing.B) {
	ann, p, qc := readsSetup(b)
	for _, path := range []string{"/api/forecast/" + p, "/projects/" + p} {
		name := "forecast"
		if path[1] == 'p' {
			name = "page"
		}
		b.Run(name, func(b *testing.B) {
			want(b, "warm-up", ann.get(path), 200)
			before := qc.n.Load()
			b.ReportAllocs()
			for b.Loop() {
				if r := ann.get(path); r.code != 200 {
					b.Fatal(fmt.Sprint(r.code))
				}
			}
			b.ReportMetric(float64(qc.n.Load()-before)/float64(b.N), "queries/op")
		})
	}
}
