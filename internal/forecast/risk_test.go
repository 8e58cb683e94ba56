package forecast

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/risk"
)

// hoursOf builds n hours of history: per minute 20 requests with a daily
// swing, errs(h) of each hour's requests failing, p95 latency 200 ms.
func hoursOf(n int, errs func(h int) float64) []risk.Metrics {
	ms := make([]risk.Metrics, n)
	for h := range ms {
		perMin := 20 + 6*math.Sin(2*math.Pi*float64(h)/24)
		ev := perMin * 60
		ms[h] = risk.Metrics{Minutes: 60, Events: ev, Errors: errs(h) * ev, HourEvents: ev, HourErrors: errs(h) * ev,
			LatencyP95: 200, LatencyN: ev}
	}
	return ms
}

func riskInput(t *testing.T, hours []risk.Metrics, now risk.Metrics, horizon int) RiskInput {
	t.Helper()
	cfg := risk.DefaultConfig()
	at := time.Date(2026, 3, 4, 12, 59, 0, 0, time.UTC)
	base := risk.Baseline{Metrics: risk.Median(hours), OK: true, Source: "test"}
	return RiskInput{At: at, Horizon: horizon, Now: risk.Score(cfg, now, base, nil), Hours: hours, Baseline: base, Config: cfg, Level: 0.8}
}

func TestPredictRiskTooLittle(t *testing.T) {
	cfg := risk.DefaultConfig()
	at := time.Date(2026, 3, 4, 12, 3, 0, 0, time.UTC)
	now := risk.Assessment{Score: 12}
	for _, c := range []struct {
		name  string
		hours []risk.Metrics
		why   string
	}{
		{"no events", nil, "no events yet"},
		{"five minutes", []risk.Metrics{{Minutes: 5, Events: 100}}, "less than 10 minutes"},
	} {
		f := PredictRisk(RiskInput{At: at, Horizon: 24, Now: now, Hours: c.hours, Config: cfg, Level: 0.8})
		if len(f.Points) != 24 || !strings.Contains(f.Why, c.why) {
			t.Fatalf("%s: %d points, why %q", c.name, len(f.Points), f.Why)
		}
		for i, p := range f.Points {
			if p.Score != 12 || p.Low != 0 || p.High != 100 || !p.Time.Equal(time.Date(2026, 3, 4, 13+i, 0, 0, 0, time.UTC)) {
				t.Fatalf("%s: point %d = %+v, want the score now at the next hours with the whole band", c.name, i, p)
			}
		}
	}
}

func TestPredictRisk(t *testing.T) {
	calm := func(int) float64 { return 0.002 }
	tests := []struct {
		name      string
		hours     []risk.Metrics
		horizon   int
		seasonal  bool
		pHighMax  float64
		pHighMin  float64
		confident bool
	}{
		{"calm, three days", hoursOf(72, calm), 48, true, 0.05, 0, true},
		{"calm, one day", hoursOf(24, calm), 24, false, 0.05, 0, false},
		{"errors climbing for six hours", hoursOf(24, func(h int) float64 { return 0.002 + 0.012*math.Max(0, float64(h-17)) }), 24, false, 1, 0.2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := riskInput(t, tc.hours, tc.hours[len(tc.hours)-1], tc.horizon)
			f := PredictRisk(in)
			if len(f.Points) != tc.horizon || f.HorizonHours != tc.horizon || f.HistoryHours != len(tc.hours) || f.Seasonal != tc.seasonal {
				t.Fatalf("%d points over %d h, history %d, seasonal %v", len(f.Points), f.HorizonHours, f.HistoryHours, f.Seasonal)
			}
			if f.PHigh < tc.pHighMin || f.PHigh > tc.pHighMax {
				t.Errorf("p_high %v, want in [%v, %v] (score now %v, peak %v)", f.PHigh, tc.pHighMin, tc.pHighMax, in.Now.Score, f.PeakScore)
			}
			if tc.confident && f.Confidence < 0.2 {
				t.Errorf("confidence %v, want > 0.2 (%s)", f.Confidence, f.Why)
			}
			if d := math.Abs(f.Points[0].Score - in.Now.Score); d > 1 {
				t.Errorf("first point %v, score now %v: want the forecast anchored on now", f.Points[0].Score, in.Now.Score)
			}
			for i, p := range f.Points {
				if !(p.Low <= p.Score && p.Score <= p.High) || p.Low < 0 || p.High > 100 {
					t.Fatalf("point %d out of order or range: %+v", i, p)
				}
				if p.Score > f.PeakScore {
					t.Fatalf("point %d above the peak %v: %+v", i, f.PeakScore, p)
				}
			}
			if len(f.Factors) == 0 || f.Why == "" || len(f.Scenarios) != 0 {
				t.Errorf("%d factors, why %q, %d scenarios", len(f.Factors), f.Why, len(f.Scenarios))
			}
		})
	}
}

// A score now well above what the calm history lets the models expect is an
// ongoing episode: it persists, fading slowly, with two scenarios.
func TestPredictRiskEpisodePersists(t *testing.T) {
	hours := hoursOf(72, func(int) float64 { return 0.002 })
	now := hours[len(hours)-1]
	now.Errors, now.HourErrors, now.LatencyP95 = 0.3*now.Events, 0.3*now.Events, 3000
	f := PredictRisk(riskInput(t, hours, now, 24))
	score := riskInput(t, hours, now, 24).Now.Score
	if score < 50 {
		t.Fatalf("score now %v, want an episode to forecast from", score)
	}
	p3, p24 := f.Points[2], f.Points[23]
	if p3.Score < 0.85*score || p24.Score >= p3.Score || p24.Score < 0.4*score {
		t.Errorf("3 h on %v, 24 h on %v, now %v: want the episode to persist and fade slowly", p3.Score, p24.Score, score)
	}
	if len(f.Scenarios) != 2 || f.Scenarios[0].Name != "persists" || f.Scenarios[1].Name != "resolved" ||
		math.Abs(f.Scenarios[0].Probability+f.Scenarios[1].Probability-1) > 0.011 || !strings.Contains(f.Why, "half-life") {
		t.Errorf("scenarios %+v, why %q", f.Scenarios, f.Why)
	}
	for _, sc := range f.Scenarios {
		if len(sc.Points) != 24 {
			t.Errorf("scenario %s: %d points", sc.Name, len(sc.Points))
		}
	}
	if r := f.Scenarios[1].Points[2].Score; r >= p3.Score {
		t.Errorf("resolved at 3 h %v, forecast %v: want resolved below", r, p3.Score)
	}
}
