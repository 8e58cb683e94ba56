package learn

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Change is one thing feedback or an override changed, for people:
// "'database connections / pool exhaustion' raised — completed 5 of 6 times".
type Change struct {
	Kind   string `json:"kind"`   // raised, lowered, pin, mute, threshold, expected
	Target string `json:"target"` // the action key, factor name or pattern id
	Text   string `json:"text"`
}

// Changes says what the estimates and overrides change in the ranking and
// scoring: overrides first, then the types feedback moved most. names gives
// an action key's or pattern id's name for people (the key itself when
// absent). A type whose multiplier stays within 5% of neutral changed
// nothing and is left out.
func Changes(es []Estimate, o Overrides, names map[string]string) []Change {
	name := func(k string) string {
		if n := names[k]; n != "" {
			return n
		}
		return k
	}
	var out []Change
	for _, ov := range o.List() {
		c := Change{Kind: ov.Kind, Target: ov.Target}
		switch ov.Kind {
		case Pin:
			c.Text = fmt.Sprintf("'%s' pinned: ranks first when proposed", name(ov.Target))
		case Mute:
			c.Text = fmt.Sprintf("'%s' muted", name(ov.Target))
		case Threshold:
			c.Text = fmt.Sprintf("%s counts as high from %g", strings.ReplaceAll(ov.Target, "_", " "), ov.Value)
		case Expected:
			c.Text = fmt.Sprintf("pattern '%s' expected: its errors are no signal", name(ov.Target))
		}
		out = append(out, c)
	}
	moved := slices.Clone(es)
	slices.SortStableFunc(moved, func(a, b Estimate) int {
		return cmp.Compare(math.Abs(math.Log(b.Multiplier)), math.Abs(math.Log(a.Multiplier)))
	})
	for _, e := range moved {
		judged := e.Done + e.Dismissed + e.NotRelevant
		switch {
		case judged == 0 || math.Abs(e.Multiplier-1) < 0.05:
			continue
		case e.Multiplier > 1:
			out = append(out, Change{Kind: "raised", Target: e.Key,
				Text: fmt.Sprintf("'%s' raised — completed %d of %d times", name(e.Key), e.Done, judged)})
		default:
			why := fmt.Sprintf("dismissed %d", e.Dismissed)
			if e.NotRelevant > 0 {
				why += fmt.Sprintf(", not relevant %d", e.NotRelevant)
			}
			out = append(out, Change{Kind: "lowered", Target: e.Key,
				Text: fmt.Sprintf("'%s' lowered — %s of %d times", name(e.Key), why, judged)})
		}
	}
	return out
}
