package learn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCollectAndList(t *testing.T) {
	in := []Override{
		{Kind: Mute, Target: "scale_out"}, {Kind: Pin, Target: "db_pool_exhaustion"}, {Kind: Pin, Target: "scale_out"},
		{Kind: Threshold, Target: "latency", Value: 800}, {Kind: Expected, Target: "p2"}, {Kind: Expected, Target: "p1"},
		{Kind: Threshold, Target: "latency", Value: 900},
	}
	got := Collect(in)
	want := Overrides{Pinned: []string{"db_pool_exhaustion"}, Muted: []string{"scale_out"},
		Thresholds: map[string]float64{"latency": 900}, Expected: []string{"p1", "p2"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Collect (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, Collect(got.List())); d != "" {
		t.Errorf("Collect(List()) (-want +got):\n%s", d)
	}
	if !(Overrides{}).Empty() || got.Empty() {
		t.Errorf("Empty wrong")
	}
}

func TestCheckOverride(t *testing.T) {
	for _, tc := range []struct {
		o    Override
		want string // "" valid, else part of the error
	}{
		{Override{Kind: Mute, Target: "x"}, ""},
		{Override{Kind: Threshold, Target: "latency", Value: 800}, ""},
		{Override{Kind: "maybe", Target: "x"}, "kind"},
		{Override{Kind: Pin, Target: ""}, "target"},
		{Override{Kind: Pin, Target: "a\nb"}, "target"},
		{Override{Kind: Pin, Target: strings.Repeat("a", 201)}, "target"},
		{Override{Kind: Threshold, Target: "latency"}, "above 0"},
		{Override{Kind: Expected, Target: "p1", Value: 3}, "thresholds only"},
	} {
		err := CheckOverride(tc.o)
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckOverride(%+v) = %v, want %q", tc.o, err, tc.want)
		}
	}
}

func TestChanges(t *testing.T) {
	priors := map[string]Prior{"pool": PriorOf(0.5), "scale": PriorOf(0.5)}
	var fb []Feedback
	for range 5 {
		fb = append(fb, Feedback{Key: "pool", Status: Done})
	}
	fb = append(fb, Feedback{Key: "pool", Status: Dismissed}, Feedback{Key: "scale", Status: Snoozed})
	got := Changes(Estimates(fb, priors), Overrides{Muted: []string{"scale"}}, map[string]string{"pool": "check connection pool", "scale": "Scale web servers"})
	var texts []string
	for _, c := range got {
		texts = append(texts, c.Text)
	}
	want := []string{"'Scale web servers' muted", "'check connection pool' raised — completed 5 of 6 times"}
	if d := cmp.Diff(want, texts); d != "" {
		t.Errorf("Changes (-want +got):\n%s", d)
	}
}
