package sqlstore

import (
	"testing"
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
