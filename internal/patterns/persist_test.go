package patterns

import (
	"fmt"
	"testing"

	"github.com/cloudsage/cloudsage"
)

// restored returns a new miner restored from a snapshot of m.
func restored(t testing.TB, m *Miner) *Miner {
	t.Helper()
	data, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r := New(DefaultConfig())
	if err := r.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestMarshalRoundTrip(t *testing.T) {
	lines := []string{
		"Accepted password for root from 10.1.2.3 port 22 ssh2",
		"Accepted password for root from 10.1.2.4 port 23 ssh2",
		"VM started", "VM paused",
		"connection from 10.0.0.1 at Thu Jul 7 16:33:52 2005",
		"connection from 10.0.0.3 at 2005-06-18T02:08:10Z",
	}
	for i, u := range []string{"amy", "ben", "cat", "dan", "eve", "fay"} {
		lines = append(lines, fmt.Sprintf("Invalid user %s from 10.0.0.%d", u, i))
	}
	cfg := DefaultConfig()
	cfg.MaxClusters = 9 // reach the cap so "other" patterns are persisted too
	m := New(cfg)
	ids := make([]cloudsage.PatternID, len(lines))
	for i, l := range lines {
		ids[i] = m.Add(l).ID
	}
	m.Add("one two three four five six seven eight nine ten eleven")
	r := restored(t, m)
	if r.Len() != m.Len() {
		t.Errorf("restored Len() = %d, want %d", r.Len(), m.Len())
	}
	for i, id := range ids {
		if r.Template(id) != m.Template(id) || r.Canonical(id) != m.Canonical(id) {
			t.Errorf("line %d: restored %s -> %s %q, want %s %q", i, id, r.Canonical(id), r.Template(id), m.Canonical(id), m.Template(id))
		}
	}
	pm, pr := m.Patterns(), r.Patterns()
	for i := range pm {
		if pm[i] != pr[i] {
			t.Errorf("restored pattern %d = %+v, want %+v", i, pr[i], pm[i])
		}
	}
	// The restored miner keeps mining the same way as the original.
	for _, l := range append(lines, "Invalid user zed from 10.9.9.9", "VM resumed", "brand new line of words here") {
		a, b := m.Add(l), r.Add(l)
		if a != b {
			t.Errorf("Add(%q): original %+v, restored %+v", l, a, b)
		}
	}
	if r.cfg.MaxClusters != 9 {
		t.Errorf("restored MaxClusters = %d, want the stored 9", r.cfg.MaxClusters)
	}
}

func TestUnmarshalBad(t *testing.T) {
	m := New(DefaultConfig())
	for _, in := range [][]byte{nil, []byte("junk"), {0xff, 0x00, 0x13}} {
		if err := m.UnmarshalBinary(in); err == nil {
			t.Errorf("UnmarshalBinary(%q): no error", in)
		}
	}
	// A failed restore leaves the miner usable.
	if got := m.Add("still works 1"); got.ID == "" || !got.New {
		t.Errorf("Add after a failed restore = %+v", got)
	}
}

func TestMarshalKeepsValues(t *testing.T) {
	m := New(DefaultConfig())
	for _, u := range []string{"amy", "ben", "cat", "dan"} {
		m.Add("session closed for account " + u)
	}
	r := restored(t, m)
	// amy and ben are known values in both: two templates differing only
	// there are one pattern.
	for _, mm := range []*Miner{m, r} {
		a := mm.Add("quota exceeded for account amy on volume home")
		b := mm.Add("quota exceeded for account ben on volume home")
		if mm.Canonical(a.ID) != mm.Canonical(b.ID) {
			t.Errorf("known values: %q and %q apart", mm.Template(a.ID), mm.Template(b.ID))
		}
	}
}
