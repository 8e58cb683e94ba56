package bench

import (
	"slices"
	"testing"

	"github.com/cloudsage/cloudsage/internal/testenv"
)

func TestGenerate(t *testing.T) {
	a, b := Generate(500, 3), Generate(500, 3)
	if a.Len() != 500 || len(a.Content) != 500 {
		t.Fatalf("Generate(500) = %d raw, %d content lines", a.Len(), len(a.Content))
	}
	if !slices.Equal(a.Raw, b.Raw) {
		t.Error("Generate is not deterministic for a seed")
	}
	if c := Generate(500, 4); slices.Equal(a.Raw, c.Raw) {
		t.Error("Generate ignores the seed")
	}
	formats := map[byte]bool{}
	empty := 0
	for i, l := range a.Raw {
		if l == "" {
			empty++
			continue
		}
		if a.Content[i] == "" || len(a.Content[i]) > len(l) {
			t.Errorf("line %q: content %q", l, a.Content[i])
		}
		formats[l[0]] = true
	}
	if empty > len(a.Raw)/10 {
		t.Errorf("Generate: %d of %d lines empty", empty, len(a.Raw))
	}
	if len(formats) < 4 {
		t.Errorf("Generate: lines start with only %d distinct bytes, want a mix of formats", len(formats))
	}
}

func TestMix(t *testing.T) {
	a := &Corpus{Raw: []string{"a1", "a2"}, Content: []string{"a1", "a2"}, Sources: "a"}
	b := &Corpus{Raw: []string{"b1"}, Content: []string{"b1"}, Sources: "b"}
	got := Mix(5, a, nil, b)
	want := []string{"a1", "b1", "a2", "b1", "a1"}
	if !slices.Equal(got.Raw, want) || !slices.Equal(got.Content, want) {
		t.Errorf("Mix = %v, want %v", got.Raw, want)
	}
	if Mix(3).Len() != 0 {
		t.Error("Mix of nothing is not empty")
	}
}

func TestLoadLoghub(t *testing.T) {
	dir := testenv.Datasets(t, "loghub")
	c, err := LoadLoghub(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Len() < 20000 || len(c.Content) != c.Len() {
		t.Fatalf("LoadLoghub: %d lines, %d contents", c.Len(), len(c.Content))
	}
	for i := range 100 {
		if len(c.Content[i]) > len(c.Raw[i]) {
			t.Errorf("content %q longer than its line %q", c.Content[i], c.Raw[i])
		}
	}
}
