package sqlstore

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, c := range [][2]int64{{0, 1}, {1767225600000000000, 42}, {-5, 7}} {
		tm, id, err := parseCursor(cursor(c[0], c[1]))
		if err != nil || tm != c[0] || id != c[1] {
			t.Errorf("parseCursor(cursor(%v)) = %d, %d, %v", c, tm, id, err)
		}
	}
	for _, bad := range []string{"", "x", "1.", ".1", "zz.!!"} {
		if _, _, err := parseCursor(bad); err == nil {
			t.Errorf("parseCursor(%q) accepted", bad)
		}
	}
}

func TestSearchWords(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"disk full", []string{"disk", "full"}},
		{"  durability-marker-7 ", []string{"durability-marker-7"}},
		{`"*" -- ok`, []string{"ok"}},
		{"", nil},
		{"café", []string{"café"}},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, SearchWords(c.in)); diff != "" {
			t.Errorf("SearchWords(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}
