// Package anomaly detects anomalies in a numeric time series, one point at a
// time, with bounded memory and no labels. It scores the engine's
// per-minute series (error counts, volume, latency, memory, CPU) and is
// measured on the Numenta Anomaly Benchmark (cloudsage eval nab).
//
// The detector is an ensemble of four scores, each mapped to [0,1] with 0.5
// at a fixed number of robust units; a point gets the largest:
//   - novelty: the value leaves the range of the last Range points by more
//     than Tolerance of that range (0.9 to 1.0, growing with the excess);
//   - context: the robust z-score (distance from the median in units of the
//     inter-quantile spread) of the short-term mean and of the first
//     difference against the last History points, mapped to z/(z+Z);
//   - shape (off when Config.Embed is 0): the k-nearest-neighbour
//     nonconformity of the last Embed values (minus their mean) among the
//     last Ref such embeddings, as in KNN-CAD, as a robust z against its own
//     last History values (upper side only), mapped to z/(z+ZK);
//   - seasonal (off when Config.Season is 0): a robust seasonal model keeps
//     the mean of every 15-minute time-of-day bucket of the last 28 days; the
//     value expected now is the median of the same bucket on the previous 7
//     days (daily model) or on the same weekday of the previous 4 weeks
//     (weekly model). The short-term mean residual is scored as a robust z
//     against its own history, mapped to z/(z+ZS), but only while the
//     series is seasonal: while the better model's residual spread is below
//     Season times the spread of the series itself (the strength of
//     seasonality of STL decompositions). So a holiday dip that stays inside
//     the usual daily range, invisible to the other scores, is seen.
//
// The parameters were chosen among a small family of candidates by
// leave-one-category-out on NAB (cloudsage eval nab --select), not by the
// in-view score.
//
// Output discipline: nothing is reported during the first Warmup points,
// and a score reaching Alert opens an episode during which scores are damped,
// so one incident raises one alert, not one per point. The episode ends when
// the signal has been normal for Calm consecutive points (score below Normal
// and the value back inside the range seen before the alert), or after
// History/5 points at most, by when the reference has largely been renewed.
package anomaly

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"math"
	"time"
)

// Config holds the detector's few parameters. They are generic: the same
// values serve every series.
type Config struct {
	History   int     // points kept as the reference distribution
	Short     int     // points in the short-term mean
	Warmup    int     // points learnt before any score above 0
	Calm      int     // consecutive normal points that end an alert episode
	Normal    float64 // score below which a point counts as normal
	Damp      float64 // factor applied to scores during an episode
	Alert     float64 // score at which an anomaly is reported
	Range     int     // points whose extremes make the seen range
	Tolerance float64 // fraction of the seen range a new extreme must pass
	Z         float64 // robust z at which the context score reaches 0.5

	// The shape score is off when Embed is 0. When it is on, fields left
	// at 0 take the values below (see DefaultConfig).
	Embed      int     // values per shape embedding, 2..64
	Neighbours int     // nearest neighbours averaged (default 5)
	Ref        int     // past embeddings compared with (default 250)
	ZK         float64 // robust z of the shape score at which it reaches 0.5 (default 40)

	// The seasonal score is off when Season is 0. When it is on, ZS left
	// at 0 takes the value below (see DefaultConfig).
	Season float64 // the seasonal score counts while residual spread < Season * series spread, 0..1
	ZS     float64 // robust z of the seasonal residual at which it reaches 0.5 (default 10)
}

// DefaultConfig returns the parameters used everywhere by default: every
// score on. It was chosen by leave-one-category-out on NAB among
// Candidates(); on the shared subset it scores 69.66 standard (64.42 for
// Baseline), 69.21 with each category scored at the threshold chosen on
// the other two.
func DefaultConfig() Config {
	c := Baseline()
	c.Embed, c.Neighbours, c.Ref, c.ZK = 8, 5, 250, 40
	c.Season, c.ZS = 0.3, 10
	return c
}

// Baseline returns the detector without the shape and seasonal scores,
// the default before they were added.
func Baseline() Config {
	return Config{
		History:   1000,
		Short:     6,
		Warmup:    150,
		Calm:      10,
		Normal:    0.1,
		Damp:      0.1,
		Alert:     0.5,
		Range:     2000,
		Tolerance: 0.02,
		Z:         20,
	}
}

func (c Config) validate() Config {
	d := Baseline()
	if c.History < 10 || c.History > 1<<20 {
		c.History = d.History
	}
	if c.Short < 1 || c.Short > c.History {
		c.Short = d.Short
	}
	if c.Range < 2 || c.Range > 1<<20 {
		c.Range = d.Range
	}
	if c.Z <= 0 {
		c.Z = d.Z
	}
	c.Warmup, c.Calm = max(c.Warmup, 0), max(c.Calm, 0)
	if c.Normal <= 0 || c.Normal > 1 {
		c.Normal = d.Normal
	}
	c.Damp = min(max(c.Damp, 0), 1)
	if !(c.Season > 0) {
		c.Season, c.ZS = 0, 0
	} else {
		c.Season = min(c.Season, 1)
		if !(c.ZS > 0) || math.IsInf(c.ZS, 0) {
			c.ZS = 10
		}
	}
	if c.Embed <= 0 {
		c.Embed, c.Neighbours, c.Ref, c.ZK = 0, 0, 0, 0
		return c
	}
	c.Embed = min(max(c.Embed, 2), 64)
	if c.Neighbours < 1 || c.Neighbours > 64 {
		c.Neighbours = 5
	}
	if c.Ref < c.Embed+c.Neighbours || c.Ref > 1<<14 {
		c.Ref = max(250, c.Embed+c.Neighbours)
	}
	if !(c.ZK > 0) || math.IsInf(c.ZK, 0) {
		c.ZK = 40
	}
	return c
}

// Detector is a streaming anomaly detector; its memory is bounded by
// Config.History. The zero value is not usable; call New.
type Detector struct {
	cfg    Config
	n      int     // points learnt
	level  *window // history of the short-term mean
	diff   *window // history of first differences
	recent *window // last Short values
	seen   *window // last Range values: their extremes are the seen range
	prev   float64 // last value
	// An episode starts at a reported anomaly and lasts until Calm
	// consecutive points are normal, or for History/episodeCap points at
	// most; scores are damped meanwhile.
	episode int       // points since the episode began, 0 outside one
	calm    int       // consecutive normal points in the episode
	lo, hi  float64   // the seen range when the episode began
	shape   *shape    // nil when the shape score is off
	alphas  *window   // history of the shape nonconformity
	season  *seasonal // nil when the seasonal score is off
}

// New returns a detector with cfg; out-of-range fields take their defaults.
func New(cfg Config) *Detector {
	cfg = cfg.validate()
	var sh *shape
	alphas := newWindow(0)
	if cfg.Embed > 0 {
		sh, alphas = newShape(cfg.Embed, cfg.Neighbours, cfg.Ref), newWindow(cfg.History)
	}
	var se *seasonal
	if cfg.Season > 0 {
		se = newSeasonal(cfg.History, cfg.Short)
	}
	return &Detector{
		cfg:    cfg,
		season: se,
		shape:  sh,
		alphas: alphas,
		level:  newWindow(cfg.History),
		diff:   newWindow(cfg.History),
		recent: newWindow(cfg.Short),
		seen:   newWindow(cfg.Range),
	}
}

// Config returns the detector's parameters.
func (d *Detector) Config() Config { return d.cfg }

// Update feeds the value v observed at t, in time order, and returns its
// anomaly score in [0,1]. Non-finite values score 0 and are not learnt.
func (d *Detector) Update(t time.Time, v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	if d.n == 0 {
		d.prev = v
	}
	novelty := 0.0
	lo, hi := v, v
	if k := len(d.seen.sorted); k > 0 {
		lo, hi = d.seen.sorted[0], d.seen.sorted[k-1]
		if rng := hi - lo; rng > 0 && !math.IsInf(rng, 0) {
			if excess := max(v-hi, lo-v) / rng; excess > d.cfg.Tolerance {
				novelty = 0.9 + 0.1*min(1, excess)
			}
		}
	}
	d.seen.push(v)

	d.recent.push(v)
	mean, delta := d.recent.mean(), v-d.prev
	z := 0.0
	if d.n >= 10 {
		z = max(robustZ(d.level, mean), robustZ(d.diff, delta))
	}
	d.level.push(mean)
	d.diff.push(delta)
	d.prev = v
	d.n++

	score := max(novelty, z/(z+d.cfg.Z))
	if d.season != nil {
		if zs, ok := d.season.push(t, v, d.cfg.Season*scale(d.level)); ok {
			score = max(score, zs/(zs+d.cfg.ZS))
		}
	}
	if d.shape != nil {
		// Values so large that distances overflow are neither scored
		// nor learnt.
		if a, ok := d.shape.push(v); ok && !math.IsInf(a, 0) && !math.IsNaN(a) {
			if len(d.alphas.sorted) >= 10 {
				za := (a - d.alphas.quantile(0.5)) / scale(d.alphas)
				if k := za / (za + d.cfg.ZK); za > 0 && !math.IsNaN(k) {
					score = max(score, k)
				}
			}
			d.alphas.push(a)
		}
	}
	if math.IsNaN(score) || d.n <= d.cfg.Warmup {
		score = 0
	}
	if d.episode > 0 {
		d.episode++
		margin := d.cfg.Tolerance * (d.hi - d.lo)
		if score < d.cfg.Normal && v >= d.lo-margin && v <= d.hi+margin {
			d.calm++
		} else {
			d.calm = 0
		}
		if d.calm >= d.cfg.Calm || d.episode > d.cfg.History/episodeCap {
			d.episode, d.calm = 0, 0
		}
		score *= d.cfg.Damp
	} else if score >= d.cfg.Alert {
		d.episode, d.calm, d.lo, d.hi = 1, 0, lo, hi
	}
	return min(1, max(0, score))
}

// scale returns the robust spread of w: the inter-quartile spread, floored
// by a quarter of the 1-99% spread (so a mostly flat series does not make
// every blip infinite) and by a tiny fraction of the median.
func scale(w *window) float64 {
	med := w.quantile(0.5)
	iqr := (w.quantile(0.75) - w.quantile(0.25)) / 1.349
	wide := (w.quantile(0.99) - w.quantile(0.01)) / 4.65
	return max(iqr, 0.25*wide, 1e-9*math.Abs(med), 1e-300)
}

// robustZ returns how far f lies from the median of w in robust units: the
// inter-quartile spread, floored by a quarter of the 1-99% spread (so a
// mostly flat series does not make every blip infinite) and by a tiny
// fraction of the median.
func robustZ(w *window, f float64) float64 {
	z := math.Abs(f-w.quantile(0.5)) / scale(w)
	if math.IsNaN(z) {
		return 0
	}
	return z
}

// state is the detector's persistent form.
type state struct {
	Version      int
	Cfg          Config
	N            int
	Level, Diff  []float64
	Recent, Seen []float64
	Prev         float64
	Episode      int
	Calm         int
	Lo, Hi       float64
	// Since version 3: the shape score's state (empty when it is off).
	ShapeLast, ShapeEmbs, Alphas []float64
	// Since version 4: the seasonal score's state (nil when it is off).
	Season *seasonalState
}

// stateVersion is the version MarshalBinary writes; UnmarshalBinary also
// reads versions 2 (before the shape score) and 3 (before the seasonal
// score): their configurations have the seasonal score off, so they resume
// as they were.
const stateVersion = 4

// MarshalBinary encodes the detector's configuration and learnt state, so a
// server can persist it and resume with UnmarshalBinary.
func (d *Detector) MarshalBinary() ([]byte, error) {
	var buf bytes.Buffer
	s := state{
		Version: stateVersion, Cfg: d.cfg, N: d.n,
		Level: d.level.values(), Diff: d.diff.values(), Recent: d.recent.values(),
		Seen: d.seen.values(), Prev: d.prev, Episode: d.episode, Calm: d.calm, Lo: d.lo, Hi: d.hi,
	}
	if d.shape != nil {
		s.ShapeLast, s.ShapeEmbs = d.shape.values()
		s.Alphas = d.alphas.values()
	}
	if d.season != nil {
		s.Season = d.season.state()
	}
	err := gob.NewEncoder(&buf).Encode(s)
	if err != nil {
		return nil, fmt.Errorf("encode detector: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalBinary restores a detector written by MarshalBinary.
func (d *Detector) UnmarshalBinary(b []byte) error {
	var s state
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&s); err != nil {
		return fmt.Errorf("decode detector: %w", err)
	}
	if s.Version < 2 || s.Version > stateVersion {
		return fmt.Errorf("decode detector: unknown state version %d", s.Version)
	}
	nd := New(s.Cfg)
	for _, w := range []struct {
		dst *window
		src []float64
	}{{nd.level, s.Level}, {nd.diff, s.Diff}, {nd.recent, s.Recent}, {nd.seen, s.Seen}, {nd.alphas, s.Alphas}} {
		if !w.dst.restore(w.src) {
			return fmt.Errorf("decode detector: %d values for a window of %d", len(w.src), w.dst.n)
		}
	}
	if nd.shape != nil && !nd.shape.restore(s.ShapeLast, s.ShapeEmbs) {
		return fmt.Errorf("decode detector: shape state of %d+%d values does not fit", len(s.ShapeLast), len(s.ShapeEmbs))
	}
	if nd.shape == nil && len(s.ShapeLast)+len(s.ShapeEmbs) > 0 {
		return fmt.Errorf("decode detector: shape state for a detector without shape score")
	}
	switch {
	case nd.season == nil && s.Season != nil:
		return fmt.Errorf("decode detector: seasonal state for a detector without seasonal score")
	case nd.season != nil && s.Season != nil && !nd.season.restore(s.Season):
		return fmt.Errorf("decode detector: seasonal state of %d days does not fit", len(s.Season.Days))
	}
	nd.n, nd.prev, nd.episode, nd.calm, nd.lo, nd.hi = s.N, s.Prev, s.Episode, s.Calm, s.Lo, s.Hi
	*d = *nd
	return nil
}

// episodeCap bounds an episode to History/episodeCap points, so a lasting
// change that the reference has not yet absorbed cannot mute the detector
// for good.
const episodeCap = 5

// Candidate is a named detector configuration.
type Candidate struct {
	Name   string
	Config Config
}

// Candidates returns the family the default was chosen from by
// leave-one-category-out on NAB (cloudsage eval nab --select): the
// baseline, the baseline with the shape score, with the seasonal score
// (two strengths, two scales), and with both. DefaultConfig is one of them.
func Candidates() []Candidate {
	base := Baseline()
	shape := base
	shape.Embed, shape.Neighbours, shape.Ref, shape.ZK = 8, 5, 250, 40
	out := []Candidate{{"baseline", base}, {"shape", shape}}
	for _, withShape := range []bool{false, true} {
		for _, season := range []float64{0.3, 0.5} {
			for _, zs := range []float64{10, 20} {
				c, name := base, "seasonal"
				if withShape {
					c, name = shape, "shape+seasonal"
				}
				c.Season, c.ZS = season, zs
				out = append(out, Candidate{fmt.Sprintf("%s(%g,%g)", name, season, zs), c})
			}
		}
	}
	return out
}
