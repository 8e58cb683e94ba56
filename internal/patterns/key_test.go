package patterns

import (
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage"
)

func TestAddKey(t *testing.T) {
	m := New(DefaultConfig())
	a := m.AddKey("GET /v1/feed 502")
	if !a.New {
		t.Errorf("first AddKey(%q).New = false, want true", "GET /v1/feed 502")
	}
	b := m.AddKey("GET /v1/feed 502")
	if b.ID != a.ID || b.New {
		t.Errorf("second AddKey = %+v, want id %s, not new", b, a.ID)
	}
	c := m.AddKey("GET /v1/feed 2xx")
	if c.ID == a.ID {
		t.Errorf("AddKey of another status gave the same id %s", c.ID)
	}
	// The key is used as written: nothing is masked.
	if got := m.Template(a.ID); got != "GET /v1/feed 502" {
		t.Errorf("Template(%s) = %q, want the key", a.ID, got)
	}
	// A mined line that reads like the key does not join it.
	d := m.Add("GET /v1/feed 502")
	if d.ID == a.ID || d.ID == c.ID {
		t.Errorf("mined line joined keyed pattern %s", d.ID)
	}
	if m.Template(a.ID) != "GET /v1/feed 502" {
		t.Errorf("keyed template changed to %q after mining", m.Template(a.ID))
	}
	if got := m.Len(); got != 3 {
		t.Errorf("Len() = %d, want 3", got)
	}
	counts := map[cloudsage.PatternID]int64{}
	for _, p := range m.Patterns() {
		counts[p.ID] = p.Count
	}
	if counts[a.ID] != 2 || counts[c.ID] != 1 || counts[d.ID] != 1 {
		t.Errorf("counts = %v, want %s:2 %s:1 %s:1", counts, a.ID, c.ID, d.ID)
	}
}

func TestAddKeyCap(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxClusters = 3
	m := New(cfg)
	m.Add("connection refused by upstream")
	a := m.AddKey("GET /a 2xx")
	b := m.AddKey("GET /b 2xx")
	o1 := m.AddKey("GET /c 2xx")
	o2 := m.AddKey("GET /d 500")
	if o1.ID != o2.ID || o1.ID == a.ID || o1.ID == b.ID {
		t.Errorf("past the cap: ids %s %s, want one overflow id distinct from %s %s", o1.ID, o2.ID, a.ID, b.ID)
	}
	if got := m.Template(o1.ID); got != overflowKey {
		t.Errorf("overflow template = %q, want %q", got, overflowKey)
	}
	if again := m.AddKey("GET /a 2xx"); again.ID != a.ID {
		t.Errorf("known key past the cap went to %s, want %s", again.ID, a.ID)
	}
}

func TestAddKeyEdges(t *testing.T) {
	tests := []struct {
		name, key string
		wantLen   int
	}{
		{"empty", "", len(wildcard)},
		{"invalid utf-8", "GET /\xff 500", len("GET /\uFFFD 500")},
		{"long", "GET /" + strings.Repeat("é", 400) + " 500", maxKeyLen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(DefaultConfig())
			id := m.AddKey(tt.key).ID
			got := m.Template(id)
			if len(got) > tt.wantLen || len(got) < tt.wantLen-1 {
				t.Errorf("Template(AddKey(%q)) has %d bytes, want %d", tt.key, len(got), tt.wantLen)
			}
			if !validUTF8(got) {
				t.Errorf("Template(AddKey(%q)) = %q is not valid UTF-8", tt.key, got)
			}
		})
	}
}

func validUTF8(s string) bool { return strings.ToValidUTF8(s, "") == s }

func TestAddKeyPersist(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxClusters = 4
	m := New(cfg)
	mined := m.Add("user 42 logged in").ID
	a := m.AddKey("GET /v1/feed 502").ID
	b := m.AddKey("POST /v1/upload 2xx").ID
	m.AddKey("GET /x 2xx")
	over := m.AddKey("GET /y 2xx").ID
	r := restored(t, m)
	for key, want := range map[string]cloudsage.PatternID{"GET /v1/feed 502": a, "POST /v1/upload 2xx": b, "GET /z 500": over} {
		if got := r.AddKey(key).ID; got != want {
			t.Errorf("restored AddKey(%q) = %s, want %s", key, got, want)
		}
	}
	if got := r.Add("user 43 logged in").ID; got != mined {
		t.Errorf("restored Add = %s, want %s", got, mined)
	}
	if r.Len() != m.Len() {
		t.Errorf("restored Len() = %d, want %d", r.Len(), m.Len())
	}
}

func BenchmarkAddKey(b *testing.B) {
	m := New(DefaultConfig())
	keys := []string{"GET /v1/feed 2xx", "GET /v1/feed 502", "POST /v1/upload 2xx", "GET /v1/items/<*> 2xx"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		m.AddKey(keys[i%len(keys)])
	}
}
