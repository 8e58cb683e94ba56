// Package risk scores a project's recent behaviour on the five factors of
// the PRD — error rate 40, log volume 25, latency 20, memory pressure 10,
// CPU 5 — each against absolute thresholds and against the project's learned
// baseline, into a score 0..100 and a label. It is pure: the time to
// evaluate at is an argument.
package risk

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
)

// Factor names, in the order the factors are reported.
const (
	ErrorRate = "error_rate"
	LogVolume = "log_volume"
	Latency   = "latency"
	Memory    = "memory"
	CPU       = "cpu"
)

// Names lists the factors in report order.
var Names = []string{ErrorRate, LogVolume, Latency, Memory, CPU}

// Labels.
const (
	LabelHigh   = "high"
	LabelMedium = "medium"
	LabelLow    = "low"
)

// Factor statuses.
const (
	StatusNormal   = "normal"
	StatusElevated = "elevated"
	StatusHigh     = "high"
)

// Thresholds map a value to a severity 0..1: at or below Normal 0, at
// Elevated 0.5, at or above High 1, linear in between.
type Thresholds struct{ Normal, Elevated, High float64 }

// Severity returns v's severity.
func (t Thresholds) Severity(v float64) float64 {
	switch {
	case math.IsNaN(v) || v <= t.Normal:
		return 0
	case v < t.Elevated:
		return 0.5 * (v - t.Normal) / (t.Elevated - t.Normal)
	case v < t.High:
		return 0.5 + 0.5*(v-t.Elevated)/(t.High-t.Elevated)
	}
	return 1
}

func (t Thresholds) valid() bool {
	return t.Normal < t.Elevated && t.Elevated < t.High
}

// Config holds the label and factor thresholds. The zero value is not
// useful; start from DefaultConfig.
type Config struct {
	High, Medium float64        // label thresholds on the score: 70, 40
	Window       time.Duration  // the recent window scored: 15 min
	Location     *time.Location // for "same hour of day" baselines; nil = UTC
	Weights      map[string]float64

	ErrorRate    Thresholds // share of events at error level or above
	ErrorRatio   Thresholds // error rate / baseline error rate
	Volume       Thresholds // lines per minute, absolute
	VolumeRatio  Thresholds // lines per minute / baseline (a spike)
	VolumeDrop   Thresholds // 1 - lines per minute / baseline (silence)
	LatencyMS    Thresholds // p95 latency in ms
	LatencyRatio Thresholds // p95 / baseline p95
	MemoryPct    Thresholds // memory in use, percent
	MemoryRise   Thresholds // percentage points above baseline
	MemoryRatio  Thresholds // MB / baseline MB (when no percentage is known)
	CPUPct       Thresholds // CPU percent
	CPURise      Thresholds // percentage points above baseline
	// Expected are the (series) ids of patterns a person marked as
	// expected: their errors do not count in the error rate of the window
	// or of the hour ending with it (Evaluate).
	Expected []cloudsage.PatternID
	// SustainedErrorRate is an error rate that, held over the window and the
	// hour ending with it, is far above any service objective: the score is
	// at least medium whatever the baseline says (10%).
	SustainedErrorRate float64
}

// DefaultConfig returns the thresholds the product ships with.
func DefaultConfig() Config {
	return Config{
		High: 70, Medium: 40, Window: 15 * time.Minute, Location: time.UTC,
		Weights:      map[string]float64{ErrorRate: 40, LogVolume: 25, Latency: 20, Memory: 10, CPU: 5},
		ErrorRate:    Thresholds{0.01, 0.05, 0.20},
		ErrorRatio:   Thresholds{1.5, 3, 8},
		Volume:       Thresholds{20000, 100000, 500000},
		VolumeRatio:  Thresholds{1.5, 3, 6},
		VolumeDrop:   Thresholds{0.5, 0.8, 0.97},
		LatencyMS:    Thresholds{500, 1500, 5000},
		LatencyRatio: Thresholds{1.3, 2, 4},
		MemoryPct:    Thresholds{75, 88, 97},
		MemoryRise:   Thresholds{5, 15, 30},
		MemoryRatio:  Thresholds{1.15, 1.5, 2.5},
		CPUPct:       Thresholds{70, 85, 97},
		CPURise:      Thresholds{10, 25, 45},

		SustainedErrorRate: 0.10,
	}
}

// Validate reports what is wrong with c, all problems joined.
func (c Config) Validate() error {
	var bad []string
	if !(c.Medium > 0 && c.Medium < c.High && c.High <= 100) {
		bad = append(bad, fmt.Sprintf("label thresholds want 0 < medium < high <= 100, have medium %v high %v", c.Medium, c.High))
	}
	if c.Window < time.Minute {
		bad = append(bad, fmt.Sprintf("window %v is shorter than a minute", c.Window))
	}
	for name, t := range map[string]Thresholds{
		"error_rate": c.ErrorRate, "error_ratio": c.ErrorRatio, "volume": c.Volume, "volume_ratio": c.VolumeRatio,
		"volume_drop": c.VolumeDrop, "latency_ms": c.LatencyMS, "latency_ratio": c.LatencyRatio,
		"memory_pct": c.MemoryPct, "memory_rise": c.MemoryRise, "memory_ratio": c.MemoryRatio,
		"cpu_pct": c.CPUPct, "cpu_rise": c.CPURise,
	} {
		if !t.valid() {
			bad = append(bad, fmt.Sprintf("%s thresholds want normal < elevated < high, have %v", name, t))
		}
	}
	if !(c.SustainedErrorRate > 0 && c.SustainedErrorRate <= 1) {
		bad = append(bad, fmt.Sprintf("sustained error rate wants 0 < rate <= 1, have %v", c.SustainedErrorRate))
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		return fmt.Errorf("risk config: %s", strings.Join(bad, "; "))
	}
	return nil
}

// SetHighLevels applies a project's factor_thresholds: for each named factor,
// the absolute value at which it counts as high, in the units its Value is
// reported in (error_rate a share 0-1, log_volume lines/min, latency p95 ms,
// memory and cpu percent). The factor's normal and elevated levels scale in
// the same proportion as the defaults, so one number per factor is enough.
// Baseline comparisons are unchanged.
func (c *Config) SetHighLevels(levels map[string]float64) error {
	var bad []string
	for _, name := range slices.Sorted(maps.Keys(levels)) {
		v := levels[name]
		var t *Thresholds
		limit := math.Inf(1)
		switch name {
		case ErrorRate:
			t, limit = &c.ErrorRate, 1
		case LogVolume:
			t = &c.Volume
		case Latency:
			t = &c.LatencyMS
		case Memory:
			t, limit = &c.MemoryPct, 100
		case CPU:
			t, limit = &c.CPUPct, 100
		default:
			bad = append(bad, fmt.Sprintf("unknown factor %q (want one of %s)", name, strings.Join(Names, ", ")))
			continue
		}
		if !(v > 0 && v <= limit) || math.IsInf(v, 0) {
			bad = append(bad, fmt.Sprintf("%s must be above 0 and at most %g, have %g", name, limit, v))
			continue
		}
		k := v / t.High
		*t = Thresholds{t.Normal * k, t.Elevated * k, v}
		if name == ErrorRate {
			c.SustainedErrorRate = min(1, c.SustainedErrorRate*k)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("factor thresholds: %s", strings.Join(bad, "; "))
	}
	return nil
}

func (c Config) weight(name string) float64 {
	if w, ok := c.Weights[name]; ok {
		return w
	}
	return DefaultConfig().Weights[name]
}

// Label returns the label of score.
func (c Config) Label(score float64) string {
	switch {
	case score >= c.High:
		return LabelHigh
	case score >= c.Medium:
		return LabelMedium
	}
	return LabelLow
}

// Metrics are the measurements of a time range that the factors read.
type Metrics struct {
	Minutes    float64 // length of the range
	Events     float64
	Errors     float64 // events at error level or above
	LatencyP95 float64 // ms
	LatencyN   float64 // events that carried a latency
	MemPct     float64 // mean memory percent
	MemPctN    float64
	MemMB      float64 // mean memory MB
	MemMBN     float64
	CPU        float64 // mean CPU percent
	CPUN       float64
	OOM        float64 // out-of-memory errors and kills
	// HourEvents and HourErrors count the hour ending with the range, for
	// the sustained-error rule (0: unknown, the range alone decides).
	HourEvents, HourErrors float64
}

// PerMinute returns events per minute.
func (m Metrics) PerMinute() float64 {
	if m.Minutes <= 0 {
		return 0
	}
	return m.Events / m.Minutes
}

// ErrorRate returns the share of events at error level or above.
func (m Metrics) ErrorRate() float64 {
	if m.Events <= 0 {
		return 0
	}
	return m.Errors / m.Events
}

// Baseline is what the recent window is compared with.
type Baseline struct {
	Metrics
	OK     bool   // false: too little history to compare with
	Source string // how it was learned, e.g. "same hour on 5 previous days"
}

// Factor is one scored factor.
type Factor struct {
	Name     string  `json:"name"`
	Weight   float64 `json:"weight"`
	Points   float64 `json:"points"`
	Value    float64 `json:"value"`
	Baseline float64 `json:"baseline"`
	Unit     string  `json:"unit"`
	Status   string  `json:"status"`
	Severity float64 `json:"severity"` // 0..1: Points / Weight
	Absolute float64 `json:"absolute"` // severity from the absolute thresholds alone
	Relative float64 `json:"relative"` // severity from the comparison with the baseline alone
	Anomaly  float64 `json:"anomaly,omitempty"`
	// Measured is false when neither the window nor the baseline has this
	// measurement (these logs do not carry it): the factor keeps its weight
	// in the output but scores 0 and leaves the score's scale.
	Measured    bool   `json:"measured"`
	HasBaseline bool   `json:"has_baseline"`      // false when there was nothing to compare with
	NoData      bool   `json:"no_data,omitempty"` // measured before, but not in the window: Value means nothing
	Detail      string `json:"detail,omitempty"`
	Summary     string `json:"summary"` // "Error rate 35% (high) - baseline 0.8%"
}

// Assessment is the scored state at one time.
type Assessment struct {
	Score    float64  `json:"score"`
	Label    string   `json:"label"`
	Factors  []Factor `json:"factors"` // always five, in Names order
	Top      []string `json:"top"`     // the three factors with the most points
	Baseline string   `json:"baseline_source"`
	// MeasuredWeight is the weight of the measured factors. The score is
	// the points over that weight, scaled to 100: a log that carries no
	// latency, memory or CPU is scored on errors and volume alone (65 of
	// 100) instead of being capped at 65. 0 when nothing is measured.
	MeasuredWeight float64 `json:"measured_weight"`
	TotalWeight    float64 `json:"total_weight"`
	// Floor, when set, says why the score was raised to a label's threshold
	// (the outage and OOM rules, see Score).
	Floor string `json:"floor,omitempty"`
}

// Scale says how the score was scaled, for people: "" when every factor
// is measured, else e.g. "scored over the 65 of 100 weight points these
// logs measure (not measured: latency, memory, cpu)".
func (a Assessment) Scale() string {
	if a.MeasuredWeight >= a.TotalWeight || a.TotalWeight <= 0 {
		return ""
	}
	var not []string
	for _, f := range a.Factors {
		if !f.Measured {
			not = append(not, f.Name)
		}
	}
	if a.MeasuredWeight <= 0 {
		return "nothing measured"
	}
	return fmt.Sprintf("scored over the %g of %g weight points these logs measure (not measured: %s)",
		a.MeasuredWeight, a.TotalWeight, strings.Join(not, ", "))
}

// Factor returns the named factor (the zero Factor when absent).
func (a Assessment) Factor(name string) Factor {
	for _, f := range a.Factors {
		if f.Name == name {
			return f
		}
	}
	return Factor{}
}

// Score scores the metrics of a recent range against a baseline. anomaly
// optionally gives a 0..1 anomaly score per factor name (nil: none); it can
// raise a factor to at most "elevated" on its own, and only where the
// absolute value is already noteworthy.
func Score(cfg Config, now Metrics, base Baseline, anomaly map[string]float64) Assessment {
	a := score(cfg, now, base, anomaly)
	fs := a.Factors
	for i := range fs {
		fs[i].Summary = summary(&fs[i])
	}
	order := make([]int, len(fs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		fi, fj := fs[order[i]], fs[order[j]]
		if fi.Points != fj.Points {
			return fi.Points > fj.Points
		}
		return fi.Weight > fj.Weight
	})
	for _, i := range order[:3] {
		a.Top = append(a.Top, fs[i].Name)
	}
	return a
}

// ScoreValue is Score(cfg, now, base, nil).Score without the summaries and
// the top factors, which only people read: for a forecast, which scores
// three metrics per hour ahead and keeps only the number.
func ScoreValue(cfg Config, now Metrics, base Baseline) float64 {
	return score(cfg, now, base, nil).Score
}

// score is Score without Summary and Top.
func score(cfg Config, now Metrics, base Baseline, anomaly map[string]float64) Assessment {
	fs := []Factor{
		errorRate(cfg, now, base),
		logVolume(cfg, now, base),
		latency(cfg, now, base),
		memory(cfg, now, base),
		cpu(cfg, now, base),
	}
	a := Assessment{Factors: fs, Baseline: base.Source}
	if !base.OK {
		a.Baseline = "none"
	}
	for i := range fs {
		f := &fs[i]
		if an := anomaly[f.Name]; an > 0 && f.Measured {
			f.Anomaly = an
			if lift := 0.5 * math.Min(an, 1) * guard(f); lift > f.Severity {
				f.Severity = lift
			}
		}
		f.Severity = clamp01(f.Severity)
		f.Weight = cfg.weight(f.Name)
		f.Points = round2(f.Weight * f.Severity)
		switch {
		case f.Severity >= 0.8:
			f.Status = StatusHigh
		case f.Severity >= 0.4:
			f.Status = StatusElevated
		default:
			f.Status = StatusNormal
		}
		a.Score += f.Points
		a.TotalWeight += f.Weight
		if f.Measured {
			a.MeasuredWeight += f.Weight
		}
	}
	if a.MeasuredWeight > 0 && a.MeasuredWeight < a.TotalWeight {
		a.Score *= a.TotalWeight / a.MeasuredWeight
	}
	a.Score = math.Min(100, round1(a.Score))
	// The outage rule: a weighted sum lets one factor at its worst count for
	// its weight alone (errors 40 of 100), so a service failing most
	// requests with normal CPU would read "medium". When at least
	// ErrorRate.High of the events are errors (20% by default) and that is
	// far above the baseline, users are failing now: the score is at least
	// the high threshold, and Floor says why. Without a baseline the rule
	// stays off: some services log that many errors every day.
	if f := fs[0]; f.Absolute >= 1 && f.HasBaseline && f.Relative >= 0.8 && a.Score < cfg.High {
		a.Score = cfg.High
		a.Floor = fmt.Sprintf("error rate %s is at or above %s: an outage, so at least %g", Format(f.Value, f.Unit), Format(cfg.ErrorRate.High, "ratio"), cfg.High)
	}
	// A sustained error rate far above any objective is at least medium on
	// its own: a degradation that built up over days has a baseline that
	// took in part of it, and the error factor alone (40 of 100) cannot
	// reach medium unless it is at its worst. The factor's detail says why.
	if f := &fs[0]; sustained(cfg, now) && a.Score < cfg.Medium {
		a.Score = cfg.Medium
		a.Floor = fmt.Sprintf("error rate %s in the window and %s over the last hour: sustained far above any service objective (even a %s one), so at least %g",
			Format(f.Value, f.Unit), Format(now.HourErrors/now.HourEvents, "ratio"), Format(1-cfg.SustainedErrorRate, "ratio"), cfg.Medium)
	}
	// Processes killed for memory in the window are crashes, whatever the
	// weights say (memory counts 10): at least medium.
	if now.OOM > 0 && a.Score < cfg.Medium {
		a.Score = cfg.Medium
		a.Floor = fmt.Sprintf("%s in the window: processes are being killed, so at least %g", fs[3].Detail, cfg.Medium)
	}
	a.Label = cfg.Label(a.Score)
	return a
}

// sustained reports whether the error rate of the window and of the hour
// ending with it are both at least cfg.SustainedErrorRate, on enough events
// for a rate to mean something.
func sustained(cfg Config, now Metrics) bool {
	t := cfg.SustainedErrorRate
	return t > 0 && now.Events >= 20 && now.HourEvents >= 60 &&
		now.ErrorRate() >= t && now.HourErrors/now.HourEvents >= t
}

// guard is how noteworthy a factor's value is, 0..1, for an anomaly score to
// count: only a value that is off its baseline in the harmful direction
// (errors, latency, memory or CPU up; volume either way), and large enough
// to matter (errors going from 0.01% to 0.05% stay quiet). Anomaly
// detectors are direction-blind and quick to flag a new extreme; this keeps
// them to sharpening what the thresholds already half see.
func guard(f *Factor) float64 {
	up := 1.0
	if f.HasBaseline {
		if f.Baseline <= 0 {
			if f.Value <= 0 {
				return 0
			}
		} else {
			r := f.Value / f.Baseline
			if f.Name == LogVolume {
				return Thresholds{0.25, 0.5, 0.8}.Severity(math.Abs(r - 1))
			}
			up = Thresholds{1.1, 1.3, 1.6}.Severity(r)
		}
	} else if f.Name == LogVolume {
		return 0
	}
	switch f.Name {
	case ErrorRate:
		return up * Thresholds{0.002, 0.01, 0.03}.Severity(f.Value)
	case Latency:
		return up * Thresholds{20, 100, 300}.Severity(f.Value)
	case Memory:
		if f.Unit == "%" {
			return up * Thresholds{30, 50, 70}.Severity(f.Value)
		}
		return up
	case CPU:
		return up * Thresholds{20, 40, 60}.Severity(f.Value)
	}
	return 0
}

// combine joins the absolute and relative severities: with a baseline, a
// value that is high but usual for this project counts for less than one
// that is high and new.
func combine(abs, rel float64, hasBase bool) float64 {
	if !hasBase {
		return abs
	}
	return math.Max(rel, 0.6*abs+0.4*rel)
}

// significance turns a Poisson z-score into a 0..1 weight: below 2 nothing,
// from 5 fully.
func significance(observed, expected float64) float64 {
	z := (observed - expected) / math.Sqrt(expected+1)
	return clamp01((z - 2) / 3)
}

func errorRate(cfg Config, now Metrics, base Baseline) Factor {
	f := Factor{Name: ErrorRate, Unit: "ratio", Measured: now.Events > 0 || base.OK && base.Events > 0}
	f.NoData = f.Measured && now.Events <= 0
	rate := now.ErrorRate()
	f.Value = round4(rate)
	// a handful of lines is weak evidence for a rate
	conf := clamp01(now.Events / 20)
	f.Absolute = cfg.ErrorRate.Severity(rate) * conf
	f.HasBaseline = base.OK && base.Events >= 30
	if f.HasBaseline {
		br := base.ErrorRate()
		f.Baseline = round4(br)
		ratio := rate / math.Max(br, 0.001)
		f.Relative = cfg.ErrorRatio.Severity(ratio) *
			significance(now.Errors, br*now.Events) *
			Thresholds{0.005, 0.02, 0.05}.Severity(rate)
	}
	f.Severity = combine(f.Absolute, f.Relative, f.HasBaseline)
	if sustained(cfg, now) {
		// at least elevated, and the summary says why (see score)
		f.Severity = math.Max(f.Severity, 0.5)
		f.Detail = fmt.Sprintf("sustained ≥%s for an hour, above any objective", Format(cfg.SustainedErrorRate, "ratio"))
	}
	return f
}

func logVolume(cfg Config, now Metrics, base Baseline) Factor {
	f := Factor{Name: LogVolume, Unit: "lines/min", Measured: now.Minutes > 0}
	v := now.PerMinute()
	f.Value = round2(v)
	f.Absolute = cfg.Volume.Severity(v)
	f.HasBaseline = base.OK && base.Minutes >= 30
	if f.HasBaseline {
		bv := base.PerMinute()
		f.Baseline = round2(bv)
		exp := bv * now.Minutes
		var spike, silence float64
		if bv > 0 {
			spike = cfg.VolumeRatio.Severity(v/bv) * significance(now.Events, exp)
			z := (exp - now.Events) / math.Sqrt(exp+1)
			silence = cfg.VolumeDrop.Severity(1-v/bv) * clamp01((z-2)/3)
		} else if now.Events > 0 {
			// a project that was silent and now talks: a spike from nothing
			spike = cfg.VolumeRatio.Severity(now.Events) * clamp01(now.Events/30)
		}
		f.Relative = math.Max(spike, silence)
		switch {
		case silence > 0 && silence >= spike:
			f.Detail = "silence"
		case spike > 0:
			f.Detail = "spike"
		}
	}
	f.Severity = combine(f.Absolute, f.Relative, f.HasBaseline)
	return f
}

func latency(cfg Config, now Metrics, base Baseline) Factor {
	f := Factor{Name: Latency, Unit: "ms", Measured: now.LatencyN > 0 || base.OK && base.LatencyN > 0}
	if now.LatencyN <= 0 {
		f.NoData = f.Measured
		return f
	}
	p95 := now.LatencyP95
	f.Value = round1(p95)
	conf := clamp01(now.LatencyN / 20)
	f.Absolute = cfg.LatencyMS.Severity(p95) * conf
	f.HasBaseline = base.OK && base.LatencyN >= 30 && base.LatencyP95 > 0
	if f.HasBaseline {
		f.Baseline = round1(base.LatencyP95)
		f.Relative = cfg.LatencyRatio.Severity(p95/base.LatencyP95) * conf *
			Thresholds{20, 100, 250}.Severity(p95)
	}
	f.Severity = combine(f.Absolute, f.Relative, f.HasBaseline)
	return f
}

func memory(cfg Config, now Metrics, base Baseline) Factor {
	f := Factor{Name: Memory, Unit: "%"}
	switch {
	case now.MemPctN > 0:
		f.Measured = true
		f.Value = round1(now.MemPct)
		f.Absolute = cfg.MemoryPct.Severity(now.MemPct)
		f.HasBaseline = base.OK && base.MemPctN > 0
		if f.HasBaseline {
			f.Baseline = round1(base.MemPct)
			f.Relative = cfg.MemoryRise.Severity(now.MemPct-base.MemPct) * Thresholds{30, 50, 70}.Severity(now.MemPct)
		}
	case now.MemMBN > 0:
		f.Measured = true
		f.Unit = "MB"
		f.Value = round1(now.MemMB)
		f.HasBaseline = base.OK && base.MemMBN > 0 && base.MemMB > 0
		if f.HasBaseline {
			f.Baseline = round1(base.MemMB)
			f.Relative = cfg.MemoryRatio.Severity(now.MemMB / base.MemMB)
		}
	}
	if !f.Measured && base.OK && (base.MemPctN > 0 || base.MemMBN > 0) {
		f.Measured, f.NoData = true, true
		if base.MemPctN <= 0 {
			f.Unit = "MB"
		}
	}
	f.Severity = combine(f.Absolute, f.Relative, f.HasBaseline)
	if f.Unit == "MB" {
		// no absolute threshold without the total: the baseline decides
		f.Severity = f.Relative
	}
	if now.OOM > 0 {
		f.Measured = true
		f.Severity = 1
		f.Detail = fmt.Sprintf("%.0f out-of-memory events", now.OOM)
		if now.OOM == 1 {
			f.Detail = "1 out-of-memory event"
		}
	}
	return f
}

func cpu(cfg Config, now Metrics, base Baseline) Factor {
	f := Factor{Name: CPU, Unit: "%", Measured: now.CPUN > 0 || base.OK && base.CPUN > 0}
	if now.CPUN <= 0 {
		f.NoData = f.Measured
		return f
	}
	f.Value = round1(now.CPU)
	f.Absolute = cfg.CPUPct.Severity(now.CPU)
	f.HasBaseline = base.OK && base.CPUN > 0
	if f.HasBaseline {
		f.Baseline = round1(base.CPU)
		f.Relative = cfg.CPURise.Severity(now.CPU-base.CPU) * Thresholds{20, 40, 60}.Severity(now.CPU)
	}
	f.Severity = combine(f.Absolute, f.Relative, f.HasBaseline)
	return f
}

var titles = map[string]string{
	ErrorRate: "Error rate", LogVolume: "Log volume", Latency: "Latency p95", Memory: "Memory", CPU: "CPU",
}

// Format renders a factor value with its unit: "35%", "12.5 lines/min", "840 ms".
func Format(v float64, unit string) string {
	switch unit {
	case "ratio":
		p := 100 * v
		switch {
		case p == 0:
			return "0%"
		case p < 1:
			return fmt.Sprintf("%.2f%%", p)
		case p < 10:
			return fmt.Sprintf("%.1f%%", p)
		}
		return fmt.Sprintf("%.0f%%", p)
	case "%":
		return fmt.Sprintf("%.0f%%", v)
	case "ms":
		if v >= 10000 {
			return fmt.Sprintf("%.1f s", v/1000)
		}
		return fmt.Sprintf("%.0f ms", v)
	case "MB":
		return fmt.Sprintf("%.0f MB", v)
	case "lines/min":
		if v < 10 {
			return fmt.Sprintf("%.1f lines/min", v)
		}
		return fmt.Sprintf("%.0f lines/min", v)
	}
	return fmt.Sprintf("%g %s", v, unit)
}

func summary(f *Factor) string {
	title := titles[f.Name]
	if !f.Measured {
		return title + ": not measured in these logs"
	}
	if f.NoData {
		return title + ": no data in the window (measured earlier)"
	}
	var b strings.Builder
	b.WriteString(title)
	b.WriteByte(' ')
	b.WriteString(Format(f.Value, f.Unit))
	b.WriteString(" (")
	b.WriteString(f.Status)
	if f.Detail != "" {
		b.WriteString(", ")
		b.WriteString(f.Detail)
	}
	b.WriteString(") - ")
	if f.HasBaseline {
		b.WriteString("baseline ")
		b.WriteString(Format(f.Baseline, f.Unit))
	} else {
		b.WriteString("no baseline yet")
	}
	return b.String()
}

func clamp01(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round4(v float64) float64 { return math.Round(v*10000) / 10000 }
