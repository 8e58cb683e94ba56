package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeLoghub writes a tiny Loghub-style folder with one system.
func writeLoghub(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"formats.json": `{"Tiny": {"log_format": "<Level> <Content>"}}`,
		"Tiny/Tiny_2k.log": "INFO worker 1 started\nINFO worker 2 started\nWARN disk sda1 full\n" +
			"INFO worker 3 stopped\n",
		"Tiny/Tiny_2k.log_structured_corrected.csv": "LineId,Level,Content,EventId,EventTemplate\n" +
			"1,INFO,worker 1 started,E1,worker <*> started\n2,INFO,worker 2 started,E1,worker <*> started\n" +
			"3,WARN,disk sda1 full,E2,disk sda1 full\n4,INFO,worker 3 stopped,E3,worker <*> stopped\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestEvalParse(t *testing.T) {
	dir := writeLoghub(t)
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"eval", "parse", "--data", dir}, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("eval parse exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if last := lines[len(lines)-1]; last != "mean GA 1.0000" {
		t.Errorf("last line = %q, want %q\n%s", last, "mean GA 1.0000", out.String())
	}
	if !strings.Contains(out.String(), "Tiny") || !strings.Contains(out.String(), "EventTemplate") {
		t.Errorf("output lacks the dataset row or the grouping note:\n%s", out.String())
	}

	out.Reset()
	if code := Run(context.Background(), []string{"eval", "parse", "--data", dir, "--json"}, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("eval parse --json exit %d: %s", code, errb.String())
	}
	var rep struct {
		Datasets map[string]struct{ GA, PA *float64 } `json:"datasets"`
		MeanGA   *float64                             `json:"mean_ga"`
		MeanPA   *float64                             `json:"mean_pa"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("eval parse --json: %v\n%s", err, out.String())
	}
	d, ok := rep.Datasets["Tiny"]
	if !ok || d.GA == nil || d.PA == nil || rep.MeanGA == nil || rep.MeanPA == nil {
		t.Fatalf("eval parse --json = %s, want datasets.Tiny.{ga,pa}, mean_ga, mean_pa", out.String())
	}
	if *d.GA != 1 || *rep.MeanGA != 1 || *d.PA != 1 {
		t.Errorf("GA %v PA %v mean %v, want 1", *d.GA, *d.PA, *rep.MeanGA)
	}
}

func TestEvalParseErrors(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"eval", "parse", "--data", t.TempDir()}, Stdio{Out: &out, Err: &errb}); code != 1 {
		t.Errorf("eval parse on an empty folder: exit %d, want 1", code)
	}
	if code := Run(context.Background(), []string{"eval", "parse", "extra"}, Stdio{Out: &out, Err: &errb}); code != 2 {
		t.Errorf("eval parse with an argument: exit %d, want 2", code)
	}
}

func TestEvalParseHoldOut(t *testing.T) {
	dir := writeLoghub(t)
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"eval", "parse", "--data", dir, "--holdout"}, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("eval parse --holdout exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "Tiny") || !strings.Contains(out.String(), "mean GA in view 1.0000, held out 1.0000") {
		t.Errorf("eval parse --holdout output:\n%s", out.String())
	}
	out.Reset()
	if code := Run(context.Background(), []string{"eval", "parse", "--data", dir, "--holdout", "--json"}, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("eval parse --holdout --json exit %d: %s", code, errb.String())
	}
	var rep struct {
		Systems map[string]struct {
			HeldOut struct{ GA *float64 } `json:"held_out"`
			Chosen  string                `json:"chosen"`
		} `json:"systems"`
		MeanGAHeldOut *float64 `json:"mean_ga_held_out"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("eval parse --holdout --json: %v\n%s", err, out.String())
	}
	if s, ok := rep.Systems["Tiny"]; !ok || s.HeldOut.GA == nil || s.Chosen == "" || rep.MeanGAHeldOut == nil {
		t.Errorf("eval parse --holdout --json = %s", out.String())
	}
}
