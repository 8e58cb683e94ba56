package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeNAB writes a tiny NAB-style folder: one file with a level shift
// inside its one window.
func writeNAB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "data", "cat"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "labels"), 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	t0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	ts := func(i int) string { return t0.Add(time.Duration(i) * 5 * time.Minute).Format("2006-01-02 15:04:05") }
	for i := range 1000 {
		v := 10.0 + float64(i%7)
		if i >= 800 {
			v += 100
		}
		fmt.Fprintf(&b, "%s,%g\n", ts(i), v)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "cat", "f.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	labels := fmt.Sprintf(`{"cat/f.csv": [["%s.000000", "%s.000000"]]}`, ts(790), ts(840))
	if err := os.WriteFile(filepath.Join(dir, "labels", "combined_windows.json"), []byte(labels), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestEvalNAB(t *testing.T) {
	dir := writeNAB(t)
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"eval", "nab", "--data", dir}, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("eval nab exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "NAB standard ") {
		t.Errorf("last line = %q, want NAB standard <value>", last)
	}

	out.Reset()
	if code := Run(context.Background(), []string{"eval", "nab", "--data", dir, "--json"}, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("eval nab --json exit %d: %s", code, errb.String())
	}
	var got struct {
		Standard    *float64 `json:"standard"`
		RewardLowFP *float64 `json:"reward_low_FP"`
		RewardLowFN *float64 `json:"reward_low_FN"`
		Files       int      `json:"files"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("eval nab --json: %v\n%s", err, out.String())
	}
	if got.Standard == nil || got.RewardLowFP == nil || got.RewardLowFN == nil || got.Files != 1 {
		t.Fatalf("eval nab --json = %s", out.String())
	}
	// The shift sits early in the window: the detector earns most of A_TP.
	if *got.Standard < 80 {
		t.Errorf("standard = %v on an obvious level shift, want >= 80", *got.Standard)
	}
}

func TestEvalNABErrors(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"eval", "nab"}, 2},
		{[]string{"eval", "nab", "--data", t.TempDir()}, 1},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if code := Run(context.Background(), tt.args, Stdio{Out: &out, Err: &errb}); code != tt.code {
			t.Errorf("Run(%q) = %d, want %d (%s)", tt.args, code, tt.code, errb.String())
		}
	}
}

func TestEvalNABByCategoryAndConfig(t *testing.T) {
	dir := writeNAB(t)
	var out, errb bytes.Buffer
	args := []string{"eval", "nab", "--data", dir, "--by-category", "--config", `{"Warmup":100}`, "--json"}
	if code := Run(context.Background(), args, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("eval nab %q exit %d: %s", args, code, errb.String())
	}
	var got struct {
		Detector   struct{ Warmup int }
		Categories []struct {
			Category string `json:"category"`
			Windows  int    `json:"windows"`
		} `json:"categories"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("eval nab --json: %v\n%s", err, out.String())
	}
	if got.Detector.Warmup != 100 {
		t.Errorf("--config Warmup 100: detector Warmup = %d", got.Detector.Warmup)
	}
	if len(got.Categories) != 3 || got.Categories[0].Category != "cat" || got.Categories[0].Windows != 1 {
		t.Errorf("categories = %+v, want one per profile for cat with 1 window", got.Categories)
	}
	errb.Reset()
	if code := Run(context.Background(), []string{"eval", "nab", "--data", dir, "--config", `{"Nope":1}`}, Stdio{Out: &out, Err: &errb}); code != 2 {
		t.Errorf("eval nab --config with an unknown field = exit %d, want 2", code)
	}
}

func TestEvalNABRobustness(t *testing.T) {
	dir := writeNAB(t)
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"eval", "nab", "--data", dir, "--robustness"}, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("eval nab --robustness exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"sensitivity", "base", "per parameter", "NAB standard"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("eval nab --robustness output lacks %q:\n%s", want, out.String())
		}
	}
}

// writeNAB2 writes a NAB-style folder of two categories, each with one
// file holding a level shift in its window.
func writeNAB2(t *testing.T) string {
	t.Helper()
	dir := writeNAB(t)
	if err := os.MkdirAll(filepath.Join(dir, "data", "other"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "data", "cat", "f.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "other", "g.csv"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	lb, err := os.ReadFile(filepath.Join(dir, "labels", "combined_windows.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels map[string]any
	if err := json.Unmarshal(lb, &labels); err != nil {
		t.Fatal(err)
	}
	labels["other/g.csv"] = labels["cat/f.csv"]
	lb, _ = json.Marshal(labels)
	if err := os.WriteFile(filepath.Join(dir, "labels", "combined_windows.json"), lb, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestEvalNABSelect(t *testing.T) {
	dir := writeNAB2(t)
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"eval", "nab", "--data", dir, "--select", "--json"}, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("eval nab --select exit %d: %s", code, errb.String())
	}
	var got struct {
		Selection struct {
			Categories []string
			Candidates []struct {
				Name    string
				HeldOut float64   `json:"held_out"`
				ByCat   []float64 `json:"held_out_by_category"`
			}
			Rounds []struct {
				HeldOut string `json:"held_out"`
				Chosen  string
			}
			Chosen string
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("eval nab --select --json: %v\n%s", err, out.String())
	}
	s := got.Selection
	if len(s.Categories) != 2 || len(s.Candidates) < 2 || len(s.Rounds) != 2 || s.Chosen == "" {
		t.Fatalf("selection = %+v", s)
	}
	for _, c := range s.Candidates {
		if len(c.ByCat) != 2 {
			t.Errorf("candidate %s: %d held-out scores, want 2", c.Name, len(c.ByCat))
		}
	}
	// One category is not enough to hold one out.
	errb.Reset()
	if code := Run(context.Background(), []string{"eval", "nab", "--data", writeNAB(t), "--select"}, Stdio{Out: &out, Err: &errb}); code != 1 || !strings.Contains(errb.String(), "two categories") {
		t.Errorf("eval nab --select on one category = exit %d (%s), want 1 and a message", code, errb.String())
	}
}

func TestEvalNABRobustnessPooled(t *testing.T) {
	dir := writeNAB2(t)
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"eval", "nab", "--data", dir, "--robustness", "--json"}, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("eval nab --robustness exit %d: %s", code, errb.String())
	}
	var got struct {
		Standard   float64
		Robustness struct {
			LOO         []struct{ Chosen string } `json:"leave_one_out"`
			LOOStandard *float64                  `json:"leave_one_out_standard"`
			LOOHeldOut  *float64                  `json:"leave_one_out_held_out_threshold"`
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("eval nab --robustness --json: %v\n%s", err, out.String())
	}
	r := got.Robustness
	if len(r.LOO) != 2 || r.LOOStandard == nil || r.LOOHeldOut == nil {
		t.Fatalf("robustness = %+v", r)
	}
	// Both categories are the same file: whatever each round picks scores
	// the held-out copy as it scores the other.
	if *r.LOOStandard < 80 || *r.LOOHeldOut < 80 {
		t.Errorf("pooled leave-one-out = %v, %v on an obvious level shift, want >= 80", *r.LOOStandard, *r.LOOHeldOut)
	}
}
