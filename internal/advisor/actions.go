package advisor

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
)

const (
	minActions      = 3
	maxActions      = 5
	maxGroups       = 3 // actions per entry split by group_by
	maxEvidencePats = 10
	maxSampleBytes  = 500
	secondaryFactor = 0.5 // an entry's second action ranks at half its first
	maxCritical     = 2
	maxParamViews   = 3 // parameters are read from the top matched patterns only
)

// builtinParams are computed for every candidate (see candidate.params).
var builtinParams = map[string]bool{
	"activity": true, "activity_long": true, "recent": true, "before": true, "count": true, "errors": true,
	"warns": true, "window": true, "span": true, "change": true, "kind": true, "phrase": true, "template": true,
	"share": true, "first_seen": true, "last_seen": true, "first_seen_or_window": true, "surge": true,
	"patterns": true, "value": true, "baseline": true, "ratio": true, "points": true,
	"weight": true, "factor_status": true, "score": true, "peak": true, "p_high": true, "horizon": true,
	"lookahead": true, "high": true, "trend": true, "hours_to_high": true, "peak_by": true, "events": true,
	"pattern_total": true, "since": true, "cause": true, "cause_name": true, "history": true, "short_history": true, "new_text": true, "new_errors_text": true, "factor_label": true, "factor_label_cap": true, "volume_share": true, "hosts": true,
}

var factorLabels = map[string]string{
	"error_rate": "the error rate", "log_volume": "the log volume", "latency": "latency", "memory": "memory use", "cpu": "CPU use",
}

// aggregate sums the matched patterns of a candidate.
type aggregate struct {
	recent, before, count, errors, warns int64
	surge                                float64
	fresh                                bool
	first, last                          time.Time
	newCount                             int
	newErrors                            int
}

// candidate is one matched signature (or one group of it) before ranking.
type candidate struct {
	entry    *Entry
	key      string
	group    string
	ms       []match
	factor   *FactorState
	ratio    float64
	agg      aggregate
	severity float64
	strength float64
	boost    float64
	pref     float64
	userNow  bool
	params   map[string]string
	phrases  []string
	extra    map[string]float64 // evidence numbers beyond the patterns and factor
	cause    *candidate         // a symptom's evidence-backed cause (see explainSymptoms)
	ceiling  float64            // when > 0, the score stays below this (its cause's)
}

func (c *candidate) score() float64 {
	s := c.severity * (0.2 + 0.8*c.strength) * c.boost * c.pref
	if c.ceiling > 0 && s > c.ceiling {
		s = c.ceiling
	}
	return s
}

// explainSymptoms links each symptom — a symptom entry (5xx on a route,
// latency up) or a candidate backed by a risk factor alone — to the causes
// the logs show: non-symptom candidates with pattern evidence, active in
// the recent window, changed (new, or at least twice the usual rate) and
// explaining what the symptom shows (a cache outage slows requests and
// fails them; an OOM kill does not explain high memory). The symptom then
// ranks like a secondary action of the weakest such cause (at most half its
// score, one priority lower: it points to the cause), because fixing the
// cause is the action; its text names the
// cause with the most lines in the window, which gains 0.1 strength per
// symptom it is named for. A symptom nothing explains keeps its rank.
func explainSymptoms(cands []*candidate) {
	type link struct {
		symptom, best *candidate
		all           []*candidate
	}
	var links []link
	for _, c := range cands {
		if !c.entry.Symptom && (len(c.ms) > 0 || c.factor == nil) {
			continue
		}
		// what the symptom shows: its factor, else the factors it feeds
		feeds := c.entry.Relates
		if c.factor != nil {
			feeds = []string{c.factor.Name}
		}
		l := link{symptom: c}
		for _, d := range cands {
			explains := d.entry.Explains
			if len(explains) == 0 {
				explains = d.entry.Relates
			}
			if d == c || d.entry.Symptom || len(d.ms) == 0 || d.agg.recent == 0 || !slices.ContainsFunc(explains, func(f string) bool { return slices.Contains(feeds, f) }) {
				continue
			}
			if !d.agg.fresh && d.agg.surge < 2 && d.agg.newErrors == 0 {
				continue
			}
			l.all = append(l.all, d)
			// the cause named is the one with the most lines behind it now
			if l.best == nil || d.agg.recent > l.best.agg.recent || d.agg.recent == l.best.agg.recent && d.score() > l.best.score() {
				l.best = d
			}
		}
		if l.best != nil {
			links = append(links, l)
		}
	}
	// A cause that accounts for more of what users feel ranks higher: +0.1
	// strength for each symptom it is named for.
	named := map[*candidate]int{}
	for _, l := range links {
		named[l.best]++
	}
	for d, n := range named {
		d.strength = clamp01(d.strength + 0.1*float64(n))
		if d.extra == nil {
			d.extra = map[string]float64{}
		}
		d.extra["explains_symptoms"] = float64(n)
	}
	for _, l := range links {
		c, best := l.symptom, l.best
		low := 0.0
		for _, d := range l.all {
			if sd := d.score(); low == 0 || sd < low {
				low = sd
			}
		}
		c.cause, c.ceiling = best, secondaryFactor*low
		name := best.entry.Name
		if best.group != "" {
			name += " on " + best.group
		}
		c.params["cause_name"] = name
		c.params["cause"] = name + " (" + best.params["activity"] + ")"
	}
}

// buildCandidates matches every entry against the patterns and factors.
func buildCandidates(kb *KnowledgeBase, e *env, chain string) []*candidate {
	matches := matchPatterns(kb, e)
	var out []*candidate
	for i, ent := range kb.Entries {
		ms := matches[i]
		var f *FactorState
		var ratio float64
		hit := false
		if ent.Factor != nil {
			f, ratio, hit = ent.Factor.match(e)
		}
		if ent.RequireFactor && !hit {
			continue
		}
		if len(ms) == 0 && !hit {
			continue
		}
		sortMatches(ms)
		for _, g := range groupMatches(ent, ms) {
			c := &candidate{entry: ent, key: ent.Key, group: g.name, ms: g.ms, severity: ent.Severity}
			if hit {
				c.factor, c.ratio = f, ratio
			}
			c.assess(e, chain)
			if len(c.ms) > 0 && !c.enough() {
				if !hit {
					continue
				}
				c.ms = nil // the factor alone still holds
				c.agg = aggregate{}
				c.phrases = nil
				c.assess(e, chain)
			}
			c.params = c.buildParams(e)
			out = append(out, c)
		}
	}
	explainSymptoms(out)
	return out
}

// enough reports whether the matched patterns together meet the entry's
// MinRecent and MinSurge.
func (c *candidate) enough() bool {
	ent := c.entry
	if c.agg.recent < ent.MinRecent {
		return false
	}
	return ent.MinSurge <= 0 || c.agg.fresh || c.agg.surge >= ent.MinSurge
}

type group struct {
	name string
	ms   []match
}

func groupMatches(ent *Entry, ms []match) []group {
	if ent.GroupBy == "" || len(ms) == 0 {
		return []group{{ms: ms}}
	}
	var gs []group
	idx := map[string]int{}
	for _, m := range ms {
		name := ent.param(ent.GroupBy, m.v)
		i, ok := idx[name]
		if !ok {
			i = len(gs)
			idx[name] = i
			gs = append(gs, group{name: name})
		}
		gs[i].ms = append(gs[i].ms, m)
	}
	sort.SliceStable(gs, func(i, j int) bool { return sumRecent(gs[i].ms) > sumRecent(gs[j].ms) })
	if len(gs) > maxGroups {
		gs = gs[:maxGroups]
	}
	return gs
}

func sumRecent(ms []match) int64 {
	var n int64
	for _, m := range ms {
		n += max(m.v.p.Recent, 0)
	}
	return n
}

// assess aggregates the evidence and computes strength, boost and
// preference. The template parameters are built only for the candidates
// kept (buildParams).
func (c *candidate) assess(e *env, chain string) {
	a := &c.agg
	seen := map[string]bool{}
	for _, m := range c.ms {
		p := m.v.p
		a.recent += max(p.Recent, 0)
		a.before += max(p.Before, 0)
		a.count += max(p.Count, 0)
		a.errors += max(p.Errors, 0)
		a.warns += max(p.Warns, 0)
		if !p.FirstSeen.IsZero() && (a.first.IsZero() || p.FirstSeen.Before(a.first)) {
			a.first = p.FirstSeen
		}
		if p.LastSeen.After(a.last) {
			a.last = p.LastSeen
		}
		if p.New {
			a.newCount++
			if p.Errors > 0 {
				a.newErrors++
			}
		}
		if m.phrase != "" && !seen[strings.ToLower(m.phrase)] {
			seen[strings.ToLower(m.phrase)] = true
			c.phrases = append(c.phrases, m.phrase)
		}
	}
	a.surge, a.fresh = e.surge(a.recent, a.before)

	var s float64
	if len(c.ms) > 0 {
		vol := strengthOfVolume(a.recent)
		if a.recent == 0 {
			vol = 0.3 * strengthOfVolume(a.count)
		}
		surge := 0.0
		switch {
		case a.fresh:
			surge = 1
		case a.surge > 1:
			surge = clamp01(math.Log2(a.surge) / 5)
		}
		share := 0.0
		if e.totalErrors > 0 {
			share = float64(a.errors) / float64(e.totalErrors)
		}
		newness := 0.0
		if a.newErrors > 0 {
			newness = 1
		} else if a.newCount > 0 {
			newness = 0.5
		}
		level := 0.4
		switch {
		case a.errors > 0:
			level = 1
		case a.warns > 0:
			level = 0.7
		case c.ms[0].v.errLike:
			level = 0.6
		}
		rel := 0.0
		for _, name := range c.entry.Relates {
			if f := e.factors[name]; f != nil && f.Weight > 0 {
				rel = max(rel, clamp01(f.Points/f.Weight))
			}
		}
		s = level*(0.4*vol+0.2*surge+0.15*share+0.1*newness) + 0.15*rel
	}
	if c.factor != nil {
		f := c.factor
		pts := 0.0
		if f.Weight > 0 {
			pts = clamp01(f.Points / f.Weight)
		}
		dev := 0.0
		if c.ratio >= 1 {
			dev = clamp01((c.ratio - 1) / 2)
		} else {
			dev = clamp01((1 - c.ratio) / 0.9)
		}
		fs := 0.5*pts + 0.5*dev
		if len(c.ms) > 0 {
			s = max(s, fs) + 0.1
		} else {
			s = fs
		}
	}
	c.strength = clamp01(s)
	c.userNow = c.entry.UserFacing && (a.recent > 0 || c.factor != nil)
	c.boost = 1
	switch chain {
	case ChainCritical:
		if c.userNow {
			c.boost = 1.5
		}
	case ChainPreventive:
		// What builds up over days ranks first; when the trend reaches high
		// within a day, what hurts users now is on that path too.
		if h := hoursToHigh(e.in); c.entry.Trend || (c.userNow && h > 0 && h <= 24) {
			c.boost = 1.5
		}
	}
	c.pref = preference(e.in.Preferences, c.key)
}

// preference is the learned multiplier for key: 1 when unknown, within [0, 10].
func preference(prefs map[string]float64, key string) float64 {
	p, ok := prefs[key]
	if !ok || math.IsNaN(p) {
		return 1
	}
	return min(max(p, 0), 10)
}

// buildParams computes every template parameter the evidence supports.
func (c *candidate) buildParams(e *env) map[string]string {
	p := map[string]string{
		"window":    fmtDur(e.window),
		"score":     strconv.FormatFloat(math.Round(finite(e.in.Score)), 'f', 0, 64),
		"peak":      strconv.FormatFloat(math.Round(finite(e.in.PeakScore)), 'f', 0, 64),
		"p_high":    fmtPct(clamp01(e.in.PHigh)),
		"horizon":   strconv.Itoa(e.in.HorizonHours) + " h",
		"lookahead": "7 days",
	}
	if e.beforeSpan >= time.Minute {
		p["span"] = fmtDur(e.beforeSpan)
	}
	if e.history >= time.Minute {
		p["history"] = fmtDur(e.history.Round(time.Minute))
		if e.beforeSpan < 24*time.Hour {
			p["short_history"] = p["history"]
		}
	} else {
		p["short_history"] = "less than a minute"
	}
	p["high"] = strconv.FormatFloat(math.Round(e.in.HighThreshold), 'f', 0, 64)
	p["events"] = fmtInt(e.totalCount)
	p["pattern_total"] = strconv.Itoa(len(e.views))
	if !e.in.At.IsZero() && e.in.HorizonHours > 0 {
		p["peak_by"] = fmtTime(e.in.At.Add(time.Duration(e.in.HorizonHours)*time.Hour), e.in.At)
	}
	if tr := finite(e.in.Trend); math.Abs(tr) >= 0.05 {
		sign := "+"
		if tr < 0 {
			sign = ""
		}
		p["trend"] = sign + fmtNum(tr) + "/h"
		if h := hoursToHigh(e.in); h > 0 {
			p["hours_to_high"] = fmtDur(time.Duration(h * float64(time.Hour)).Round(time.Minute))
		}
	}
	if f := c.factor; f != nil {
		p["value"] = fmtValue(f.Value, f.Unit)
		p["baseline"] = fmtValue(f.Baseline, f.Unit)
		p["ratio"] = fmtRatio(c.ratio)
		p["points"] = fmtNum(f.Points)
		p["weight"] = fmtNum(f.Weight)
		p["factor_label"] = factorLabels[f.Name]
		if p["factor_label"] == "" {
			p["factor_label"] = clean(f.Name, 20)
		}
		p["factor_label_cap"] = capitalize(p["factor_label"])
		p["factor_status"] = clean(f.Status, 16)
		if p["factor_status"] == "" {
			p["factor_status"] = "normal"
		}
	}
	if len(c.ms) == 0 {
		p["first_seen_or_window"] = "the last " + p["window"]
		return p
	}
	a := c.agg
	top := c.ms[0].v
	p["recent"] = fmtInt(a.recent)
	p["before"] = fmtInt(a.before)
	p["count"] = fmtInt(a.count)
	p["errors"] = fmtInt(a.errors)
	p["warns"] = fmtInt(a.warns)
	p["patterns"] = strconv.Itoa(len(c.ms))
	p["template"] = top.tmpl()
	if e.totalCount > 0 {
		p["volume_share"] = fmtPct(float64(a.count) / float64(e.totalCount))
	}
	p["first_seen"] = fmtTime(a.first, e.in.At)
	p["last_seen"] = fmtTime(a.last, e.in.At)
	p["first_seen_or_window"] = p["first_seen"]
	if p["first_seen"] == "" {
		p["first_seen_or_window"] = "the last " + p["window"]
	}
	// since: when this began, as far as the evidence shows.
	p["since"] = "the last " + p["window"]
	if !a.first.IsZero() && !e.in.At.IsZero() && (a.fresh || a.newCount > 0 || e.in.At.Sub(a.first) <= e.window) {
		p["since"] = p["first_seen"]
	}
	if a.newCount == 1 {
		p["new_text"] = "1 new log pattern"
	} else if a.newCount > 1 {
		p["new_text"] = strconv.Itoa(a.newCount) + " new log patterns"
	}
	if a.newErrors == 1 {
		p["new_errors_text"] = "1 new error pattern"
	} else if a.newErrors > 1 {
		p["new_errors_text"] = strconv.Itoa(a.newErrors) + " new error patterns"
	}
	if a.surge > 0 {
		p["surge"] = fmtRatio(a.surge)
	}
	if e.totalErrors > 0 && a.errors > 0 {
		p["share"] = fmtPct(float64(a.errors)/float64(e.totalErrors)) + " of all errors"
	}
	switch {
	case a.errors > 0:
		p["kind"] = "errors"
	case a.warns > 0:
		p["kind"] = "warnings"
	default:
		p["kind"] = "lines"
	}
	if len(c.phrases) > 1 {
		c.phrases = collapseStatuses(c.phrases)
	}
	if len(c.phrases) > 0 {
		q := quotePhrase(c.phrases[0])
		if len(c.phrases) > 1 {
			q += " / " + quotePhrase(c.phrases[1])
		}
		if len(c.phrases) > 2 {
			q += " (+" + strconv.Itoa(len(c.phrases)-2) + " more)"
		}
		p["phrase"] = q
	}
	p["change"] = changeText(e, a)
	p["activity"] = activityText(e, a, p)
	long := p["activity"]
	if p["share"] != "" && a.errors < e.totalErrors {
		long += "; " + p["share"]
	}
	if len(c.ms) > 1 {
		long += "; " + p["patterns"] + " patterns, led by '" + top.tmpl() + "'"
	} else if top.tmpl() != "" {
		long += "; pattern '" + top.tmpl() + "'"
	}
	if p["first_seen"] != "" {
		long += ", first seen " + p["first_seen"]
	}
	p["activity_long"] = long
	for _, name := range c.entry.used {
		for i, m := range c.ms {
			if i == maxParamViews {
				break
			}
			if v := c.entry.param(name, m.v); v != "" {
				p[name] = v
				break
			}
		}
	}
	// The host: the lines' own counts decide, never the latest sample's
	// field (which names whichever host logged last).
	if hosts := c.hostCounts(); len(hosts) > 0 {
		delete(p, "host")
		if h, ok := dominantHost(hosts); ok {
			p["host"] = h.name
			switch {
			case h.n < h.total:
				p["activity_long"] += "; " + fmtInt(h.n) + " of " + fmtInt(h.total) + " lines on " + h.name
			case e.hosts > 1:
				p["activity_long"] += "; all on " + h.name + " (of " + strconv.Itoa(e.hosts) + " hosts in the logs)"
			}
		} else {
			p["hosts"] = hostList(hosts, 4)
			p["activity_long"] += "; by host: " + p["hosts"]
		}
	}
	if c.group != "" && c.entry.GroupBy != "" {
		p[c.entry.GroupBy] = c.group
	}
	// The counts sum every matched pattern: a status read from the first
	// one alone would name 502 for lines that are also 500s and 503s.
	if _, ok := p["status"]; ok {
		p["status"] = commonStatus(c.ms)
		if p["status"] == "" {
			delete(p, "status")
		}
	}
	return p
}

type hostCount struct {
	name     string
	n, total int64
}

// hostCounts sums the matched patterns' lines per host, most first (ties
// by name); lines of uncounted hosts come last as OtherHosts.
func (c *candidate) hostCounts() []hostCount {
	sum := map[string]int64{}
	for _, m := range c.ms {
		for h, n := range m.v.p.Hosts {
			if n > 0 {
				sum[h] += n
			}
		}
	}
	var out []hostCount
	var total int64
	for h, n := range sum {
		out = append(out, hostCount{name: clean(h, maxParamRunes), n: n})
		total += n
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.name == OtherHosts) != (b.name == OtherHosts) {
			return b.name == OtherHosts
		}
		if a.n != b.n {
			return a.n > b.n
		}
		return a.name < b.name
	})
	for i := range out {
		out[i].total = total
	}
	return out
}

// dominantHost is the host the lines come from, when one dominates: at
// least two thirds of them and twice as many as any other host.
func dominantHost(hs []hostCount) (hostCount, bool) {
	h := hs[0]
	if h.name == OtherHosts || 3*h.n < 2*h.total {
		return hostCount{}, false
	}
	if len(hs) > 1 && h.n < 2*hs[1].n {
		return hostCount{}, false
	}
	return h, true
}

// hostList writes up to n hosts with their line counts: "api-3 7, api-1 5,
// api-2 3 (+2 more hosts)".
func hostList(hs []hostCount, n int) string {
	var parts []string
	more := 0
	for i, h := range hs {
		if i >= n || h.name == OtherHosts {
			more += 1
			continue
		}
		parts = append(parts, h.name+" "+fmtInt(h.n))
	}
	s := strings.Join(parts, ", ")
	if more > 0 {
		s += " (+" + strconv.Itoa(more) + " more)"
	}
	return s
}

// commonStatus is the HTTP status every matched pattern shares, else their
// shared class ("5xx"), else "".
func commonStatus(ms []match) string {
	st := ""
	for _, m := range ms {
		s := m.v.status
		switch {
		case s == "":
			return ""
		case st == "":
			st = s
		case st == s:
		case st[0] == s[0]:
			st = st[:1] + "xx"
		default:
			return ""
		}
	}
	return st
}

// collapseStatuses joins several "HTTP 5nn" phrases into one "HTTP 5xx
// (500, 502)" so the headline names every status its count covers.
func collapseStatuses(ps []string) []string {
	var codes, rest []string
	for _, p := range ps {
		if c, ok := strings.CutPrefix(p, "HTTP "); ok && len(c) == 3 {
			codes = append(codes, c)
		} else {
			rest = append(rest, p)
		}
	}
	if len(codes) < 2 {
		return ps
	}
	sort.Strings(codes)
	class := codes[0][:1] + "xx"
	for _, c := range codes {
		if c[0] != codes[0][0] {
			class = "errors"
		}
	}
	return append([]string{"HTTP " + class + " (" + strings.Join(codes, ", ") + ")"}, rest...)
}

// quotePhrase quotes matched text; a status ("HTTP 503") is not a quote.
func quotePhrase(s string) string {
	if strings.HasPrefix(s, "HTTP ") {
		return s
	}
	return "'" + s + "'"
}

// changeText compares the recent window with the history before it.
func changeText(e *env, a aggregate) string {
	span := fmtDur(e.beforeSpan)
	switch {
	case a.recent == 0:
		return "none in the last " + fmtDur(e.window)
	case e.beforeSpan < time.Minute:
		return "no earlier history to compare"
	case a.before == 0:
		return "none in the " + span + " before"
	case a.surge >= 2:
		return fmtRatio(a.surge) + " the rate of the " + span + " before (" + fmtInt(a.before) + ")"
	case a.surge >= 0.5:
		return "about the usual rate (" + fmtInt(a.before) + " in the " + span + " before)"
	default:
		return "below the rate of the " + span + " before (" + fmtInt(a.before) + ")"
	}
}

// activityText is the headline evidence: "1,204 'too many clients' errors
// in 15 min, none in the 24 h before".
func activityText(e *env, a aggregate, p map[string]string) string {
	what := p["kind"]
	if p["phrase"] != "" {
		what = p["phrase"] + " " + what
	}
	if a.recent > 0 {
		return fmtInt(a.recent) + " " + what + " in " + fmtDur(e.window) + ", " + p["change"]
	}
	s := fmtInt(a.count) + " " + what + " earlier"
	if p["last_seen"] != "" {
		s += " (last " + p["last_seen"] + ")"
	}
	return s + ", none in the last " + fmtDur(e.window)
}

// render turns a candidate into up to n actions, one per usable template
// (one whose required parameters are all known), in template order; the
// first is the main action, later ones rank at secondaryFactor of it.
func (c *candidate) render(e *env, n int) []Action {
	var out []Action
	for i, t := range c.entry.tmpls {
		if len(out) == n {
			break
		}
		title, ok1 := t.title.render(c.params)
		if !ok1 {
			continue
		}
		why, ok2 := t.why.render(c.params)
		if !ok2 {
			continue
		}
		a := Action{
			ID:       actionID(c.key, c.group, c.idPatterns(), i),
			Key:      c.key,
			Title:    capitalize(title),
			Why:      capitalize(why),
			Priority: c.priority(e),
			Score:    round3(c.score()),
			Evidence: c.evidence(e), // each action owns its maps and slices
		}
		if len(out) > 0 || c.cause != nil {
			a.Priority = demote(a.Priority)
		}
		if len(out) > 0 {
			a.Score = round3(a.Score * secondaryFactor)
		}
		out = append(out, a)
	}
	return out
}

func (c *candidate) priority(e *env) string {
	p := c.severity * c.strength
	chain, _ := branch(e.in)
	if chain == ChainCritical {
		switch {
		case p >= 0.5 && c.userNow:
			return "critical"
		case p >= 0.35:
			return "high"
		case p >= 0.2:
			return "medium"
		}
		return "low"
	}
	switch {
	case p >= 0.5:
		return "high"
	case p >= 0.25:
		return "medium"
	}
	return "low"
}

var priorities = []string{"critical", "high", "medium", "low"}

func demote(p string) string {
	for i, q := range priorities[:len(priorities)-1] {
		if p == q {
			return priorities[i+1]
		}
	}
	return p
}

// capCritical keeps "critical" for the first maxCritical actions so the
// label still means "do this first".
func capCritical(acts []Action) {
	n := 0
	for i := range acts {
		if acts[i].Priority == "critical" {
			n++
			if n > maxCritical {
				acts[i].Priority = "high"
			}
		}
	}
}

// idPatterns are the main evidence patterns: the three with the most lines
// over the whole history (more stable between reports than recent counts).
func (c *candidate) idPatterns() []string {
	ms := append([]match(nil), c.ms...)
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i].v.p, ms[j].v.p
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.ID < b.ID
	})
	var ids []string
	for i, m := range ms {
		if i == 3 {
			break
		}
		ids = append(ids, string(m.v.id))
	}
	sort.Strings(ids)
	if len(ids) == 0 && c.factor != nil {
		ids = []string{"factor:" + c.factor.Name}
	}
	return ids
}

// actionID hashes the key, the group and the main pattern ids, so the same
// situation keeps the same id from one report to the next.
func actionID(key, group string, ids []string, variant int) string {
	h := sha256.New()
	h.Write([]byte(key))
	h.Write([]byte{0})
	h.Write([]byte(group))
	for _, id := range ids {
		h.Write([]byte{0})
		h.Write([]byte(id))
	}
	if variant > 0 {
		h.Write([]byte{1, byte(variant)})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func (c *candidate) evidence(e *env) Evidence {
	ev := Evidence{Patterns: []cloudsage.PatternID{}, Numbers: map[string]float64{}, Samples: []string{}}
	for i, m := range c.ms {
		if i == maxEvidencePats {
			break
		}
		ev.Patterns = append(ev.Patterns, m.v.id)
	}
	a := c.agg
	if len(c.ms) > 0 {
		ev.Numbers["recent"] = float64(a.recent)
		ev.Numbers["before"] = float64(a.before)
		ev.Numbers["count"] = float64(a.count)
		ev.Numbers["errors"] = float64(a.errors)
		ev.Numbers["window_minutes"] = round3(e.window.Minutes())
		if a.warns > 0 {
			ev.Numbers["warns"] = float64(a.warns)
		}
		if a.surge > 0 {
			ev.Numbers["surge_ratio"] = round3(a.surge)
		}
		if e.totalErrors > 0 && a.errors > 0 {
			ev.Numbers["error_share"] = round3(float64(a.errors) / float64(e.totalErrors))
		}
		if a.newCount > 0 {
			ev.Numbers["new_patterns"] = float64(a.newCount)
		}
		if len(c.ms) > 1 {
			ev.Numbers["patterns"] = float64(len(c.ms))
		}
	}
	if f := c.factor; f != nil {
		ev.Numbers[f.Name+"_value"] = round3(f.Value)
		ev.Numbers[f.Name+"_baseline"] = round3(f.Baseline)
		ev.Numbers[f.Name+"_points"] = round3(f.Points)
	}
	for k, v := range c.extra {
		ev.Numbers[k] = round3(v)
	}
	for k := range ev.Numbers {
		if u := NumberUnit(k, nil); u != UnitCount {
			if ev.Units == nil {
				ev.Units = map[string]string{}
			}
			ev.Units[k] = u
		}
	}
	if f := c.factor; f != nil && f.Unit != "" {
		// the factor's own unit (memory is MB or %), a share for "ratio"
		u := f.Unit
		if u == "ratio" {
			u = UnitShare
		}
		if ev.Units == nil {
			ev.Units = map[string]string{}
		}
		ev.Units[f.Name+"_value"], ev.Units[f.Name+"_baseline"] = u, u
	}
	ev.Samples = samplesOf(c.ms)
	return ev
}

// samplesOf takes up to three distinct sample lines, one of each top
// pattern before a second of any. A pattern's samples are its first line,
// then recent ones: the recent ones come first, since they are the lines
// behind the recent counts.
func samplesOf(ms []match) []string {
	out := []string{}
	seen := map[string]bool{}
	for round := 0; round < maxSamples && len(out) < maxSamples; round++ {
		for _, m := range ms {
			if len(out) == maxSamples {
				break
			}
			n := len(m.v.p.Samples)
			if round >= n {
				continue
			}
			s := cleanSample(m.v.p.Samples[n-1-round], maxSampleBytes)
			if s == "" || seen[s] {
				continue
			}
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// rankActions renders one action per problem (see problems), sorts them
// best first and de-duplicates. used gets the pattern ids behind every
// action, and covered the factors an action's problem accounts for (its
// own factor, or what its active log evidence explains), so that a
// fallback never re-reports either.
func rankActions(e *env, cands []*candidate, used map[cloudsage.PatternID]bool, covered map[string]bool) []Action {
	var acts []Action
	for _, g := range problems(cands) {
		a, ok := renderProblem(e, g)
		if !ok {
			continue
		}
		for _, c := range g {
			for _, m := range c.ms {
				used[m.v.id] = true
			}
			if c.factor != nil {
				covered[c.factor.Name] = true
			}
			if len(c.ms) > 0 && c.agg.recent > 0 {
				explains := c.entry.Explains
				if len(explains) == 0 {
					explains = c.entry.Relates
				}
				for _, f := range explains {
					covered[f] = true
				}
			}
		}
		acts = append(acts, a)
	}
	return dedupSort(acts)
}

// problems groups the candidates (sorted best first) into problems: two
// candidates are one problem when they share a log pattern (an OOM kill
// and a crash loop read off the same lines, an entry's two actions), when
// one is a symptom the other explains (5xx on a route, slow requests
// behind a failing cache), or when they are one symptom on several routes. Each group keeps the candidates' order, so its
// first is its best.
func problems(cands []*candidate) [][]*candidate {
	parent := make([]int, len(cands))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(i, j int) {
		ri, rj := find(i), find(j)
		if ri == rj {
			return
		}
		if rj < ri {
			ri, rj = rj, ri
		}
		parent[rj] = ri // the better candidate leads
	}
	idx := make(map[*candidate]int, len(cands))
	owner := map[cloudsage.PatternID]int{}
	for i, c := range cands {
		idx[c] = i
		for _, m := range c.ms {
			if j, ok := owner[m.v.id]; ok {
				union(i, j)
			} else {
				owner[m.v.id] = i
			}
		}
	}
	for i, c := range cands {
		if c.cause != nil {
			if j, ok := idx[c.cause]; ok {
				union(i, j)
			}
		}
	}
	// A symptom seen on several routes (5xx on /a and on /b) with no cause
	// in the logs is one symptom until something tells them apart: one
	// action, the other routes as its steps.
	first := map[string]int{}
	for i, c := range cands {
		if !c.entry.Symptom || c.group == "" {
			continue
		}
		if j, ok := first[c.key]; ok {
			union(i, j)
		} else {
			first[c.key] = i
		}
	}
	var out [][]*candidate
	at := map[int]int{}
	for i, c := range cands {
		r := find(i)
		k, ok := at[r]
		if !ok {
			k = len(out)
			at[r] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], c)
	}
	return out
}

// renderProblem renders a problem as one action: its lead's main action
// (the cause, not a symptom; a specific signature before a generic one
// such as "log volume surging"; then the best ranked), with that entry's
// secondary step and every other candidate's action as steps inside it,
// and the evidence of all of them (the lead's numbers win). It ranks as
// its best member would.
func renderProblem(e *env, g []*candidate) (Action, bool) {
	g = slices.Clone(g)
	lead := func(c *candidate) int {
		n := 0
		if !c.entry.Symptom {
			n += 2
		}
		if c.entry.Specificity > 0 {
			n++
		}
		return n
	}
	slices.SortStableFunc(g, func(a, b *candidate) int { return lead(b) - lead(a) })
	var head Action
	found := false
	var steps []ActionStep
	best, bestPrio := 0.0, len(priorities)
	for _, c := range g {
		best = max(best, round3(c.score()))
		if i := slices.Index(priorities, c.priority(e)); i >= 0 && i < bestPrio && c.cause == nil {
			bestPrio = i
		}
	}
	defer func() {
		if found {
			head.Score = max(head.Score, best)
			if i := slices.Index(priorities, head.Priority); bestPrio < i {
				head.Priority = priorities[bestPrio]
			}
		}
	}()
	for _, c := range g {
		n := 1
		if !found {
			n = 2 // the lead's own follow-up step
		}
		rs := c.render(e, n)
		if len(rs) == 0 {
			continue
		}
		if !found {
			head, found = rs[0], true
			rs = rs[1:]
		}
		for _, r := range rs {
			if r.Title != head.Title && !slices.ContainsFunc(steps, func(s ActionStep) bool { return s.Title == r.Title }) {
				steps = append(steps, ActionStep{Key: r.Key, Title: r.Title})
			}
			mergeEvidence(&head.Evidence, r.Evidence)
		}
	}
	head.Steps = steps
	return head, found
}

// mergeEvidence adds o's patterns (up to maxEvidencePats in all), numbers
// and units that ev lacks.
func mergeEvidence(ev *Evidence, o Evidence) {
	for _, id := range o.Patterns {
		if len(ev.Patterns) < maxEvidencePats && !slices.Contains(ev.Patterns, id) {
			ev.Patterns = append(ev.Patterns, id)
		}
	}
	for k, v := range o.Numbers {
		if _, ok := ev.Numbers[k]; !ok {
			ev.Numbers[k] = v
			if u, ok := o.Units[k]; ok {
				if ev.Units == nil {
					ev.Units = map[string]string{}
				}
				ev.Units[k] = u
			}
		}
	}
}

func dedupSort(acts []Action) []Action {
	sort.SliceStable(acts, func(i, j int) bool {
		if acts[i].Score != acts[j].Score {
			return acts[i].Score > acts[j].Score
		}
		if acts[i].Key != acts[j].Key {
			return acts[i].Key < acts[j].Key
		}
		return acts[i].ID < acts[j].ID
	})
	seenID := map[string]bool{}
	seenTitle := map[string]bool{}
	out := acts[:0]
	for _, a := range acts {
		if seenID[a.ID] || seenTitle[a.Title] {
			continue
		}
		seenID[a.ID], seenTitle[a.Title] = true, true
		out = append(out, a)
	}
	return out
}
