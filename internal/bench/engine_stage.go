package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/cloudsage/cloudsage/internal/engine"
)

func init() {
	Register(Stage{Name: "engine", About: "the whole engine: parse, mine, aggregate every line, then one Report (risk, forecast, advice) at the last event", Run: engineStage})
}

// engineStage feeds the corpus through engine.Engine and ends with the
// report `analyze` would print; the time includes both.
func engineStage(ctx context.Context, c *Corpus) (Result, error) {
	e := engine.New(engine.DefaultConfig())
	n, secs := Timed(ctx, c.Raw, 0, e.AddLine)
	start := time.Now()
	e.Flush()
	r := e.Report(e.LastEventTime(), 24)
	rep := time.Since(start).Seconds()
	return Result{
		Lines:    n,
		Seconds:  secs + rep,
		Patterns: r.PatternTotal,
		Note:     fmt.Sprintf("report %.1f ms; %d events, score %.0f (%s)", rep*1000, r.Events, r.Risk.Score, r.Risk.Label),
	}, nil
}
