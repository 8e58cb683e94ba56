package engine

import (
	"testing"
	"time"
)

func TestAnomalies(t *testing.T) {
	tests := []struct {
		name     string
		scenario string
		min, max float64
	}{
		{"a calm service raises nothing", "calm", 0, 0.5},
		{"too little history gives nothing", "", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := New(DefaultConfig())
			if tc.scenario != "" {
				for _, l := range scenarioByName(t, tc.scenario).generate() {
					e.AddLine(l)
				}
			} else {
				e.AddLine("2026-04-14T10:00:00Z ERROR one line")
			}
			e.Flush()
			got := e.anomalies(e.LastEventTime())
			if tc.scenario == "" {
				if got != nil {
					t.Errorf("anomalies = %v, want nil", got)
				}
				return
			}
			if len(got) > 5 {
				t.Fatalf("anomalies = %v, want at most the five factors", got)
			}
			for name, v := range got {
				if v < tc.min || v > tc.max {
					t.Errorf("%s anomaly = %v, want in [%v, %v]", name, v, tc.min, tc.max)
				}
			}
		})
	}
}

func TestAnomalyOnset(t *testing.T) {
	// one minute of the error scenario's onset inside the window is enough
	// for the error-rate detector to notice
	e := New(DefaultConfig())
	for _, l := range scenarioByName(t, "tls_certificate").generate() {
		e.AddLine(l)
	}
	e.Flush()
	onset := e.LastEventTime().Add(-25 * time.Minute)
	got := e.anomalies(onset.Add(5 * time.Minute))
	if got["error_rate"] < 0.5 {
		t.Errorf("error_rate anomaly just after the onset = %v, want >= 0.5 (all: %v)", got["error_rate"], got)
	}
}
