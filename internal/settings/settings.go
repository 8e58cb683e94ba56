// Package settings is the one place a project's settings are defined: each
// setting's default, its validation, how the API's JSON and the settings
// page's form change it, how a change is described in the activity log, and
// how it maps onto the analysis engine's configuration. The store keeps the
// value (store.Settings is this Project), the API and the page edit it,
// ingest and `cloudsage analyze` turn it into an engine.Config.
//
// Adding a setting means a field here, its default in Default, its check in
// Problems, its form key in FromForm, its line in Changes and, if the engine
// reads it, its mapping in EngineConfig.
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/risk"
)

// Project are a project's analysis and retention settings.
type Project struct {
	HighThreshold   float64 `json:"high_threshold"`
	MediumThreshold float64 `json:"medium_threshold"`
	// FactorThresholds: per factor, the value at which it counts as high
	// (risk.Config.SetHighLevels), e.g. {"latency": 800, "error_rate": 0.1}.
	FactorThresholds map[string]float64 `json:"factor_thresholds,omitempty"`
	RetentionDays    int                `json:"retention_days"`
	TimeZone         string             `json:"time_zone"`
	// KeepInvalidNDJSON stores a broken line of an NDJSON body as a text
	// event flagged with the field _cloudsage_invalid_json=true (counted
	// in the answer's flagged_invalid_json) instead of rejecting it.
	KeepInvalidNDJSON bool `json:"keep_invalid_ndjson"`
}

// Default are a new project's settings: High at 70, Medium at 40 (the
// engine's own defaults), 30 days of raw events, UTC.
func Default() Project {
	return Project{HighThreshold: 70, MediumThreshold: 40, RetentionDays: 30, TimeZone: "UTC"}
}

// Retention bounds, in days.
const (
	MinRetentionDays = 1
	MaxRetentionDays = 3650
)

// Problem is what is wrong with one setting, named by its JSON and form key.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problems returns what is wrong with s, one entry per bad setting, in
// field order; nil when s is valid.
func (s Project) Problems() []Problem {
	var probs []Problem
	add := func(field, msg string) { probs = append(probs, Problem{field, msg}) }
	if s.HighThreshold <= 0 || s.HighThreshold > 100 {
		add("high_threshold", "high_threshold must be in (0, 100]")
	}
	if s.MediumThreshold <= 0 || s.MediumThreshold >= s.HighThreshold {
		add("medium_threshold", "medium_threshold must be above 0 and below high_threshold")
	}
	if s.RetentionDays < MinRetentionDays || s.RetentionDays > MaxRetentionDays {
		add("retention_days", fmt.Sprintf("retention_days must be between %d and %d", MinRetentionDays, MaxRetentionDays))
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil || s.TimeZone == "" {
		add("time_zone", fmt.Sprintf("time_zone %q is not a known IANA zone", s.TimeZone))
	}
	cfg := risk.DefaultConfig()
	if err := cfg.SetHighLevels(s.FactorThresholds); err != nil {
		add("factor_thresholds", err.Error())
	}
	return probs
}

// Validate returns every problem with s as one Invalid error: its message
// joins them ("invalid settings: a; b"), its Detail lists them by field
// ({"problems": [{"field", "message"}]}) for the API's 400 answer.
func (s Project) Validate() error {
	return invalid(s.Problems())
}

func invalid(probs []Problem) error {
	if len(probs) == 0 {
		return nil
	}
	msgs := make([]string, len(probs))
	for i, p := range probs {
		msgs[i] = p.Message
	}
	return &cloudsage.Error{Kind: cloudsage.Invalid, Message: "invalid settings: " + strings.Join(msgs, "; "),
		Detail: map[string]any{"problems": probs}}
}

// ProblemsOf returns the field-named problems an error from Validate, Patch
// or FromForm carries; nil for any other error.
func ProblemsOf(err error) []Problem {
	var ce *cloudsage.Error
	if !errors.As(err, &ce) {
		return nil
	}
	d, ok := ce.Detail.(map[string]any)
	if !ok {
		return nil
	}
	probs, _ := d["problems"].([]Problem)
	return probs
}

// Patch returns cur with the settings raw (a JSON object, as the API's POST
// and PUT take it) gives replaced and the rest kept, validated. An empty or
// null raw leaves cur as it is (still validated).
func Patch(cur Project, raw json.RawMessage) (Project, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return cur, cur.Validate()
	}
	next := cur
	// a copy: a factor_thresholds object merges into the current map
	next.FactorThresholds = maps.Clone(cur.FactorThresholds)
	if err := json.Unmarshal(raw, &next); err != nil {
		return cur, cloudsage.Errorf(cloudsage.Invalid, "invalid settings: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return next, next.Validate()
}

// FromForm returns cur with the settings page's form fields (read through
// get) applied: high_threshold, medium_threshold, retention_days, time_zone
// and the keep_invalid_ndjson checkbox ("on"). Factor thresholds are not on
// the form and stay. Its error lists every problem by field: values that
// are not numbers first, then, when all parse, what Validate finds.
func FromForm(cur Project, get func(key string) string) (Project, error) {
	next := cur
	var probs []Problem
	num := func(key string, dst *float64) {
		v, err := strconv.ParseFloat(strings.TrimSpace(get(key)), 64)
		if err != nil {
			probs = append(probs, Problem{key, key + " must be a number"})
			return
		}
		*dst = v
	}
	num("high_threshold", &next.HighThreshold)
	num("medium_threshold", &next.MediumThreshold)
	if d, err := strconv.Atoi(strings.TrimSpace(get("retention_days"))); err != nil {
		probs = append(probs, Problem{"retention_days", "retention_days must be a whole number"})
	} else {
		next.RetentionDays = d
	}
	next.TimeZone = strings.TrimSpace(get("time_zone"))
	next.KeepInvalidNDJSON = get("keep_invalid_ndjson") == "on"
	if len(probs) == 0 {
		probs = next.Problems()
	}
	return next, invalid(probs)
}

// Changes lists the settings that differ from before to after, each as
// {"from", "to"} under its JSON key, for the activity log. KeepInvalidNDJSON
// is not listed (it never was).
func Changes(before, after Project) map[string]any {
	changes := map[string]any{}
	diff := func(name string, a, b any) {
		if !reflect.DeepEqual(a, b) {
			changes[name] = map[string]any{"from": a, "to": b}
		}
	}
	diff("high_threshold", before.HighThreshold, after.HighThreshold)
	diff("medium_threshold", before.MediumThreshold, after.MediumThreshold)
	diff("retention_days", before.RetentionDays, after.RetentionDays)
	diff("time_zone", before.TimeZone, after.TimeZone)
	if len(before.FactorThresholds)+len(after.FactorThresholds) > 0 {
		diff("factor_thresholds", before.FactorThresholds, after.FactorThresholds)
	}
	return changes
}

// EngineConfig maps s onto the engine's configuration: label thresholds,
// per-factor high levels and the time zone of "same hour" baselines. Unset
// (zero) thresholds and zone keep the engine's defaults, so Default()'s
// config is engine.DefaultConfig() with a clock.
func (s Project) EngineConfig() (engine.Config, error) {
	cfg := engine.DefaultConfig()
	if s.HighThreshold > 0 {
		cfg.Risk.High = s.HighThreshold
	}
	if s.MediumThreshold > 0 {
		cfg.Risk.Medium = s.MediumThreshold
	}
	if s.TimeZone != "" {
		loc, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			return cfg, fmt.Errorf("time zone %q: %w", s.TimeZone, err)
		}
		cfg.Risk.Location = loc
	}
	if err := cfg.Risk.SetHighLevels(s.FactorThresholds); err != nil {
		return cfg, err
	}
	cfg.Clock = time.Now // only measures the chain's step durations
	return cfg, cfg.Validate()
}
