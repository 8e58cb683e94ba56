package engine

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/advisor"
	"github.com/cloudsage/cloudsage/internal/learn"
	"github.com/cloudsage/cloudsage/internal/risk"
	"github.com/cloudsage/cloudsage/internal/series"
)

// Report is the engine's whole answer at one time: what `analyze --json`
// prints and what the server's forecast API returns. The JSON names are
// the ones issue 3 lists; keep them.
type Report struct {
	At           time.Time        `json:"at"` // the time evaluated at
	Events       int64            `json:"events"`
	Formats      map[string]int64 `json:"formats"`
	Span         Span             `json:"span"`
	Dropped      Dropped          `json:"dropped"`
	Risk         Risk             `json:"risk"`
	Patterns     []Pattern        `json:"patterns"`
	PatternTotal int              `json:"pattern_total"` // patterns mined so far
	NewPatterns  int              `json:"new_patterns"`  // of them, new within the last hour
	Forecast     Forecast         `json:"forecast"`
	Lookahead    *Lookahead       `json:"lookahead,omitempty"` // the preventive chain's 7-day view
	Chain        advisor.Chain    `json:"chain"`
	Actions      []advisor.Action `json:"actions"`
	// Signature is what moves now (patterns, factors, services): what an
	// incident keeps, and what past incidents are matched on.
	Signature learn.Signature `json:"signature"`
	// Similar are the past incidents most like the present trouble (none
	// while the score is low).
	Similar []learn.Match `json:"similar_incidents,omitempty"`
}

// Lookahead is the 7-day outlook the preventive chain (rising and above 50)
// works from.
type Lookahead struct {
	Hours     int       `json:"hours"`
	PHigh     float64   `json:"p_high"`
	PeakScore float64   `json:"peak_score"`
	PeakTime  time.Time `json:"peak_time"`
}

// Span is the time range of the events seen.
type Span struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Dropped counts events whose timestamps the series could not place, and
// events that had no timestamp of their own (they take the previous line's,
// or the default time).
type Dropped struct {
	TooOld      uint64 `json:"too_old"`
	TooNew      uint64 `json:"too_new"`
	TimeGuessed int64  `json:"time_guessed"`
}

// Risk is the score at the report's time.
type Risk struct {
	Score   float64       `json:"score"`
	Label   string        `json:"label"`
	Trend   float64       `json:"trend"` // score change per hour over the last hours (> 0 rising)
	Factors []risk.Factor `json:"factors"`
	Top     []string      `json:"top"`
	// MeasuredWeight is the weight of the factors these logs measure; the
	// score is scaled over it (Scale says so when it is below the total).
	MeasuredWeight float64      `json:"measured_weight"`
	Scale          string       `json:"scale,omitempty"`
	Floor          string       `json:"floor,omitempty"` // why the score was raised to high (the outage rule)
	Window         string       `json:"window"`          // the recent window scored, e.g. "15m0s"
	Baseline       string       `json:"baseline"`        // where the baseline came from
	History        []ScorePoint `json:"history"`         // the score at earlier hours, oldest first, for the trend
	// RollingAverage is the project's baseline score: the mean of its last
	// 30 scores (the PRD's rolling average) over RollingN scores; a score
	// far above it is unusual for this project.
	RollingAverage float64 `json:"rolling_average"`
	RollingN       int     `json:"rolling_n"`
}

// Factor returns the named factor (the zero Factor when absent).
func (r Risk) Factor(name string) risk.Factor {
	for _, f := range r.Factors {
		if f.Name == name {
			return f
		}
	}
	return risk.Factor{}
}

// ScorePoint is a score at a time.
type ScorePoint struct {
	Time  time.Time `json:"time"`
	Score float64   `json:"score"`
}

// Pattern is one log pattern in a report.
type Pattern struct {
	ID        cloudsage.PatternID `json:"id"`
	Template  string              `json:"template"`
	Count     int64               `json:"count"`
	Recent    int64               `json:"recent"` // in the recent window
	Before    int64               `json:"before"` // in the 24 h before it
	Errors    int64               `json:"errors"`
	Warns     int64               `json:"warns"`
	Levels    map[string]int64    `json:"levels"`
	FirstSeen time.Time           `json:"first_seen"`
	LastSeen  time.Time           `json:"last_seen"`
	New       bool                `json:"new"`   // first seen within the last hour, with history before it
	Trend     string              `json:"trend"` // new, surging, rising, steady, falling, stopped, quiet
	Surge     float64             `json:"surge"` // recent rate / rate in the 24 h before (capped at 100)
	Samples   []string            `json:"samples"`
	Fields    map[string]string   `json:"fields,omitempty"`
	Formats   map[string]uint64   `json:"formats,omitempty"`
	Hosts     map[string]int64    `json:"hosts,omitempty"` // events per host (the first few hosts; "other" for the rest)
	// Expected: a person marked the pattern as expected; its errors count
	// in neither the risk factors nor the advisor's signals.
	Expected  bool `json:"expected,omitempty"`
	relevance float64
}

// Report evaluates the project at at (for `analyze`, the time of the last
// event; for the server, now) with a forecast horizonHours ahead (24, 48
// or 72; other values are clamped to 1..168).
func (e *Engine) Report(at time.Time, horizonHours int) Report {
	cfg := e.cfg
	expected := e.expected()
	cfg.Risk.Expected = slices.Sorted(maps.Keys(expected))
	horizonHours = min(max(horizonHours, 1), 168)
	r := Report{
		At:           at.UTC(),
		Events:       e.events,
		Formats:      e.Formats(),
		Span:         Span{From: e.series.First(), To: e.series.Last()},
		Dropped:      Dropped{TooOld: e.series.Stats().TooOld, TooNew: e.series.Stats().TooNew, TimeGuessed: e.guessed},
		PatternTotal: e.miner.Len(),
	}

	a := risk.Evaluate(e.series, at, cfg.Risk, e.anomalies(at))
	r.Risk = Risk{
		Score: a.Score, Label: a.Label, Factors: a.Factors, Top: a.Top,
		MeasuredWeight: a.MeasuredWeight, Scale: a.Scale(), Floor: a.Floor,
		Window: cfg.Risk.Window.String(), Baseline: a.Baseline,
	}
	r.Risk.History, r.Risk.Trend = e.trend(at, a.Score, cfg.Risk)
	scores := cfg.RecentScores
	if scores == nil {
		for _, p := range r.Risk.History[:max(0, len(r.Risk.History)-1)] {
			scores = append(scores, p.Score)
		}
	}
	r.Risk.RollingAverage, r.Risk.RollingN = learn.RollingAverage(scores)

	pats := e.patternStats(at, expected)
	for _, p := range pats {
		if p.New {
			r.NewPatterns++
		}
	}
	r.Patterns = pats[:min(len(pats), cfg.ReportPatterns)]
	if r.Patterns == nil {
		r.Patterns = []Pattern{}
	}

	r.Forecast = e.forecast(at, horizonHours, a)

	in := advisor.Input{
		At:              at,
		Score:           a.Score,
		Label:           a.Label,
		Trend:           r.Risk.Trend,
		PHigh:           r.Forecast.PHigh,
		PeakScore:       r.Forecast.PeakScore,
		HorizonHours:    horizonHours,
		RecentWindow:    cfg.Risk.Window,
		Preferences:     cfg.Preferences,
		HighThreshold:   cfg.Risk.High,
		MediumThreshold: cfg.Risk.Medium,
	}
	for _, f := range a.Factors {
		in.Factors = append(in.Factors, advisor.FactorState{
			Name: f.Name, Weight: f.Weight, Points: f.Points, Value: f.Value,
			Baseline: f.Baseline, Unit: f.Unit, Status: f.Status,
		})
	}
	r.Signature = signature(pats, a.Factors)
	if a.Label != risk.LabelLow {
		r.Similar = learn.Similar(r.Signature, cfg.Incidents, 3)
		for _, m := range r.Similar {
			in.Similar = append(in.Similar, advisor.PastIncident{ID: m.ID, OpenedAt: m.OpenedAt, Title: m.Title,
				RootCause: m.RootCause, Fix: m.Fix, Similarity: m.Similarity})
		}
	}
	in.Pinned, in.Muted = set(cfg.Overrides.Pinned), set(cfg.Overrides.Muted)
	for _, p := range advisorPatterns(pats, cfg.AdvisorPatterns) {
		in.Patterns = append(in.Patterns, advisor.PatternStat{
			ID: p.ID, Template: p.Template, Count: p.Count, Recent: p.Recent, Before: p.Before,
			Errors: p.Errors, Warns: p.Warns, FirstSeen: p.FirstSeen, LastSeen: p.LastSeen,
			New: p.New, Samples: p.Samples, Fields: keyFields(p.Template, p.Fields), Hosts: p.Hosts,
		})
	}
	// The preventive chain (rising, above 50, not yet high) looks seven days
	// ahead: give it that forecast's outlook.
	if a.Score > 50 && a.Score < cfg.Risk.High && r.Risk.Trend > 0 && horizonHours < 168 {
		week := r.Forecast
		if len(week.Points) < 168 {
			week = e.forecast(at, 168, a)
		}
		r.Lookahead = &Lookahead{Hours: 168, PHigh: week.PHigh, PeakScore: week.PeakScore, PeakTime: week.PeakTime}
		in.PHigh, in.PeakScore, in.HorizonHours = week.PHigh, week.PeakScore, 168
	}
	res := advisor.Advise(in, cfg.Clock)
	r.Chain, r.Actions = res.Chain, res.Actions
	if r.Actions == nil {
		r.Actions = []advisor.Action{}
	}
	return r
}

// trend scores the hours before at and returns those scores (oldest first,
// ending with the current one) and the least-squares slope in points per
// hour. Hours before history starts are skipped.
func (e *Engine) trend(at time.Time, now float64, rcfg risk.Config) ([]ScorePoint, float64) {
	const hours = 6
	first := e.series.First()
	var pts []ScorePoint
	for k := hours; k >= 1; k-- {
		t := at.Add(-time.Duration(k) * time.Hour)
		if t.Sub(first) < e.cfg.Risk.Window {
			continue
		}
		a := risk.Evaluate(e.series, t, rcfg, nil)
		pts = append(pts, ScorePoint{Time: t.UTC(), Score: a.Score})
	}
	pts = append(pts, ScorePoint{Time: at.UTC(), Score: now})
	if len(pts) < 3 {
		return pts, 0
	}
	var sx, sy, sxx, sxy float64
	for _, p := range pts {
		x := p.Time.Sub(at).Hours()
		sx += x
		sy += p.Score
		sxx += x * x
		sxy += x * p.Score
	}
	n := float64(len(pts))
	den := n*sxx - sx*sx
	if den == 0 {
		return pts, 0
	}
	return pts, math.Round((n*sxy-sx*sy)/den*100) / 100
}

// patternStats returns every tracked pattern's numbers at at, joined by the
// miner's canonical ids, most relevant first.
func (e *Engine) patternStats(at time.Time, expected map[cloudsage.PatternID]bool) []Pattern {
	win := e.cfg.Risk.Window
	to := at.Add(time.Second).Truncate(time.Second)
	recentFrom := to.Add(-win)
	beforeFrom := recentFrom.Add(-24 * time.Hour)
	first := e.series.First()
	hasHistory := first.Before(at.Add(-e.cfg.NewWithin))
	beforeSpan := recentFrom.Sub(beforeFrom)
	if first.After(beforeFrom) {
		beforeSpan = recentFrom.Sub(first)
	}
	byID := make(map[cloudsage.PatternID]*Pattern)
	var order []cloudsage.PatternID
	for _, sp := range e.series.Patterns() {
		if sp.First.After(at) {
			continue // evaluating the past: the pattern did not exist yet
		}
		id := e.miner.Canonical(sp.ID)
		p := byID[id]
		if p == nil {
			p = &Pattern{ID: id, Template: e.miner.Template(id), Levels: map[string]int64{}, Expected: expected[sp.ID]}
			byID[id] = p
			order = append(order, id)
		}
		merge(p, sp, recentFrom, to, beforeFrom)
	}
	// A keyed HTTP pattern is one route and one status of it; the route's
	// first 502 after many 500s is not a new failure, so keyed patterns are
	// new only when their route had no status of the same class before.
	classFirst := map[string]time.Time{}
	for _, id := range order {
		p := byID[id]
		if _, route, st, ok := splitKey(p.Template); ok {
			k := route + " " + st[:1]
			if f, seen := classFirst[k]; !seen || p.FirstSeen.Before(f) {
				classFirst[k] = p.FirstSeen
			}
		}
	}
	out := make([]Pattern, 0, len(order))
	for _, id := range order {
		p := byID[id]
		first := p.FirstSeen
		if _, route, st, ok := splitKey(p.Template); ok {
			first = classFirst[route+" "+st[:1]]
		}
		p.New = hasHistory && !first.Before(at.Add(-e.cfg.NewWithin))
		// expected recent count from the rate before
		expected := 0.0
		if beforeSpan > 0 {
			expected = float64(p.Before) * win.Minutes() / beforeSpan.Minutes()
		}
		p.Surge = math.Round(math.Min(100, (float64(p.Recent)+0.5)/(expected+0.5))*100) / 100
		switch {
		case p.New:
			p.Trend = "new"
		case p.Recent == 0 && p.Before == 0:
			p.Trend = "quiet"
		case p.Recent == 0 && expected >= 3:
			p.Trend = "stopped"
		case p.Surge >= 3 && p.Recent >= 5:
			p.Trend = "surging"
		case p.Surge >= 1.5 && p.Recent >= 3:
			p.Trend = "rising"
		case p.Surge <= 0.5:
			p.Trend = "falling"
		default:
			p.Trend = "steady"
		}
		if p.Samples == nil {
			p.Samples = []string{}
		}
		p.relevance = relevance(p)
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b Pattern) int {
		if c := cmp.Compare(b.relevance, a.relevance); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

func merge(p *Pattern, sp *series.Pattern, recentFrom, to, beforeFrom time.Time) {
	n, _ := sp.CountIn(recentFrom, to)
	b, _ := sp.CountIn(beforeFrom, recentFrom)
	p.Recent += int64(n)
	p.Before += int64(b)
	p.Count += int64(sp.Count)
	p.Errors += int64(sp.Errors())
	p.Warns += int64(sp.Warns())
	for lv, c := range sp.Levels {
		if c > 0 {
			p.Levels[cloudsage.Level(lv).String()] += int64(c)
		}
	}
	if p.FirstSeen.IsZero() || sp.First.Before(p.FirstSeen) {
		p.FirstSeen = sp.First
	}
	if sp.Last.After(p.LastSeen) {
		p.LastSeen = sp.Last
		// the most recently active member speaks for the joined pattern
		p.Samples = slices.Clone(sp.Samples)
		p.Fields = sp.Fields
	}
	for _, h := range sp.Hosts {
		if p.Hosts == nil {
			p.Hosts = map[string]int64{}
		}
		p.Hosts[h.Host] += int64(h.N)
	}
	if sp.OtherHosts > 0 {
		if p.Hosts == nil {
			p.Hosts = map[string]int64{}
		}
		p.Hosts[advisor.OtherHosts] += int64(sp.OtherHosts)
	}
	for k, v := range sp.Formats {
		if p.Formats == nil {
			p.Formats = map[string]uint64{}
		}
		p.Formats[k] += v
	}
}

// relevance ranks patterns for the report and the advisor: errors and warnings
// now, new ones and surging ones first; a big quiet pattern still shows.
func relevance(p *Pattern) float64 {
	cnt := float64(max(p.Count, 1))
	sev := 1 + 4*float64(p.Errors)/cnt + float64(p.Warns)/cnt
	if p.Expected {
		sev = 1 // its errors are no signal
	}
	act := math.Log1p(float64(p.Recent)) + 0.25*math.Log1p(float64(p.Before)/96)
	surge := math.Sqrt(math.Min(math.Max(p.Surge, 0.5), 25))
	nw := 1.0
	if p.New {
		nw = 1.5
		if p.Errors > 0 {
			nw = 2.5
		}
	}
	return sev*act*surge*nw + 0.05*math.Log1p(cnt)
}

// advisorPatterns are the n most relevant patterns plus every other one
// with errors or warnings active in the recent window or the 24 h before
// it (up to 4n in all): the
// advisor sums the patterns it matches (all 5xx patterns of one route), so
// leaving some out would make its numbers wrong.
func advisorPatterns(pats []Pattern, n int) []Pattern {
	pats = slices.DeleteFunc(slices.Clone(pats), func(p Pattern) bool { return p.Expected })
	out := pats[:min(len(pats), n)]
	for _, p := range pats[len(out):] {
		if len(out) >= 4*n {
			break
		}
		if (p.Recent > 0 || p.Before > 0) && (p.Errors > 0 || p.Warns > 0) {
			out = append(out, p)
		}
	}
	return out
}

// keyFields gives a keyed HTTP pattern ("GET /v1/items/<*> 502") its own
// method, route and status as fields, instead of those of its latest sample
// (one item's path).
func keyFields(tmpl string, f map[string]string) map[string]string {
	method, route, status, ok := splitKey(tmpl)
	if !ok {
		return f
	}
	out := make(map[string]string, len(f)+3)
	maps.Copy(out, f)
	for _, k := range routeFields {
		delete(out, k)
	}
	out["method"] = method
	out["route"] = strings.ReplaceAll(route, routeIDToken, ":id")
	if status[1] != 'x' {
		out["status"] = status
	} else {
		delete(out, "status")
	}
	return out
}

// expected maps the series ids of the patterns marked expected (by their
// canonical ids, as reports show them) to true; nil when none is.
func (e *Engine) expected() map[cloudsage.PatternID]bool {
	ids := e.cfg.Overrides.Expected
	if len(ids) == 0 {
		return nil
	}
	want := set(ids)
	out := map[cloudsage.PatternID]bool{}
	for _, sp := range e.series.Patterns() {
		if want[string(sp.ID)] || want[string(e.miner.Canonical(sp.ID))] {
			out[sp.ID] = true
		}
	}
	return out
}

func set(keys []string) map[string]bool {
	if len(keys) == 0 {
		return nil
	}
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// maxSignaturePatterns caps the patterns a signature names.
const maxSignaturePatterns = 10

// signature is what moves at the report's time: the most relevant patterns
// with errors or warnings that are new, surging or rising (expected ones
// left out), the factors above normal, and the services and hosts those
// patterns come from.
func signature(pats []Pattern, fs []risk.Factor) learn.Signature {
	var sig learn.Signature
	svc := map[string]bool{}
	for _, p := range pats {
		if len(sig.Patterns) >= maxSignaturePatterns {
			break
		}
		if p.Expected || p.Errors+p.Warns == 0 || (p.Trend != "new" && p.Trend != "surging" && p.Trend != "rising") {
			continue
		}
		sig.Patterns = append(sig.Patterns, string(p.ID))
		sig.Templates = append(sig.Templates, p.Template)
		if s := p.Fields["service"]; s != "" {
			svc[s] = true
		}
		for h := range p.Hosts {
			if h != advisor.OtherHosts {
				svc[h] = true
			}
		}
	}
	for _, f := range fs {
		if f.Status != risk.StatusNormal {
			sig.Factors = append(sig.Factors, f.Name)
		}
	}
	sig.Services = slices.Sorted(maps.Keys(svc))
	slices.Sort(sig.Factors)
	return sig.Union(learn.Signature{}) // patterns sorted with their templates
}
