package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/bench"
)

func TestBench(t *testing.T) {
	dir := writeLoghub(t)
	var out, errb bytes.Buffer
	args := []string{"bench", "--json", "--lines", "2000", "--data", dir, "--stages", "mine,drain,parse+mine"}
	if code := Run(context.Background(), args, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("bench exit %d: %s", code, errb.String())
	}
	var rep benchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out.String())
	}
	if rep.Lines != 2000 || len(rep.Stages) != 3 || rep.MaxRSSBytes == 0 {
		t.Errorf("bench --json = %+v", rep)
	}
	for _, st := range rep.Stages {
		if st.Stage == "parse+mine" && st.AllocsPerLine <= 0 {
			t.Errorf("parse+mine allocs/line = %v, want > 0 (events carry fields)", st.AllocsPerLine)
		}
	}
	if _, ok := rep.Ratios["mine/drain"]; !ok {
		t.Errorf("no mine/drain ratio in %v", rep.Ratios)
	}
	if !strings.Contains(rep.Corpus, "Loghub") || !strings.Contains(rep.Corpus, "generated") {
		t.Errorf("corpus %q, want Loghub and generated lines", rep.Corpus)
	}

	out.Reset()
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	if code := Run(context.Background(), []string{"bench", "--lines", "500", "--data", dir, "--stages", "mine", "--cpuprofile", prof}, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("bench exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "lines/s") || !strings.Contains(out.String(), "allocs/line") || !strings.Contains(out.String(), "max RSS") {
		t.Errorf("bench output:\n%s", out.String())
	}
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Errorf("--cpuprofile wrote no profile: %v", err)
	}
	for _, bad := range [][]string{{"bench", "--lines", "0"}, {"bench", "--stages", "nope", "--lines", "10"}} {
		if code := Run(context.Background(), bad, Stdio{Out: &out, Err: &errb}); code == 0 {
			t.Errorf("%v: exit 0, want an error", bad)
		}
	}
}

// TestBenchSearchBudget: the search stage prints first-page and every-page
// quantiles, and --budget turns a missed budget into a failure (only then).
func TestBenchSearchBudget(t *testing.T) {
	dir := writeLoghub(t)
	prev := bench.SearchBudget
	bench.SearchBudget = time.Nanosecond // every page misses it
	defer func() { bench.SearchBudget = prev }()
	args := []string{"bench", "--json", "--lines", "3000", "--data", dir, "--stages", "search-sqlite"}
	var out, errb bytes.Buffer
	if code := Run(context.Background(), args, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("bench without --budget: exit %d: %s", code, errb.String())
	}
	var rep benchReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || len(rep.Stages) != 1 {
		t.Fatalf("bench --json: %v\n%s", err, out.String())
	}
	if st := rep.Stages[0]; !strings.Contains(st.Note, "first pages") || !strings.Contains(st.Note, "every page") || st.OverBudget == "" {
		t.Errorf("search stage = note %q, over budget %q", st.Note, st.OverBudget)
	}
	out.Reset()
	errb.Reset()
	if code := Run(context.Background(), append(args, "--budget"), Stdio{Out: &out, Err: &errb}); code == 0 || !strings.Contains(errb.String(), "budget missed: search-sqlite") {
		t.Errorf("bench --budget with a missed budget: exit %d, stderr %q", code, errb.String())
	}
}
