package nab

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// File is one NAB data file with its anomaly windows.
type File struct {
	Name    string // "<category>/<file>.csv", as the label files key it
	Times   []time.Time
	Values  []float64
	Windows []Window
}

// Corpus is a NAB-style folder: data/<category>/*.csv, the windows of
// labels/combined_windows.json and the profiles of config/profiles.json.
type Corpus struct {
	Files    []File
	Profiles []Profile
}

// Rows returns the number of data rows in the corpus.
func (c *Corpus) Rows() int {
	n := 0
	for _, f := range c.Files {
		n += len(f.Times)
	}
	return n
}

// Windows returns the number of anomaly windows in the corpus.
func (c *Corpus) Windows() int {
	n := 0
	for _, f := range c.Files {
		n += len(f.Windows)
	}
	return n
}

// LoadCorpus reads a NAB-style folder from fsys: every data/<category>/*.csv
// file, the windows of labels/combined_windows.json for those files, and
// config/profiles.json when present (NAB's three profiles otherwise). A
// file the labels do not mention has no windows.
func LoadCorpus(fsys fs.FS) (*Corpus, error) {
	names, err := fs.Glob(fsys, "data/*/*.csv")
	if err != nil {
		return nil, fmt.Errorf("list data files: %w", err)
	}
	if len(names) == 0 {
		return nil, errors.New("no data/<category>/*.csv files")
	}
	slices.Sort(names)
	windows, err := readWindows(fsys, "labels/combined_windows.json")
	if err != nil {
		return nil, err
	}
	c := &Corpus{}
	if c.Profiles, err = readProfiles(fsys, "config/profiles.json"); err != nil {
		return nil, err
	}
	for _, name := range names {
		rel := strings.TrimPrefix(name, "data/")
		f, err := fsys.Open(name)
		if err != nil {
			return nil, err
		}
		tab, err := readTable(f, "value")
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		c.Files = append(c.Files, File{Name: rel, Times: tab.times, Values: tab.values, Windows: windows[rel]})
	}
	return c, nil
}

// ReadScores reads a NAB results file (results/<detector>/<category>/
// <detector>_<file>.csv): its timestamps and anomaly_score column.
func ReadScores(r io.Reader) ([]time.Time, []float64, error) {
	tab, err := readTable(r, "anomaly_score")
	if err != nil {
		return nil, nil, err
	}
	return tab.times, tab.values, nil
}

// ParseTime parses a NAB timestamp: "2006-01-02 15:04:05" with an optional
// fraction (the label files add ".000000"), read as UTC.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02 15:04:05.999999999", strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("parse timestamp %q: %w", s, err)
	}
	return t, nil
}

type table struct {
	times  []time.Time
	values []float64
}

// readTable reads a CSV with a header holding "timestamp" and column col.
func readTable(r io.Reader, col string) (table, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return table{}, fmt.Errorf("read header: %w", err)
	}
	ti, vi := -1, -1
	for i, h := range head {
		switch strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) {
		case "timestamp":
			ti = i
		case col:
			vi = i
		}
	}
	if ti < 0 || vi < 0 {
		return table{}, fmt.Errorf("header %q lacks timestamp or %s", strings.Join(head, ","), col)
	}
	var tab table
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return tab, nil
		}
		if err != nil {
			return table{}, fmt.Errorf("line %d: %w", line, err)
		}
		t, err := ParseTime(rec[ti])
		if err != nil {
			return table{}, fmt.Errorf("line %d: %w", line, err)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[vi]), 64)
		if err != nil {
			return table{}, fmt.Errorf("line %d: %s: %w", line, col, err)
		}
		tab.times = append(tab.times, t)
		tab.values = append(tab.values, v)
	}
}

func readWindows(fsys fs.FS, name string) (map[string][]Window, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read windows: %w", err)
	}
	var raw map[string][][]string
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make(map[string][]Window, len(raw))
	for file, ws := range raw {
		key := path.Clean(file)
		for _, w := range ws {
			if len(w) != 2 {
				return nil, fmt.Errorf("%s: %s: window with %d ends", name, file, len(w))
			}
			s, err := ParseTime(w[0])
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", name, file, err)
			}
			e, err := ParseTime(w[1])
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", name, file, err)
			}
			out[key] = append(out[key], Window{s, e})
		}
		slices.SortFunc(out[key], func(a, b Window) int { return a.Start.Compare(b.Start) })
	}
	return out, nil
}

func readProfiles(fsys fs.FS, name string) ([]Profile, error) {
	b, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return Profiles(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read profiles: %w", err)
	}
	var raw map[string]struct {
		CostMatrix struct {
			TP float64 `json:"tpWeight"`
			FP float64 `json:"fpWeight"`
			FN float64 `json:"fnWeight"`
		}
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var out []Profile
	for _, p := range Profiles() { // NAB's order first, then any others by name
		if r, ok := raw[p.Name]; ok {
			out = append(out, Profile{Name: p.Name, TP: r.CostMatrix.TP, FP: r.CostMatrix.FP, FN: r.CostMatrix.FN})
			delete(raw, p.Name)
		}
	}
	extra := make([]string, 0, len(raw))
	for n := range raw {
		extra = append(extra, n)
	}
	slices.Sort(extra)
	for _, n := range extra {
		r := raw[n]
		out = append(out, Profile{Name: n, TP: r.CostMatrix.TP, FP: r.CostMatrix.FP, FN: r.CostMatrix.FN})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no profiles", name)
	}
	return out, nil
}
