package risk

import (
	"math"
	"strings"
	"testing"
)

func TestThresholdsSeverity(t *testing.T) {
	th := Thresholds{1, 5, 20}
	tests := []struct{ v, want float64 }{
		{0, 0}, {1, 0}, {3, 0.25}, {5, 0.5}, {12.5, 0.75}, {20, 1}, {1e9, 1}, {math.NaN(), 0},
	}
	for _, tc := range tests {
		if got := th.Severity(tc.v); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Severity(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// calm is 15 minutes of a healthy web service; base is its usual self.
var (
	calm = Metrics{Minutes: 15, Events: 300, Errors: 1, LatencyP95: 120, LatencyN: 280,
		MemPct: 55, MemPctN: 15, CPU: 30, CPUN: 15}
	base = Baseline{OK: true, Source: "test", Metrics: Metrics{Minutes: 1440, Events: 28800, Errors: 100,
		LatencyP95: 115, LatencyN: 27000, MemPct: 54, MemPctN: 1440, CPU: 28, CPUN: 1440}}
)

func with(m Metrics, f func(*Metrics)) Metrics { f(&m); return m }

func TestScoreScenarios(t *testing.T) {
	cfg := DefaultConfig()
	tests := []struct {
		name      string
		now       Metrics
		base      Baseline
		label     string
		top       string // the factor expected first
		status    string // that factor's status
		minPoints float64
	}{
		{"calm", calm, base, LabelLow, "", "", 0},
		{"error burst (the outage rule)", with(calm, func(m *Metrics) { m.Errors = 105 }), base, LabelHigh, ErrorRate, StatusHigh, 38},
		{"chronic errors count less than new ones",
			with(calm, func(m *Metrics) { m.Errors = 45 }),
			Baseline{OK: true, Source: "test", Metrics: with(base.Metrics, func(m *Metrics) { m.Errors = 4300 })},
			LabelLow, ErrorRate, StatusElevated, 15},
		{"no baseline: absolute thresholds", with(calm, func(m *Metrics) { m.Errors = 105 }), Baseline{}, LabelMedium, ErrorRate, StatusHigh, 38},
		{"silence", with(calm, func(m *Metrics) { m.Events = 2; m.LatencyN = 2 }), base, LabelLow, LogVolume, StatusHigh, 22},
		{"volume spike", with(calm, func(m *Metrics) { m.Events = 3000; m.LatencyN = 2800 }), base, LabelLow, LogVolume, StatusHigh, 22},
		{"latency regression", with(calm, func(m *Metrics) { m.LatencyP95 = 900 }), base, LabelLow, Latency, StatusHigh, 18},
		{"memory pressure", with(calm, func(m *Metrics) { m.MemPct = 96 }), base, LabelLow, Memory, StatusHigh, 9},
		{"oom kill (the OOM rule)", with(calm, func(m *Metrics) { m.OOM = 2 }), base, LabelMedium, Memory, StatusHigh, 10},
		{"cpu saturation", with(calm, func(m *Metrics) { m.CPU = 97 }), base, LabelLow, CPU, StatusHigh, 5},
		{"incident: errors, latency, memory, cpu", with(calm, func(m *Metrics) {
			m.Errors, m.LatencyP95, m.MemPct, m.CPU = 120, 2500, 93, 95
		}), base, LabelHigh, ErrorRate, StatusHigh, 38},
		{"tiny sample is weak evidence", Metrics{Minutes: 15, Events: 2, Errors: 1}, Baseline{}, LabelLow, ErrorRate, StatusNormal, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := Score(cfg, tc.now, tc.base, nil)
			if a.Label != tc.label {
				t.Errorf("label = %s (score %v), want %s; factors:\n%s", a.Label, a.Score, tc.label, dump(a))
			}
			if len(a.Factors) != 5 || len(a.Top) != 3 {
				t.Fatalf("%d factors, %d top; want 5, 3", len(a.Factors), len(a.Top))
			}
			if tc.top != "" {
				f := a.Factor(tc.top)
				if a.Top[0] != tc.top || f.Status != tc.status || f.Points < tc.minPoints {
					t.Errorf("top = %v, %s = %v points (%s); want %s first, %s, >= %v points\n%s",
						a.Top, tc.top, f.Points, f.Status, tc.top, tc.status, tc.minPoints, dump(a))
				}
			} else if a.Score > 10 {
				t.Errorf("score = %v, want <= 10\n%s", a.Score, dump(a))
			}
			sum, measured := 0.0, 0.0
			for _, f := range a.Factors {
				if f.Points < 0 || f.Points > f.Weight {
					t.Errorf("%s points %v outside 0..%v", f.Name, f.Points, f.Weight)
				}
				if !f.Measured && f.Points != 0 {
					t.Errorf("%s is not measured but has %v points", f.Name, f.Points)
				}
				sum += f.Points
				if f.Measured {
					measured += f.Weight
				}
			}
			if measured != a.MeasuredWeight || a.TotalWeight != 100 {
				t.Errorf("measured weight %v / %v, want %v / 100", a.MeasuredWeight, a.TotalWeight, measured)
			}
			want := math.Min(100, sum*100/max(measured, 1))
			if a.Floor != "" && (a.Score == cfg.High || a.Score == cfg.Medium) {
				want = math.Max(want, a.Score)
			}
			if math.Abs(want-a.Score) > 0.1 {
				t.Errorf("score %v != sum of points %v scaled to the measured weight %v (%v)", a.Score, sum, measured, want)
			}
		})
	}
}

func dump(a Assessment) string {
	var b strings.Builder
	for _, f := range a.Factors {
		b.WriteString("  " + f.Summary + "\n")
	}
	return b.String()
}

func TestWeightsAndOrder(t *testing.T) {
	a := Score(DefaultConfig(), calm, base, nil)
	want := map[string]float64{ErrorRate: 40, LogVolume: 25, Latency: 20, Memory: 10, CPU: 5}
	for i, f := range a.Factors {
		if f.Name != Names[i] || f.Weight != want[f.Name] {
			t.Errorf("factor %d = %s weight %v, want %s weight %v", i, f.Name, f.Weight, Names[i], want[Names[i]])
		}
	}
}

func TestSummary(t *testing.T) {
	a := Score(DefaultConfig(), with(calm, func(m *Metrics) { m.Errors = 105 }), base, nil)
	got := a.Factor(ErrorRate).Summary
	if want := "Error rate 35% (high) - baseline 0.35%"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
	a = Score(DefaultConfig(), Metrics{Minutes: 15, Events: 10}, Baseline{}, nil)
	if got, want := a.Factor(Latency).Summary, "Latency p95: not measured in these logs"; got != want {
		t.Errorf("summary = %q, want %q", got, want)
	}
}

func TestAnomalyLift(t *testing.T) {
	cfg := DefaultConfig()
	now := with(calm, func(m *Metrics) { m.Errors = 4 }) // 1.3%: noteworthy, not significant over the baseline
	plain := Score(cfg, now, base, nil).Factor(ErrorRate)
	lifted := Score(cfg, now, base, map[string]float64{ErrorRate: 1}).Factor(ErrorRate)
	if !(lifted.Points > plain.Points) || lifted.Status == StatusHigh {
		t.Errorf("anomaly lifted %v -> %v (%s); want higher, not high", plain.Points, lifted.Points, lifted.Status)
	}
	faster := with(calm, func(m *Metrics) { m.LatencyP95 = 60 })
	if p := Score(cfg, faster, base, map[string]float64{Latency: 1}).Factor(Latency).Points; p != 0 {
		t.Errorf("anomaly on a latency below baseline gave %v points, want 0", p)
	}
	quiet := with(calm, func(m *Metrics) { m.Errors = 0 })
	if p := Score(cfg, quiet, base, map[string]float64{ErrorRate: 1}).Factor(ErrorRate).Points; p != 0 {
		t.Errorf("anomaly on a zero error rate gave %v points, want 0", p)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("DefaultConfig().Validate() = %v", err)
	}
	c := DefaultConfig()
	c.High, c.Medium = 30, 40
	c.CPUPct = Thresholds{90, 80, 95}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "label thresholds") || !strings.Contains(err.Error(), "cpu_pct") {
		t.Errorf("Validate() = %v, want both problems", err)
	}
}

func TestLabels(t *testing.T) {
	c := DefaultConfig()
	for _, tc := range []struct {
		s    float64
		want string
	}{{0, LabelLow}, {39.9, LabelLow}, {40, LabelMedium}, {69.9, LabelMedium}, {70, LabelHigh}, {100, LabelHigh}} {
		if got := c.Label(tc.s); got != tc.want {
			t.Errorf("Label(%v) = %s, want %s", tc.s, got, tc.want)
		}
	}
}

func BenchmarkScore(b *testing.B) {
	cfg := DefaultConfig()
	for b.Loop() {
		Score(cfg, calm, base, nil)
	}
}

// A log that carries only errors and volume is scored over those (65 of
// 100 weight points), so a severe outage can still be high; the factors it
// does not carry stay in the output, unmeasured, with 0 points.
func TestMeasuredWeight(t *testing.T) {
	cfg := DefaultConfig()
	base := Baseline{OK: true, Metrics: Metrics{Minutes: 1440, Events: 14400, Errors: 14}}
	tests := []struct {
		name     string
		now      Metrics
		base     Baseline
		measured float64
		label    string
		scale    bool
	}{
		{"errors only, outage", Metrics{Minutes: 15, Events: 400, Errors: 400}, base, 65, LabelHigh, true},
		{"errors only, calm", Metrics{Minutes: 15, Events: 150, Errors: 0}, base, 65, LabelLow, true},
		{"latency measured", Metrics{Minutes: 15, Events: 400, Errors: 400, LatencyN: 400, LatencyP95: 80},
			Baseline{OK: true, Metrics: Metrics{Minutes: 1440, Events: 14400, Errors: 14, LatencyN: 14400, LatencyP95: 80}}, 85, LabelHigh, true},
		{"latency in history only", Metrics{Minutes: 15, Events: 400, Errors: 400},
			Baseline{OK: true, Metrics: Metrics{Minutes: 1440, Events: 14400, Errors: 14, LatencyN: 14400, LatencyP95: 80}}, 85, LabelHigh, true},
		{"everything", Metrics{Minutes: 15, Events: 150, LatencyN: 150, LatencyP95: 80, MemPctN: 15, MemPct: 40, CPUN: 15, CPU: 20},
			Baseline{OK: true, Metrics: Metrics{Minutes: 1440, Events: 14400, LatencyN: 14400, LatencyP95: 80, MemPctN: 1440, MemPct: 40, CPUN: 1440, CPU: 20}}, 100, LabelLow, false},
		{"nothing", Metrics{}, Baseline{}, 0, LabelLow, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Score(cfg, tt.now, tt.base, nil)
			if a.MeasuredWeight != tt.measured || a.Label != tt.label || (a.Scale() != "") != tt.scale {
				t.Errorf("measured weight %v, label %s (%v), scale %q; want %v, %s, scale %v\n%s",
					a.MeasuredWeight, a.Label, a.Score, a.Scale(), tt.measured, tt.label, tt.scale, dump(a))
			}
			if len(a.Factors) != 5 {
				t.Errorf("%d factors, want 5", len(a.Factors))
			}
		})
	}
}

// The outage rule: a fifth of all events failing, far above the baseline,
// is high whatever the other factors say; a high rate that is usual here,
// or a moderate one, is not raised.
func TestOutageFloor(t *testing.T) {
	cfg := DefaultConfig()
	full := func(errs, baseErrs float64) (Metrics, Baseline) {
		now := Metrics{Minutes: 15, Events: 300, Errors: errs, LatencyN: 300, LatencyP95: 90, CPUN: 15, CPU: 20, MemPctN: 15, MemPct: 40}
		base := Baseline{OK: true, Metrics: Metrics{Minutes: 360, Events: 7200, Errors: baseErrs, LatencyN: 7200, LatencyP95: 90, CPUN: 360, CPU: 20, MemPctN: 360, MemPct: 40}}
		return now, base
	}
	tests := []struct {
		name       string
		errs, base float64
		floor      bool
	}{
		{"58% errors from 1%", 174, 72, true},
		{"20% errors from 0.1%", 60, 7, true},
		{"58% errors, no baseline", 174, -1, false},
		{"10% errors from 0.1%", 30, 7, false},
		{"30% errors, usual here", 90, 2160, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now, base := full(tt.errs, tt.base)
			if tt.base < 0 {
				base = Baseline{}
			}
			a := Score(cfg, now, base, nil)
			if (a.Floor != "") != tt.floor || (tt.floor && a.Score != cfg.High && a.Score < cfg.High) {
				t.Errorf("score %v floor %q, want floor %v\n%s", a.Score, a.Floor, tt.floor, dump(a))
			}
			if tt.floor && a.Label != LabelHigh {
				t.Errorf("label %s, want high", a.Label)
			}
		})
	}
}

func TestOOMFloor(t *testing.T) {
	cfg := DefaultConfig()
	now := Metrics{Minutes: 15, Events: 300, Errors: 6, OOM: 3, MemPctN: 15, MemPct: 96}
	base := Baseline{OK: true, Metrics: Metrics{Minutes: 360, Events: 7200, Errors: 40, MemPctN: 360, MemPct: 60}}
	a := Score(cfg, now, base, nil)
	if a.Label != LabelMedium || !strings.Contains(a.Floor, "3 out-of-memory events") {
		t.Errorf("OOM kills: label %s (%v), floor %q; want medium with the kills named\n%s", a.Label, a.Score, a.Floor, dump(a))
	}
	now.OOM = 0
	if a := Score(cfg, now, base, nil); a.Floor != "" {
		t.Errorf("no OOM: floor %q, want none", a.Floor)
	}
}

func TestSetHighLevels(t *testing.T) {
	c := DefaultConfig()
	if err := c.SetHighLevels(map[string]float64{Latency: 1000, ErrorRate: 0.1, CPU: 90}); err != nil {
		t.Fatal(err)
	}
	if want := (Thresholds{100, 300, 1000}); c.LatencyMS != want {
		t.Errorf("latency thresholds = %v, want %v", c.LatencyMS, want)
	}
	if c.ErrorRate.High != 0.1 || c.CPUPct.High != 90 || c.Validate() != nil {
		t.Errorf("error rate %v, cpu %v, validate %v", c.ErrorRate, c.CPUPct, c.Validate())
	}
	for _, bad := range []map[string]float64{{"disk": 90}, {Memory: 150}, {ErrorRate: 5}, {Latency: 0}, {CPU: math.Inf(1)}} {
		c := DefaultConfig()
		if err := c.SetHighLevels(bad); err == nil {
			t.Errorf("SetHighLevels(%v) accepted", bad)
		}
	}
}

// TestScoreValue checks that the forecast's number-only score is Score's.
func TestScoreValue(t *testing.T) {
	cfg := DefaultConfig()
	hot := calm
	hot.Errors, hot.LatencyP95, hot.MemPct, hot.CPU, hot.OOM = 150, 2400, 95, 97, 1
	for _, m := range []Metrics{calm, hot, {Minutes: 15, Events: 400, Errors: 400}, {Minutes: 15, Events: 10}, {}} {
		for _, b := range []Baseline{base, {}} {
			if got, want := ScoreValue(cfg, m, b), Score(cfg, m, b, nil).Score; got != want {
				t.Errorf("ScoreValue(%+v, %+v) = %v, Score gives %v", m, b, got, want)
			}
		}
	}
}
