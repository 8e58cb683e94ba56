package series

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/cloudsage/cloudsage"
)

func TestPatternCountIn(t *testing.T) {
	s := New(DefaultConfig())
	// pattern a: one event a minute for 30 hours, errors in the last 15 minutes;
	// pattern b: appears only in the last 10 minutes, 5 a minute.
	end := t0.Add(30 * time.Hour)
	for m := 0; m < 30*60; m++ {
		tm := t0.Add(time.Duration(m) * time.Minute)
		e := ev(tm, cloudsage.LevelInfo)
		e.Pattern = "a"
		if tm.After(end.Add(-15 * time.Minute)) {
			e.Level = cloudsage.LevelError
		}
		s.Add(&e)
		if tm.After(end.Add(-10*time.Minute)) || tm.Equal(end.Add(-10*time.Minute)) {
			for i := 0; i < 5; i++ {
				e := ev(tm.Add(time.Duration(i)*time.Second), cloudsage.LevelError)
				e.Pattern = "b"
				e.Raw = "b line"
				e.Fields = map[string]string{"route": "/v1/pay", "noise": "x"}
				s.Add(&e)
			}
		}
	}
	recent := end.Add(-15 * time.Minute)
	tests := []struct {
		id        cloudsage.PatternID
		from, to  time.Time
		n, errs   uint64
		tolerance uint64
	}{
		{"a", recent, end, 15, 14, 0},
		{"a", recent.Add(-24 * time.Hour), recent, 24 * 60, 0, 1},
		{"a", t0, end, 30 * 60, 14, 1},
		{"b", recent, end, 50, 50, 0},
		{"b", recent.Add(-24 * time.Hour), recent, 0, 0, 0},
		{"b", end.Add(-time.Hour), end, 50, 50, 0},
	}
	for _, tc := range tests {
		p := s.Pattern(tc.id)
		n, errs := p.CountIn(tc.from, tc.to)
		if diff(n, tc.n) > tc.tolerance || diff(errs, tc.errs) > tc.tolerance+1 {
			t.Errorf("%s.CountIn(%v, %v) = %d, %d; want %d, %d", tc.id, tc.from.Format(time.TimeOnly), tc.to.Format(time.TimeOnly), n, errs, tc.n, tc.errs)
		}
	}
	b := s.Pattern("b")
	if b.Count != 50 || b.Errors() != 50 || len(b.Samples) != 1 || b.Fields["route"] != "/v1/pay" || b.Fields["noise"] != "" {
		t.Errorf("pattern b = count %d errors %d samples %q fields %v", b.Count, b.Errors(), b.Samples, b.Fields)
	}
	if !b.First.Equal(end.Add(-10 * time.Minute)) {
		t.Errorf("b.First = %v", b.First)
	}
}

func diff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestPatternSamples(t *testing.T) {
	s := New(DefaultConfig())
	raws := []string{"first", "second", "third", "fourth", "fifth"}
	for i, r := range raws {
		e := ev(t0.Add(time.Duration(i*sampleEvery)*time.Minute), cloudsage.LevelInfo)
		e.Pattern, e.Raw = "p", r
		s.Add(&e)
	}
	got := s.Pattern("p").Samples
	if len(got) != 3 || got[0] != "first" || (got[1] != "fifth" && got[2] != "fifth") {
		t.Errorf("Samples = %q, want the first and the latest", got)
	}
	long := make([]byte, 5000)
	for i := range long {
		long[i] = 'x'
	}
	e := ev(t0.Add(time.Hour), cloudsage.LevelInfo)
	e.Pattern, e.Raw = "q", string(long)
	s.Add(&e)
	if n := len(s.Pattern("q").Samples[0]); n != maxSampleLen {
		t.Errorf("sample length = %d, want %d", n, maxSampleLen)
	}
}

// A sample is a copy: a line handed in is a slice of its whole request
// body, which a sample kept for minutes must not pin.
func TestPatternSamplesDoNotPinTheBody(t *testing.T) {
	s := New(DefaultConfig())
	body := strings.Repeat("x", 1<<20) + "\nshort line one\nshort line two\n" + strings.Repeat("y", 1<<20)
	lines := strings.Split(body, "\n")
	lo, hi := uintptr(unsafe.Pointer(unsafe.StringData(body))), uintptr(unsafe.Pointer(unsafe.StringData(body)))+uintptr(len(body))
	for i, l := range lines[1:3] {
		e := ev(t0.Add(time.Duration(i*sampleEvery)*time.Minute), cloudsage.LevelInfo)
		e.Pattern, e.Raw = "p", l
		s.Add(&e)
	}
	got := s.Pattern("p").Samples
	if len(got) != 2 {
		t.Fatalf("Samples = %q, want both lines", got)
	}
	for _, g := range got {
		if p := uintptr(unsafe.Pointer(unsafe.StringData(g))); p >= lo && p < hi {
			t.Errorf("sample %q points into the body it came from", g)
		}
	}
}

func TestPatternPrefersErrorSamples(t *testing.T) {
	s := New(DefaultConfig())
	add := func(m int, lv cloudsage.Level, raw, status string) {
		e := ev(t0.Add(time.Duration(m)*time.Minute), lv)
		e.Pattern, e.Raw, e.Fields = "p", raw, map[string]string{"status": status, "route": "/pay"}
		s.Add(&e)
	}
	for m := 0; m < 3; m++ {
		add(m, cloudsage.LevelInfo, fmt.Sprintf("ok %d", m), "200")
	}
	add(3, cloudsage.LevelError, "failed", "502")   // an error replaces a sample at once
	add(10, cloudsage.LevelInfo, "ok later", "200") // but a success does not replace it soon
	p := s.Pattern("p")
	if !slices.Contains(p.Samples, "failed") || p.Fields["status"] != "502" {
		t.Errorf("samples %q, fields %v; want the error line and its status", p.Samples, p.Fields)
	}
	add(45, cloudsage.LevelInfo, "ok much later", "200")
	if p = s.Pattern("p"); p.Fields["status"] != "200" {
		t.Errorf("after half an hour fields = %v, want the latest line's", p.Fields)
	}
}

// TestPatternFormats checks the per-pattern format counts (kept as a run of
// one format between map updates) against counting every event in a map,
// with reads between the events: at most four formats, the first four seen.
func TestPatternFormats(t *testing.T) {
	s := New(DefaultConfig())
	names := []string{"json", "logfmt", "app", "access", "plain", "syslog3164"}
	want := map[string]uint64{}
	tm := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	seed := uint64(7)
	for i := range 5000 {
		seed = seed*6364136223846793005 + 1442695040888963407
		f := names[(seed>>33)%uint64(len(names))]
		if (seed>>40)%3 == 0 {
			f = names[0] // runs of one format
		}
		e := ev(tm.Add(time.Duration(i)*time.Second), cloudsage.LevelInfo)
		e.Pattern, e.Format = "p", f
		s.Add(&e)
		if len(want) < 4 || want[f] > 0 {
			want[f]++
		}
		if (seed>>50)%97 == 0 { // read part way: the counts are whole then too
			if d := fmt.Sprint(s.Pattern("p").Formats); d != fmt.Sprint(want) {
				t.Fatalf("after %d events: formats %s, want %s", i+1, d, fmt.Sprint(want))
			}
		}
	}
	if got := s.Patterns()[0].Formats; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("formats %v, want %v", got, want)
	}
}
