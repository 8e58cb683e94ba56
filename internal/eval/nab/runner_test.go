package nab

import (
	"os"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/anomaly"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// TestDetectorNAB runs the default detector over the corpus and checks its
// standard score stays above every published statistical detector on this
// subset (KNN CAD's 58.33 is the best of them), with a margin that catches regressions.
func TestDetectorNAB(t *testing.T) {
	dir := testenv.Datasets(t, "nab")
	c, err := LoadCorpus(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out := Run(c, func() Detector { return anomaly.New(anomaly.DefaultConfig()) })
	rep, err := Score(c, out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows in %v", rep.Rows, time.Since(start))
	for _, r := range rep.Results {
		t.Logf("%-20s %6.2f  threshold %.4f  raw %7.3f  windows %d/%d  fp %d", r.Profile.Name, r.Normalized, r.Threshold, r.Raw, r.Detected, r.Windows, r.Counts.FP)
	}
	if testing.Verbose() && os.Getenv("NAB_FILES") != "" {
		for _, f := range rep.Results[0].Files {
			t.Logf("%-60s %7.3f  windows %d/%d  fp %d", f.Name, f.Raw, f.Detected, f.Windows, f.FP)
		}
	}
	if s, _ := rep.Normalized("standard"); s < 63 {
		t.Errorf("NAB standard = %.2f, want >= 63 (KNN CAD, the best published statistical detector, has 58.33)", s)
	}
}
