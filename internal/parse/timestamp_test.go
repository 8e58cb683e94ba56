package parse

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	ref := refTime{t: time.Date(2024, 3, 15, 12, 0, 0, 0, time.UTC), logged: true}
	utc := func(y int, mo time.Month, d, h, m, s, ns int) time.Time {
		return time.Date(y, mo, d, h, m, s, ns, time.UTC)
	}
	tests := []struct {
		name string
		in   string
		ref  refTime
		want time.Time
		n    int // bytes used; 0 means the whole input
		fail bool
	}{
		{name: "rfc3339", in: "2024-01-15T10:00:00Z", want: utc(2024, 1, 15, 10, 0, 0, 0)},
		{name: "rfc3339 nano offset", in: "2024-01-15T10:00:00.123456789+02:00", want: utc(2024, 1, 15, 8, 0, 0, 123456789)},
		{name: "offset without colon", in: "2024-01-15T10:00:00-0500", want: utc(2024, 1, 15, 15, 0, 0, 0)},
		{name: "python comma millis", in: "2015-10-18 18:01:47,978 INFO", want: utc(2015, 10, 18, 18, 1, 47, 978e6), n: 23},
		{name: "space millis", in: "2017-05-16 00:00:00.008 25746", want: utc(2017, 5, 16, 0, 0, 0, 8e6), n: 23},
		{name: "go log", in: "2009/11/10 23:00:00 hello", want: utc(2009, 11, 10, 23, 0, 0, 0), n: 19},
		{name: "postgres UTC", in: "2024-01-15 10:00:00.123 UTC [12] LOG", want: utc(2024, 1, 15, 10, 0, 0, 123e6), n: 27},
		{name: "windows comma after", in: "2016-09-28 04:30:30, Info", want: utc(2016, 9, 28, 4, 30, 30, 0), n: 19},
		{name: "bgl", in: "2005-06-03-15.42.50.675872 R02", want: utc(2005, 6, 3, 15, 42, 50, 675872000), n: 26},
		{name: "hdfs", in: "081109 203615 148 INFO", want: utc(2008, 11, 9, 20, 36, 15, 0), n: 13},
		{name: "spark", in: "17/06/09 20:10:40 INFO", want: utc(2017, 6, 9, 20, 10, 40, 0), n: 17},
		{name: "us date", in: "06/09/2017 20:10:40 x", want: utc(2017, 6, 9, 20, 10, 40, 0), n: 19},
		{name: "android", in: "03-17 16:13:38.811  1702", ref: ref, want: utc(2024, 3, 17, 16, 13, 38, 811e6), n: 18},
		{name: "syslog", in: "Jun 14 15:16:01 combo", ref: ref, want: utc(2024, 6, 14, 15, 16, 1, 0).AddDate(-1, 0, 0), n: 15},
		{name: "syslog padded day", in: "Mar  5 01:02:03 host", ref: ref, want: utc(2024, 3, 5, 1, 2, 3, 0), n: 15},
		{name: "syslog with year", in: "Dec 10 2015 06:55:46 LabSZ", ref: ref, want: utc(2015, 12, 10, 6, 55, 46, 0), n: 20},
		{name: "ansi c", in: "Sun Dec 04 04:47:44 2005] x", want: utc(2005, 12, 4, 4, 47, 44, 0), n: 24},
		{name: "bracketed ansi c", in: "[Sun Dec 04 04:47:44 2005] [notice]", want: utc(2005, 12, 4, 4, 47, 44, 0), n: 26},
		{name: "rfc1123", in: "Mon, 02 Jan 2006 15:04:05 GMT", want: utc(2006, 1, 2, 15, 4, 5, 0), n: 29},
		{name: "apache", in: "10/Oct/2000:13:55:36 -0700] \"GET", want: utc(2000, 10, 10, 20, 55, 36, 0), n: 26},
		{name: "tomcat", in: "15-Jan-2024 10:00:00.123 INFO", want: utc(2024, 1, 15, 10, 0, 0, 123e6), n: 24},
		{name: "epoch seconds", in: "1117838570 2005.06.03", want: time.Unix(1117838570, 0).UTC(), n: 10},
		{name: "epoch millis", in: "1700000000123 x", want: time.UnixMilli(1700000000123).UTC(), n: 13},
		{name: "epoch fraction", in: "1700000000.5 x", want: time.Unix(1700000000, 5e8).UTC(), n: 12},
		{name: "time of day", in: "15:04:05.250 INFO", ref: ref, want: utc(2024, 3, 15, 15, 4, 5, 250e6), n: 12},
		{name: "compact iso", in: "20240115T100000Z", want: utc(2024, 1, 15, 10, 0, 0, 0)},
		{name: "not a time: version", in: "1.2.3.4 is up", fail: true},
		{name: "not a time: counter", in: "12345678 items", fail: true},
		{name: "not a time: small epoch", in: "0000000001 x", fail: true},
		{name: "not a time: bad month", in: "2024-13-15T10:00:00Z", fail: true},
		{name: "not a time: bad hour", in: "2024-01-15T25:00:00Z", fail: true},
		{name: "not a time: word", in: "January is cold", fail: true},
		{name: "short", in: "10:00", fail: true},
		{name: "time of day without ref", in: "15:04:05 INFO", fail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, ok := parseTime(tt.in, tt.ref)
			if tt.fail {
				if ok {
					t.Fatalf("parseTime(%q) = %v, %d, want no time", tt.in, got, n)
				}
				return
			}
			want := tt.n
			if want == 0 {
				want = len(tt.in)
			}
			if !ok || !got.Equal(tt.want) || n != want {
				t.Fatalf("parseTime(%q) = %v, %d, %v, want %v, %d", tt.in, got, n, ok, tt.want, want)
			}
		})
	}
}

func TestInferYear(t *testing.T) {
	day := func(y int, mo time.Month, d int) time.Time { return time.Date(y, mo, d, 12, 0, 0, 0, time.UTC) }
	tests := []struct {
		name   string
		mo, d  int
		ref    refTime
		wantYr int
	}{
		{"same year", 3, 1, refTime{t: day(2024, 3, 15)}, 2024},
		{"december seen in january is last year", 12, 30, refTime{t: day(2024, 1, 2)}, 2023},
		{"a few weeks ahead stays", 4, 10, refTime{t: day(2024, 3, 15)}, 2024},
		{"log crossed new year", 1, 1, refTime{t: day(2023, 12, 31), logged: true}, 2024},
		{"default time never moves forward", 1, 1, refTime{t: day(2023, 12, 31)}, 2023},
		{"no reference", 6, 1, refTime{}, noYear},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := inferYear(tt.mo, tt.d, 0, tt.ref); got != tt.wantYr {
				t.Errorf("inferYear(%d, %d, %v) = %d, want %d", tt.mo, tt.d, tt.ref, got, tt.wantYr)
			}
		})
	}
}

func TestParseTimeValue(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-01-15T10:00:00.5Z", time.Date(2024, 1, 15, 10, 0, 0, 5e8, time.UTC), true},
		{"1700000000", time.Unix(1700000000, 0).UTC(), true},
		{"1700000000123456", time.UnixMicro(1700000000123456).UTC(), true},
		{"1700000000123456789", time.Unix(0, 1700000000123456789).UTC(), true},
		{"0", time.Unix(0, 0).UTC(), true}, // 1970 is a time, if an odd one
		{"2024-01-15 10:00:00 CEST", time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC), true},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
		{"2024-01-15T10:00:00Zjunk", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseTimeValue(tt.in, refTime{})
		if ok != tt.ok || ok && !got.Equal(tt.want) {
			t.Errorf("parseTimeValue(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestMkTimeMatchesDate checks the direct computation in mkTime against
// time.Date, including clock fields past their range (which Date
// normalises) and days past a month's end.
func TestMkTimeMatchesDate(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 200000; i++ {
		y, mo, d := 1970+r.IntN(1030), 1+r.IntN(12), 1+r.IntN(31)
		h, m, sec, ns := r.IntN(100), r.IntN(100), r.IntN(100), r.IntN(2e9)
		off := r.IntN(2*86400) - 86400
		if i%4 == 0 {
			h, m, sec, ns, off = r.IntN(24), r.IntN(60), r.IntN(61), r.IntN(1e9), 0
		}
		got, ok := mkTime(y, mo, d, h, m, sec, ns, off)
		want := time.Date(y, time.Month(mo), d, h, m, sec, ns, time.UTC).Add(-time.Duration(off) * time.Second)
		if !ok || got != want {
			t.Fatalf("mkTime(%d, %d, %d, %d, %d, %d, %d, %d) = %v, %v; want %v", y, mo, d, h, m, sec, ns, off, got, ok, want)
		}
	}
}
