package bench

import (
	"context"
	"time"

	"github.com/faceair/drain"

	"github.com/cloudsage/cloudsage/internal/patterns"
)

// DrainRawBudget bounds the time the faceair/drain stage on raw lines may
// take: without masking it slows down as its clusters pile up.
var DrainRawBudget = 20 * time.Second

func init() {
	Register(Stage{Name: "mine", About: "patterns.Miner (DefaultConfig) on header-stripped lines", Run: mineStage(false)})
	Register(Stage{Name: "mine-raw", About: "patterns.Miner (DefaultConfig) on whole raw lines", Run: mineStage(true)})
	Register(Stage{Name: "drain", About: "github.com/faceair/drain (its DefaultConfig) on header-stripped lines", Run: drainStage(false)})
	Register(Stage{Name: "drain-raw", About: "github.com/faceair/drain on whole raw lines (time-boxed)", Run: drainStage(true)})
}

func pick(c *Corpus, raw bool) []string {
	if raw {
		return c.Raw
	}
	return c.Content
}

func mineStage(raw bool) func(context.Context, *Corpus) (Result, error) {
	return func(ctx context.Context, c *Corpus) (Result, error) {
		m := patterns.New(patterns.DefaultConfig())
		n, secs := Timed(ctx, pick(c, raw), 0, func(l string) { m.Add(l) })
		return Result{Lines: n, Seconds: secs, Patterns: m.Len()}, nil
	}
}

func drainStage(raw bool) func(context.Context, *Corpus) (Result, error) {
	return func(ctx context.Context, c *Corpus) (Result, error) {
		d := drain.New(drain.DefaultConfig())
		var budget time.Duration
		if raw {
			budget = DrainRawBudget
		}
		lines := pick(c, raw)
		n, secs := Timed(ctx, lines, budget, func(l string) { d.Train(l) })
		r := Result{Lines: n, Seconds: secs, Patterns: len(d.Clusters())}
		if n < len(lines) {
			r.Note = "stopped at the time budget"
		}
		return r, nil
	}
}
