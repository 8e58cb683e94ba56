package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeForecastNAB writes a NAB-style folder with one 12-day series at
// 5-minute steps: a daily cycle with a surge on the last days.
func writeForecastNAB(t *testing.T) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data", "synthetic"), 0o755)
	os.MkdirAll(filepath.Join(dir, "labels"), 0o755)
	var b strings.Builder
	b.WriteString("timestamp,value\n")
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 12*288; i++ {
		at := t0.Add(time.Duration(i) * 5 * time.Minute)
		v := 50 + 10*math.Sin(2*math.Pi*float64(i%288)/288) + float64(i%7)
		if i > 10*288 && i%288 > 150 && i%288 < 200 {
			v += 40
		}
		fmt.Fprintf(&b, "%s,%.2f\n", at.Format("2006-01-02 15:04:05"), v)
	}
	os.WriteFile(filepath.Join(dir, "data", "synthetic", "cycle.csv"), []byte(b.String()), 0o644)
	os.WriteFile(filepath.Join(dir, "labels", "combined_windows.json"), []byte(`{}`), 0o644)
	return dir
}

func TestEvalForecast(t *testing.T) {
	dir := writeForecastNAB(t)
	var out, errb bytes.Buffer
	if code := Run(context.Background(), []string{"eval", "forecast", "--data", dir, "--json", "--step", "6"}, Stdio{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res forecastEval
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	// (12 days - 7 days warm-up - 1 day horizon) / 6 h + 1 origins.
	if res.Files != 1 || res.Origins != 17 || res.Score.TP+res.Score.FN == 0 || res.MASE <= 0 || res.Coverage <= 0 {
		t.Fatalf("result %+v", res)
	}
	if res.Brier < 0 || res.Brier > 1 || res.Precision < 0 || res.Precision > 1 {
		t.Errorf("figures out of range: %+v", res)
	}
	out.Reset()
	if code := Run(context.Background(), []string{"eval", "forecast", "--data", dir, "--step", "12"}, Stdio{Out: &out, Err: &errb}); code != 0 || !strings.Contains(out.String(), "Brier") {
		t.Fatalf("plain output (exit %d): %s %s", code, out.String(), errb.String())
	}
	for _, args := range [][]string{{"eval", "forecast"}, {"eval", "forecast", "--data", dir, "--step", "0"}} {
		if code := Run(context.Background(), args, Stdio{Out: &out, Err: &errb}); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code := Run(context.Background(), []string{"eval", "forecast", "--data", t.TempDir()}, Stdio{Out: &out, Err: &errb}); code != 1 {
		t.Errorf("empty folder: exit %d, want 1", code)
	}
}
