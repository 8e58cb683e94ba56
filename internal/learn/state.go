package learn

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
)

// StateVersion is the version of the learned-state format.
const StateVersion = 1

// State is what a project learned, as a file: the feedback (one opinion
// per user and action), the manual overrides and the described past
// incidents. The server exports it (GET /api/projects/{id}/learning/state)
// and `cloudsage analyze --state FILE` applies it.
type State struct {
	Version   int        `json:"version"`
	Feedback  []Feedback `json:"feedback"`
	Overrides Overrides  `json:"overrides"`
	Incidents []Memory   `json:"incidents,omitempty"`
}

// maxStateBytes bounds a state file: feedback and incidents of a busy
// project are well below it.
const maxStateBytes = 16 << 20

// ReadState decodes and checks a state file.
func ReadState(r io.Reader) (State, error) {
	var st State
	dec := json.NewDecoder(io.LimitReader(r, maxStateBytes+1))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return st, fmt.Errorf("read learned state: %w", err)
	}
	if dec.More() {
		return st, fmt.Errorf("read learned state: more than one JSON value")
	}
	return st, st.Check()
}

// Check reports what is wrong with st.
func (st State) Check() error {
	if st.Version != StateVersion {
		return fmt.Errorf("learned state version %d is not %d", st.Version, StateVersion)
	}
	for i, f := range st.Feedback {
		if !slices.Contains([]string{Done, Dismissed, Snoozed, NotRelevant}, f.Status) {
			return fmt.Errorf("feedback %d: status %q is not done, dismissed, snoozed or not_relevant", i, f.Status)
		}
	}
	for _, o := range st.Overrides.List() {
		if err := CheckOverride(o); err != nil {
			return fmt.Errorf("override %s %q: %w", o.Kind, o.Target, err)
		}
	}
	return nil
}
