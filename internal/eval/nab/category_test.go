package nab

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCategory(t *testing.T) {
	tests := []struct{ name, want string }{
		{"realKnownCause/nyc_taxi.csv", "realKnownCause"},
		{"a/b/c.csv", "a"},
		{"plain.csv", ""},
	}
	for _, tt := range tests {
		if got := Category(tt.name); got != tt.want {
			t.Errorf("Category(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestByCategory(t *testing.T) {
	// Category a: a perfect early detection. Category b: a miss plus a false
	// positive. Scored together, one threshold serves both; apart, each
	// gets its own.
	a := file("a/1.csv", 1000, [][2]int{{500, 549}}, map[int]float64{500: 0.9})
	b := file("b/1.csv", 1000, [][2]int{{500, 549}}, map[int]float64{300: 0.8})
	b2 := file("b/2.csv", 1000, nil, nil)
	outs := []Scored{b, a, b2}
	if got, want := Categories(outs), []string{"a", "b"}; !cmp.Equal(got, want) {
		t.Errorf("Categories = %v, want %v", got, want)
	}
	if got := Select(outs, func(c string) bool { return c == "b" }); len(got) != 2 || got[0].Name != "b/1.csv" || got[1].Name != "b/2.csv" {
		t.Errorf("Select(b) = %d files", len(got))
	}
	res, err := ByCategory(outs, Standard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Category != "a" || res[1].Category != "b" {
		t.Fatalf("ByCategory categories = %+v", res)
	}
	if !near(res[0].Normalized, 100) {
		t.Errorf("category a normalised = %v, want 100", res[0].Normalized)
	}
	// b's best threshold detects nothing: the null score, 0.
	if !near(res[1].Normalized, 0) || res[1].Windows != 1 {
		t.Errorf("category b = %v with %d windows, want 0 with 1", res[1].Normalized, res[1].Windows)
	}
}
