package advisor

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
)

// Limits that keep matching cheap whatever the input holds.
const (
	maxTextBytes  = 2048 // of a template or one sample, for matching
	maxSamples    = 3
	maxParamRunes = 60
	maxPhraseRune = 40
	freshHistory  = 30 * time.Minute // history needed before "none before" means new
)

// view is one pattern prepared for matching.
type view struct {
	p       *PatternStat
	texts   []string // samples first (raw, unmasked), then the template
	lower   string   // all texts, lowercased, joined by newlines
	grams   grams    // bigrams present in lower
	joined  string   // all texts joined by newlines (same layout as lower when lengths agree)
	level   cloudsage.Level
	status  string  // HTTP status, "" when none
	surge   float64 // recent rate over the rate before; 0 when unknown
	fresh   bool    // nothing before, something now, with enough history before
	id      cloudsage.PatternID
	tmplS   string // cleaned template for display, made on first use
	tmplOK  bool
	errLike bool // text reads like an error even without an error level
}

// env is what every step shares for one Advise call.
type env struct {
	in          Input
	window      time.Duration
	beforeSpan  time.Duration // history before the recent window, at most 24 h
	history     time.Duration // from the earliest first-seen to At
	views       []*view
	totalErrors int64
	totalRecent int64
	totalCount  int64
	factors     map[string]*FactorState
	surging     []*view // patterns surging now (see surgingViews), most surging first
	hosts       int     // distinct hosts the patterns' lines name
}

var (
	errorWords     = []string{"error", "fail", "fatal", "exception", "refused", "timeout", "timed out", "denied", "panic", "critical", "cannot", "unable"}
	errorWordGrams = func() [][]uint16 {
		out := make([][]uint16, len(errorWords))
		for i, w := range errorWords {
			out[i] = gramBits(w)
		}
		return out
	}()
)

func newEnv(in Input) *env {
	e := &env{in: in, window: in.RecentWindow, factors: map[string]*FactorState{}}
	if e.window <= 0 {
		e.window = 15 * time.Minute
	}
	for i := range in.Factors {
		f := &in.Factors[i]
		if _, dup := e.factors[f.Name]; !dup {
			e.factors[f.Name] = f
		}
	}
	var earliest time.Time
	for i := range in.Patterns {
		p := &in.Patterns[i]
		if !p.FirstSeen.IsZero() && (earliest.IsZero() || p.FirstSeen.Before(earliest)) {
			earliest = p.FirstSeen
		}
	}
	if !earliest.IsZero() && !in.At.IsZero() {
		e.history = max(in.At.Sub(earliest), 0)
		span := in.At.Sub(earliest) - e.window
		e.beforeSpan = min(max(span, 0), 24*time.Hour)
	}
	e.views = make([]*view, 0, len(in.Patterns))
	for i := range in.Patterns {
		p := &in.Patterns[i]
		v := e.newView(p)
		e.views = append(e.views, v)
		e.totalErrors += max(p.Errors, 0)
		e.totalRecent += max(p.Recent, 0)
		e.totalCount += max(p.Count, 0)
	}
	e.surging = surgingViews(e.views)
	seen := map[string]bool{}
	for i := range in.Patterns {
		for h := range in.Patterns[i].Hosts {
			if h != OtherHosts && !seen[h] && len(seen) < 1000 {
				seen[h] = true
			}
		}
	}
	e.hosts = len(seen)
	return e
}

const surgeMinRecent = 5 // a pattern needs this many recent lines to count as surging

// surgingViews lists the patterns with at least surgeMinRecent recent lines
// that are new or at least three times their usual rate: new ones first,
// then by surge ratio, recent lines and id.
func surgingViews(vs []*view) []*view {
	var out []*view
	for _, v := range vs {
		if v.p.Recent >= surgeMinRecent && (v.fresh || v.surge >= 3) {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.fresh != b.fresh {
			return a.fresh
		}
		if a.surge != b.surge {
			return a.surge > b.surge
		}
		if a.p.Recent != b.p.Recent {
			return a.p.Recent > b.p.Recent
		}
		return a.id < b.id
	})
	return out
}

func (e *env) newView(p *PatternStat) *view {
	v := &view{p: p, id: p.ID}
	for i, s := range p.Samples {
		if i == maxSamples {
			break
		}
		v.texts = append(v.texts, capBytes(s, maxTextBytes))
	}
	v.texts = append(v.texts, capBytes(p.Template, maxTextBytes))
	v.joined = strings.Join(v.texts, "\n")
	v.lower = strings.ToLower(v.joined)
	v.grams.add(v.lower)
	for i, w := range errorWords {
		if v.grams.mayContain(errorWordGrams[i]) && strings.Contains(v.lower, w) {
			v.errLike = true
			break
		}
	}
	switch {
	case p.Errors > 0:
		v.level = cloudsage.LevelError
	case p.Warns > 0 || v.errLike:
		v.level = cloudsage.LevelWarn
	default:
		v.level = cloudsage.LevelInfo
	}
	v.status = statusOf(p, v.texts, v.lower)
	v.surge, v.fresh = e.surge(max(p.Recent, 0), max(p.Before, 0))
	return v
}

// tmpl is the template cleaned for display.
func (v *view) tmpl() string {
	if !v.tmplOK {
		v.tmplS, v.tmplOK = clean(v.p.Template, 80), true
	}
	return v.tmplS
}

// surge compares the recent rate with the rate in the history before it.
func (e *env) surge(recent, before int64) (ratio float64, fresh bool) {
	if recent == 0 || e.beforeSpan < time.Minute {
		return 0, false
	}
	if before == 0 {
		return 0, e.beforeSpan >= freshHistory
	}
	rr := float64(recent) / e.window.Minutes()
	br := float64(before) / e.beforeSpan.Minutes()
	return rr / br, false
}

// grams is a 2,048-bit Bloom filter of the byte pairs of a text: a
// keyword whose pairs are not all set cannot occur in it, which rules out
// nearly every keyword without scanning the text.
type grams [32]uint64

func gramHash(a, b byte) uint16 { return uint16((uint(a)*131 + uint(b)) & 2047) }

func (g *grams) add(s string) {
	for i := 0; i+1 < len(s); i++ {
		h := gramHash(s[i], s[i+1])
		g[h>>6] |= 1 << (h & 63)
	}
}

func (g *grams) mayContain(bits []uint16) bool {
	for _, h := range bits {
		if g[h>>6]&(1<<(h&63)) == 0 {
			return false
		}
	}
	return true
}

// gramBits lists the distinct filter bits of s's byte pairs.
func gramBits(s string) []uint16 {
	var out []uint16
	seen := map[uint16]bool{}
	for i := 0; i+1 < len(s); i++ {
		h := gramHash(s[i], s[i+1])
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

// mayContainAny reports whether lower may hold one of subs; true when subs
// is nil (no hint known).
func (v *view) mayContainAny(subs []string, bits [][]uint16) bool {
	if subs == nil {
		return true
	}
	for i, sub := range subs {
		if v.grams.mayContain(bits[i]) && strings.Contains(v.lower, sub) {
			return true
		}
	}
	return false
}

// containsAny reports whether s holds one of subs; true when subs is nil
// (no hint known).
func containsAny(s string, subs []string) bool {
	if subs == nil {
		return true
	}
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// capBytes cuts s to at most n bytes at a rune boundary.
func capBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// match is one pattern matched by one entry.
type match struct {
	v      *view
	phrase string
}

// matchPatterns returns, per entry, the patterns it matches; a pattern
// matched by a more specific entry is left out of less specific ones
// (specificity 0 entries keep everything they match).
func matchPatterns(kb *KnowledgeBase, e *env) [][]match {
	out := make([][]match, len(kb.Entries))
	best := make([]int, len(e.views))
	for i, ent := range kb.Entries {
		for j, v := range e.views {
			phrase, ok := ent.matchView(v, e)
			if !ok {
				continue
			}
			out[i] = append(out[i], match{v: v, phrase: phrase})
			if ent.Specificity > best[j] {
				best[j] = ent.Specificity
			}
		}
	}
	idx := make(map[*view]int, len(e.views))
	for j, v := range e.views {
		idx[v] = j
	}
	for i, ent := range kb.Entries {
		if ent.Specificity == 0 {
			continue
		}
		kept := out[i][:0]
		for _, m := range out[i] {
			if best[idx[m.v]] <= ent.Specificity {
				kept = append(kept, m)
			}
		}
		out[i] = kept
	}
	return out
}

func (ent *Entry) matchView(v *view, e *env) (string, bool) {
	for _, r := range ent.Rules {
		if phrase, ok := r.match(v, e); ok {
			return phrase, true
		}
	}
	return "", false
}

func (r *Rule) match(v *view, e *env) (string, bool) {
	p := v.p
	if r.minLevel != 0 && v.level < r.minLevel {
		return "", false
	}
	if r.MinRecent > 0 && p.Recent < r.MinRecent {
		return "", false
	}
	if r.MinSurge > 0 && !v.fresh && v.surge < r.MinSurge {
		return "", false
	}
	if r.NewErrors && !(p.New && p.Errors > 0) {
		return "", false
	}
	for _, f := range r.fields {
		if val, ok := p.Fields[f.name]; !ok || !f.re.MatchString(val) {
			return "", false
		}
	}
	phrase := ""
	if r.status != nil {
		if v.status == "" || !r.status.MatchString(v.status) {
			return "", false
		}
		// A status read only from samples of a pattern with no error or
		// warning lines is likely a mixed pattern (200s and 500s): skip.
		if v.level < cloudsage.LevelWarn && !templateHasStatus(p, v.status) {
			return "", false
		}
		phrase = "HTTP " + v.status
	}
	if len(r.keywords) > 0 || r.re != nil {
		hit := ""
		for ki, k := range r.keywords {
			if !v.grams.mayContain(r.kwGrams[ki]) {
				continue
			}
			if i := strings.Index(v.lower, k); i >= 0 {
				hit = k
				if len(v.lower) == len(v.joined) {
					hit = v.joined[i : i+len(k)]
				}
				break
			}
		}
		if hit == "" && r.re != nil && v.mayContainAny(r.reHints, r.hintGram) {
			if loc := findIndex(r.re, v.lower); loc != nil {
				hit = v.lower[loc[0]:loc[1]]
				if len(v.lower) == len(v.joined) {
					hit = v.joined[loc[0]:loc[1]]
				}
			}
		}
		if hit == "" {
			return "", false
		}
		phrase = clean(hit, maxPhraseRune)
	}
	// Also and unless are whole-text regexes: run them last, on the few
	// patterns the keywords already picked.
	if r.also != nil && !matches(r.also, v.lower) {
		return "", false
	}
	if r.unless != nil && matches(r.unless, v.lower) {
		return "", false
	}
	return phrase, true
}

// match reports whether the factor rule holds, with the factor and its
// value/baseline ratio.
func (fr *FactorRule) match(e *env) (*FactorState, float64, bool) {
	f := e.factors[fr.Name]
	if f == nil {
		return nil, 0, false
	}
	if len(fr.Status) > 0 {
		ok := false
		for _, s := range fr.Status {
			if f.Status == s {
				ok = true
			}
		}
		if !ok {
			return nil, 0, false
		}
	}
	if finite(f.Baseline) < fr.MinBaseline {
		return nil, 0, false
	}
	r := factorRatio(f)
	if fr.MinRatio > 0 && r < fr.MinRatio {
		return nil, 0, false
	}
	if fr.MaxRatio > 0 && r > fr.MaxRatio {
		return nil, 0, false
	}
	return f, r, true
}

// factorRatio is value/baseline: 1 when both are 0, large when only the
// baseline is 0.
func factorRatio(f *FactorState) float64 {
	v, b := finite(f.Value), finite(f.Baseline)
	switch {
	case b > 0:
		return v / b
	case v > 0:
		return 1e6
	default:
		return 1
	}
}

// --- evidence extraction -------------------------------------------------

var (
	requestRE  = regexp.MustCompile(`\b(?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS)\s+(/[^\s"?]*)`)
	pathKVRE   = regexp.MustCompile(`(?i)\b(?:path|route|uri|url|endpoint)["']?\s*[=:]\s*["']?(/[^\s"'?&,]*)`)
	ipRE       = regexp.MustCompile(`\b((?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})\b`)
	fromIPRE   = regexp.MustCompile(`(?i)\b(?:from|client|rhost=|remote_addr=|ip=)\s*\[?((?:\d{1,3}\.){3}\d{1,3})`)
	hostPortRE = regexp.MustCompile(`\b((?:\d{1,3}\.){3}\d{1,3}|[a-zA-Z][\w-]*(?:\.[\w-]+)*):(\d{2,5})\b`)
	javaExcRE  = regexp.MustCompile(`\b((?:[a-zA-Z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error))\b`)
	simpleExc  = regexp.MustCompile(`\b([A-Z][A-Za-z0-9]*(?:Exception|Error))\b`)
	panicRE    = regexp.MustCompile(`panic: ([^\n]{1,60})`)
	idSegRE    = regexp.MustCompile(`^(?:\d+|[0-9a-fA-F]{8,}|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27})$`)
	tsLikeRE   = regexp.MustCompile(`^[Tt]?\d+$`)
)

// genericParams are extracted for every entry from fields and text.
var genericParams = map[string]bool{"route": true, "status": true, "ip": true, "hostport": true, "exception": true, "host": true, "service": true}

func fieldOf(p *PatternStat, names ...string) string {
	for _, n := range names {
		if v := p.Fields[n]; v != "" && !strings.Contains(v, "<") {
			return v
		}
	}
	return ""
}

func statusOf(p *PatternStat, texts []string, lower string) string {
	if s := fieldOf(p, statusFields...); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 100 && n < 600 {
			return strconv.Itoa(n)
		}
	}
	return scanStatus(lower)
}

// scanStatus finds an HTTP status in lowercased text: after "http/1.1",
// or in "status=503", "status_code: 503", "response code 503",
// "returned 503". It is a hand-written statusRE, several times faster.
func scanStatus(lower string) string {
	for _, key := range statusHints {
		s := lower
		for {
			i := strings.Index(s, key)
			if i < 0 {
				break
			}
			if key != "http/" && i > 0 && isWordByte(s[i-1]) {
				s = s[i+len(key):]
				continue
			}
			rest := s[i+len(key):]
			if key == "http/" {
				rest = strings.TrimLeft(rest, "0123456789.")
				rest = strings.TrimPrefix(rest, "\"")
				if t := strings.TrimLeft(rest, " \t"); len(t) < len(rest) {
					rest = t
				} else {
					s = s[i+len(key):]
					continue
				}
			} else if key == "status" {
				rest = strings.TrimPrefix(strings.TrimPrefix(rest, "_"), "code")
				rest = strings.TrimLeft(rest, "\"' \t")
				if rest == "" || (rest[0] != '=' && rest[0] != ':') {
					s = s[i+len(key):]
					continue
				}
				rest = strings.TrimLeft(rest[1:], "\"' \t")
			} else {
				rest = strings.TrimLeft(rest, "=: \t")
			}
			if len(rest) >= 3 && rest[0] >= '1' && rest[0] <= '5' && isDigit(rest[1]) && isDigit(rest[2]) && (len(rest) == 3 || !isWordByte(rest[3])) {
				return rest[:3]
			}
			s = s[i+len(key):]
		}
	}
	return ""
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isWordByte(b byte) bool {
	return isDigit(b) || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_'
}

var (
	statusFields   = []string{"status", "status_code", "http.status_code", "http_status", "http.response.status_code", "response_status"}
	statusHints    = []string{"http/", "status", "response code", "returned "}
	exceptionHints = []string{"exception", "error", "panic: "}
)

func templateHasStatus(p *PatternStat, status string) bool {
	if fieldOf(p, statusFields...) == status {
		return true
	}
	return scanStatus(strings.ToLower(p.Template)) == status
}

// routeOf finds the request route: a field, else the template's path when
// it is not fully masked, else the first sample's path with ids replaced.
func routeOf(v *view) string {
	if r := fieldOf(v.p, "route", "http.route", "path", "url.path", "http.target", "uri", "request_uri", "endpoint", "url"); r != "" {
		return normRoute(r)
	}
	if m := findSubmatch(requestRE, v.p.Template); m != nil && len(m[1]) > 1 && !strings.HasPrefix(m[1], "/<") {
		return normRoute(m[1])
	}
	for _, t := range v.texts {
		if m := findSubmatch(requestRE, t); m != nil {
			return normRoute(m[1])
		}
		if m := findSubmatch(pathKVRE, t); m != nil {
			return normRoute(m[1])
		}
	}
	return ""
}

func normRoute(r string) string {
	if i := strings.IndexAny(r, "?#"); i >= 0 {
		r = r[:i]
	}
	if strings.HasPrefix(r, "http://") || strings.HasPrefix(r, "https://") {
		if i := strings.Index(r[8:], "/"); i >= 0 {
			r = r[8+i:]
		}
	}
	segs := strings.Split(r, "/")
	for i, s := range segs {
		if idSegRE.MatchString(s) || strings.ContainsAny(s, "<>") {
			segs[i] = ":id"
		}
	}
	return clean(strings.Join(segs, "/"), maxParamRunes)
}

// ipOf finds the one client address behind a pattern: the address every
// sample agrees on, from a field (the fields are those of one sample, so
// every other sample must name it too) or from the text.
func ipOf(v *view) string {
	if ip := fieldOf(v.p, "client_ip", "remote_addr", "remote_ip", "src_ip", "source_ip", "clientip", "client.ip", "source.ip", "ip", "x_forwarded_for"); ip != "" {
		for _, s := range v.p.Samples {
			if !strings.Contains(s, ip) {
				return ""
			}
		}
		return clean(ip, maxParamRunes)
	}
	agreed := ""
	for i, t := range v.texts {
		if i == len(v.texts)-1 && len(v.texts) > 1 {
			break // the template: addresses there are usually masked
		}
		ip := ""
		if m := findSubmatch(fromIPRE, t); m != nil {
			ip = m[1]
		} else if m := findSubmatch(ipRE, t); m != nil && strings.HasPrefix(strings.TrimSpace(t), m[1]) {
			ip = m[1]
		}
		if ip == "" || (agreed != "" && ip != agreed) {
			return ""
		}
		agreed = ip
	}
	return agreed
}

func hostPortOf(v *view) string {
	for _, t := range v.texts {
		for _, loc := range hostPortRE.FindAllStringSubmatchIndex(t, 8) {
			host, port := t[loc[2]:loc[3]], t[loc[4]:loc[5]]
			if loc[1] < len(t) && (t[loc[1]] == ':' || t[loc[1]] == '.') {
				continue // a time of day or a version
			}
			if loc[0] > 0 && (t[loc[0]-1] == '-' || t[loc[0]-1] == '/' && !strings.HasSuffix(t[:loc[0]], "//")) {
				continue
			}
			if tsLikeRE.MatchString(host) || strings.EqualFold(host, "http") || strings.EqualFold(host, "https") {
				continue
			}
			if n, _ := strconv.Atoi(port); n == 0 || n > 65535 {
				continue
			}
			return clean(host+":"+port, maxParamRunes)
		}
	}
	return ""
}

func exceptionOf(v *view) string {
	if !containsAny(v.lower, exceptionHints) {
		return ""
	}
	for _, t := range v.texts {
		if m := findSubmatch(javaExcRE, t); m != nil {
			return clean(m[1], maxParamRunes)
		}
		if m := findSubmatch(simpleExc, t); m != nil {
			return clean(m[1], maxParamRunes)
		}
		if m := findSubmatch(panicRE, t); m != nil {
			return clean("panic: "+m[1], maxParamRunes)
		}
	}
	return ""
}

// param extracts one named parameter for a pattern: the entry's own
// extractors first, then the generic ones.
func (ent *Entry) param(name string, v *view) string {
	for _, px := range ent.params {
		if px.name != name {
			continue
		}
		for _, re := range px.res {
			for _, t := range v.texts {
				if m := findSubmatch(re, t); m != nil {
					if val := clean(m[1], maxParamRunes); val != "" && !strings.ContainsAny(val, "<>") {
						return val
					}
				}
			}
		}
	}
	switch name {
	case "route":
		return routeOf(v)
	case "status":
		return v.status
	case "ip":
		return ipOf(v)
	case "hostport":
		return hostPortOf(v)
	case "exception":
		return exceptionOf(v)
	case "host":
		return clean(fieldOf(v.p, "host", "hostname", "host.name", "node", "instance"), maxParamRunes)
	case "service":
		return clean(fieldOf(v.p, "service", "service.name", "app", "application", "program", "container", "pod", "job"), maxParamRunes)
	}
	return ""
}

// sortViews orders matched patterns: most recent first, then most errors,
// most lines, and id, so the order never depends on the input order.
func sortMatches(ms []match) {
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i].v.p, ms[j].v.p
		if a.Recent != b.Recent {
			return a.Recent > b.Recent
		}
		if a.Errors != b.Errors {
			return a.Errors > b.Errors
		}
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.ID < b.ID
	})
}

// strengthOfVolume maps a count to 0..1 on a log scale (1,000 -> 1).
func strengthOfVolume(n int64) float64 {
	if n <= 0 {
		return 0
	}
	return clamp01(math.Log10(1+float64(n)) / 3)
}
