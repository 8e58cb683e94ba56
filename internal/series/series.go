// Package series aggregates a project's events into per-minute buckets (the
// last two days) and per-hour buckets (the last month): volume, counts per
// level and HTTP status class, a latency histogram, memory, CPU and OOM
// kills; and, per log pattern, sparse counts over the last hour by minute and
// the last two days by hour. Memory is bounded whatever the input: rings of
// fixed size, a cap on tracked patterns, and events too far in the past or
// future are counted and dropped. The package is pure: time comes from the
// events and from the caller.
package series

import (
	"time"

	"github.com/cloudsage/cloudsage"
)

// Config bounds a Series.
type Config struct {
	Minutes     int           // minute buckets kept (default 2880: two days)
	Hours       int           // hour buckets kept (default 720: 30 days)
	MaxPatterns int           // patterns tracked individually (default 5000)
	MaxJump     time.Duration // an event further than this ahead of the latest one is dropped (default 30 days)
}

// DefaultConfig returns the configuration the engine uses.
func DefaultConfig() Config {
	return Config{Minutes: 2880, Hours: 720, MaxPatterns: 5000, MaxJump: 30 * 24 * time.Hour}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Minutes < 60 {
		c.Minutes = d.Minutes
	}
	if c.Hours < 24 {
		c.Hours = d.Hours
	}
	if c.MaxPatterns <= 0 {
		c.MaxPatterns = d.MaxPatterns
	}
	if c.MaxJump <= 0 {
		c.MaxJump = d.MaxJump
	}
	return c
}

// Gauge summarises a sampled measurement (memory, CPU) over a bucket.
type Gauge struct {
	Sum float64
	N   uint64
	Max float64
}

// Add records one sample.
func (g *Gauge) Add(v float64) {
	if v != v { // NaN
		return
	}
	g.Sum += v
	if g.N == 0 || v > g.Max {
		g.Max = v
	}
	g.N++
}

// Merge adds o into g.
func (g *Gauge) Merge(o Gauge) {
	if o.N == 0 {
		return
	}
	if g.N == 0 || o.Max > g.Max {
		g.Max = o.Max
	}
	g.Sum += o.Sum
	g.N += o.N
}

// Mean returns the mean sample, or 0 with none.
func (g Gauge) Mean() float64 {
	if g.N == 0 {
		return 0
	}
	return g.Sum / float64(g.N)
}

// Bucket is what is known about one minute or one hour.
type Bucket struct {
	N      uint64                           // events
	Levels [cloudsage.LevelFatal + 1]uint64 // events per level
	Status [6]uint64                        // events per HTTP status class: Status[5] is 5xx; [0] unused
	OOM    uint64                           // out-of-memory errors and kills
	MemPct Gauge                            // memory in use, percent
	MemMB  Gauge                            // memory in use, MB
	CPU    Gauge                            // CPU, percent
	Lat    *Hist                            // latency in ms; nil when no event carried one
}

// Errors returns the events at error level or above.
func (b *Bucket) Errors() uint64 {
	return b.Levels[cloudsage.LevelError] + b.Levels[cloudsage.LevelFatal]
}

// add counts ev; lat is the latency histogram bin of its latency (see
// histSlot), computed once for the hour and the minute bucket.
func (b *Bucket) add(ev *cloudsage.Event, lat int) {
	b.N++
	lv := ev.Level
	if lv < 0 || lv > cloudsage.LevelFatal {
		lv = cloudsage.LevelUnknown
	}
	b.Levels[lv]++
	sg := &ev.Signals
	if c := sg.Status / 100; c >= 1 && c <= 5 {
		b.Status[c]++
	}
	if sg.OOM {
		b.OOM++
	}
	if sg.HasMemPct {
		b.MemPct.Add(sg.MemoryPct)
	}
	if sg.HasMemMB {
		b.MemMB.Add(sg.MemoryMB)
	}
	if sg.HasCPU {
		b.CPU.Add(sg.CPUPct)
	}
	if sg.HasLatency {
		if b.Lat == nil {
			b.Lat = new(Hist)
		}
		if lat >= 0 {
			b.Lat.addAt(sg.LatencyMS, lat)
		}
	}
}

// Merge adds o into b.
func (b *Bucket) Merge(o *Bucket) {
	b.N += o.N
	for i := range b.Levels {
		b.Levels[i] += o.Levels[i]
	}
	for i := range b.Status {
		b.Status[i] += o.Status[i]
	}
	b.OOM += o.OOM
	b.MemPct.Merge(o.MemPct)
	b.MemMB.Merge(o.MemMB)
	b.CPU.Merge(o.CPU)
	if o.Lat != nil && o.Lat.N > 0 {
		if b.Lat == nil {
			b.Lat = new(Hist)
		}
		b.Lat.Merge(o.Lat)
	}
}

// ring holds the last n buckets of a fixed unit; slot i holds the bucket
// whose index (time / unit) is stamp[i], so stale slots need no clearing.
// Its slices grow with the span of indices written, up to n: a server holds
// one series per project, and a young project's week of minute buckets
// would otherwise be allocated whole (half a gigabyte for 1,000 projects).
// The length only depends on that span, so a restored ring lays its
// buckets out as the one that was saved.
type ring struct {
	unit   int64 // seconds
	n      int   // buckets kept at most
	stamp  []int64
	b      []Bucket
	latest int64 // highest index written; -1 when empty
	low    int64 // lowest index written and still held, when latest >= 0
}

func newRing(n int, unit int64) ring {
	return ring{unit: unit, n: n, latest: -1}
}

func (r *ring) slot(idx int64) int {
	return int(idx % int64(len(r.b)))
}

// oldest returns the lowest index the ring can hold.
func (r *ring) oldest() int64 { return r.latest - int64(r.n) + 1 }

// reserve makes the ring's slices long enough to hold the indices lo..hi
// beside what it holds (lo >= hi-n+1).
func (r *ring) reserve(lo, hi int64) {
	if r.latest >= 0 {
		lo, hi = min(lo, r.low), max(hi, r.latest)
	}
	lo = max(lo, hi-int64(r.n)+1)
	r.low = lo
	span := hi - lo + 1
	if span <= int64(len(r.b)) {
		return
	}
	size := 8
	for int64(size) < span && size < r.n {
		size *= 2
	}
	size = min(size, r.n)
	stamp, b := make([]int64, size), make([]Bucket, size)
	for i := range stamp {
		stamp[i] = -1
	}
	for i, idx := range r.stamp {
		if idx >= lo {
			s := int(idx % int64(size))
			stamp[s], b[s] = idx, r.b[i]
		}
	}
	r.stamp, r.b = stamp, b
}

// at returns the bucket for idx, creating it, or nil when idx is too old.
func (r *ring) at(idx int64) *Bucket {
	if r.latest >= 0 && idx < r.oldest() {
		return nil
	}
	r.reserve(idx, idx)
	if idx > r.latest {
		r.latest = idx
	}
	s := r.slot(idx)
	if r.stamp[s] != idx {
		r.stamp[s] = idx
		r.b[s] = Bucket{}
	}
	return &r.b[s]
}

// get returns the bucket for idx, or nil when the ring holds none.
func (r *ring) get(idx int64) *Bucket {
	if idx < 0 || r.latest < 0 || idx > r.latest || idx < r.oldest() {
		return nil
	}
	s := r.slot(idx)
	if r.stamp[s] != idx {
		return nil
	}
	return &r.b[s]
}

// Stats counts what a Series did with the events it was given.
type Stats struct {
	Added     uint64 // events recorded
	TooOld    uint64 // older than the hour buckets reach: dropped
	TooNew    uint64 // further ahead of the latest event than MaxJump, or beyond year 2200: dropped
	Untracked uint64 // recorded, but their pattern was over the MaxPatterns cap
}

// Series is one project's time series. Not safe for concurrent use.
type Series struct {
	cfg      Config
	min      ring
	hour     ring
	patterns map[cloudsage.PatternID]*Pattern
	stats    Stats
	first    int64 // unix seconds of the earliest and latest recorded event
	last     int64
	lastNano int64    // the latest event's time exactly
	lastPat  *Pattern // the pattern of the previous event, to skip the map for runs of one pattern
	// recent patterns, direct-mapped by their ID's last bytes: a stream
	// interleaves a few dozen patterns, and finding one here costs a
	// comparison where the map hashes the ID
	recent [recentPatterns]*Pattern
}

const recentPatterns = 256

// recentSlot returns the slot of id in Series.recent.
func recentSlot(id cloudsage.PatternID) int {
	n := len(id)
	if n < 2 {
		return n
	}
	return int((uint(id[n-1]) ^ uint(id[n-2])<<4 ^ uint(n)) % recentPatterns)
}

// New returns an empty Series.
func New(cfg Config) *Series {
	cfg = cfg.withDefaults()
	return &Series{
		cfg:      cfg,
		min:      newRing(cfg.Minutes, 60),
		hour:     newRing(cfg.Hours, 3600),
		patterns: make(map[cloudsage.PatternID]*Pattern),
		first:    -1,
		last:     -1,
	}
}

// Config returns the configuration in use.
func (s *Series) Config() Config { return s.cfg }

// Stats returns the counters.
func (s *Series) Stats() Stats { return s.stats }

// Plausible timestamps: 1990-01-01 to 2200-01-01.
const (
	minUnix = 631152000
	maxUnix = 7258118400
)

// Add records ev (its Pattern too, when set) and reports whether it was kept.
func (s *Series) Add(ev *cloudsage.Event) bool {
	sec := ev.Time.Unix()
	if sec < minUnix {
		s.stats.TooOld++
		return false
	}
	if sec >= maxUnix || (s.last >= 0 && sec > s.last+int64(s.cfg.MaxJump/time.Second)) {
		s.stats.TooNew++
		return false
	}
	mi, hi := floorDiv(sec, 60), floorDiv(sec, 3600)
	hb := s.hour.at(hi)
	if hb == nil {
		s.stats.TooOld++
		return false
	}
	lat := -1
	if ev.Signals.HasLatency {
		lat = histSlot(ev.Signals.LatencyMS)
	}
	hb.add(ev, lat)
	if mb := s.min.at(mi); mb != nil {
		mb.add(ev, lat)
	}
	s.stats.Added++
	if s.first < 0 || sec < s.first {
		s.first = sec
	}
	if sec > s.last || s.last < 0 {
		s.last = sec
	}
	if n := ev.Time.UnixNano(); n > s.lastNano {
		s.lastNano = n
	}
	if ev.Pattern != "" {
		if p := s.lastPat; p != nil && p.ID == ev.Pattern {
			p.add(ev, sec)
			return true
		}
		slot := recentSlot(ev.Pattern)
		p := s.recent[slot]
		if p == nil || p.ID != ev.Pattern {
			p = s.patterns[ev.Pattern]
			if p == nil {
				if len(s.patterns) >= s.cfg.MaxPatterns {
					s.stats.Untracked++
					return true
				}
				p = newPattern(ev.Pattern)
				s.patterns[ev.Pattern] = p
			}
			s.recent[slot] = p
		}
		s.lastPat = p
		p.add(ev, sec)
	}
	return true
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// Empty reports whether nothing has been recorded.
func (s *Series) Empty() bool { return s.last < 0 }

// First returns the time of the earliest recorded event (zero when empty).
func (s *Series) First() time.Time {
	if s.first < 0 {
		return time.Time{}
	}
	return time.Unix(s.first, 0).UTC()
}

// Last returns the time of the latest recorded event (zero when empty).
func (s *Series) Last() time.Time {
	if s.last < 0 {
		return time.Time{}
	}
	return time.Unix(0, s.lastNano).UTC()
}

// Agg is an aggregate over a time range.
type Agg struct {
	Bucket
	Lat     Hist          // latency over the range (Bucket.Lat is unused)
	Span    time.Duration // length of the range asked for
	Buckets int           // buckets with at least one event
}

// PerMinute returns events per minute over the range.
func (a *Agg) PerMinute() float64 {
	if a.Span <= 0 {
		return 0
	}
	return float64(a.N) / a.Span.Minutes()
}

// ErrorRate returns the share of events at error level or above (0 with none).
func (a *Agg) ErrorRate() float64 {
	if a.N == 0 {
		return 0
	}
	return float64(a.Errors()) / float64(a.N)
}

func (a *Agg) merge(b *Bucket) {
	if b.N == 0 {
		return
	}
	a.Buckets++
	lat := b.Lat
	b2 := *b
	b2.Lat = nil
	a.Bucket.Merge(&b2)
	a.Lat.Merge(lat)
}

// Window aggregates the events with from <= time < to, using minute buckets
// where they reach and hour buckets before that (whole hours only, so the
// start of a long window is rounded to the hour).
func (s *Series) Window(from, to time.Time) Agg {
	a := Agg{Span: to.Sub(from)}
	if s.Empty() || !to.After(from) {
		return a
	}
	f, t := from.Unix(), to.Unix()
	// Minute coverage starts at the first whole hour the minute ring holds,
	// so hour and minute buckets never overlap.
	covMin := (floorDiv(s.min.oldest()*60+3599, 3600) * 3600) / 60
	if s.min.oldest() < 0 {
		covMin = 0
	}
	fm, tm := ceilDiv(f, 60), ceilDiv(t, 60) // minutes [fm, tm)
	if fm < covMin {
		// hours [fh, th) before coverage
		fh := floorDiv(f, 3600)
		th := min(ceilDiv(t, 3600), covMin/60)
		for h := max(fh, s.hour.oldest()); h < th; h++ {
			if b := s.hour.get(h); b != nil {
				a.merge(b)
			}
		}
		fm = covMin
	}
	for m := max(fm, s.min.oldest()); m < tm; m++ {
		if b := s.min.get(m); b != nil {
			a.merge(b)
		}
	}
	return a
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// Hour returns the aggregate of the hour bucket that starts at or holds t.
func (s *Series) Hour(t time.Time) Agg {
	a := Agg{Span: time.Hour}
	if b := s.hour.get(floorDiv(t.Unix(), 3600)); b != nil {
		a.merge(b)
	}
	return a
}

// Hourly returns one aggregate per whole hour from the hour holding from up
// to, but not including, the hour holding to.
func (s *Series) Hourly(from, to time.Time) []Agg {
	fh, th := floorDiv(from.Unix(), 3600), floorDiv(to.Unix(), 3600)
	if th <= fh {
		return nil
	}
	if n := int64(s.hour.n); th-fh > n {
		fh = th - n
	}
	out := make([]Agg, 0, th-fh)
	for h := fh; h < th; h++ {
		a := Agg{Span: time.Hour}
		if b := s.hour.get(h); b != nil {
			a.merge(b)
		}
		out = append(out, a)
	}
	return out
}

// Minutes returns the number of minutes the minute buckets reach back.
func (s *Series) Minutes() int { return s.cfg.Minutes }
