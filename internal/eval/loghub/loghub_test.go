package loghub

import (
	"testing"

	"github.com/cloudsage/cloudsage/internal/patterns"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

func TestLoghubAccuracy(t *testing.T) {
	dir := testenv.Datasets(t, "loghub")
	formats, err := LoadFormats(dir)
	if err != nil {
		t.Fatal(err)
	}
	var sumGA, sumPA float64
	systems := Systems(dir, formats)
	for _, name := range systems {
		ds, err := Load(dir, name, formats[name])
		if err != nil {
			t.Fatal(err)
		}
		r := Evaluate(ds, patterns.DefaultConfig())
		t.Logf("%-10s GA %.3f PA %.3f truth %d pred %d", name, r.GA, r.PA, r.Truth, r.Predicted)
		sumGA += r.GA
		sumPA += r.PA
	}
	t.Logf("mean GA %.4f PA %.4f", sumGA/float64(len(systems)), sumPA/float64(len(systems)))
}
