package series

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func ev(t time.Time, lv cloudsage.Level) cloudsage.Event {
	return cloudsage.Event{Time: t, Level: lv, Message: "m"}
}

func TestWindowCounts(t *testing.T) {
	s := New(DefaultConfig())
	// 10 events a minute for 3 hours, one error a minute, latency 100 ms,
	// the last 15 minutes with 50% errors and 5xx.
	for m := 0; m < 180; m++ {
		for i := 0; i < 10; i++ {
			e := ev(t0.Add(time.Duration(m)*time.Minute+time.Duration(i)*5*time.Second), cloudsage.LevelInfo)
			e.Signals.HasLatency, e.Signals.LatencyMS = true, 100
			e.Signals.Status = 200
			if i == 0 || (m >= 165 && i%2 == 0) {
				e.Level = cloudsage.LevelError
				e.Signals.Status = 503
			}
			s.Add(&e)
		}
	}
	end := t0.Add(180 * time.Minute)
	tests := []struct {
		name           string
		from, to       time.Time
		n, errs, s5xx  uint64
		perMin, p95Min float64
	}{
		{"last 15 min", end.Add(-15 * time.Minute), end, 150, 75, 75, 10, 90},
		{"first hour", t0, t0.Add(time.Hour), 600, 60, 60, 10, 90},
		{"everything", t0.Add(-time.Hour), end.Add(time.Hour), 1800, 240, 240, 1800.0 / 300, 90},
		{"before any data", t0.Add(-5 * time.Hour), t0.Add(-4 * time.Hour), 0, 0, 0, 0, 0},
		{"empty range", end, end, 0, 0, 0, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := s.Window(tc.from, tc.to)
			if a.N != tc.n || a.Errors() != tc.errs || a.Status[5] != tc.s5xx {
				t.Errorf("Window = n %d errs %d 5xx %d, want %d %d %d", a.N, a.Errors(), a.Status[5], tc.n, tc.errs, tc.s5xx)
			}
			if got := a.PerMinute(); got != tc.perMin {
				t.Errorf("PerMinute = %v, want %v", got, tc.perMin)
			}
			if got := a.Lat.Quantile(0.95); got < tc.p95Min || got > 100 {
				t.Errorf("p95 = %v, want in [%v, 100]", got, tc.p95Min)
			}
		})
	}
	if got := s.Last(); !got.Equal(t0.Add(179*time.Minute + 45*time.Second)) {
		t.Errorf("Last = %v", got)
	}
}

func TestWindowUsesHoursBeyondMinutes(t *testing.T) {
	s := New(Config{Minutes: 120, Hours: 48})
	for h := 0; h < 10; h++ {
		for m := 0; m < 60; m++ {
			e := ev(t0.Add(time.Duration(h)*time.Hour+time.Duration(m)*time.Minute), cloudsage.LevelInfo)
			if h < 5 {
				e.Level = cloudsage.LevelWarn
			}
			s.Add(&e)
		}
	}
	a := s.Window(t0, t0.Add(10*time.Hour))
	if a.N != 600 || a.Levels[cloudsage.LevelWarn] != 300 {
		t.Errorf("Window over 10 h = %d events, %d warns; want 600, 300", a.N, a.Levels[cloudsage.LevelWarn])
	}
	hs := s.Hourly(t0, t0.Add(10*time.Hour))
	if len(hs) != 10 {
		t.Fatalf("Hourly returned %d hours, want 10", len(hs))
	}
	for i, h := range hs {
		if h.N != 60 {
			t.Errorf("hour %d has %d events, want 60", i, h.N)
		}
	}
}

func TestOutOfOrderAndBounds(t *testing.T) {
	s := New(Config{Minutes: 60, Hours: 24, MaxJump: 48 * time.Hour})
	add := func(tm time.Time) bool { e := ev(tm, cloudsage.LevelInfo); return s.Add(&e) }
	tests := []struct {
		name string
		t    time.Time
		want bool
	}{
		{"first", t0, true},
		{"a minute later", t0.Add(time.Minute), true},
		{"out of order by 30 s", t0.Add(30 * time.Second), true},
		{"1970", time.Unix(0, 0), false},
		{"year 2999", time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"three days ahead", t0.Add(72 * time.Hour), false},
		{"a day ahead", t0.Add(24 * time.Hour), true},
		{"now older than the hours reach", t0, false},
		{"older than minutes, within hours", t0.Add(22 * time.Hour), true},
	}
	for _, tc := range tests {
		if got := add(tc.t); got != tc.want {
			t.Errorf("%s: Add(%v) = %v, want %v", tc.name, tc.t, got, tc.want)
		}
	}
	st := s.Stats()
	if st.Added != 5 || st.TooOld != 2 || st.TooNew != 2 {
		t.Errorf("Stats = %+v, want 5 added, 2 too old, 2 too new", st)
	}
	// the 22h event is in its hour, not in the minutes
	if a := s.Hour(t0.Add(22 * time.Hour)); a.N != 1 {
		t.Errorf("hour of the late event holds %d, want 1", a.N)
	}
	if a := s.Window(t0.Add(23*time.Hour+30*time.Minute), t0.Add(25*time.Hour)); a.N != 1 {
		t.Errorf("recent window holds %d, want 1 (the day-ahead event)", a.N)
	}
}

func TestBoundedMemory(t *testing.T) {
	s := New(Config{Minutes: 60, Hours: 24, MaxPatterns: 100})
	for i := 0; i < 100000; i++ {
		e := ev(t0.Add(time.Duration(i)*time.Second), cloudsage.LevelInfo)
		e.Pattern = cloudsage.PatternID(fmt.Sprintf("p%d", i%1000))
		s.Add(&e)
	}
	if n := s.PatternCount(); n != 100 {
		t.Errorf("PatternCount = %d, want the cap 100", n)
	}
	if st := s.Stats(); st.Untracked != 90000 {
		t.Errorf("Untracked = %d, want 90000", st.Untracked)
	}
	if len(s.min.b) > 60 || len(s.hour.b) > 24 || s.min.n != 60 || s.hour.n != 24 {
		t.Errorf("rings grew: %d minutes, %d hours", len(s.min.b), len(s.hour.b))
	}
}

func TestGauges(t *testing.T) {
	s := New(DefaultConfig())
	for i, v := range []float64{40, 60, 95} {
		e := ev(t0.Add(time.Duration(i)*time.Second), cloudsage.LevelInfo)
		e.Signals.HasMemPct, e.Signals.MemoryPct = true, v
		e.Signals.HasCPU, e.Signals.CPUPct = true, v/2
		e.Signals.OOM = v > 90
		s.Add(&e)
	}
	a := s.Window(t0, t0.Add(time.Minute))
	if a.MemPct.Max != 95 || a.MemPct.Mean() != 65 || a.CPU.Mean() != 32.5 || a.OOM != 1 {
		t.Errorf("gauges = mem max %v mean %v, cpu mean %v, oom %d", a.MemPct.Max, a.MemPct.Mean(), a.CPU.Mean(), a.OOM)
	}
}

func BenchmarkSeriesAdd(b *testing.B) {
	s := New(DefaultConfig())
	evs := make([]cloudsage.Event, 1024)
	for i := range evs {
		evs[i] = ev(t0, cloudsage.Level(i%7))
		evs[i].Pattern = cloudsage.PatternID(fmt.Sprintf("p%d", i%50))
		evs[i].Signals.HasLatency, evs[i].Signals.LatencyMS = i%3 == 0, float64(i)
		evs[i].Raw = "a raw line"
	}
	i := 0
	for b.Loop() {
		e := &evs[i%len(evs)]
		e.Time = t0.Add(time.Duration(i) * 10 * time.Millisecond)
		s.Add(e)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// TestRingGrowth: a ring that grows with the span of its indices answers
// as a ring allocated whole would (a bucket is held while it is one of the
// last n indices and was written), is small while its span is, and never
// outgrows n.
func TestRingGrowth(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for round := range 200 {
		n := 1 + r.IntN(300)
		rg := newRing(n, 60)
		written := map[int64]uint64{}
		latest := int64(-1)
		base := int64(r.IntN(1_000_000))
		for i := range 400 {
			var idx int64
			switch r.IntN(4) {
			case 0: // a jump ahead
				idx = base + int64(r.IntN(2*n))
			default: // around the latest
				idx = max(0, max(latest, base)-int64(r.IntN(n+5))+int64(r.IntN(3)))
			}
			b := rg.at(idx)
			tooOld := latest >= 0 && idx < latest-int64(n)+1
			if (b == nil) != tooOld {
				t.Fatalf("round %d step %d: at(%d) nil=%v, want nil=%v (latest %d, n %d)", round, i, idx, b == nil, tooOld, latest, n)
			}
			if b == nil {
				continue
			}
			if idx > latest {
				latest = idx
			}
			if idx > base {
				base = idx
			}
			b.N++
			written[idx]++
			if len(rg.b) > n || len(rg.stamp) != len(rg.b) {
				t.Fatalf("round %d: %d slots for a ring of %d", round, len(rg.b), n)
			}
			for w, c := range written {
				got := rg.get(w)
				held := w >= latest-int64(n)+1
				switch {
				case held && (got == nil || got.N != c):
					t.Fatalf("round %d step %d: index %d written %d times, got %+v (latest %d, n %d)", round, i, w, c, got, latest, n)
				case !held && got != nil:
					t.Fatalf("round %d step %d: index %d is older than the ring but still read", round, i, w)
				}
				if !held {
					delete(written, w)
				}
			}
		}
	}
	young := newRing(10080, 60)
	for i := range int64(30) {
		young.at(1000 + i)
	}
	if len(young.b) > 64 {
		t.Errorf("30 minutes of a week's ring take %d slots", len(young.b))
	}
}
