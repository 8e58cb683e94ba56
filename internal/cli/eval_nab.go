package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/cloudsage/cloudsage/internal/anomaly"
	"github.com/cloudsage/cloudsage/internal/eval/nab"
)

// runEvalNAB runs the default anomaly detector over a NAB-style folder and
// scores it with NAB's rules: a table per profile, then "NAB standard <v>".
func runEvalNAB(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("eval nab", "--data DIR [--json]", stdio)
	data := fs.String("data", "", "NAB-style folder: data/<category>/*.csv, labels/combined_windows.json")
	asJSON := fs.Bool("json", false, "print one JSON object")
	perFile := fs.Bool("files", false, "list every file's raw score (plain output)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data == "" {
		return usageError{"--data DIR is required"}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	c, err := nab.LoadCorpus(os.DirFS(*data))
	if err != nil {
		return fmt.Errorf("load %s: %w", *data, err)
	}
	cfg := anomaly.DefaultConfig()
	out := nab.Run(c, func() nab.Detector { return anomaly.New(cfg) })
	rep, err := nab.Score(c, out)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	norm := func(p string) float64 { v, _ := rep.Normalized(p); return round2(v) }
	if *asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Standard    float64        `json:"standard"`
			RewardLowFP float64        `json:"reward_low_FP"`
			RewardLowFN float64        `json:"reward_low_FN"`
			Files       int            `json:"files"`
			Rows        int            `json:"rows"`
			Windows     int            `json:"windows"`
			Seconds     float64        `json:"seconds"`
			Detector    anomaly.Config `json:"detector"`
			Profiles    []nab.Result   `json:"profiles"`
		}{
			norm(nab.Standard.Name), norm(nab.RewardLowFP.Name), norm(nab.RewardLowFN.Name),
			rep.Files, rep.Rows, rep.Windows, elapsed.Seconds(), cfg, rep.Results,
		})
	}
	fmt.Fprintf(stdio.Out, "NAB: %d files, %d rows, %d windows, %.2fs\n\n", rep.Files, rep.Rows, rep.Windows, elapsed.Seconds())
	fmt.Fprintf(stdio.Out, "%-20s %10s %10s %9s %8s %8s %7s\n", "profile", "score", "threshold", "raw", "null", "windows", "fp")
	for _, r := range rep.Results {
		fmt.Fprintf(stdio.Out, "%-20s %10.2f %10.4f %9.3f %8.1f %4d/%-3d %7d\n", r.Profile.Name, r.Normalized, r.Threshold, r.Raw, r.Null, r.Detected, r.Windows, r.Counts.FP)
	}
	if *perFile && len(rep.Results) > 0 {
		fmt.Fprintf(stdio.Out, "\n%-62s %9s %8s %5s\n", "file ("+rep.Results[0].Profile.Name+")", "raw", "windows", "fp")
		for _, f := range rep.Results[0].Files {
			fmt.Fprintf(stdio.Out, "%-62s %9.3f %4d/%-3d %5d\n", f.Name, f.Raw, f.Detected, f.Windows, f.FP)
		}
	}
	fmt.Fprintf(stdio.Out, "\nNAB standard %.2f\n", norm(nab.Standard.Name))
	return nil
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }
