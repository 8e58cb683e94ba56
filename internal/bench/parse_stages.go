package bench

import (
	"context"
	"strconv"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/parse"
	"github.com/cloudsage/cloudsage/internal/patterns"
)

func init() {
	Register(Stage{Name: "parse", About: "parse.Parser.Push on whole raw lines (format detection, fields, signals)", Run: parseStage(false)})
	Register(Stage{Name: "parse+mine", About: "parse, then patterns.Miner on each event's Message", Run: parseStage(true)})
}

func parseStage(mine bool) func(context.Context, *Corpus) (Result, error) {
	return func(ctx context.Context, c *Corpus) (Result, error) {
		p := parse.New()
		m := patterns.New(patterns.DefaultConfig())
		var evs []cloudsage.Event
		events := 0
		handle := func() {
			for i := range evs {
				if mine {
					m.Add(evs[i].Message)
				}
				events++
			}
		}
		n, secs := Timed(ctx, c.Raw, 0, func(l string) {
			evs = p.Push(evs[:0], l)
			handle()
		})
		evs = p.Flush(evs[:0])
		handle()
		r := Result{Lines: n, Seconds: secs}
		if mine {
			r.Patterns = m.Len()
		}
		if events != n {
			r.Note = "lines joined into multi-line events: " + strconv.Itoa(n-events)
		}
		return r, nil
	}
}
