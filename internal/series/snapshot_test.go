package series

import (
	"fmt"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/google/go-cmp/cmp"
)

func TestSnapshotRoundTrip(t *testing.T) {
	s := New(DefaultConfig())
	for i := 0; i < 5000; i++ {
		e := ev(t0.Add(time.Duration(i)*17*time.Second), cloudsage.Level(i%7))
		e.Pattern = cloudsage.PatternID(fmt.Sprintf("p%d", i%13))
		e.Raw = fmt.Sprintf("line %d", i)
		e.Format = "json"
		e.Signals.HasLatency, e.Signals.LatencyMS = i%2 == 0, float64(i%400)
		e.Signals.HasMemMB, e.Signals.MemoryMB = i%5 == 0, float64(300+i%50)
		e.Signals.Status = 200 + 100*(i%4)
		e.Host = fmt.Sprintf("api-%d", i%11) // more hosts than a pattern counts
		s.Add(&e)
	}
	data, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var r Series
	if err := r.UnmarshalBinary(data); err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	end := s.Last().Add(time.Second)
	for _, from := range []time.Time{t0, end.Add(-15 * time.Minute), end.Add(-3 * time.Hour)} {
		if d := cmp.Diff(s.Window(from, end), r.Window(from, end)); d != "" {
			t.Errorf("Window(%v) differs after round trip (-want +got):\n%s", from, d)
		}
	}
	for _, p := range s.Patterns() {
		q := r.Pattern(p.ID)
		if q == nil {
			t.Fatalf("pattern %s lost", p.ID)
		}
		if d := cmp.Diff(p, q, cmp.AllowUnexported(Pattern{}, slot{}, formatRun{})); d != "" {
			t.Errorf("pattern %s differs (-want +got):\n%s", p.ID, d)
		}
	}
	again, _ := r.MarshalBinary()
	if string(again) != string(data) {
		t.Errorf("re-marshalled snapshot differs")
	}
	if len(data) > 200000 {
		t.Errorf("snapshot is %d bytes; want compact", len(data))
	}
}

// A snapshot written before host counts (version 2) still loads, with
// none; everything else is as it was.
func TestSnapshotV2(t *testing.T) {
	s := New(DefaultConfig())
	for i := 0; i < 500; i++ {
		e := ev(t0.Add(time.Duration(i)*17*time.Second), cloudsage.Level(i%7))
		e.Pattern = cloudsage.PatternID(fmt.Sprintf("p%d", i%3))
		e.Host = fmt.Sprintf("api-%d", i%2)
		s.Add(&e)
	}
	var r Series
	if err := r.UnmarshalBinary(s.marshal(true)); err != nil {
		t.Fatalf("UnmarshalBinary(v2): %v", err)
	}
	for _, p := range s.Patterns() {
		q := r.Pattern(p.ID)
		if q == nil || q.Count != p.Count || len(q.Hosts) != 0 {
			t.Fatalf("pattern %s after a v2 round trip: %+v", p.ID, q)
		}
	}
}

func TestPatternHosts(t *testing.T) {
	s := New(DefaultConfig())
	for i := 0; i < 40; i++ {
		e := ev(t0.Add(time.Duration(i)*time.Second), cloudsage.LevelError)
		e.Pattern = "p"
		e.Host = fmt.Sprintf("h%d", i%10)
		if i%10 >= 8 {
			e.Host = "h0"
		}
		s.Add(&e)
	}
	p := s.Pattern("p")
	var n uint64
	for _, h := range p.Hosts {
		n += h.N
	}
	if len(p.Hosts) != 8 || p.Hosts[0] != (HostCount{"h0", 12}) || n != 40 || p.OtherHosts != 0 {
		t.Errorf("hosts %+v other %d; want 8 hosts, h0 12, 40 events", p.Hosts, p.OtherHosts)
	}
}

func TestSnapshotCorrupt(t *testing.T) {
	s := New(DefaultConfig())
	e := ev(t0, cloudsage.LevelInfo)
	e.Pattern = "p"
	s.Add(&e)
	data, _ := s.MarshalBinary()
	var r Series
	for i := 0; i < len(data); i++ {
		if err := r.UnmarshalBinary(data[:i]); err == nil {
			t.Errorf("UnmarshalBinary(truncated to %d) = nil, want an error", i)
		}
	}
}

func FuzzSnapshot(f *testing.F) {
	s := New(DefaultConfig())
	e := ev(t0, cloudsage.LevelError)
	e.Pattern, e.Signals.HasLatency, e.Signals.LatencyMS = "p", true, 12
	s.Add(&e)
	data, _ := s.MarshalBinary()
	f.Add(data)
	empty, _ := New(DefaultConfig()).MarshalBinary()
	f.Add(empty)
	f.Add(data[:len(data)/2]) // cut short
	f.Add([]byte{})
	f.Add([]byte("not a snapshot"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Series
		if err := r.UnmarshalBinary(b); err != nil {
			return
		}
		// a decoded series must be usable
		end := r.Last().Add(time.Minute)
		r.Window(end.Add(-48*time.Hour), end)
		for _, p := range r.Patterns() {
			p.CountIn(end.Add(-24*time.Hour), end)
		}
		e := ev(end, cloudsage.LevelInfo)
		r.Add(&e)
	})
}
