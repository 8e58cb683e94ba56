package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage/internal/advisor"
	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/learn"
	"github.com/cloudsage/cloudsage/internal/risk"
	"github.com/cloudsage/cloudsage/internal/series"
	"github.com/cloudsage/cloudsage/internal/settings"
)

const analyzeUsage = "[--json] [--horizon 24h|48h|72h] [--state FILE] FILE...   (FILE '-' reads stdin; .gz is read transparently)"

// maxLine is the longest line analyze reads whole; the rest of a longer line
// is skipped (the parser caps messages far below this anyway).
const maxLine = 1 << 20

func runAnalyze(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlagSet("analyze", analyzeUsage, stdio)
	asJSON := fs.Bool("json", false, "print one JSON object instead of the report")
	horizon := fs.String("horizon", "24h", "forecast horizon: 24h, 48h or 72h")
	statePath := fs.String("state", "", "a learned state (GET /api/projects/:id/learning/state): feedback, overrides and past incidents to apply; read only")
	// Flags may come after the files too: parse, take a file, parse again.
	var files []string
	rest := args
	for {
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		files = append(files, rest[0])
		rest = rest[1:]
	}
	hours, err := parseHorizon(*horizon)
	if err != nil {
		return usageError{err.Error()}
	}
	if len(files) == 0 {
		return usageError{"no input: name one or more log files, or - for stdin"}
	}
	// Check every file before reading any, so a typo fails fast.
	for _, f := range files {
		if f == "-" {
			continue
		}
		st, err := os.Stat(f)
		if err != nil {
			return fmt.Errorf("open %s: %w", f, errors.Unwrap(err))
		}
		if st.IsDir() {
			return fmt.Errorf("open %s: is a directory", f)
		}
	}

	// a file has no project: the default settings configure the engine, as
	// they do a new project's
	cfg, err := settings.Default().EngineConfig()
	if err != nil {
		return err
	}
	if *statePath != "" {
		if err := applyState(&cfg, *statePath); err != nil {
			return err
		}
	}
	e := engine.New(cfg)
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := feedFile(ctx, e, f, stdio.In); err != nil {
			return err
		}
	}
	if e.Events() == 0 {
		return fmt.Errorf("no log events in %s", strings.Join(files, ", "))
	}
	rep := e.Report(e.LastEventTime(), hours)
	if *asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return writeReport(stdio.Out, rep, files, colorFor(stdio.Out))
}

func parseHorizon(s string) (int, error) {
	switch strings.TrimSpace(strings.ToLower(s)) {
	case "24h", "24", "1d":
		return 24, nil
	case "48h", "48", "2d":
		return 48, nil
	case "72h", "72", "3d":
		return 72, nil
	}
	return 0, fmt.Errorf("bad --horizon %q: want 24h, 48h or 72h", s)
}

// feedFile streams one input into the engine, line by line.
func feedFile(ctx context.Context, e *engine.Engine, name string, stdin io.Reader) error {
	var r io.Reader
	// Lines before the first timestamp (or in a log without any) are placed
	// at the file's modification time, or now for stdin.
	def := time.Now()
	if name == "-" {
		r = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("open %s: %w", name, errors.Unwrap(err))
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			def = st.ModTime()
		}
		r = f
	}
	e.SetDefaultTime(def)
	br := bufio.NewReaderSize(r, 256<<10)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 256<<10)
	}
	n := 0
	err := eachLine(br, func(line []byte) bool {
		if n == 0 {
			line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf")) // a UTF-8 byte-order mark
		}
		e.AddLine(string(line))
		n++
		return n&0xffff != 0 || ctx.Err() == nil
	})
	e.Flush()
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return ctx.Err()
}

// eachLine calls fn with every non-empty line of r (without the line
// ending) until fn returns false. A line longer than maxLine is cut there and
// the rest of it skipped.
func eachLine(r *bufio.Reader, fn func([]byte) bool) error {
	var long []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if len(long) < maxLine {
				long = append(long, chunk[:min(len(chunk), maxLine-len(long))]...)
			}
			continue
		}
		line := chunk
		if long != nil {
			if len(long) < maxLine {
				long = append(long, chunk[:min(len(chunk), maxLine-len(long))]...)
			}
			line, long = long, nil
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) > 0 && !fn(line) {
			return nil
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// colorFor reports whether w is a terminal that wants colour.
func colorFor(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// palette holds the escape codes of the report; all empty without colour.
type palette struct{ bold, dim, red, yellow, green, cyan, reset string }

func newPalette(color bool) palette {
	if !color {
		return palette{}
	}
	return palette{bold: "\x1b[1m", dim: "\x1b[2m", red: "\x1b[31m", yellow: "\x1b[33m", green: "\x1b[32m", cyan: "\x1b[36m", reset: "\x1b[0m"}
}

func (p palette) label(l string) string {
	switch l {
	case "high", "critical":
		return p.red + p.bold + strings.ToUpper(l) + p.reset
	case "medium", "elevated", "preventive":
		return p.yellow + p.bold + strings.ToUpper(l) + p.reset
	}
	return p.green + p.bold + strings.ToUpper(l) + p.reset
}

func (p palette) status(s string) string {
	switch s {
	case "high":
		return p.red + s + p.reset
	case "elevated":
		return p.yellow + s + p.reset
	}
	return p.dim + s + p.reset
}

// writeReport prints the report for a person: aligned columns, colour only on
// a terminal.
func writeReport(w io.Writer, r engine.Report, files []string, color bool) error {
	p := newPalette(color)
	bw := bufio.NewWriter(w)
	pf := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	section := func(title, rest string) { pf("\n%s%s%s  %s\n", p.bold, title, p.reset, rest) }

	src := strings.Join(files, ", ")
	if len(files) > 3 {
		src = fmt.Sprintf("%d files", len(files))
	}
	pf("%sCloudSage analysis%s of %s\n", p.bold, p.reset, src)
	pf("  events   %s  (%s to %s UTC, %s)\n", commas(r.Events), stamp(r.Span.From), stamp(r.Span.To), span(r.Span.To.Sub(r.Span.From)))
	var fm []string
	for _, k := range sortedByCount(r.Formats) {
		fm = append(fm, fmt.Sprintf("%s %s", k, commas(r.Formats[k])))
	}
	pf("  formats  %s\n", strings.Join(fm, " · "))
	if d := r.Dropped.TooOld + r.Dropped.TooNew; d > 0 {
		// analyze's engine keeps the series' default history (engine.DefaultConfig leaves Series zero)
		sc := series.DefaultConfig()
		pf("  %sskipped  %s events out of time order: %d older than the %d days of hourly history kept, %d over %d days ahead of the events before (or before 1990 / after 2200)%s\n",
			p.yellow, commas(int64(d)), r.Dropped.TooOld, sc.Hours/24, r.Dropped.TooNew, int(sc.MaxJump/(24*time.Hour)), p.reset)
	}
	if g := r.Dropped.TimeGuessed; g > 0 {
		note := "they took the time of the line before"
		if g == r.Events {
			note = "none has one, so all are placed at the file's modification time (stdin: now) and volume, trend and forecast mean little"
		}
		pf("  %sno time  %s events had no timestamp of their own; %s%s\n", p.yellow, commas(g), note, p.reset)
	}

	trend := "steady"
	switch {
	case r.Risk.Trend > 0.5:
		trend = fmt.Sprintf("rising %+.1f/h", r.Risk.Trend)
	case r.Risk.Trend < -0.5:
		trend = fmt.Sprintf("falling %+.1f/h", r.Risk.Trend)
	}
	section("RISK", fmt.Sprintf("%s%.0f%s/100 %s   at %s UTC, last %s vs %s; %s",
		p.bold, r.Risk.Score, p.reset, p.label(r.Risk.Label), stamp(r.At), shortDur(r.Risk.Window), r.Risk.Baseline, trend))
	pf("  %-11s %6s %7s  %-14s %-14s %s\n", "factor", "weight", "points", "value", "baseline", "status")
	for _, f := range r.Risk.Factors {
		val, base := "-", "-"
		if f.Measured && !f.NoData {
			val = fmtValue(f.Value, f.Unit)
			if f.HasBaseline {
				base = fmtValue(f.Baseline, f.Unit)
			}
		}
		st := p.status(f.Status)
		switch {
		case !f.Measured:
			st = p.dim + "not measured" + p.reset
		case f.NoData:
			st += " (no data in the window)"
		}
		if f.Detail != "" {
			st += " (" + f.Detail + ")"
		}
		pf("  %-11s %6.0f %7.1f  %-14s %-14s %s\n", f.Name, f.Weight, f.Points, val, base, st)
	}
	pf("  top: %s\n", strings.Join(r.Risk.Top, ", "))
	if r.Risk.Scale != "" {
		pf("  %s%s%s\n", p.dim, r.Risk.Scale, p.reset)
	}
	if r.Risk.Floor != "" {
		pf("  %s%s%s\n", p.dim, r.Risk.Floor, p.reset)
	}

	section("PATTERNS", fmt.Sprintf("%d mined, %d new in the last hour; the %d most relevant:", r.PatternTotal, r.NewPatterns, len(r.Patterns)))
	pf("  %-9s %9s %7s %7s %-13s %-9s %-23s %s\n", "id", "count", "recent", "before", "levels", "trend", "first seen → last seen", "template")
	for _, pt := range r.Patterns {
		tr := pt.Trend
		switch tr {
		case "new":
			tr = p.cyan + pad(tr, 9) + p.reset
		case "surging", "rising":
			tr = p.yellow + pad(tr, 9) + p.reset
		default:
			tr = pad(tr, 9)
		}
		pf("  %-9s %9s %7s %7s %-13s %s %-23s %s\n", string(pt.ID), commas(pt.Count), commas(pt.Recent), commas(pt.Before),
			levelMix(pt), tr, shortStamp(pt.FirstSeen)+" → "+shortStamp(pt.LastSeen), clip(pt.Template, 90))
	}

	fc := r.Forecast
	section("FORECAST", fmt.Sprintf("next %d h: peak %.0f at %s UTC, P(high) %s%.0f%%%s, confidence %.2f",
		fc.HorizonHours, fc.PeakScore, shortStamp(fc.PeakTime), p.bold, 100*fc.PHigh, p.reset, fc.Confidence))
	pf("  %swhy: %s%s\n", p.dim, fc.Why, p.reset)
	step := 1
	if len(fc.Points) > 24 {
		step = 3
	}
	pf("  %-11s %5s %11s\n", "hour (UTC)", "score", "band")
	for i := 0; i < len(fc.Points); i += step {
		pt := fc.Points[i]
		pf("  %-11s %5.0f %5.0f–%-5.0f %s\n", pt.Time.UTC().Format("01-02 15:04"), pt.Score, pt.Low, pt.High, bar(pt.Score, pt.Low, pt.High, p))
	}
	if len(fc.Scenarios) > 0 {
		pf("  scenarios of the ongoing episode (score, band):\n")
	}
	for _, sc := range fc.Scenarios {
		var at []string
		for _, i := range []int{0, 5, len(sc.Points) - 1} {
			if i < len(sc.Points) && (len(at) == 0 || i > 0) {
				pt := sc.Points[i]
				at = append(at, fmt.Sprintf("%s %.0f (%.0f–%.0f)", pt.Time.UTC().Format("01-02 15:04"), pt.Score, pt.Low, pt.High))
			}
		}
		pf("  %-52s %s\n", sc.Title+":", strings.Join(at, " · "))
	}

	ch := r.Chain
	look := ""
	if ch.LookaheadHours > 0 {
		look = fmt.Sprintf(", looking %d h ahead", ch.LookaheadHours)
	}
	section("CHAIN", fmt.Sprintf("%s%s", p.label(ch.Name), look))
	for i, s := range ch.Steps {
		pf("  %d. %-18s %8.2f ms  %s\n", i+1, s.Name, s.DurationMS, s.Summary)
	}

	section("ACTIONS", "")
	for i, a := range r.Actions {
		pf("  %d. %s %s%s%s\n", i+1, p.label(a.Priority), p.bold, a.Title, p.reset)
		pf("     why: %s\n", a.Why)
		for _, st := range a.Steps {
			pf("     also: %s\n", st.Title)
		}
		var ev []string
		if len(a.Evidence.Patterns) > 0 {
			ids := make([]string, len(a.Evidence.Patterns))
			for j, id := range a.Evidence.Patterns {
				ids[j] = string(id)
			}
			ev = append(ev, "patterns "+strings.Join(ids, ", "))
		}
		for _, k := range slices.Sorted(maps.Keys(a.Evidence.Numbers)) {
			ev = append(ev, fmt.Sprintf("%s=%s", k, advisor.FormatNumber(a.Evidence.Numbers[k], advisor.NumberUnit(k, a.Evidence.Units))))
		}
		if len(ev) > 0 {
			pf("     %sevidence: %s%s\n", p.dim, strings.Join(ev, "; "), p.reset)
		}
		for _, s := range a.Evidence.Samples {
			pf("     %s> %s%s\n", p.dim, clip(s, 160), p.reset)
		}
	}
	return bw.Flush()
}

// fmtValue is risk.Format, but for lines/min, which the factor table
// prints without the word "lines" to keep its column narrow.
func fmtValue(v float64, unit string) string {
	if unit == "lines/min" {
		return fmt.Sprintf("%.1f/min", v)
	}
	return risk.Format(v, unit)
}

func levelMix(p engine.Pattern) string {
	if p.Count == 0 {
		return "-"
	}
	e := 100 * p.Errors / p.Count
	w := 100 * p.Warns / p.Count
	switch {
	case p.Errors > 0 && p.Warns > 0:
		return fmt.Sprintf("%d%%E %d%%W", e, w)
	case p.Errors > 0:
		return fmt.Sprintf("%d%% error", e)
	case p.Warns > 0:
		return fmt.Sprintf("%d%% warn", w)
	}
	for _, l := range []string{"info", "debug", "trace"} {
		if p.Levels[l] > 0 {
			return l
		}
	}
	return "-"
}

// bar draws a score 0..100 in 25 cells, the band as a lighter range.
func bar(score, low, high float64, p palette) string {
	cell := func(v float64) int { return int(clampF(v, 0, 100)/4 + 0.5) }
	s, lo, hi := cell(score), cell(low), cell(high)
	var b strings.Builder
	for i := 0; i < 25; i++ {
		switch {
		case i < s:
			b.WriteString("█")
		case i < hi && i >= lo:
			b.WriteString("░")
		default:
			b.WriteByte(' ')
		}
	}
	out := strings.TrimRight(b.String(), " ")
	switch {
	case score >= 70:
		return p.red + out + p.reset
	case score >= 40:
		return p.yellow + out + p.reset
	}
	return out
}

func clampF(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ⏎ ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

func shortStamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("01-02 15:04")
}

func span(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%.0f min", d.Minutes())
}

func shortDur(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	return span(d)
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + commas(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func sortedByCount(m map[string]int64) []string {
	keys := slices.Sorted(maps.Keys(m))
	sort.SliceStable(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	return keys
}

// applyState reads a learned state file into cfg: the ranking preferences
// its feedback teaches, its overrides and its past incidents. analyze
// records no feedback and keeps no incidents, so the file is only read.
func applyState(cfg *engine.Config, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open state %s: %w", path, errors.Unwrap(err))
	}
	defer f.Close()
	st, err := learn.ReadState(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r := cfg.Risk
	if err := r.SetHighLevels(st.Overrides.Thresholds); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	cfg.Preferences = learn.Preferences(learn.Estimates(st.Feedback, learn.Priors(advisor.DefaultKB())))
	cfg.Overrides, cfg.Incidents = st.Overrides, st.Incidents
	return nil
}
