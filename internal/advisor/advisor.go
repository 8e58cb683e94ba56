// Package advisor turns the engine's findings (risk factors, forecast,
// pattern statistics) into a recorded recommendation chain and a ranked list
// of concrete actions, each with its evidence. It is pure: no I/O, no wall
// clock; step durations are measured with an injected clock.
//
// The chain branches on the score: critical (score >= high threshold, what
// hurts users now first), preventive (rising and above 50, a 7-day
// look-ahead, what builds up first) or standard. Its four steps are
// context_analysis (what changed), pattern_matching (patterns and factors
// against the knowledge base), risk_assessment (severity x evidence x
// chain boost x learned preference) and action_generation (at least three
// de-duplicated actions, filled from fallbacks when fewer signatures match).
//
// The knowledge base is data: kb.json, embedded. Each entry has a key, a
// severity, match rules (keywords and regexes over the template and sample
// lines, a minimum level, an HTTP status, field values, recent count,
// surge, newness), an optional factor rule (status and value/baseline
// ratio), parameter extractors (regexes with one group) and action
// templates. Templates name parameters in braces ({activity}, {route},
// {db|default}, {a,b|default}) and optional sections in square brackets
// that are dropped when a parameter inside is unknown. ParseKB validates a
// knowledge base; KnowledgeBase.Advise runs the chain with it.
package advisor

import (
	"fmt"
	"time"

	"github.com/cloudsage/cloudsage"
)

// FactorState is one risk factor as the risk stage scored it.
type FactorState struct {
	Name     string  // error_rate, log_volume, latency, memory, cpu
	Weight   float64 // 40, 25, 20, 10, 5
	Points   float64 // 0..Weight
	Value    float64 // measured now
	Baseline float64 // what it is compared with
	Unit     string  // "ratio", "lines/min", "ms", "%", "MB"
	Status   string  // "normal", "elevated", "high"
}

// PatternStat summarises one mined log pattern.
type PatternStat struct {
	ID                  cloudsage.PatternID
	Template            string
	Count               int64 // in the whole analysed history
	Recent              int64 // in the recent window (Input.RecentWindow before At)
	Before              int64 // in the 24 h before the recent window
	Errors              int64 // events at error level or above
	Warns               int64
	FirstSeen, LastSeen time.Time
	New                 bool              // first seen within the last hour
	Samples             []string          // up to 3 raw lines
	Fields              map[string]string // optional common field values (route, status, host, ...)
	// Hosts counts the pattern's lines per host (OtherHosts: hosts beyond
	// the first few); nil when the lines name none. A host is named in an
	// action only when it dominates the lines behind it.
	Hosts map[string]int64
}

// OtherHosts is the Hosts key of lines from hosts not counted one by one.
const OtherHosts = "(other hosts)"

// Input is everything the chain looks at.
type Input struct {
	At                             time.Time
	Score                          float64
	Label                          string  // "high", "medium", "low"
	Trend                          float64 // score change per hour over recent history (> 0 rising)
	Factors                        []FactorState
	PHigh                          float64 // probability of reaching high within the horizon
	PeakScore                      float64 // highest forecast score within the horizon
	HorizonHours                   int
	Patterns                       []PatternStat // most relevant first (errors, new, surging), at most ~50
	RecentWindow                   time.Duration
	Preferences                    map[string]float64 // action key -> learned multiplier (1 neutral); may be nil
	HighThreshold, MediumThreshold float64            // 70, 40 by default
	// Pinned action types rank first whenever the chain proposes them;
	// Muted ones are never proposed (a project's manual overrides).
	Pinned, Muted map[string]bool
	// Similar are past incidents like the present one (best first), shown
	// by the pattern-matching step with what fixed them.
	Similar []PastIncident
}

// PastIncident is a past incident similar to the present.
type PastIncident struct {
	ID         int64     `json:"id"`
	OpenedAt   time.Time `json:"opened_at"`
	Title      string    `json:"title"`
	RootCause  string    `json:"root_cause,omitempty"`
	Fix        string    `json:"fix,omitempty"`
	Similarity float64   `json:"similarity"`
}

// Text is how the chain tells people about p: "Looks like 'orders DB pool
// exhausted' on 3 Oct (similarity 0.87): fixed by raising max_connections".
func (p PastIncident) Text() string {
	t := fmt.Sprintf("Looks like '%s' on %s (similarity %.2f)", p.Title, p.OpenedAt.UTC().Format("2 Jan 2006"), p.Similarity)
	if p.Fix != "" {
		t += ": fixed by " + p.Fix
	} else if p.RootCause != "" {
		t += ": root cause " + p.RootCause
	}
	return t
}

// Step is one recorded step of the chain.
type Step struct {
	Name       string         `json:"name"` // context_analysis, pattern_matching, risk_assessment, action_generation
	Summary    string         `json:"summary"`
	DurationMS float64        `json:"duration_ms"`
	Inputs     map[string]any `json:"inputs,omitempty"`
	Outputs    map[string]any `json:"outputs,omitempty"`
}

// Evidence backs an action: the patterns, the named numbers and sample lines.
type Evidence struct {
	Patterns []cloudsage.PatternID `json:"patterns"`
	Numbers  map[string]float64    `json:"numbers"`
	Samples  []string              `json:"samples"`
	// Units names the unit of each number that has one (UnitMultiple,
	// UnitShare, "%", "ms", "MB", ...); counts have none. FormatNumber
	// writes a number in its unit.
	Units map[string]string `json:"units,omitempty"`
}

// Action is one recommended action.
type Action struct {
	ID       string   `json:"id"`  // stable across reports: hash of Key + main evidence pattern ids
	Key      string   `json:"key"` // knowledge-base entry, e.g. "db_pool_exhaustion"
	Title    string   `json:"title"`
	Why      string   `json:"why"`
	Priority string   `json:"priority"` // "critical", "high", "medium", "low"
	Score    float64  `json:"score"`    // ranking score (severity x evidence x preference)
	Evidence Evidence `json:"evidence"`
	// Steps are the further steps of the same problem: the entry's
	// follow-up, and the actions of other signatures read off the same
	// lines or explained by it (a route's 5xx behind a failing cache), in
	// rank order. The evidence covers them all.
	Steps []ActionStep `json:"steps,omitempty"`
}

// ActionStep is one further step of an action.
type ActionStep struct {
	Key   string `json:"key"`
	Title string `json:"title"`
}

// Chain is the branch taken and its recorded steps.
type Chain struct {
	Name           string `json:"name"`            // "critical" (score >= high), "preventive" (rising and > 50), "standard"
	LookaheadHours int    `json:"lookahead_hours"` // preventive looks 7 days (168 h) ahead
	Steps          []Step `json:"steps"`
}

// Result is the chain and its actions.
type Result struct {
	Chain   Chain    `json:"chain"`
	Actions []Action `json:"actions"` // at least 3, best first
}

// Chain names.
const (
	ChainCritical   = "critical"
	ChainPreventive = "preventive"
	ChainStandard   = "standard"
)

// Default thresholds used when Input leaves them zero: risk.DefaultConfig's
// High and Medium (a test keeps them equal).
const (
	DefaultHighThreshold   = 70
	DefaultMediumThreshold = 40
	preventiveFloor        = 50
	preventiveLookahead    = 168
)

// Advise runs the chain with the embedded knowledge base. clock measures
// step durations (nil: durations are 0). The result is deterministic for a
// given input apart from those durations.
func Advise(in Input, clock func() time.Time) Result {
	return DefaultKB().Advise(in, clock)
}
