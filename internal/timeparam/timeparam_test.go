package timeparam

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
)

func TestParse(t *testing.T) {
	ok := []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"2026-01-02T15:04:05Z", time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"2026-01-02T16:04:05.25+01:00", time.Date(2026, 1, 2, 15, 4, 5, 250e6, time.UTC)},
		{"1767366245", time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"1767366245.5", time.Date(2026, 1, 2, 15, 4, 5, 500e6, time.UTC)},
		{"1767366245000", time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)},
		{"1767366245123", time.Date(2026, 1, 2, 15, 4, 5, 123e6, time.UTC)},
		{"0", time.Unix(0, 0).UTC()},
	}
	for _, c := range ok {
		got, err := Parse("from", c.in)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	bad := map[string]string{
		"9999999999":            "out of range", // seconds: the year 2286, past Max (it used to wrap to 1677)
		"9999999999999":         "out of range", // milliseconds: also 2286
		"99999999999":           "out of range", // seconds below msFrom: the year 5138
		"99999999999999999999":  "out of range", // past int64
		"7258118400":            "out of range", // exactly Max
		"7258118399":            "",             // one second before Max: fine
		"1969-12-31T23:59:59Z":  "out of range",
		"2262-04-12T00:00:00Z":  "out of range",
		"-1":                    "want an RFC 3339",
		"1e9":                   "want an RFC 3339",
		"1767366245.":           "want an RFC 3339",
		".5":                    "want an RFC 3339",
		"1767366245.1234567891": "want an RFC 3339",
		"1767366245000.5":       "want an RFC 3339",
		"yesterday":             "want an RFC 3339",
		"2026-13-01T00:00:00Z":  "want an RFC 3339",
		" 1767366245":           "want an RFC 3339",
		"0x10":                  "want an RFC 3339",
	}
	for in, want := range bad {
		_, err := Parse("to", in)
		if want == "" {
			if err != nil {
				t.Errorf("Parse(%q) = %v, want no error", in, err)
			}
			continue
		}
		if cloudsage.KindOf(err) != cloudsage.Invalid || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "to=") {
			t.Errorf("Parse(%q) error = %v, want Invalid %q naming to=", in, err, want)
		}
	}
}

// FuzzParse: whatever the input, Parse either fails as Invalid or returns
// a time in [Min, Max) (or zero for ""), and a number never wraps: a Unix
// value read back gives the same second.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "0", "1767366245", "1767366245.5", "1767366245000", "9999999999", "9999999999999",
		"99999999999999999999", "2026-01-02T15:04:05Z", "2026-01-02T16:04:05.123456789+01:00", "-1", "1e9", "1.", ".",
		"2262-04-12T00:00:00Z", "0001-01-01T00:00:00Z", "9223372036854775807", "9223372036854775808"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, err := Parse("from", v)
		if err != nil {
			if cloudsage.KindOf(err) != cloudsage.Invalid {
				t.Fatalf("Parse(%q) error kind %v", v, cloudsage.KindOf(err))
			}
			return
		}
		if v == "" {
			if !got.IsZero() {
				t.Fatalf("Parse(\"\") = %v", got)
			}
			return
		}
		if got.Before(Min) || !got.Before(Max) {
			t.Fatalf("Parse(%q) = %v, outside [%v, %v)", v, got, Min, Max)
		}
		if got.UnixNano()/1e9 != got.Unix() {
			t.Fatalf("Parse(%q) = %v does not fit Unix nanoseconds", v, got)
		}
		if digits(v) {
			n := got.Unix()
			if len(v) < 12 && strings.TrimLeft(v, "0") != strings.TrimLeft(strconv.FormatInt(n, 10), "0") {
				t.Fatalf("Parse(%q) = %d seconds", v, n)
			}
		}
	})
}
