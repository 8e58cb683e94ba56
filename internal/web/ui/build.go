package ui

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/advisor"
	"github.com/cloudsage/cloudsage/internal/risk"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Horizons are the forecast horizons the project page offers, in hours.
var Horizons = []int{24, 48, 72}

// ProjectURL returns the path of a project's page, or of one of its tabs.
func ProjectURL(id cloudsage.ProjectID, tab ...string) string {
	u := "/projects/" + strconv.FormatInt(int64(id), 10)
	if len(tab) > 0 && tab[0] != "" {
		u += "/" + tab[0]
	}
	return u
}

// LogsURL returns the logs page of a project filtered by kv (name, value pairs;
// empty values are left out).
func LogsURL(id cloudsage.ProjectID, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Add(kv[i], kv[i+1])
		}
	}
	u := ProjectURL(id, "logs")
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	return u
}

// NewProjectPage builds a project's dashboard from its latest report (rep is
// nil when nothing was ingested yet), the users' feedback on actions, and its
// risk history. It does no analysis: everything was computed at ingest.
func NewProjectPage(p store.Project, rep *Report, statuses []store.ActionStatus, history []store.RiskPoint, now time.Time) ProjectPage {
	ref := &ProjectRef{ID: p.ID, Name: p.Name, Role: p.Role}
	pg := ProjectPage{
		Layout: Layout{Title: p.Name, Project: ref, Tab: "overview", Now: now,
			Live: ProjectURL(p.ID, "live")},
		Events:  p.Events,
		LogsURL: LogsURL(p.ID),
	}
	high := p.Settings.HighThreshold
	if high == 0 {
		high = store.DefaultSettings().HighThreshold
	}
	// Risk history is kept at the analysis time, the forecast starts there:
	// both are event time (the logs' own clock), so for old logs the 30
	// days end at their newest event, not at now.
	end := now
	if rep != nil && Stale(rep.At, now) {
		end = rep.At
	}
	pg.History = HistoryChart(history, end.Add(-30*24*time.Hour), end, high)
	updated := time.Time{}
	if p.LastIngestAt != nil {
		updated = *p.LastIngestAt
	}
	pg.Score = ScoreView{ProjectID: p.ID, Score: p.Score, Label: p.Label, Updated: updated, Now: now, LogsURL: LogsURL(p.ID)}
	if rep == nil {
		pg.Forecast = ForecastPanel{ProjectID: p.ID, Horizon: 24, Horizons: Horizons, High: high,
			Chart: Chart{Kind: "forecast", Empty: true}}
		return pg
	}
	pg.HasReport = true
	pg.Score.DataTo = rep.Span.To
	pg.Layout.DataTo = rep.Span.To
	if rep.Events > pg.Events {
		pg.Events = rep.Events
	}
	pg.Score.Score, pg.Score.Label, pg.Score.Trend = rep.Risk.Score, rep.Risk.Label, rep.Risk.Trend
	pg.Floor = rep.Risk.Floor
	if pg.Score.Updated.IsZero() {
		pg.Score.Updated = rep.At
	}
	windowFrom := ""
	if d, err := time.ParseDuration(rep.Risk.Window); err == nil && !rep.At.IsZero() {
		windowFrom = rep.At.Add(-d).UTC().Format(time.RFC3339)
	}
	pg.Score.LogsURL = LogsURL(p.ID, "from", windowFrom)
	top := map[string]bool{}
	for _, n := range rep.Risk.Top {
		top[n] = true
	}
	for _, f := range rep.Risk.Factors {
		pg.Factors = append(pg.Factors, factorView(p.ID, f, top[f.Name], windowFrom))
	}
	// The factors that drive the score first, then the rest in report order.
	slices.SortStableFunc(pg.Factors, func(a, b FactorView) int {
		if a.Top != b.Top {
			if a.Top {
				return -1
			}
			return 1
		}
		if a.Top {
			return cmp.Compare(b.Points, a.Points)
		}
		return 0
	})
	pg.Forecast = NewForecastPanel(p.ID, *rep, high)
	hidden := map[string]bool{}
	for _, s := range statuses {
		if s.Hidden(now) {
			hidden[s.ActionID] = true
		}
	}
	for _, a := range rep.Actions {
		if hidden[a.ID] {
			pg.Hidden++
			continue
		}
		pg.Actions = append(pg.Actions, actionView(p.ID, a, rep.Patterns, windowFrom))
	}
	for _, pt := range rep.Patterns[:min(len(rep.Patterns), 10)] {
		pg.Patterns = append(pg.Patterns, PatternView{
			ID: pt.ID, Template: pt.Template, Count: pt.Count, Recent: pt.Recent, Errors: pt.Errors,
			Trend: pt.Trend, New: pt.New, LastSeen: pt.LastSeen,
			URL:       LogsURL(p.ID, "pattern", string(pt.ID)),
			ErrorsURL: LogsURL(p.ID, "pattern", string(pt.ID), "level", "error"),
		})
	}
	return pg
}

var factorTitles = map[string]string{
	risk.ErrorRate: "Error rate", risk.LogVolume: "Log volume", risk.Latency: "Latency p95",
	risk.Memory: "Memory", risk.CPU: "CPU",
}

func factorView(id cloudsage.ProjectID, f ReportFactor, top bool, from string) FactorView {
	v := FactorView{
		Name: f.Name, Title: cmp.Or(factorTitles[f.Name], f.Name), Status: cmp.Or(f.Status, "normal"),
		Detail: f.Detail, Points: f.Points, Weight: f.Weight, Measured: f.Measured, Top: top,
		Summary: strings.Replace(f.Summary, ") - ", ") — ", 1),
	}
	if f.Measured {
		v.Value = risk.Format(f.Value, f.Unit)
		if f.HasBaseline {
			v.Baseline = risk.Format(f.Baseline, f.Unit)
		}
	}
	switch f.Name {
	case risk.ErrorRate:
		v.LogsURL = LogsURL(id, "level", "error", "from", from)
	default: // volume, latency, memory and CPU come from every line of the window
		v.LogsURL = LogsURL(id, "from", from)
	}
	return v
}

var stepNames = []string{"context_analysis", "pattern_matching", "risk_assessment", "action_generation"}

var chainTitles = map[string]string{
	"critical":   "critical — emergency response",
	"preventive": "preventive — seven-day look-ahead",
	"standard":   "standard — routine review",
}

// NewForecastPanel builds the forecast panel from a report.
func NewForecastPanel(id cloudsage.ProjectID, rep Report, high float64) ForecastPanel {
	fc := rep.Forecast
	fp := ForecastPanel{
		ProjectID: id, Horizon: cmp.Or(fc.HorizonHours, 24), Horizons: Horizons,
		PHigh: fc.PHigh, Confidence: fc.Confidence, PeakScore: fc.PeakScore, PeakTime: fc.PeakTime,
		Why: fc.Why, Chain: rep.Chain.Name, ChainTitle: cmp.Or(chainTitles[rep.Chain.Name], rep.Chain.Name),
		Lookahead: rep.Chain.LookaheadHours, High: high,
	}
	done := map[string]int{}
	for i, s := range rep.Chain.Steps {
		done[s.Name] = i
	}
	names := stepNames
	for _, s := range rep.Chain.Steps {
		if !slices.Contains(names, s.Name) {
			names = append(slices.Clip(names), s.Name)
		}
	}
	for i, n := range names {
		sv := StepView{N: i + 1, Name: humanize(n), Status: "pending"}
		if j, ok := done[n]; ok {
			s := rep.Chain.Steps[j]
			sv.Status, sv.Summary, sv.DurationMS = "done", s.Summary, s.DurationMS
		}
		fp.Steps = append(fp.Steps, sv)
	}
	fp.Chart = forecastChart(rep, high)
	return fp
}

func humanize(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

func forecastChart(rep Report, high float64) Chart {
	type scenario struct {
		Name string     `json:"name"`
		Mean []*float64 `json:"mean"`
		Low  []*float64 `json:"low"`
		High []*float64 `json:"high"`
	}
	type data struct {
		X         []int64    `json:"x"`
		Observed  []*float64 `json:"observed"`
		Mean      []*float64 `json:"mean"`
		Low       []*float64 `json:"low"`
		High      []*float64 `json:"high"`
		Threshold float64    `json:"threshold"`
		// an ongoing episode's scenarios, each with its own band, aligned
		// with x; the chart draws them instead of the mixed band
		Scenarios []scenario `json:"scenarios,omitempty"`
	}
	d := data{Threshold: high}
	f := func(v float64) *float64 { v = math.Round(v*10) / 10; return &v }
	for _, h := range rep.Risk.History {
		d.X = append(d.X, h.Time.Unix())
		d.Observed = append(d.Observed, f(h.Score))
		d.Mean, d.Low, d.High = append(d.Mean, nil), append(d.Low, nil), append(d.High, nil)
	}
	if n := len(d.Mean); n > 0 {
		// join the forecast to the last observed point
		d.Mean[n-1], d.Low[n-1], d.High[n-1] = d.Observed[n-1], d.Observed[n-1], d.Observed[n-1]
	}
	last := int64(math.MinInt64)
	if len(d.X) > 0 {
		last = d.X[len(d.X)-1]
	}
	c := Chart{Kind: "forecast"}
	for _, p := range rep.Forecast.Points {
		if p.Time.Unix() <= last {
			continue
		}
		d.X = append(d.X, p.Time.Unix())
		d.Observed = append(d.Observed, nil)
		d.Mean, d.Low, d.High = append(d.Mean, f(p.Score)), append(d.Low, f(p.Low)), append(d.High, f(p.High))
		c.Table = append(c.Table, ChartItem{At: p.Time, Value: fmt.Sprintf("%.0f (%.0f–%.0f)", p.Score, p.Low, p.High)})
	}
	// Scenarios: one series each, joined to the last observed point like
	// the forecast; the table gives each one's value beside the mix.
	for _, sc := range rep.Forecast.Scenarios {
		if len(sc.Points) == 0 {
			continue
		}
		at := map[int64]ReportPoint{}
		for _, p := range sc.Points {
			at[p.Time.Unix()] = p
		}
		v := scenario{Name: sc.Name}
		row := 0
		for i, x := range d.X {
			p, ok := at[x]
			switch {
			case ok && x > last:
				v.Mean, v.Low, v.High = append(v.Mean, f(p.Score)), append(v.Low, f(p.Low)), append(v.High, f(p.High))
				if row < len(c.Table) {
					c.Table[row].Value += fmt.Sprintf("; %s %.0f (%.0f–%.0f)", strings.ToLower(sc.Title[:1])+sc.Title[1:], p.Score, p.Low, p.High)
				}
				row++
			case x == last && d.Observed[i] != nil:
				v.Mean, v.Low, v.High = append(v.Mean, d.Observed[i]), append(v.Low, d.Observed[i]), append(v.High, d.Observed[i])
			default:
				v.Mean, v.Low, v.High = append(v.Mean, nil), append(v.Low, nil), append(v.High, nil)
			}
		}
		d.Scenarios = append(d.Scenarios, v)
		c.Scenarios = append(c.Scenarios, ScenarioLegend{Name: sc.Name, Title: sc.Title})
	}
	c.Empty = len(rep.Forecast.Points) == 0
	b, _ := json.Marshal(d)
	c.JSON = string(b)
	// the text alternative lists every sixth hour
	var table []ChartItem
	for i, it := range c.Table {
		if i%6 == 5 || i == len(c.Table)-1 {
			table = append(table, it)
		}
	}
	c.Table = table
	return c
}

// HistoryChart is the chart of risk scores between from and to.
func HistoryChart(points []store.RiskPoint, from, to time.Time, high float64) Chart {
	type data struct {
		X         []int64   `json:"x"`
		Score     []float64 `json:"score"`
		Threshold float64   `json:"threshold"`
		From      int64     `json:"from"`
		To        int64     `json:"to"`
	}
	d := data{Threshold: high, From: from.Unix(), To: to.Unix(), X: []int64{}, Score: []float64{}}
	pts := slices.Clone(points)
	slices.SortFunc(pts, func(a, b store.RiskPoint) int { return a.At.Compare(b.At) })
	if len(pts) > maxHistoryPoints {
		pts = hourlyMax(pts)
	}
	c := Chart{Kind: "history"}
	lastDay := ""
	for _, p := range pts {
		if p.At.Before(from) || p.At.After(to) {
			continue
		}
		d.X = append(d.X, p.At.Unix())
		d.Score = append(d.Score, math.Round(p.Score*10)/10)
		if day := p.At.UTC().Format("2006-01-02"); day != lastDay {
			lastDay = day
			c.Table = append(c.Table, ChartItem{At: p.At, Value: fmt.Sprintf("%.0f", p.Score)})
		} else {
			c.Table[len(c.Table)-1] = ChartItem{At: p.At, Value: fmt.Sprintf("%.0f", p.Score)}
		}
	}
	c.Empty = len(d.X) == 0
	b, _ := json.Marshal(d)
	c.JSON = string(b)
	return c
}

// maxHistoryPoints is how many risk points the history chart draws as
// they are; more are reduced to the highest score of each hour.
const maxHistoryPoints = 720

// hourlyMax keeps the highest score of each hour of sorted points.
func hourlyMax(pts []store.RiskPoint) []store.RiskPoint {
	var out []store.RiskPoint
	for _, p := range pts {
		h := p.At.Truncate(time.Hour)
		if n := len(out); n > 0 && out[n-1].At.Equal(h) {
			if p.Score > out[n-1].Score {
				out[n-1].Score, out[n-1].Label = p.Score, p.Label
			}
			continue
		}
		out = append(out, store.RiskPoint{At: h, Score: p.Score, Label: p.Label})
	}
	return out
}

func actionView(id cloudsage.ProjectID, a ReportAction, pats []ReportPattern, from string) ActionView {
	templates := map[cloudsage.PatternID]string{}
	for _, p := range pats {
		templates[p.ID] = p.Template
	}
	v := ActionView{
		ID: a.ID, Title: a.Title, Why: a.Why, Priority: cmp.Or(a.Priority, "medium"),
		Samples: a.Evidence.Samples[:min(len(a.Evidence.Samples), 3)],
		PostURL: ProjectURL(id, "actions/"+url.PathEscape(a.ID)),
	}
	for _, st := range a.Steps {
		v.Steps = append(v.Steps, st.Title)
	}
	first := ""
	for _, pid := range a.Evidence.Patterns {
		if first == "" {
			first = string(pid)
		}
		v.Patterns = append(v.Patterns, PatternLink{ID: pid, Template: templates[pid], URL: LogsURL(id, "pattern", string(pid))})
	}
	v.LogsURL = LogsURL(id, "pattern", first)
	if first == "" { // no pattern: the lines of the scored window
		v.LogsURL = LogsURL(id, "from", from)
	}
	names := make([]string, 0, len(a.Evidence.Numbers))
	for k := range a.Evidence.Numbers {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		v.Numbers = append(v.Numbers, NumberView{Name: humanize(k), Value: advisor.FormatNumber(a.Evidence.Numbers[k], advisor.NumberUnit(k, a.Evidence.Units)), URL: v.LogsURL})
	}
	return v
}

// thousands formats n with thin separators: 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// NewProjectCard builds a project's card from its last week of risk history.
func NewProjectCard(p store.Project, week []store.RiskPoint, now time.Time) ProjectCard {
	c := ProjectCard{ID: p.ID, Name: p.Name, Score: p.Score, Label: p.Label, Events: p.Events}
	if p.LastIngestAt != nil {
		c.Updated = *p.LastIngestAt
	}
	c.Spark = NewSparkline(week, now.Add(-7*24*time.Hour), now)
	return c
}

// NewSparkline draws scores (0..100) between from and to in a 120x32 box.
func NewSparkline(points []store.RiskPoint, from, to time.Time) Sparkline {
	const w, h = 120.0, 32.0
	pts := slices.Clone(points)
	slices.SortFunc(pts, func(a, b store.RiskPoint) int { return a.At.Compare(b.At) })
	var b strings.Builder
	s := Sparkline{Min: math.Inf(1), Max: math.Inf(-1)}
	span := to.Sub(from).Seconds()
	n := 0
	firstX, lastX := 0.0, 0.0
	for _, p := range pts {
		if p.At.Before(from) || p.At.After(to) || span <= 0 {
			continue
		}
		x := math.Round(p.At.Sub(from).Seconds()/span*w*10) / 10
		y := math.Round((h-1-math.Max(0, math.Min(100, p.Score))/100*(h-2))*10) / 10
		if n > 0 {
			b.WriteByte(' ')
		} else {
			firstX = x
		}
		lastX = x
		fmt.Fprintf(&b, "%g,%g", x, y)
		s.Min, s.Max = math.Min(s.Min, p.Score), math.Max(s.Max, p.Score)
		n++
	}
	if n == 0 {
		return Sparkline{Empty: true, Desc: "no risk history in the last 7 days"}
	}
	if n == 1 { // one point: a flat line across the box, no area
		y := strings.Split(b.String(), ",")[1]
		b.Reset()
		fmt.Fprintf(&b, "0,%s %g,%s", y, w, y)
		s.Points = b.String()
		s.Desc = fmt.Sprintf("risk over 7 days: one score, %.0f", s.Min)
		return s
	}
	s.Points = b.String()
	s.Area = fmt.Sprintf("%g,%g %s %g,%g", firstX, h, s.Points, lastX, h)
	s.Desc = fmt.Sprintf("risk over 7 days: %d points, from %.0f to %.0f", n, s.Min, s.Max)
	return s
}

// NewBatchView summarises an ingest batch.
func NewBatchView(b store.Batch) BatchView {
	v := BatchView{
		ID: b.ID, At: b.CreatedAt, Source: b.Source, Bytes: b.Bytes, Received: b.Received,
		Accepted: b.Accepted, Rejected: b.Rejected, NewPatterns: b.NewPatterns, Score: b.Score, Label: b.Label,
	}
	for k, n := range b.Formats {
		v.Formats = append(v.Formats, KV{Name: k, Count: int64(n)})
	}
	slices.SortFunc(v.Formats, func(a, b KV) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return v
}

// NewActivity merges the recent batches of several projects into one
// newest-first list of at most limit lines: ingests, score changes between
// consecutive batches, and new patterns.
func NewActivity(projects []store.Project, batches map[cloudsage.ProjectID][]store.Batch, limit int) []Activity {
	var out []Activity
	for _, p := range projects {
		ref := ProjectRef{ID: p.ID, Name: p.Name}
		bs := slices.Clone(batches[p.ID])
		slices.SortFunc(bs, func(a, b store.Batch) int { return a.CreatedAt.Compare(b.CreatedAt) })
		for i, b := range bs {
			out = append(out, Activity{At: b.CreatedAt, Project: ref, Kind: "ingest", URL: ProjectURL(p.ID, "ingest"),
				Text: fmt.Sprintf("ingested %s lines (%s rejected)", thousands(int64(b.Accepted)), thousands(int64(b.Rejected)))})
			if b.NewPatterns > 0 {
				out = append(out, Activity{At: b.CreatedAt, Project: ref, Kind: "pattern", URL: LogsURL(p.ID),
					Text: fmt.Sprintf("%d new log pattern%s", b.NewPatterns, plural(b.NewPatterns))})
			}
			if i > 0 {
				prev := bs[i-1]
				d := b.Score - prev.Score
				switch {
				case b.Label != prev.Label:
					out = append(out, Activity{At: b.CreatedAt, Project: ref, Kind: "score", Label: b.Label, URL: ProjectURL(p.ID),
						Text: fmt.Sprintf("risk %s from %s to %s (score %.0f)", dir(d), prev.Label, b.Label, b.Score)})
				case math.Abs(d) >= 5:
					out = append(out, Activity{At: b.CreatedAt, Project: ref, Kind: "score", Label: b.Label, URL: ProjectURL(p.ID),
						Text: fmt.Sprintf("risk score %s from %.0f to %.0f", dir(d)+"d", prev.Score, b.Score)})
				}
			} else if b.Label != "" {
				out = append(out, Activity{At: b.CreatedAt, Project: ref, Kind: "score", Label: b.Label, URL: ProjectURL(p.ID),
					Text: fmt.Sprintf("first risk score: %.0f", b.Score)})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Activity) int { return b.At.Compare(a.At) })
	return out[:min(len(out), limit)]
}

func dir(d float64) string {
	if d >= 0 {
		return "rose"
	}
	return "fell"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Highlight splits msg at every case-insensitive occurrence of the words of
// q, marking the matches.
func Highlight(msg, q string) []Part {
	words := strings.Fields(strings.ToLower(q))
	words = slices.DeleteFunc(words, func(w string) bool {
		return strings.HasPrefix(w, "-") || w == "and" || w == "or" || w == "not"
	})
	for i, w := range words {
		words[i] = strings.Trim(w, `"*()`)
	}
	words = slices.DeleteFunc(words, func(w string) bool { return w == "" })
	if len(words) == 0 {
		return []Part{{Text: msg}}
	}
	lower := strings.ToLower(msg)
	if len(lower) != len(msg) { // case folding changed byte lengths: no highlighting
		return []Part{{Text: msg}}
	}
	hit := make([]bool, len(msg))
	for _, w := range words {
		for i := 0; ; {
			j := strings.Index(lower[i:], w)
			if j < 0 {
				break
			}
			for k := i + j; k < i+j+len(w); k++ {
				hit[k] = true
			}
			i += j + len(w)
		}
	}
	var parts []Part
	start := 0
	for i := 1; i <= len(msg); i++ {
		if i == len(msg) || hit[i] != hit[start] {
			parts = append(parts, Part{Text: msg[start:i], Hit: hit[start]})
			start = i
		}
	}
	return parts
}

// NewLogLine builds one result line.
func NewLogLine(id cloudsage.ProjectID, e store.Event, q string) LogLine {
	msg := e.Message
	if msg == "" {
		msg = e.Raw
	}
	return LogLine{
		ID: e.ID, Time: e.Time, Level: e.Level.String(), Service: e.Service, Host: e.Host, Pattern: e.Pattern,
		PatternURL: LogsURL(id, "pattern", string(e.Pattern)), Parts: Highlight(msg, q),
	}
}

// CurlLine is the command that sends a log file to a project.
func CurlLine(base string, id cloudsage.ProjectID, token string) string {
	if token == "" {
		token = "$CLOUDSAGE_TOKEN"
	}
	return fmt.Sprintf("curl -sS -H 'Authorization: Bearer %s' -H 'Content-Type: text/plain' --data-binary @app.log %s/api/ingest/%d",
		token, strings.TrimRight(base, "/"), id)
}
