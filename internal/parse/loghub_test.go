package parse

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// loghubFloor is the share of lines whose Message equals the ground-truth
// Content column below which a dataset fails. Every dataset measured 1.0000
// when this was written.
const loghubFloor = 0.99

// TestLoghub parses every ../shared/datasets/loghub/*/*_2k.log and checks
// that lines get their own timestamp, a plausible level, and the message
// the benchmark's ground truth calls Content.
func TestLoghub(t *testing.T) {
	dir := testenv.Datasets(t, "loghub")
	logs, err := filepath.Glob(filepath.Join(dir, "*", "*_2k.log"))
	if err != nil || len(logs) == 0 {
		t.Skipf("no *_2k.log under %s", dir)
	}
	for _, path := range logs {
		name := filepath.Base(filepath.Dir(path))
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			content := loghubContent(t, path+"_structured_corrected.csv")
			if len(content) == 0 {
				t.Fatalf("%s: no Content rows to compare with", name)
			}
			p := New()
			var evs []cloudsage.Event
			own, match := 0, 0
			levels := map[cloudsage.Level]int{}
			var misses []string
			for i, line := range lines {
				evs = p.Push(evs[:0], line)
				evs = p.Flush(evs)
				if len(evs) != 1 {
					t.Fatalf("line %d: %d events, want 1: %q", i+1, len(evs), line)
				}
				ev := evs[0]
				if !ev.TimeGuessed {
					own++
				}
				levels[ev.Level]++
				if i < len(content) {
					if ev.Message == content[i] {
						match++
					} else if len(misses) < 5 {
						misses = append(misses, "got  "+ev.Message+"\n    want "+content[i])
					}
				}
			}
			if got := len(Text(string(b))); got != len(lines) {
				t.Errorf("%s: Text gave %d events for %d lines: a line was joined to another", name, got, len(lines))
			}
			n := float64(len(lines))
			share := float64(match) / float64(len(content))
			t.Logf("%s: %d lines, own timestamp %.4f, message = Content %.4f, levels %v", name, len(lines), float64(own)/n, share, levels)
			for _, m := range misses {
				t.Logf("  %s", m)
			}
			if float64(own)/n < 0.99 {
				t.Errorf("%s: %d of %d lines have their own timestamp, want >= 99%%", name, own, len(lines))
			}
			if levels[cloudsage.LevelError]+levels[cloudsage.LevelFatal] > len(lines)*6/10 {
				t.Errorf("%s: levels %v: more than 60%% errors is not a sane reading", name, levels)
			}
			if share < loghubFloor {
				t.Errorf("%s: Message equals Content for %.4f of lines, want >= %.2f", name, share, loghubFloor)
			}
		})
	}
}

// loghubContent reads the Content column of a structured CSV.
func loghubContent(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == "Content" {
			col = i
		}
	}
	if col < 0 {
		t.Fatalf("%s: no Content column", path)
	}
	out := make([]string, 0, len(recs)-1)
	for _, r := range recs[1:] {
		out = append(out, strings.TrimSpace(r[col]))
	}
	return out
}
