package loghub

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/cloudsage/cloudsage/internal/patterns"
)

// Candidate is one configuration the hold-out evaluation may choose.
type Candidate struct {
	Label  string
	Config patterns.Config
}

// Grid is the set of configurations the hold-out evaluation chooses
// among: every combination of the miner's tuned parameters around the
// default (similarity threshold, constant tokens a word join needs, and
// the evidence an enumeration needs before it is taken as a variable).
// The default configuration comes first, so it wins ties.
func Grid() []Candidate {
	def := patterns.DefaultConfig()
	out := []Candidate{{Label: label(def), Config: def}}
	for _, sim := range []float64{0.4, 0.5, 0.6, 0.7} {
		for _, shared := range []int{2, 3, 4} {
			for _, values := range []int{3, 4, 5, 6, 8} {
				c := def
				c.Similarity, c.MinSharedForWord, c.MinValues = sim, shared, values
				if c == def {
					continue
				}
				out = append(out, Candidate{Label: label(c), Config: c})
			}
		}
	}
	return out
}

func label(c patterns.Config) string {
	return fmt.Sprintf("sim=%.2f shared=%d values=%d", c.Similarity, c.MinSharedForWord, c.MinValues)
}

// HoldOutResult is one system scored both ways.
type HoldOutResult struct {
	Name string `json:"-"`
	// InView is the score with the default configuration (chosen by
	// looking at every system, this one included).
	InView Result `json:"in_view"`
	// HeldOut is the score with the configuration that does best on the
	// other systems only (Chosen).
	HeldOut Result `json:"held_out"`
	Chosen  string `json:"chosen"`
}

// HoldOutReport is a leave-one-system-out evaluation.
type HoldOutReport struct {
	Systems       map[string]HoldOutResult `json:"systems"`
	Order         []string                 `json:"-"`
	Configs       int                      `json:"configs"`
	MeanGAInView  float64                  `json:"mean_ga_in_view"`
	MeanGAHeldOut float64                  `json:"mean_ga_held_out"`
	MeanPAInView  float64                  `json:"mean_pa_in_view"`
	MeanPAHeldOut float64                  `json:"mean_pa_held_out"`
}

// HoldOut scores every dataset with every candidate, then, for each
// dataset, picks the candidate with the best mean GA over the other
// datasets (the first in grid order on a tie) and reports the held-out
// dataset's score under it. No choice looks at the score of the dataset
// being scored. grid[0] is taken as the in-view configuration.
func HoldOut(sets []*Dataset, grid []Candidate) *HoldOutReport {
	scores := make([][]Result, len(grid))
	for i := range scores {
		scores[i] = make([]Result, len(sets))
	}
	type job struct{ c, d int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				scores[j.c][j.d] = Evaluate(sets[j.d], grid[j.c].Config)
			}
		}()
	}
	for c := range grid {
		for d := range sets {
			jobs <- job{c, d}
		}
	}
	close(jobs)
	wg.Wait()

	rep := &HoldOutReport{Systems: make(map[string]HoldOutResult), Configs: len(grid)}
	for d, ds := range sets {
		best, bestGA := 0, -1.0
		for c := range grid {
			sum := 0.0
			for o := range sets {
				if o != d {
					sum += scores[c][o].GA
				}
			}
			if sum > bestGA {
				best, bestGA = c, sum
			}
		}
		r := HoldOutResult{Name: ds.Name, InView: scores[0][d], HeldOut: scores[best][d], Chosen: grid[best].Label}
		rep.Systems[ds.Name] = r
		rep.Order = append(rep.Order, ds.Name)
		rep.MeanGAInView += r.InView.GA
		rep.MeanGAHeldOut += r.HeldOut.GA
		rep.MeanPAInView += r.InView.PA
		rep.MeanPAHeldOut += r.HeldOut.PA
	}
	if n := float64(len(sets)); n > 0 {
		rep.MeanGAInView /= n
		rep.MeanGAHeldOut /= n
		rep.MeanPAInView /= n
		rep.MeanPAHeldOut /= n
	}
	return rep
}
