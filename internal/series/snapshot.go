package series

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/cloudsage/cloudsage"
)

// Snapshot format: a magic and version, then varints. Only non-empty
// buckets and histogram bins are written, so a quiet project's snapshot is
// small and a busy one's is bounded by the ring sizes.
// Version 3 added the per-pattern host counts; version 2 snapshots are
// still read (with none).
const (
	snapMagic   = "CSSERIES3"
	snapMagicV2 = "CSSERIES2"
)

type writer struct{ b []byte }

func (w *writer) u(v uint64)  { w.b = binary.AppendUvarint(w.b, v) }
func (w *writer) i(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *writer) f(v float64) { w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(v)) }
func (w *writer) s(v string)  { w.u(uint64(len(v))); w.b = append(w.b, v...) }

type reader struct {
	b   []byte
	err error
}

var errCorrupt = errors.New("corrupt series snapshot")

func (r *reader) u() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) i() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) f() float64 {
	if r.err != nil || len(r.b) < 8 {
		r.err = errCorrupt
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

func (r *reader) s() string {
	n := r.u()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errCorrupt
		return ""
	}
	v := string(r.b[:n])
	r.b = r.b[n:]
	return v
}

// count reads a length that must not exceed limit.
func (r *reader) count(limit int) int {
	n := r.u()
	if n > uint64(limit) {
		r.err = errCorrupt
		return 0
	}
	return int(n)
}

func (w *writer) gauge(g Gauge) {
	w.u(g.N)
	if g.N > 0 {
		w.f(g.Sum)
		w.f(g.Max)
	}
}

func (r *reader) gauge() Gauge {
	g := Gauge{N: r.u()}
	if g.N > 0 {
		g.Sum, g.Max = r.f(), r.f()
	}
	return g
}

func (w *writer) bucket(b *Bucket) {
	w.u(b.N)
	for _, v := range b.Levels {
		w.u(v)
	}
	for _, v := range b.Status[1:] {
		w.u(v)
	}
	w.u(b.OOM)
	w.gauge(b.MemPct)
	w.gauge(b.MemMB)
	w.gauge(b.CPU)
	if b.Lat == nil || b.Lat.N == 0 {
		w.u(0)
		return
	}
	nz := 0
	for _, c := range b.Lat.Bins {
		if c > 0 {
			nz++
		}
	}
	w.u(uint64(nz))
	for i, c := range b.Lat.Bins {
		if c > 0 {
			w.u(uint64(i))
			w.u(uint64(c))
		}
	}
	w.f(b.Lat.Sum)
	w.f(b.Lat.Max)
}

func (r *reader) bucket() Bucket {
	var b Bucket
	b.N = r.u()
	for i := range b.Levels {
		b.Levels[i] = r.u()
	}
	for i := 1; i < len(b.Status); i++ {
		b.Status[i] = r.u()
	}
	b.OOM = r.u()
	b.MemPct, b.MemMB, b.CPU = r.gauge(), r.gauge(), r.gauge()
	nz := r.count(histBins)
	if nz > 0 {
		h := new(Hist)
		for range nz {
			i, c := r.u(), r.u()
			if i >= histBins || c > math.MaxUint32 {
				r.err = errCorrupt
				return b
			}
			h.Bins[i] = uint32(c)
			h.N += c
		}
		h.Sum, h.Max = r.f(), r.f()
		b.Lat = h
	}
	return b
}

func (w *writer) ring(rg *ring) {
	w.i(rg.latest)
	n := 0
	for i := range rg.b {
		if rg.stamp[i] >= 0 && rg.stamp[i] >= rg.oldest() && rg.b[i].N > 0 {
			n++
		}
	}
	w.u(uint64(n))
	for i := range rg.b {
		if rg.stamp[i] >= 0 && rg.stamp[i] >= rg.oldest() && rg.b[i].N > 0 {
			w.i(rg.stamp[i])
			w.bucket(&rg.b[i])
		}
	}
}

func (r *reader) ring(rg *ring) {
	latest := r.i()
	n := r.count(rg.n)
	type kept struct {
		idx int64
		b   Bucket
	}
	var ks []kept
	for range n {
		idx := r.i()
		b := r.bucket()
		if r.err != nil {
			return
		}
		if idx < 0 || idx > latest || idx < latest-int64(rg.n)+1 {
			continue // the ring was smaller when written
		}
		ks = append(ks, kept{idx, b})
	}
	if len(ks) == 0 {
		if latest >= 0 {
			rg.reserve(latest, latest)
		}
		rg.latest = latest
		return
	}
	lo := latest
	for _, k := range ks {
		lo = min(lo, k.idx)
	}
	rg.reserve(lo, latest)
	rg.latest = latest
	for _, k := range ks {
		s := rg.slot(k.idx)
		rg.stamp[s], rg.b[s] = k.idx, k.b
	}
}

// MarshalBinary encodes the series' state.
func (s *Series) MarshalBinary() ([]byte, error) {
	return s.marshal(false), nil
}

// marshal writes the current format, or version 2 (no host counts) for
// the test that older snapshots still load.
func (s *Series) marshal(v2 bool) []byte {
	w := &writer{b: make([]byte, 0, 4096)}
	if v2 {
		w.b = append(w.b, snapMagicV2...)
	} else {
		w.b = append(w.b, snapMagic...)
	}
	w.u(uint64(s.cfg.Minutes))
	w.u(uint64(s.cfg.Hours))
	w.u(uint64(s.cfg.MaxPatterns))
	w.i(int64(s.cfg.MaxJump))
	w.u(s.stats.Added)
	w.u(s.stats.TooOld)
	w.u(s.stats.TooNew)
	w.u(s.stats.Untracked)
	w.i(s.first)
	w.i(s.last)
	w.i(s.lastNano)
	w.ring(&s.min)
	w.ring(&s.hour)
	ids := slices.Sorted(maps.Keys(s.patterns)) // deterministic bytes for the same state
	w.u(uint64(len(ids)))
	for _, id := range ids {
		w.pattern(s.patterns[id], v2)
	}
	return w.b
}

func (w *writer) pattern(p *Pattern, v2 bool) {
	w.s(string(p.ID))
	w.u(p.Count)
	for _, v := range p.Levels {
		w.u(v)
	}
	w.i(p.First.UnixNano())
	w.i(p.Last.UnixNano())
	w.i(p.firstSec)
	w.i(p.lastSec)
	w.i(p.lastMin)
	w.i(p.lastHour)
	w.i(p.sampleMin)
	w.u(uint64(p.sampleNext))
	if p.sampleErr {
		w.u(1)
	} else {
		w.u(0)
	}
	w.u(uint64(len(p.Samples)))
	for _, v := range p.Samples {
		w.s(v)
	}
	p.settle()
	w.strMap(p.Fields)
	fk := slices.Sorted(maps.Keys(p.Formats))
	w.u(uint64(len(fk)))
	for _, k := range fk {
		w.s(k)
		w.u(p.Formats[k])
	}
	if !v2 {
		w.u(uint64(len(p.Hosts)))
		for _, h := range p.Hosts {
			w.s(h.Host)
			w.u(h.N)
		}
		w.u(p.OtherHosts)
	}
	slots := func(ss []slot) {
		n := 0
		for _, x := range ss {
			if x.n > 0 {
				n++
			}
		}
		w.u(uint64(n))
		for i, x := range ss {
			if x.n > 0 {
				w.u(uint64(i))
				w.i(int64(x.stamp))
				w.u(uint64(x.n))
				w.u(uint64(x.errs))
			}
		}
	}
	slots(p.mins[:])
	slots(p.hours[:])
}

func (w *writer) strMap(m map[string]string) {
	keys := slices.Sorted(maps.Keys(m))
	w.u(uint64(len(keys)))
	for _, k := range keys {
		w.s(k)
		w.s(m[k])
	}
}

func (r *reader) pattern(v2 bool) *Pattern {
	p := newPattern(cloudsage.PatternID(r.s()))
	p.Count = r.u()
	for i := range p.Levels {
		p.Levels[i] = r.u()
	}
	p.First = time.Unix(0, r.i()).UTC()
	p.Last = time.Unix(0, r.i()).UTC()
	p.firstSec, p.lastSec = r.i(), r.i()
	p.lastMin, p.lastHour, p.sampleMin = r.i(), r.i(), r.i()
	p.sampleNext = int(r.u())
	p.sampleErr = r.u() == 1
	if p.sampleNext != 1 && p.sampleNext != 2 {
		p.sampleNext = 1
	}
	ns := r.count(maxSamples)
	for range ns {
		p.Samples = append(p.Samples, r.s())
	}
	nf := r.count(maxFields)
	for range nf {
		if p.Fields == nil {
			p.Fields = make(map[string]string, nf)
		}
		k := r.s()
		p.Fields[k] = r.s()
	}
	nfo := r.count(64)
	for range nfo {
		if p.Formats == nil {
			p.Formats = make(map[string]uint64, nfo)
		}
		k := r.s()
		p.Formats[k] = r.u()
	}
	if !v2 {
		nh := r.count(maxHosts)
		for range nh {
			h := r.s()
			p.Hosts = append(p.Hosts, HostCount{Host: h, N: r.u()})
		}
		p.OtherHosts = r.u()
	}
	slots := func(ss []slot) {
		n := r.count(len(ss))
		for range n {
			i := r.u()
			st, c, e := r.i(), r.u(), r.u()
			if r.err != nil {
				return
			}
			if i >= uint64(len(ss)) || st < 0 || st > math.MaxInt32 || c > math.MaxUint32 || e > c {
				r.err = errCorrupt
				return
			}
			ss[i] = slot{stamp: int32(st), n: uint32(c), errs: uint32(e)}
		}
	}
	slots(p.mins[:])
	slots(p.hours[:])
	return p
}

// UnmarshalBinary replaces the series' state with one written by
// MarshalBinary. The ring sizes of the snapshot are kept.
func (s *Series) UnmarshalBinary(data []byte) error {
	if len(data) < len(snapMagic) || string(data[:len(snapMagic)]) != snapMagic && string(data[:len(snapMagicV2)]) != snapMagicV2 {
		return fmt.Errorf("read series snapshot: %w", errCorrupt)
	}
	v2 := string(data[:len(snapMagicV2)]) == snapMagicV2
	r := &reader{b: data[len(snapMagic):]}
	cfg := Config{
		Minutes:     r.count(1 << 17),
		Hours:       r.count(1 << 16),
		MaxPatterns: r.count(1 << 24),
		MaxJump:     time.Duration(r.i()),
	}
	if r.err != nil {
		return fmt.Errorf("read series snapshot: %w", r.err)
	}
	ns := New(cfg)
	ns.stats = Stats{Added: r.u(), TooOld: r.u(), TooNew: r.u(), Untracked: r.u()}
	ns.first, ns.last, ns.lastNano = r.i(), r.i(), r.i()
	r.ring(&ns.min)
	r.ring(&ns.hour)
	np := r.count(ns.cfg.MaxPatterns)
	for range np {
		p := r.pattern(v2)
		if r.err != nil {
			break
		}
		ns.patterns[p.ID] = p
	}
	if r.err != nil {
		return fmt.Errorf("read series snapshot: %w", r.err)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("read series snapshot: %d trailing bytes: %w", len(r.b), errCorrupt)
	}
	*s = *ns
	return nil
}
