package nab

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

// Detector is a streaming anomaly detector: one call per row, in order,
// returning an anomaly score in [0,1] for that row.
type Detector interface {
	Update(t time.Time, v float64) float64
}

// Run runs a fresh detector from newDetector over every file of c, in
// streaming order, using up to GOMAXPROCS files at a time.
func Run(c *Corpus, newDetector func() Detector) []Scored {
	out := make([]Scored, len(c.Files))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(c.Files)) {
		wg.Go(func() {
			for i := range jobs {
				f := c.Files[i]
				d := newDetector()
				scores := make([]float64, len(f.Values))
				for k, v := range f.Values {
					scores[k] = d.Update(f.Times[k], v)
				}
				out[i] = Scored{Name: f.Name, Times: f.Times, Scores: scores, Windows: f.Windows}
			}
		})
	}
	for i := range c.Files {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return out
}

// Report is a detector's NAB result on a corpus, for every profile.
type Report struct {
	Files   int      `json:"files"`
	Rows    int      `json:"rows"`
	Windows int      `json:"windows"`
	Results []Result `json:"results"`
}

// Score evaluates detector outputs under every profile of c.
func Score(c *Corpus, outputs []Scored) (Report, error) {
	rep := Report{Files: len(c.Files), Rows: c.Rows(), Windows: c.Windows()}
	for _, p := range c.Profiles {
		r, err := Evaluate(outputs, p)
		if err != nil {
			return rep, fmt.Errorf("profile %s: %w", p.Name, err)
		}
		rep.Results = append(rep.Results, r)
	}
	return rep, nil
}

// Normalized returns the normalised score of the named profile, and whether
// the report has it.
func (r Report) Normalized(profile string) (float64, bool) {
	for _, res := range r.Results {
		if res.Profile.Name == profile {
			return res.Normalized, true
		}
	}
	return 0, false
}
