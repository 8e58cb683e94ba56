package advisor

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current output")

// TestGolden keeps whole advisor reports for a few situations in
// testdata/golden; a change in wording or ranking shows up as a diff.
// Rewrite them with go test -run TestGolden -update ./internal/advisor.
func TestGolden(t *testing.T) {
	scenarios := map[string]Input{
		"critical_db_pool": func() Input {
			in := input(84, factors(
				FactorState{Name: "error_rate", Weight: 40, Points: 36, Value: 0.31, Baseline: 0.02, Unit: "ratio", Status: "high"},
				FactorState{Name: "latency", Weight: 20, Points: 15, Value: 850, Baseline: 120, Unit: "ms", Status: "high"}),
				newPat("db1", "FATAL: sorry, too many clients already", 1204, 1204,
					`2025-03-04T14:16:02Z ERROR orders-api pq: sorry, too many clients already (database "orders")`),
				pat("h1", `GET /api/orders/<*> HTTP/1.1" 503 <*>`, 900, 20, 920,
					`10.0.0.7 - - [04/Mar/2025:14:16:03 +0000] "GET /api/orders/123 HTTP/1.1" 503 12 "-" "curl"`))
			in.Trend, in.PHigh, in.PeakScore = 6.5, 0.97, 91
			return in
		}(),
		"preventive_memory": func() Input {
			in := input(58, factors(FactorState{Name: "memory", Weight: 10, Points: 7, Value: 1700, Baseline: 900, Unit: "MB", Status: "elevated"}),
				pat("gc", "GC pause <*> ms, heap usage <*>%", 40, 300, 0, "WARN GC pause 840 ms, heap usage 91%"))
			in.Patterns[0].Warns = 340
			in.Trend, in.PHigh, in.PeakScore = 2, 0.4, 68
			return in
		}(),
		"standard_calm": input(12, factors()),
	}
	for name, in := range scenarios {
		t.Run(name, func(t *testing.T) {
			tick := time.Unix(0, 0)
			clock := func() time.Time { tick = tick.Add(time.Millisecond); return tick }
			got, err := json.MarshalIndent(Advise(in, clock), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Advise(%s) differs from %s (run with -update if intended):\n%s", name, path, got)
			}
		})
	}
}
