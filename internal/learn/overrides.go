package learn

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// Override kinds: what a person can set by hand for a project, each
// reversible by removing it.
const (
	Pin       = "pin"       // an action type always ranks first when the chain proposes it
	Mute      = "mute"      // an action type is never proposed
	Threshold = "threshold" // a factor's high level (as risk.Config.SetHighLevels)
	Expected  = "expected"  // a pattern is expected: its errors stop counting as an error signal
)

// Kinds lists the override kinds.
var Kinds = []string{Pin, Mute, Threshold, Expected}

// Overrides are a project's manual overrides as the engine takes them.
type Overrides struct {
	Pinned     []string           `json:"pinned,omitempty"`     // action keys
	Muted      []string           `json:"muted,omitempty"`      // action keys
	Thresholds map[string]float64 `json:"thresholds,omitempty"` // factor name -> high level
	Expected   []string           `json:"expected,omitempty"`   // pattern ids
}

// Empty reports whether o overrides nothing.
func (o Overrides) Empty() bool {
	return len(o.Pinned) == 0 && len(o.Muted) == 0 && len(o.Thresholds) == 0 && len(o.Expected) == 0
}

// Override is one override: its kind, its target (an action key, a factor
// name or a pattern id) and, for a threshold, the value.
type Override struct {
	Kind   string  `json:"kind"`
	Target string  `json:"target"`
	Value  float64 `json:"value,omitempty"`
}

// CheckOverride reports what is wrong with o: an unknown kind, an empty or
// overlong target, a threshold without a positive finite value. Whether a
// factor name is known is the risk package's to say.
func CheckOverride(o Override) error {
	if !slices.Contains(Kinds, o.Kind) {
		return fmt.Errorf("kind %q is not one of %s", o.Kind, strings.Join(Kinds, ", "))
	}
	if o.Target == "" || len(o.Target) > 200 || !utf8.ValidString(o.Target) || strings.ContainsAny(o.Target, "\r\n\t") {
		return fmt.Errorf("target must be 1 to 200 characters on one line")
	}
	if o.Kind == Threshold {
		if !(o.Value > 0) || math.IsInf(o.Value, 0) {
			return fmt.Errorf("a threshold wants a value above 0, have %g", o.Value)
		}
	} else if o.Value != 0 {
		return fmt.Errorf("value applies to thresholds only")
	}
	return nil
}

// Collect turns a list of overrides into the engine's Overrides (sorted,
// de-duplicated; a type both pinned and muted is muted). A later threshold
// for a factor replaces an earlier one.
func Collect(os []Override) Overrides {
	var out Overrides
	for _, o := range os {
		switch o.Kind {
		case Pin:
			out.Pinned = append(out.Pinned, o.Target)
		case Mute:
			out.Muted = append(out.Muted, o.Target)
		case Threshold:
			if out.Thresholds == nil {
				out.Thresholds = map[string]float64{}
			}
			out.Thresholds[o.Target] = o.Value
		case Expected:
			out.Expected = append(out.Expected, o.Target)
		}
	}
	for _, s := range []*[]string{&out.Pinned, &out.Muted, &out.Expected} {
		slices.Sort(*s)
		*s = slices.Compact(*s)
	}
	out.Pinned = slices.DeleteFunc(out.Pinned, func(k string) bool { return slices.Contains(out.Muted, k) })
	return out
}

// List is Collect's inverse: one Override per entry, in kind then target order.
func (o Overrides) List() []Override {
	var out []Override
	for _, k := range o.Pinned {
		out = append(out, Override{Kind: Pin, Target: k})
	}
	for _, k := range o.Muted {
		out = append(out, Override{Kind: Mute, Target: k})
	}
	for _, f := range slices.Sorted(maps.Keys(o.Thresholds)) {
		out = append(out, Override{Kind: Threshold, Target: f, Value: o.Thresholds[f]})
	}
	for _, id := range o.Expected {
		out = append(out, Override{Kind: Expected, Target: id})
	}
	return out
}
