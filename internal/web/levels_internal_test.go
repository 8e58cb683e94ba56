package web

import (
	"slices"
	"testing"

	"github.com/cloudsage/cloudsage"
)

func TestParseLevels(t *testing.T) {
	levels, bad := parseLevels(" error, ,WARN,unknown,loud,")
	want := []cloudsage.Level{cloudsage.ParseLevel("error"), cloudsage.ParseLevel("warn"), cloudsage.LevelUnknown}
	if !slices.Equal(levels, want) || !slices.Equal(bad, []string{"loud"}) {
		t.Errorf("parseLevels = %v, %q; want %v, [loud]", levels, bad, want)
	}
	if levels, bad := parseLevels(""); levels != nil || bad != nil {
		t.Errorf("parseLevels(\"\") = %v, %q", levels, bad)
	}
}
