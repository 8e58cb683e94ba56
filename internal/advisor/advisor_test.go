package advisor

import "testing"

func TestAdviseAlwaysThreeActions(t *testing.T) {
	for _, in := range []Input{{}, {Score: 90}, {Score: 55, Trend: 1}} {
		if got := Advise(in, nil); len(got.Actions) < 3 {
			t.Errorf("Advise(%+v) gave %d actions, want >= 3", in, len(got.Actions))
		}
	}
}
