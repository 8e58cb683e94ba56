package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/cloudsage/cloudsage/internal/eval/loghub"
	"github.com/cloudsage/cloudsage/internal/patterns"
)

const evalParseUsage = `--data DIR [--holdout] [--json]

Mines every Loghub-2k system in DIR (a folder with formats.json and
<System>/<System>_2k.log plus <System>_2k.log_structured_corrected.csv)
with the miner's default configuration, the one analyze and serve use, and
scores it against the corrected ground truth. Each line's header is split
from its content with the system's log_format from formats.json; nothing
else in formats.json is used.

GA (grouping accuracy, as the Loghub benchmark defines it) groups the
ground truth by EventTemplate, not EventId: a line is correct when the
lines in its predicted pattern are exactly the lines of its true template.
PA (parsing accuracy) counts a line correct when its pattern's final
template equals the true one after normalisation: white space runs become
one space and runs of <*> separated only by white space or punctuation
become one <*> ("<*>:<*>" and "<*> <*>" read "<*>").

--holdout adds a leave-one-system-out evaluation of the miner's tuned
parameters: every system is mined with every configuration of a grid
around the default (loghub.Grid), and each system is scored with the
configuration that has the best mean GA on the other systems only. It
prints, per system, the in-view score (default configuration, chosen
with every system in view) and the held-out score, and both means.

flags:`

// runEvalParse implements "cloudsage eval parse".
func runEvalParse(_ context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("eval parse", evalParseUsage, stdio)
	data := fs.String("data", filepath.Join("..", "shared", "datasets", "loghub"), "Loghub-2k `folder` (with formats.json)")
	holdout := fs.Bool("holdout", false, "also score each system with the configuration chosen on the other systems only")
	asJSON := fs.Bool("json", false, "print JSON: {\"datasets\": {name: {\"ga\", \"pa\", ...}}, \"mean_ga\", \"mean_pa\"}")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	sets, err := loghub.LoadDir(*data)
	if err != nil {
		return err
	}
	if *holdout {
		return printHoldOut(stdio, loghub.HoldOut(sets, loghub.Grid()), *asJSON)
	}
	rep := loghub.EvaluateAll(sets, patterns.DefaultConfig())
	if *asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dataset\tlines\ttemplates\tpatterns\tGA\tPA\t")
	for _, name := range rep.Order {
		r := rep.Datasets[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.3f\t%.3f\t\n", name, r.Lines, r.Truth, r.Predicted, r.GA, r.PA)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdio.Out, "GA groups the ground truth by EventTemplate (corrected Loghub-2k labels); PA compares normalised templates")
	fmt.Fprintf(stdio.Out, "mean PA %.4f\n", rep.MeanPA)
	fmt.Fprintf(stdio.Out, "mean GA %.4f\n", rep.MeanGA)
	return nil
}

func printHoldOut(stdio Stdio, rep *loghub.HoldOutReport, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "dataset\tGA in view\tGA held out\tPA in view\tPA held out\tchosen on the other systems\t")
	for _, name := range rep.Order {
		r := rep.Systems[name]
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%s\t\n", name, r.InView.GA, r.HeldOut.GA, r.InView.PA, r.HeldOut.PA, r.Chosen)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "leave-one-system-out over %d configurations; in view = the default configuration\n", rep.Configs)
	fmt.Fprintf(stdio.Out, "mean GA in view %.4f, held out %.4f\n", rep.MeanGAInView, rep.MeanGAHeldOut)
	fmt.Fprintf(stdio.Out, "mean PA in view %.4f, held out %.4f\n", rep.MeanPAInView, rep.MeanPAHeldOut)
	return nil
}
