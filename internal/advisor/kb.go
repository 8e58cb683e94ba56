package advisor

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/cloudsage/cloudsage"
)

//go:embed kb.json
var kbJSON []byte

// KnowledgeBase is a compiled set of signatures, each turning matched
// evidence into action templates. It is read-only once loaded and safe for
// concurrent use.
type KnowledgeBase struct {
	Version   int
	Entries   []*Entry // signatures matched against patterns and factors
	Fallbacks []*Entry // generic actions used when fewer than three signatures match, in order
}

// Entry is one signature of the knowledge base.
type Entry struct {
	Key         string  `json:"key"`
	Select      string  `json:"select"` // fallbacks only: what the action is about (see fallbackSelectors)
	Name        string  `json:"name"`
	Severity    float64 `json:"severity"`    // 0..1: how bad this is when fully evidenced
	Specificity int     `json:"specificity"` // a pattern matched by a more specific entry is not reused by a less specific one (0: never excluded)
	UserFacing  bool    `json:"user_facing"` // hurts users now: ranks first in the critical chain
	Trend       bool    `json:"trend"`       // builds up over days: ranks first in the preventive chain
	// Symptom: what users feel (5xx, slowness), not why. A symptom ranks just
	// below an evidence-backed cause active in the same window that feeds one
	// of its factors, and its text names that cause. A candidate backed by a
	// risk factor alone is always a symptom.
	Symptom bool `json:"symptom"`
	// Explains lists the factors whose symptoms this signature can cause
	// (a cache outage explains latency and errors); empty: Relates. An OOM
	// kill feeds the memory factor but does not explain high memory: it is
	// its consequence.
	Explains []string    `json:"explains"`
	Relates  []string    `json:"relates"`  // risk factors this signature feeds
	GroupBy  string      `json:"group_by"` // parameter whose value splits matches into separate actions ("route", "ip")
	Rules    []*Rule     `json:"rules"`    // a pattern matches when any rule matches it
	Factor   *FactorRule `json:"factor"`
	// MinRecent and MinSurge hold for the matched patterns together (one
	// group of them): a "burst" of 5xx on a route is at least this many
	// lines in the recent window, at least this multiple of the usual rate
	// (or none before). One rare 502 is not a burst.
	MinRecent int64   `json:"min_recent"`
	MinSurge  float64 `json:"min_surge"`
	// RequireFactor: patterns alone do not make a match; the factor rule must hold.
	RequireFactor bool                `json:"require_factor"`
	Params        map[string][]string `json:"params"` // name -> regexes with one capture group, tried in order
	Actions       []ActionTemplate    `json:"actions"`

	params []paramExtractor
	tmpls  []actionText
	used   []string // parameters the templates and group_by need that come from the patterns
}

type actionText struct {
	title, why template
}

// Rule matches one pattern. All conditions given must hold.
type Rule struct {
	Keywords  []string          `json:"keywords"`   // case-insensitive substrings of template or samples (any)
	Regexes   []string          `json:"regexes"`    // case-insensitive regexes over template or samples (any)
	MinLevel  string            `json:"min_level"`  // "warn" or "error": the pattern must have such events
	Status    string            `json:"status"`     // regex over the HTTP status of the pattern
	Fields    map[string]string `json:"fields"`     // field name -> regex over the pattern's common field value
	MinRecent int64             `json:"min_recent"` // at least this many events in the recent window
	MinSurge  float64           `json:"min_surge"`  // recent rate at least this multiple of the rate before
	NewErrors bool              `json:"new_errors"` // the pattern is new and has errors
	// Also, when set, must match too (a regex over the lowercased text): a
	// generic phrase ("connection pool") names this system only beside one
	// of its own words ("postgres", ":5432").
	Also string `json:"also"`
	// Unless, when it matches (a regex over the lowercased text), the rule
	// does not: the line names another system ("redis: connection pool
	// timeout" is the cache's pool, not the database's).
	Unless string `json:"unless"`

	keywords []string       // lowercased
	kwGrams  [][]uint16     // bigram bits of each keyword, for the quick test
	hintGram [][]uint16     // bigram bits of each regex hint
	re       *regexp.Regexp // all Regexes as one alternation, run on lowercased text
	reHints  []string       // the regex cannot match unless one of these is in the text (nil: no hint)
	status   *regexp.Regexp
	also     *regexp.Regexp
	unless   *regexp.Regexp
	fields   []fieldRule
	minLevel cloudsage.Level
}

type fieldRule struct {
	name string
	re   *regexp.Regexp
}

// FactorRule matches a risk factor's state.
type FactorRule struct {
	Name        string   `json:"name"`
	Status      []string `json:"status"`       // any of these statuses ("elevated", "high"); empty: any
	MinRatio    float64  `json:"min_ratio"`    // value/baseline at least this (0: no bound)
	MaxRatio    float64  `json:"max_ratio"`    // value/baseline at most this (0: no bound)
	MinBaseline float64  `json:"min_baseline"` // baseline at least this (ignore tiny baselines)
}

// ActionTemplate is the text of one action. {name} is replaced by a
// parameter, {a,b|text} by the first of a, b that is known, else text;
// [ ... ] is kept only when every parameter inside it is known. The first
// template whose required parameters are all known is the entry's main
// action; later usable ones are secondary actions.
type ActionTemplate struct {
	Title string `json:"title"`
	Why   string `json:"why"`
}

type paramExtractor struct {
	name string
	res  []*regexp.Regexp
}

type kbFile struct {
	Version   int      `json:"version"`
	Entries   []*Entry `json:"entries"`
	Fallbacks []*Entry `json:"fallbacks"`
}

var factorNames = map[string]bool{"error_rate": true, "log_volume": true, "latency": true, "memory": true, "cpu": true}

var defaultKB = sync.OnceValue(func() *KnowledgeBase {
	kb, err := ParseKB(kbJSON)
	if err != nil {
		panic("advisor: embedded kb.json: " + err.Error())
	}
	return kb
})

// DefaultKB returns the embedded knowledge base.
func DefaultKB() *KnowledgeBase { return defaultKB() }

// ParseKB parses and validates a knowledge base in the kb.json format,
// returning every problem found joined into one error.
func ParseKB(data []byte) (*KnowledgeBase, error) {
	var f kbFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("parse knowledge base: %w", err)
	}
	var errs []error
	if len(f.Entries) == 0 {
		errs = append(errs, errors.New("no entries"))
	}
	if len(f.Fallbacks) < minActions {
		errs = append(errs, fmt.Errorf("%d fallbacks, want at least %d", len(f.Fallbacks), minActions))
	}
	always := 0
	seen := map[string]bool{}
	for _, list := range []struct {
		what     string
		entries  []*Entry
		fallback bool
	}{{"entry", f.Entries, false}, {"fallback", f.Fallbacks, true}} {
		for i, e := range list.entries {
			if e == nil {
				errs = append(errs, fmt.Errorf("%s %d: null", list.what, i))
				continue
			}
			if err := e.compile(list.fallback); err != nil {
				errs = append(errs, fmt.Errorf("%s %d (%s): %w", list.what, i, e.Key, err))
			}
			if seen[e.Key] {
				errs = append(errs, fmt.Errorf("%s %d: duplicate key %q", list.what, i, e.Key))
			}
			seen[e.Key] = true
			if list.fallback && alwaysSelectors[e.Select] {
				always++
			}
		}
	}
	if always < minActions {
		errs = append(errs, fmt.Errorf("%d fallbacks that always apply (%v), want at least %d so every report has %d actions", always, slices.Sorted(maps.Keys(alwaysSelectors)), minActions, minActions))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("invalid knowledge base: %w", err)
	}
	return &KnowledgeBase{Version: f.Version, Entries: f.Entries, Fallbacks: f.Fallbacks}, nil
}

var keyRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func (e *Entry) compile(fallback bool) error {
	var errs []error
	if !keyRE.MatchString(e.Key) {
		errs = append(errs, fmt.Errorf("key %q: want lowercase snake_case", e.Key))
	}
	if e.Name == "" {
		errs = append(errs, errors.New("no name"))
	}
	if e.Severity <= 0 || e.Severity > 1 {
		errs = append(errs, fmt.Errorf("severity %v: want (0, 1]", e.Severity))
	}
	switch {
	case fallback && !fallbackSelectors[e.Select]:
		errs = append(errs, fmt.Errorf("select %q: want one of %v", e.Select, slices.Sorted(maps.Keys(fallbackSelectors))))
	case fallback && (len(e.Rules) > 0 || e.Factor != nil):
		errs = append(errs, errors.New("a fallback has a selector, not rules or a factor"))
	case !fallback && e.Select != "":
		errs = append(errs, errors.New("select is for fallbacks only"))
	case !fallback && len(e.Rules) == 0 && e.Factor == nil:
		errs = append(errs, errors.New("no rules and no factor: can never match"))
	}
	if e.RequireFactor && e.Factor == nil {
		errs = append(errs, errors.New("require_factor without a factor rule"))
	}
	for _, f := range e.Relates {
		if !factorNames[f] {
			errs = append(errs, fmt.Errorf("relates: unknown factor %q", f))
		}
	}
	for _, f := range e.Explains {
		if !factorNames[f] {
			errs = append(errs, fmt.Errorf("explains: unknown factor %q", f))
		}
	}
	if e.Factor != nil {
		if !factorNames[e.Factor.Name] {
			errs = append(errs, fmt.Errorf("factor: unknown factor %q", e.Factor.Name))
		}
		for _, s := range e.Factor.Status {
			if s != "normal" && s != "elevated" && s != "high" {
				errs = append(errs, fmt.Errorf("factor: unknown status %q", s))
			}
		}
		if e.Factor.MaxRatio != 0 && e.Factor.MinRatio > e.Factor.MaxRatio {
			errs = append(errs, errors.New("factor: min_ratio above max_ratio"))
		}
	}
	for i, r := range e.Rules {
		if r == nil {
			errs = append(errs, fmt.Errorf("rule %d: null", i))
			continue
		}
		if err := r.compile(); err != nil {
			errs = append(errs, fmt.Errorf("rule %d: %w", i, err))
		}
	}
	for _, n := range slices.Sorted(maps.Keys(e.Params)) {
		if !keyRE.MatchString(n) {
			errs = append(errs, fmt.Errorf("param %q: want lowercase snake_case", n))
		}
		px := paramExtractor{name: n}
		for _, src := range e.Params[n] {
			re, err := regexp.Compile("(?i)" + src)
			if err != nil {
				errs = append(errs, fmt.Errorf("param %s: %w", n, err))
				continue
			}
			if re.NumSubexp() != 1 {
				errs = append(errs, fmt.Errorf("param %s: regex %q has %d groups, want 1", n, src, re.NumSubexp()))
				continue
			}
			px.res = append(px.res, re)
		}
		e.params = append(e.params, px)
	}
	if e.GroupBy != "" && !e.knowsParam(e.GroupBy) {
		errs = append(errs, fmt.Errorf("group_by %q: not a parameter", e.GroupBy))
	}
	if len(e.Actions) == 0 {
		errs = append(errs, errors.New("no actions"))
	}
	used := map[string]bool{}
	if e.GroupBy != "" {
		used[e.GroupBy] = true
	}
	for i, a := range e.Actions {
		if strings.TrimSpace(a.Title) == "" || strings.TrimSpace(a.Why) == "" {
			errs = append(errs, fmt.Errorf("action %d: empty title or why", i))
		}
		var texts [2]template
		parsed := true
		for j, text := range []string{a.Title, a.Why} {
			t, err := parseTemplate(text)
			if err != nil {
				errs = append(errs, fmt.Errorf("action %d: %w", i, err))
				parsed = false
				continue
			}
			texts[j] = t
			unknown := ""
			for _, n := range t.names() {
				used[n] = true
				if unknown == "" && !e.knowsParam(n) {
					unknown = n
				}
			}
			if unknown != "" {
				errs = append(errs, fmt.Errorf("action %d: template %q: unknown parameter {%s}", i, text, unknown))
			}
		}
		if parsed {
			e.tmpls = append(e.tmpls, actionText{title: texts[0], why: texts[1]})
		}
	}
	for n := range used {
		if !builtinParams[n] {
			e.used = append(e.used, n)
		}
	}
	slices.Sort(e.used)
	return errors.Join(errs...)
}

func (e *Entry) knowsParam(name string) bool {
	if builtinParams[name] || genericParams[name] {
		return true
	}
	_, ok := e.Params[name]
	return ok
}

func (r *Rule) compile() error {
	var errs []error
	for _, k := range r.Keywords {
		if strings.TrimSpace(k) == "" {
			errs = append(errs, errors.New("empty keyword"))
			continue
		}
		r.keywords = append(r.keywords, strings.ToLower(k))
		r.kwGrams = append(r.kwGrams, gramBits(strings.ToLower(k)))
	}
	if len(r.Regexes) > 0 {
		parts := make([]string, len(r.Regexes))
		for i, src := range r.Regexes {
			if _, err := regexp.Compile(src); err != nil {
				errs = append(errs, fmt.Errorf("regex %q: %w", src, err))
			} else if hasUpperLiteral(src) {
				errs = append(errs, fmt.Errorf("regex %q: rule regexes run on lowercased text, write their letters in lowercase", src))
			}
			parts[i] = "(?:" + src + ")"
		}
		all := strings.Join(parts, "|")
		if re, err := regexp.Compile(all); err == nil {
			r.re = re
			r.reHints = requiredLiterals(all)
			for _, h := range r.reHints {
				r.hintGram = append(r.hintGram, gramBits(h))
			}
		}
	}
	for _, x := range []struct {
		name, src string
		dst       **regexp.Regexp
	}{{"also", r.Also, &r.also}, {"unless", r.Unless, &r.unless}} {
		if x.src == "" {
			continue
		}
		re, err := regexp.Compile(x.src)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s %q: %w", x.name, x.src, err))
		case hasUpperLiteral(x.src):
			errs = append(errs, fmt.Errorf("%s %q: runs on lowercased text, write its letters in lowercase", x.name, x.src))
		default:
			*x.dst = re
		}
	}
	if r.Status != "" {
		re, err := regexp.Compile(r.Status)
		if err != nil {
			errs = append(errs, fmt.Errorf("status %q: %w", r.Status, err))
		}
		r.status = re
	}
	for _, n := range slices.Sorted(maps.Keys(r.Fields)) {
		re, err := regexp.Compile(r.Fields[n])
		if err != nil {
			errs = append(errs, fmt.Errorf("field %s: %w", n, err))
			continue
		}
		r.fields = append(r.fields, fieldRule{name: n, re: re})
	}
	switch r.MinLevel {
	case "":
	case "warn":
		r.minLevel = cloudsage.LevelWarn
	case "error":
		r.minLevel = cloudsage.LevelError
	default:
		errs = append(errs, fmt.Errorf("min_level %q: want warn or error", r.MinLevel))
	}
	if len(r.keywords) == 0 && r.re == nil && r.status == nil && len(r.fields) == 0 && r.MinRecent == 0 && r.MinSurge == 0 && !r.NewErrors {
		errs = append(errs, errors.New("rule has no condition: it would match every pattern"))
	}
	if r.MinSurge < 0 || r.MinRecent < 0 {
		errs = append(errs, errors.New("negative min_surge or min_recent"))
	}
	return errors.Join(errs...)
}

// hasUpperLiteral reports whether a regex has an upper-case letter in a
// literal (which could never match lowercased text).
func hasUpperLiteral(src string) bool {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return false
	}
	var walk func(*syntax.Regexp) bool
	walk = func(re *syntax.Regexp) bool {
		if re.Op == syntax.OpLiteral && re.Flags&syntax.FoldCase == 0 {
			for _, r := range re.Rune {
				if unicode.IsUpper(r) {
					return true
				}
			}
		}
		for _, s := range re.Sub {
			if walk(s) {
				return true
			}
		}
		return false
	}
	return walk(re)
}

// requiredLiterals returns strings one of which must occur in any text
// the regex matches, so a cheap substring test can skip most texts; nil
// when no such set is known.
func requiredLiterals(src string) []string {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil
	}
	set := literalsOf(re.Simplify())
	for _, l := range set {
		if len(l) < 2 {
			return nil // too weak to be worth the test
		}
	}
	return set
}

func literalsOf(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return []string{strings.ToLower(string(re.Rune))}
		}
		return []string{string(re.Rune)}
	case syntax.OpCapture, syntax.OpPlus:
		return literalsOf(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return literalsOf(re.Sub[0])
		}
	case syntax.OpConcat:
		var best []string
		for _, s := range re.Sub {
			if set := literalsOf(s); set != nil && shortest(set) > shortest(best) {
				best = set
			}
		}
		return best
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			set := literalsOf(s)
			if set == nil {
				return nil
			}
			out = append(out, set...)
		}
		return out
	}
	return nil
}

func shortest(set []string) int {
	if len(set) == 0 {
		return 0
	}
	n := len(set[0])
	for _, s := range set[1:] {
		n = min(n, len(s))
	}
	return n
}
