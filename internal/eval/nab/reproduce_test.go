package nab

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/cloudsage/cloudsage/internal/testenv"
)

// subsetScores is the part of results/subset_scores.json the tests use.
type subsetScores struct {
	Subset struct {
		Files   int `json:"files"`
		Windows int `json:"windows"`
	} `json:"subset"`
	Detectors map[string]map[string]struct {
		Threshold  float64 `json:"threshold"`
		Raw        float64 `json:"raw_score"`
		Normalized float64 `json:"normalized_score"`
		TP         int     `json:"tp_rows"`
		FP         int     `json:"fp_rows"`
		FN         int     `json:"fn_rows"`
		TN         int     `json:"tn_rows"`
	} `json:"detectors"`
	PerFile map[string]json.RawMessage `json:"numenta_per_file"`
}

type perFileScore struct {
	Raw float64 `json:"raw_score"`
	TP  int     `json:"tp_rows"`
	FP  int     `json:"fp_rows"`
	FN  int     `json:"fn_rows"`
	TN  int     `json:"tn_rows"`
}

func loadSubsetScores(t *testing.T, dir string) subsetScores {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "results", "subset_scores.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s subsetScores
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// numentaOutputs reads NAB's published numenta (HTM) results for every file
// of the corpus, with the corpus's windows.
func numentaOutputs(t *testing.T, dir string, c *Corpus) []Scored {
	t.Helper()
	var out []Scored
	for _, f := range c.Files {
		p := filepath.Join(dir, "results", "numenta", path.Dir(f.Name), "numenta_"+path.Base(f.Name))
		r, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		times, scores, err := ReadScores(r)
		r.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if len(times) != len(f.Times) {
			t.Fatalf("%s: %d rows, data file has %d", p, len(times), len(f.Times))
		}
		out = append(out, Scored{Name: f.Name, Times: times, Scores: scores, Windows: f.Windows})
	}
	return out
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// TestReproduceNAB feeds NAB's published numenta outputs to the scorer and
// checks it gives what NAB's own code gives on this subset: thresholds, raw
// and normalised corpus scores, row counts, and every file's raw score.
func TestReproduceNAB(t *testing.T) {
	dir := testenv.Datasets(t, "nab")
	c, err := LoadCorpus(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	want := loadSubsetScores(t, dir)
	if len(c.Files) != want.Subset.Files || c.Windows() != want.Subset.Windows {
		t.Fatalf("corpus has %d files and %d windows, subset_scores.json says %d and %d",
			len(c.Files), c.Windows(), want.Subset.Files, want.Subset.Windows)
	}
	outputs := numentaOutputs(t, dir, c)
	for _, p := range c.Profiles {
		t.Run(p.Name, func(t *testing.T) {
			got, err := Evaluate(outputs, p)
			if err != nil {
				t.Fatal(err)
			}
			w := want.Detectors["numenta"][p.Name]
			if got.Threshold != w.Threshold {
				t.Errorf("threshold = %v, want %v", got.Threshold, w.Threshold)
			}
			if round2(got.Raw) != round2(w.Raw) {
				t.Errorf("raw score = %.6f, want %.6f", got.Raw, w.Raw)
			}
			if round2(got.Normalized) != round2(w.Normalized) {
				t.Errorf("normalized score = %.6f, want %.6f", got.Normalized, w.Normalized)
			}
			if wc := (Counts{w.TP, w.FP, w.FN, w.TN}); got.Counts != wc {
				t.Errorf("counts = %+v, want %+v", got.Counts, wc)
			}
			var perFile map[string]perFileScore
			if err := json.Unmarshal(want.PerFile[p.Name], &perFile); err != nil {
				t.Fatal(err)
			}
			if len(perFile) != len(got.Files) {
				t.Errorf("%d per-file scores, want %d", len(got.Files), len(perFile))
			}
			for _, fs := range got.Files {
				wf, ok := perFile[fs.Name]
				if !ok {
					t.Errorf("%s: no published per-file score", fs.Name)
					continue
				}
				if round2(fs.Raw) != round2(wf.Raw) {
					t.Errorf("%s: raw score = %.6f, want %.6f", fs.Name, fs.Raw, wf.Raw)
				}
				if wc := (Counts{wf.TP, wf.FP, wf.FN, wf.TN}); fs.Counts != wc {
					t.Errorf("%s: counts = %+v, want %+v", fs.Name, fs.Counts, wc)
				}
			}
		})
	}
}

// TestReproduceRowScores compares the per-row weighted scores with NAB's
// S(t)_<profile> columns of the numenta results: NAB writes a detection's
// weighted score there and 0 for every other row.
func TestReproduceRowScores(t *testing.T) {
	dir := testenv.Datasets(t, "nab")
	c, err := LoadCorpus(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	want := loadSubsetScores(t, dir)
	outputs := numentaOutputs(t, dir, c)
	for _, p := range c.Profiles {
		thr := want.Detectors["numenta"][p.Name].Threshold
		// The columns were written at NAB's threshold of the full corpus,
		// which the subset does not share; compare the rows both detect.
		compared := 0
		for _, o := range outputs {
			rows, _, err := sweepRows(o, p, 0)
			if err != nil {
				t.Fatal(err)
			}
			col := readColumn(t, filepath.Join(dir, "results", "numenta", path.Dir(o.Name), "numenta_"+path.Base(o.Name)), "S(t)_"+p.Name)
			bad := 0
			for i, r := range rows {
				if col[i] == 0 || r.score < thr {
					continue
				}
				compared++
				if math.Abs(r.weighted-col[i]) > 1e-9 {
					if bad < 3 {
						t.Errorf("%s %s row %d: weighted score = %v, NAB wrote %v", p.Name, o.Name, i, r.weighted, col[i])
					}
					bad++
				}
			}
		}
		if compared < 50 {
			t.Errorf("%s: only %d rows compared", p.Name, compared)
		}
		t.Logf("%s: %d detected rows match NAB's S(t) column", p.Name, compared)
	}
}

func readColumn(t *testing.T, p, name string) []float64 {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	ci := -1
	for i, h := range recs[0] {
		if h == name {
			ci = i
		}
	}
	if ci < 0 {
		t.Fatalf("%s: no column %s", p, name)
	}
	out := make([]float64, 0, len(recs)-1)
	for _, r := range recs[1:] {
		v, err := strconv.ParseFloat(r[ci], 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}
