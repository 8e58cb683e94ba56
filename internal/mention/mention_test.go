package mention

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHandles(t *testing.T) {
	f := func(body string, want ...string) {
		t.Helper()
		if got := Handles(body); !cmp.Equal(got, want) {
			t.Errorf("Handles(%q) = %q, want %q", body, got, want)
		}
	}
	f("no mention here")
	f("@bob look", "bob")
	f("cc @Bob, @cat.", "bob", "cat")
	f("@bob@example.com and @bob", "bob@example.com", "bob")
	f("write to bob@example.com")
	f("(@ann) @ann again", "ann")
	f("@ @@ @.", []string(nil)...)
	f("@dan@localhost is not an address", "dan")
	f("ping @eve@example.org.", "eve@example.org")
	f("@café", "caf")
}

func TestHandlesCapped(t *testing.T) {
	var b strings.Builder
	for i := range 100 {
		b.WriteString("@u")
		b.WriteString(strings.Repeat("x", i))
		b.WriteByte(' ')
	}
	if n := len(Handles(b.String())); n != MaxHandles {
		t.Errorf("Handles of 100 mentions = %d, want %d", n, MaxHandles)
	}
}

func TestMatch(t *testing.T) {
	emails := []string{"ann@example.com", "bob@example.com", "bob@other.org", "Cat@Example.com"}
	cases := []struct {
		handle string
		want   int
		ok     bool
	}{
		{"ann", 0, true},
		{"cat", 3, true},
		{"bob", -1, false}, // two members are "bob"
		{"bob@other.org", 2, true},
		{"zed", -1, false},
		{"ann@other.org", -1, false},
	}
	for _, c := range cases {
		if got, ok := Match(c.handle, emails); got != c.want || ok != c.ok {
			t.Errorf("Match(%q) = %d, %v, want %d, %v", c.handle, got, ok, c.want, c.ok)
		}
	}
}

func FuzzHandles(f *testing.F) {
	f.Add("cc @bob and @ann@example.com.")
	f.Add("@@@")
	f.Fuzz(func(t *testing.T, body string) {
		hs := Handles(body)
		if len(hs) > MaxHandles {
			t.Fatalf("%d handles", len(hs))
		}
		seen := map[string]bool{}
		for _, h := range hs {
			if h == "" || seen[h] || h != strings.ToLower(h) || !strings.Contains(strings.ToLower(body), "@"+h) {
				t.Fatalf("Handles(%q) = %q: bad handle %q", body, hs, h)
			}
			seen[h] = true
		}
	})
}

func BenchmarkHandles(b *testing.B) {
	body := strings.Repeat("the pool is exhausted again, @bob please look; cc @ann@example.com. ", 20)
	for b.Loop() {
		Handles(body)
	}
}
