package ingest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/store"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func TestEngineAnalyze(t *testing.T) {
	a, err := NewEngine(store.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	a.AddLines(lines(300, "svc", now))
	an, err := a.Analyze(now, 48)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Risk struct {
			Score float64
			Label string
		}
		Forecast struct {
			HorizonHours int `json:"horizon_hours"`
		}
		Actions []struct{ ID string }
	}
	if err := json.Unmarshal(an.Body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Risk.Score != an.Score || rep.Risk.Label != an.Label || rep.Forecast.HorizonHours != 48 || len(an.Templates) == 0 {
		t.Errorf("Analyze = %+v, body %+v", an, rep)
	}
	snap, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewEngine(store.DefaultSettings())
	if err := b.UnmarshalBinary(snap); err != nil {
		t.Fatal(err)
	}
	if !b.LastEventTime().Equal(a.LastEventTime()) {
		t.Errorf("restored LastEventTime %v, want %v", b.LastEventTime(), a.LastEventTime())
	}
}

// TestEngineFactorThresholds: a project's factor_thresholds reach the risk
// score — steady 300 ms responses score nothing by default and score for a
// project that calls anything over 200 ms high.
func TestEngineFactorThresholds(t *testing.T) {
	end := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	var slow []string
	for i := 0; i < 120*20; i++ {
		ts := end.Add(-120*time.Minute + time.Duration(i)*3*time.Second)
		slow = append(slow, fmt.Sprintf(`10.0.0.1 - - [%s] "GET /v1/feed HTTP/1.1" 200 512 "-" "curl/8" 0.300`, ts.Format("02/Jan/2006:15:04:05 -0700")))
	}
	latencyPoints := func(set store.Settings) float64 {
		t.Helper()
		a, err := NewEngine(set)
		if err != nil {
			t.Fatal(err)
		}
		a.AddLines(slow)
		an, err := a.Analyze(end, 24)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Risk struct {
				Factors []struct {
					Name   string
					Points float64
				}
			}
		}
		if err := json.Unmarshal(an.Body, &rep); err != nil {
			t.Fatal(err)
		}
		for _, f := range rep.Risk.Factors {
			if f.Name == "latency" {
				return f.Points
			}
		}
		t.Fatal("no latency factor")
		return 0
	}
	def := latencyPoints(store.DefaultSettings())
	strict := store.DefaultSettings()
	strict.FactorThresholds = map[string]float64{"latency": 200}
	got := latencyPoints(strict)
	// Steady latency matches its own baseline, so the absolute level counts
	// 0.6 (risk.combine): 12 of 20 points.
	if def != 0 || got != 12 {
		t.Errorf("latency points at 300 ms: default %v, with latency high at 200 ms %v; want 0 and 12", def, got)
	}
	strict.FactorThresholds = map[string]float64{"latency_p99": 200}
	if _, err := strict.EngineConfig(); err == nil {
		t.Error("unknown factor name accepted")
	}
}
