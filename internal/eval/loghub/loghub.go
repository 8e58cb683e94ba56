// Package loghub evaluates the pattern miner on Loghub-2k style datasets:
// it loads each system's raw log and corrected ground truth, splits each
// line's header from its content with the system's published log_format
// (formats.json, the benchmark's own protocol), mines the contents with
// patterns.DefaultConfig() and scores grouping accuracy (GA) and parsing
// accuracy (PA).
//
// GA groups the ground truth by EventTemplate (Loghub-2.0 style), not by
// EventId: the corrected Linux file gives one template under several ids.
// A line counts as correct when the set of lines in its predicted group
// equals the set of lines in its true group.
//
// PA: a line counts as correct when its pattern's final template equals its
// ground-truth template after normalisation (see NormaliseTemplate).
//
// Nothing here is tuned per dataset: the format string only separates the
// header; formats.json's masking regexes and Drain thresholds are ignored.
package loghub

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/patterns"
)

// Format is one system's entry in formats.json; only LogFormat is used.
type Format struct {
	LogFormat string `json:"log_format"`
	LogFile   string `json:"log_file"`
}

// LogPath is where system name's log lies under dir: f.LogFile (relative
// to dir) when set, else dir/name/name_2k.log.
func (f Format) LogPath(dir, name string) string {
	if f.LogFile != "" {
		return filepath.Join(dir, f.LogFile)
	}
	return filepath.Join(dir, name, name+"_2k.log")
}

// Dataset is one system's lines: the content the miner sees and the
// ground-truth template of each line.
type Dataset struct {
	Name      string
	Contents  []string
	Templates []string
}

// LoadFormats reads dir/formats.json.
func LoadFormats(dir string) (map[string]Format, error) {
	b, err := os.ReadFile(filepath.Join(dir, "formats.json"))
	if err != nil {
		return nil, fmt.Errorf("read formats: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("parse formats.json: %w", err)
	}
	out := make(map[string]Format)
	for name, v := range raw {
		if strings.HasPrefix(name, "_") {
			continue
		}
		var f Format
		if err := json.Unmarshal(v, &f); err != nil {
			return nil, fmt.Errorf("parse formats.json %s: %w", name, err)
		}
		if f.LogFormat == "" {
			return nil, fmt.Errorf("formats.json %s: no log_format", name)
		}
		out[name] = f
	}
	return out, nil
}

var fieldRE = regexp.MustCompile(`<[^<>]+>`)

// FormatRegexp turns a Loghub log_format string into a regexp: each
// <Field> becomes the named group (?P<Field>.*?), literal text is kept as
// written (it is already regexp syntax: escaped brackets, optional
// groups), and each run of literal spaces matches \s+. The whole line
// must match.
func FormatRegexp(format string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	last := 0
	spaces := regexp.MustCompile(` +`)
	for _, loc := range fieldRE.FindAllStringIndex(format, -1) {
		b.WriteString(spaces.ReplaceAllString(format[last:loc[0]], `\s+`))
		name := format[loc[0]+1 : loc[1]-1]
		fmt.Fprintf(&b, "(?P<%s>.*?)", name)
		last = loc[1]
	}
	b.WriteString(spaces.ReplaceAllString(format[last:], `\s+`))
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("log format %q: %w", format, err)
	}
	if re.SubexpIndex("Content") < 0 {
		return nil, fmt.Errorf("log format %q: no <Content> field", format)
	}
	return re, nil
}

// Load reads system name from dir: dir/name/name_2k.log split with f, and
// the ground truth dir/name/name_2k.log_structured_corrected.csv.
func Load(dir, name string, f Format) (*Dataset, error) {
	re, err := FormatRegexp(f.LogFormat)
	if err != nil {
		return nil, err
	}
	lf, err := os.Open(f.LogPath(dir, name))
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	defer lf.Close()
	ci := re.SubexpIndex("Content")
	ds := &Dataset{Name: name}
	sc := bufio.NewScanner(lf)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		m := re.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("%s line %d does not match its log format", name, len(ds.Contents)+1)
		}
		ds.Contents = append(ds.Contents, m[ci])
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	truth, err := readTruth(filepath.Join(dir, name, name+"_2k.log_structured_corrected.csv"))
	if err != nil {
		return nil, err
	}
	if len(truth) != len(ds.Contents) {
		return nil, fmt.Errorf("%s: %d log lines but %d ground-truth rows", name, len(ds.Contents), len(truth))
	}
	ds.Templates = truth
	return ds, nil
}

func readTruth(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open ground truth: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read ground truth header: %w", err)
	}
	col := -1
	for i, h := range head {
		if strings.TrimPrefix(h, "\ufeff") == "EventTemplate" {
			col = i
		}
	}
	if col < 0 {
		return nil, errors.New("ground truth has no EventTemplate column")
	}
	var out []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read ground truth: %w", err)
		}
		if col >= len(rec) {
			return nil, fmt.Errorf("ground truth row %d: too few fields", len(out)+1)
		}
		out = append(out, rec[col])
	}
	return out, nil
}

// Systems lists the systems of dir: the formats.json entries whose
// folder holds a corrected ground truth, sorted.
func Systems(dir string, formats map[string]Format) []string {
	var out []string
	for name := range formats {
		if _, err := os.Stat(filepath.Join(dir, name, name+"_2k.log_structured_corrected.csv")); err == nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// Result is the score of one dataset.
type Result struct {
	Name      string  `json:"-"`
	Lines     int     `json:"lines"`
	Truth     int     `json:"truth_templates"`
	Predicted int     `json:"patterns"`
	GA        float64 `json:"ga"`
	PA        float64 `json:"pa"`
}

// Evaluate mines ds's contents with a fresh miner of cfg and scores it.
func Evaluate(ds *Dataset, cfg patterns.Config) Result {
	m := patterns.New(cfg)
	ids := make([]cloudsage.PatternID, len(ds.Contents))
	for i, c := range ds.Contents {
		ids[i] = m.Add(c).ID
	}
	pred := make([]string, len(ids))
	tmpl := make([]string, len(ids))
	for i, id := range ids {
		pred[i] = string(m.Canonical(id))
		tmpl[i] = m.Template(id)
	}
	return Result{
		Name:      ds.Name,
		Lines:     len(ds.Contents),
		Truth:     distinct(ds.Templates),
		Predicted: distinct(pred),
		GA:        GroupingAccuracy(pred, ds.Templates),
		PA:        ParsingAccuracy(tmpl, ds.Templates),
	}
}

func distinct(xs []string) int {
	s := make(map[string]struct{}, len(xs))
	for _, x := range xs {
		s[x] = struct{}{}
	}
	return len(s)
}

// GroupingAccuracy is Loghub's GA: the share of lines whose predicted
// group (lines with the same pred value) holds exactly the lines of their
// true group (lines with the same truth value).
func GroupingAccuracy(pred, truth []string) float64 {
	if len(pred) == 0 || len(pred) != len(truth) {
		return 0
	}
	truthSize := make(map[string]int)
	for _, t := range truth {
		truthSize[t]++
	}
	type group struct {
		size  int
		truth string
		mixed bool
	}
	groups := make(map[string]*group)
	for i, p := range pred {
		g, ok := groups[p]
		if !ok {
			g = &group{truth: truth[i]}
			groups[p] = g
		}
		g.size++
		if truth[i] != g.truth {
			g.mixed = true
		}
	}
	correct := 0
	for _, g := range groups {
		if !g.mixed && truthSize[g.truth] == g.size {
			correct += g.size
		}
	}
	return float64(correct) / float64(len(pred))
}

// ParsingAccuracy is the share of lines whose predicted template equals
// the true one after NormaliseTemplate.
func ParsingAccuracy(pred, truth []string) float64 {
	if len(pred) == 0 || len(pred) != len(truth) {
		return 0
	}
	memo := make(map[string]string)
	norm := func(s string) string {
		if v, ok := memo[s]; ok {
			return v
		}
		v := NormaliseTemplate(s)
		memo[s] = v
		return v
	}
	correct := 0
	for i := range pred {
		if norm(pred[i]) == norm(truth[i]) {
			correct++
		}
	}
	return float64(correct) / float64(len(pred))
}

var (
	spaceRun = regexp.MustCompile(`\s+`)
	wildRun  = regexp.MustCompile(`<\*>(?:[^A-Za-z0-9<]*<\*>)+`)
)

// NormaliseTemplate puts a template in the form PA compares: white space
// runs become one space, the ends are trimmed, and a run of <*>
// placeholders separated only by white space or punctuation becomes one
// <*> ("<*> <*>", "<*>:<*>", "<*>.<*>" -> "<*>"), since one variable value
// (a date, an address with its port) may be written as one placeholder or
// several.
func NormaliseTemplate(s string) string {
	s = strings.TrimSpace(spaceRun.ReplaceAllString(s, " "))
	return wildRun.ReplaceAllString(s, "<*>")
}

// Report is the evaluation of every system of a folder.
type Report struct {
	Datasets map[string]Result `json:"datasets"`
	MeanGA   float64           `json:"mean_ga"`
	MeanPA   float64           `json:"mean_pa"`
	// Order lists the systems in the order they were evaluated (sorted).
	Order []string `json:"-"`
}

// LoadDir loads every system of dir (see Systems), in sorted order.
func LoadDir(dir string) ([]*Dataset, error) {
	formats, err := LoadFormats(dir)
	if err != nil {
		return nil, err
	}
	systems := Systems(dir, formats)
	if len(systems) == 0 {
		return nil, fmt.Errorf("no Loghub systems with a corrected ground truth in %s", dir)
	}
	out := make([]*Dataset, 0, len(systems))
	for _, name := range systems {
		ds, err := Load(dir, name, formats[name])
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", name, err)
		}
		out = append(out, ds)
	}
	return out, nil
}

// EvaluateDir evaluates every system of dir (see Systems) with cfg.
func EvaluateDir(dir string, cfg patterns.Config) (*Report, error) {
	sets, err := LoadDir(dir)
	if err != nil {
		return nil, err
	}
	return EvaluateAll(sets, cfg), nil
}

// EvaluateAll evaluates every dataset with cfg.
func EvaluateAll(sets []*Dataset, cfg patterns.Config) *Report {
	rep := &Report{Datasets: make(map[string]Result)}
	for _, ds := range sets {
		r := Evaluate(ds, cfg)
		rep.Order = append(rep.Order, ds.Name)
		rep.Datasets[ds.Name] = r
		rep.MeanGA += r.GA
		rep.MeanPA += r.PA
	}
	if len(sets) > 0 {
		rep.MeanGA /= float64(len(sets))
		rep.MeanPA /= float64(len(sets))
	}
	return rep
}
