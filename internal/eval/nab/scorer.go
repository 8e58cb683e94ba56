// Package nab measures an anomaly detector on the Numenta Anomaly Benchmark
// (NAB v1.1): it loads a NAB-style folder, runs a detector over every file
// in streaming order and scores the output exactly as NAB's own code does
// (nab/sweeper.py, nab/scorer.py, nab/optimizer.py, runner.normalize).
//
// The scoring rules, in short: every labelled anomaly has a window; the first
// 15% of each file (at most 750 rows) is a probationary period that is not
// scored; a detection inside a window earns a scaled-sigmoid reward that is
// highest at the window's left edge, and only the best detection per window
// counts; a window without a detection costs A_FN; a detection outside every
// window costs up to A_FP, less just after a window. One threshold per
// profile is chosen for the whole corpus by sweeping every distinct score,
// and the corpus total is normalised between the null detector (0) and a
// perfect one (100).
package nab

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// Profile is a NAB scoring profile: the weights of true positives, false
// positives and false negatives.
type Profile struct {
	Name string  `json:"name"`
	TP   float64 `json:"tp_weight"`
	FP   float64 `json:"fp_weight"`
	FN   float64 `json:"fn_weight"`
}

// NAB's three profiles (config/profiles.json).
var (
	Standard    = Profile{Name: "standard", TP: 1, FP: 0.11, FN: 1}
	RewardLowFP = Profile{Name: "reward_low_FP_rate", TP: 1, FP: 0.22, FN: 1}
	RewardLowFN = Profile{Name: "reward_low_FN_rate", TP: 1, FP: 0.11, FN: 2}
)

// Profiles returns NAB's three profiles in their usual order.
func Profiles() []Profile { return []Profile{Standard, RewardLowFP, RewardLowFN} }

// Window is an inclusive anomaly window; both ends are timestamps of rows
// of the file it belongs to.
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Scored is one file's detector output: a score in [0,1] per row, in the
// file's order, and the file's anomaly windows in time order.
type Scored struct {
	Name    string
	Times   []time.Time
	Scores  []float64
	Windows []Window
}

// Counts are NAB's row counts after the probationary period: detections
// inside windows (TP) and outside (FP), undetected rows inside windows (FN)
// and outside (TN).
type Counts struct {
	TP int `json:"tp_rows"`
	FP int `json:"fp_rows"`
	FN int `json:"fn_rows"`
	TN int `json:"tn_rows"`
}

func (c *Counts) add(o Counts) { c.TP += o.TP; c.FP += o.FP; c.FN += o.FN; c.TN += o.TN }

// FileScore is one file's raw NAB score at the corpus threshold.
type FileScore struct {
	Name    string  `json:"name"`
	Raw     float64 `json:"raw_score"`
	Windows int     `json:"windows"`
	// Detected is the number of windows with at least one detection.
	Detected int `json:"windows_detected"`
	Counts
}

// Result is a corpus's NAB score for one profile.
type Result struct {
	Profile    Profile     `json:"profile"`
	Threshold  float64     `json:"threshold"`
	Raw        float64     `json:"raw_score"`
	Null       float64     `json:"null_score"`
	Perfect    float64     `json:"perfect_score"`
	Normalized float64     `json:"normalized_score"`
	Windows    int         `json:"windows"`
	Detected   int         `json:"windows_detected"`
	Counts     Counts      `json:"counts"`
	Files      []FileScore `json:"files"`
}

// NoDetection is the threshold NAB's sweep starts from: above every score,
// so nothing is detected. Scores are expected in [0,1].
const NoDetection = 1.1

// ProbationLength returns the number of leading rows NAB ignores in a file
// of n rows: min(floor(0.15 n), 0.15*5000).
func ProbationLength(n int) int {
	return min(int(math.Floor(0.15*float64(n))), 750)
}

// ScaledSigmoid is NAB's scoring curve: 2/(1+e^(5y)) - 1, and -1 for y > 3.
func ScaledSigmoid(y float64) float64 {
	if y > 3 {
		return -1
	}
	return 2/(1+math.Exp(5*y)) - 1
}

// Row window markers; window ids are >= 0.
const (
	outside   = -1
	probation = -2
)

// row is one scored row of the corpus: its anomaly score, the NAB weighted
// score it would earn if detected, and the window it falls in.
type row struct {
	score    float64
	weighted float64
	window   int // global window id, outside, or probation
}

// sweepRows computes the per-row weighted scores of f under p, as NAB's
// Sweeper.calcSweepScore does. Window ids start at firstWindow; it returns
// the rows and the number of windows seen.
func sweepRows(f Scored, p Profile, firstWindow int) ([]row, int, error) {
	if len(f.Times) != len(f.Scores) {
		return nil, 0, fmt.Errorf("%s: %d timestamps but %d scores", f.Name, len(f.Times), len(f.Scores))
	}
	index := make(map[int64]int, len(f.Times))
	for i, t := range f.Times {
		index[t.UnixNano()] = i
	}
	type span struct{ left, right int }
	spans := make([]span, len(f.Windows))
	for k, w := range f.Windows {
		l, okL := index[w.Start.UnixNano()]
		r, okR := index[w.End.UnixNano()]
		if !okL || !okR {
			return nil, 0, fmt.Errorf("%s: window %s..%s does not match the file's timestamps", f.Name, w.Start, w.End)
		}
		if r < l || (k > 0 && l <= spans[k-1].right) {
			return nil, 0, fmt.Errorf("%s: windows out of order or overlapping at %s", f.Name, w.Start)
		}
		spans[k] = span{l, r}
	}

	maxTP := ScaledSigmoid(-1)
	prob := ProbationLength(len(f.Times))
	rows := make([]row, len(f.Times))
	next := 0        // next window to enter
	cur := -1        // window we are in, or -1
	prevRight := -1  // right index of the last window left, or -1
	prevWidth := 0.0 // its width
	for i, s := range f.Scores {
		if cur < 0 && next < len(spans) && i == spans[next].left {
			cur = next
			next++
		}
		var weighted float64
		if cur >= 0 {
			width := float64(spans[cur].right - spans[cur].left + 1)
			y := -float64(spans[cur].right-i+1) / width
			weighted = ScaledSigmoid(y) * p.TP / maxTP
		} else {
			unweighted := -1.0
			if prevRight >= 0 {
				y := math.Inf(1)
				if prevWidth > 1 {
					y = math.Abs(float64(prevRight-i)) / (prevWidth - 1)
				}
				unweighted = ScaledSigmoid(y)
			}
			weighted = unweighted * p.FP
		}
		win := outside
		if cur >= 0 {
			win = firstWindow + cur
		}
		if i < prob {
			win = probation
		}
		rows[i] = row{score: s, weighted: weighted, window: win}
		if cur >= 0 && i == spans[cur].right {
			prevRight = i
			prevWidth = float64(spans[cur].right - spans[cur].left + 1)
			cur = -1
		}
	}
	return rows, len(spans), nil
}

// threshold is one candidate of the sweep: the corpus score when every row
// with a score >= value is a detection.
type threshold struct {
	value float64
	score float64
}

// sweep returns the corpus score at every distinct score value, highest
// first, starting with NoDetection, as NAB's calcScoreByThreshold does.
func sweep(rows []row, nWindows int, p Profile) []threshold {
	scorable := make([]row, 0, len(rows))
	for _, r := range rows {
		if r.window != probation {
			scorable = append(scorable, r)
		}
	}
	slices.SortStableFunc(scorable, func(a, b row) int { return cmp.Compare(b.score, a.score) })

	// The window parts: -A_FN until the window's best detection. Windows
	// that lie wholly in the probationary period are not scored.
	parts := make([]float64, nWindows)
	scored := make([]bool, nWindows)
	for _, r := range scorable {
		if r.window >= 0 {
			scored[r.window] = true
		}
	}
	var windowSum float64
	for w := range parts {
		if scored[w] {
			parts[w] = -p.FN
			windowSum -= p.FN
		}
	}
	fp := 0.0
	out := []threshold{}
	cur := NoDetection
	for _, r := range scorable {
		if r.score != cur {
			out = append(out, threshold{cur, windowSum + fp})
			cur = r.score
		}
		if r.window == outside {
			fp += r.weighted
		} else if r.weighted > parts[r.window] {
			windowSum += r.weighted - parts[r.window]
			parts[r.window] = r.weighted
		}
	}
	out = append(out, threshold{cur, windowSum + fp})
	return out
}

// scoreAt scores one file's rows at threshold t: detections are rows whose
// score is >= t.
func scoreAt(name string, rows []row, firstWindow, nWindows int, p Profile, t float64) FileScore {
	fs := FileScore{Name: name}
	best := make([]float64, nWindows)
	seen := make([]bool, nWindows)
	hit := make([]bool, nWindows)
	for _, r := range rows {
		if r.window == probation {
			continue
		}
		det := r.score >= t && t != NoDetection
		if r.window == outside {
			if det {
				fs.FP++
				fs.Raw += r.weighted
			} else {
				fs.TN++
			}
			continue
		}
		w := r.window - firstWindow
		if !seen[w] {
			seen[w] = true
			best[w] = -p.FN
		}
		if det {
			fs.TP++
			hit[w] = true
			best[w] = max(best[w], r.weighted)
		} else {
			fs.FN++
		}
	}
	for w := range best {
		if seen[w] {
			fs.Windows++
			fs.Raw += best[w]
		}
		if hit[w] {
			fs.Detected++
		}
	}
	return fs
}

// Evaluate scores a corpus of detector outputs under profile p: it picks the
// threshold that maximises the corpus score (the first, highest, on ties),
// scores every file at it and normalises the total between the null
// detector and a perfect one.
func Evaluate(files []Scored, p Profile) (Result, error) {
	res := Result{Profile: p}
	var all []row
	perFile := make([][]row, len(files))
	first := make([]int, len(files))
	nw := make([]int, len(files))
	total := 0
	for i, f := range files {
		rows, n, err := sweepRows(f, p, total)
		if err != nil {
			return res, err
		}
		perFile[i], first[i], nw[i] = rows, total, n
		total += n
		all = append(all, rows...)
	}
	cands := sweep(all, total, p)
	best := cands[0]
	for _, c := range cands[1:] {
		if c.score > best.score {
			best = c
		}
	}
	res.Threshold = best.value
	for i, f := range files {
		fs := scoreAt(f.Name, perFile[i], first[i], nw[i], p, best.value)
		res.Files = append(res.Files, fs)
		res.Raw += fs.Raw
		res.Counts.add(fs.Counts)
		res.Detected += fs.Detected
	}
	// The null detector never fires: every scored window is a miss.
	res.Null = cands[0].score
	res.Windows = total
	res.Perfect = float64(total) * p.TP
	if res.Perfect != res.Null {
		res.Normalized = 100 * (res.Raw - res.Null) / (res.Perfect - res.Null)
	}
	return res, nil
}

// EvaluateAt scores a corpus of detector outputs under profile p at a given
// threshold instead of the optimal one, so a threshold chosen on other
// files can be tested on these.
func EvaluateAt(files []Scored, p Profile, threshold float64) (Result, error) {
	res := Result{Profile: p, Threshold: threshold}
	total := 0
	for _, f := range files {
		rows, n, err := sweepRows(f, p, total)
		if err != nil {
			return res, err
		}
		fs := scoreAt(f.Name, rows, total, n, p, threshold)
		total += n
		res.Files = append(res.Files, fs)
		res.Raw += fs.Raw
		res.Counts.add(fs.Counts)
		res.Detected += fs.Detected
		res.Null -= float64(fs.Windows) * p.FN
	}
	res.Windows = total
	res.Perfect = float64(total) * p.TP
	if res.Perfect != res.Null {
		res.Normalized = 100 * (res.Raw - res.Null) / (res.Perfect - res.Null)
	}
	return res, nil
}
