package loghub

import (
	"fmt"
	"testing"

	"github.com/cloudsage/cloudsage/internal/patterns"
)

// userSet is a dataset whose one event has a user-name slot of three
// values: one template when enumerations of three are variables.
func userSet(name string, users ...string) *Dataset {
	ds := &Dataset{Name: name}
	for i := 0; i < 12; i++ {
		ds.Contents = append(ds.Contents, fmt.Sprintf("session closed for user %s after %d s", users[i%len(users)], i))
		ds.Templates = append(ds.Templates, "session closed for user <*> after <*> s")
	}
	return ds
}

// enumSet is a dataset whose events differ in a state word.
func enumSet(name string) *Dataset {
	ds := &Dataset{Name: name}
	for i, st := range []string{"started", "paused", "resumed", "started", "paused", "resumed"} {
		ds.Contents = append(ds.Contents, fmt.Sprintf("instance %d of the web pool %s now", i, st))
		ds.Templates = append(ds.Templates, "instance <*> of the web pool "+st+" now")
	}
	return ds
}

func TestHoldOut(t *testing.T) {
	def := patterns.DefaultConfig()
	loose := def
	loose.MinValues = 3
	grid := []Candidate{{Label: "default", Config: def}, {Label: "loose", Config: loose}}
	sets := []*Dataset{
		userSet("U1", "ann", "bob", "cyd"),
		userSet("U2", "dee", "eve", "fay"),
		userSet("U3", "gus", "hal", "ivy"),
		enumSet("E"),
	}
	rep := HoldOut(sets, grid)
	if len(rep.Order) != 4 || rep.Configs != 2 {
		t.Fatalf("HoldOut: %d systems, %d configs, want 4, 2", len(rep.Order), rep.Configs)
	}
	for _, ds := range sets {
		r := rep.Systems[ds.Name]
		if want := Evaluate(ds, def); r.InView != want {
			t.Errorf("%s in view = %+v, want the default configuration's %+v", ds.Name, r.InView, want)
		}
		var chosen patterns.Config
		for _, c := range grid {
			if c.Label == r.Chosen {
				chosen = c.Config
			}
		}
		if want := Evaluate(ds, chosen); r.HeldOut != want {
			t.Errorf("%s held out = %+v, want %s's %+v", ds.Name, r.HeldOut, r.Chosen, want)
		}
	}
	// The choice for a system never depends on that system's own data:
	// replace each one by the others' kind of data and the choice stays.
	for i, ds := range sets {
		swapped := append([]*Dataset(nil), sets...)
		if ds.Name == "E" {
			swapped[i] = userSet("E", "jo", "kim", "lu")
		} else {
			swapped[i] = enumSet(ds.Name)
		}
		if got, want := HoldOut(swapped, grid).Systems[ds.Name].Chosen, rep.Systems[ds.Name].Chosen; got != want {
			t.Errorf("%s: chosen %q after its own data changed, was %q", ds.Name, got, want)
		}
	}
	// The enumeration set is scored with what the three user sets prefer.
	if got := rep.Systems["E"].Chosen; got != "loose" {
		t.Errorf("E chosen = %q, want loose (the other three systems are best with it)", got)
	}
}

func TestGrid(t *testing.T) {
	g := Grid()
	if len(g) < 2 || g[0].Config != patterns.DefaultConfig() {
		t.Fatalf("Grid()[0] = %+v, want the default configuration first", g[0])
	}
	seen := map[patterns.Config]bool{}
	for _, c := range g {
		if seen[c.Config] {
			t.Errorf("Grid() holds %s twice", c.Label)
		}
		seen[c.Config] = true
	}
}
