package ui

import "testing"

func TestDecodeReport(t *testing.T) {
	rep, err := DecodeReport([]byte(`{"events": 3, "risk": {"score": 72.5, "label": "high", "factors": [{"name": "error_rate", "measured": true}]},
		"chain": {"name": "critical", "steps": [{"name": "context_analysis", "summary": "s"}]}, "unknown": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != 3 || rep.Risk.Score != 72.5 || rep.Chain.Name != "critical" || len(rep.Risk.Factors) != 1 || !rep.Risk.Factors[0].Measured {
		t.Errorf("DecodeReport = %+v", rep)
	}
	for _, bad := range []string{"", "{", `{"risk": {"score": "x"}}`} {
		if _, err := DecodeReport([]byte(bad)); err == nil {
			t.Errorf("DecodeReport(%q) = nil error", bad)
		}
	}
}
