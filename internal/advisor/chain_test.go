package advisor

import (
	"testing"

	"github.com/cloudsage/cloudsage/internal/risk"
)

func TestAdviseBranch(t *testing.T) {
	tests := []struct {
		name         string
		in           Input
		want         string
		wantLookHour int
	}{
		{"critical", Input{Score: 85, HorizonHours: 24}, ChainCritical, 24},
		{"critical at threshold", Input{Score: 70, HorizonHours: 24}, ChainCritical, 24},
		{"preventive", Input{Score: 55, Trend: 2, HorizonHours: 24}, ChainPreventive, 168},
		{"flat medium is standard", Input{Score: 55, Trend: 0, HorizonHours: 24}, ChainStandard, 24},
		{"rising but low is standard", Input{Score: 45, Trend: 5, HorizonHours: 24}, ChainStandard, 24},
		{"custom threshold", Input{Score: 65, HighThreshold: 60, HorizonHours: 48}, ChainCritical, 48},
		{"empty", Input{}, ChainStandard, 24},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Advise(tt.in, nil)
			if got.Chain.Name != tt.want || got.Chain.LookaheadHours != tt.wantLookHour {
				t.Errorf("Advise(%+v).Chain = %s/%d, want %s/%d", tt.in, got.Chain.Name, got.Chain.LookaheadHours, tt.want, tt.wantLookHour)
			}
			if len(got.Actions) < 3 {
				t.Errorf("Advise(%+v) gave %d actions, want >= 3", tt.in, len(got.Actions))
			}
		})
	}
}

// TestDefaultsFollowRisk keeps the advisor's default thresholds and labels
// those of the risk stage.
func TestDefaultsFollowRisk(t *testing.T) {
	cfg := risk.DefaultConfig()
	if DefaultHighThreshold != cfg.High || DefaultMediumThreshold != cfg.Medium {
		t.Errorf("advisor defaults %v/%v, risk %v/%v", DefaultHighThreshold, DefaultMediumThreshold, cfg.High, cfg.Medium)
	}
	for _, score := range []float64{0, 39.9, 40, 69.9, 70, 100} {
		if got, want := normalise(Input{Score: score}).Label, cfg.Label(score); got != want {
			t.Errorf("label of %v = %q, want %q", score, got, want)
		}
	}
}
