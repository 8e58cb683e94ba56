// Package timeparam reads the times an API caller writes (from, to, until,
// expires_at): RFC 3339, or a Unix time in seconds or milliseconds. It is
// the one parser for them, so that no route lets a number wrap: the store
// keeps times as Unix nanoseconds, which end in 2262, and a Unix-seconds
// value past that used to come back as 1677 and match everything.
package timeparam

import (
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
)

// The range a caller's time must fall in: [Min, Max). Wide enough for any
// log and far inside what Unix nanoseconds can hold.
var (
	Min = time.Unix(0, 0).UTC()
	Max = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// msFrom is where a Unix number is taken as milliseconds rather than
// seconds: 1e11 seconds is the year 5138, 1e11 ms is 1973.
const msFrom = 100_000_000_000

// Parse reads v as the parameter name: RFC 3339 (2026-01-02T15:04:05Z, with
// optional fraction and offset), Unix seconds (1767366245, optionally with
// a fraction: 1767366245.5) or Unix milliseconds (1767366245000; any
// integer from 1e11 up). Empty is the zero time. Anything else, or a time
// outside [Min, Max), is an Invalid error naming the parameter.
func Parse(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, ok := parse(v)
	if !ok {
		return time.Time{}, cloudsage.Errorf(cloudsage.Invalid,
			"%s=%q: want an RFC 3339 time (2026-01-02T15:04:05Z), Unix seconds or Unix milliseconds", name, clip(v))
	}
	if t.Before(Min) || !t.Before(Max) {
		return time.Time{}, cloudsage.Errorf(cloudsage.Invalid, "%s=%q is out of range: times must be from %s to before %s",
			name, clip(v), Min.Format("2006-01-02"), Max.Format("2006-01-02"))
	}
	return t, nil
}

func parse(v string) (time.Time, bool) {
	if len(v) > 64 {
		return time.Time{}, false
	}
	if v[0] >= '0' && v[0] <= '9' && !strings.ContainsAny(v, "-:T") {
		return unix(v)
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// unix reads digits with an optional fraction. Integer arithmetic only, and
// bounded before multiplying, so nothing wraps.
func unix(v string) (time.Time, bool) {
	whole, frac, hasFrac := strings.Cut(v, ".")
	if whole == "" || hasFrac && (frac == "" || len(frac) > 9) || !digits(whole) || !digits(frac) {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return time.Unix(Max.Unix(), 0).UTC(), !hasFrac // beyond int64: out of range, reported by Parse
	}
	maxSec := Max.Unix()
	if n >= msFrom {
		if hasFrac || n/1000 >= maxSec {
			return time.Unix(maxSec, 0).UTC(), !hasFrac // out of range, reported by Parse
		}
		return time.UnixMilli(n).UTC(), true
	}
	if n >= maxSec {
		return time.Unix(maxSec, 0).UTC(), true
	}
	var nsec int64
	if hasFrac {
		nsec, _ = strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	}
	return time.Unix(n, nsec).UTC(), true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip keeps an echoed value short.
func clip(v string) string {
	if len(v) > 40 {
		return v[:40] + "…"
	}
	return v
}
