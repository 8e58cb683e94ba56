package chunk

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"sync"

	"github.com/cloudsage/cloudsage"
)

// Version 3 stores a chunk's events column by column: every event's time,
// then every level, every service, and so on, each string column as its
// lengths and then its bytes. Similar values sit together, which is what
// a compressor exploits: on the bench corpus (Loghub and generated lines)
// zstd made columns about 0.87 times the size of the row encoding. The
// text columns (message, the raw line's prefix and suffix around it, the
// raw line when it does not hold the message, field values) are written
// in pattern order: the events of one pattern one after another, in their
// order, so that lines sharing a template are adjacent whatever their
// times. Field values are written per field name, in pattern order.
//
//	version3, numbering (0: by position, 1: stored ids), n, table
//	[numbering 1: n id deltas, n batch deltas]
//	n time deltas, n levels, n flags (bit 0 time guessed, bits 1-2 raw kind)
//	n service, n host, n pattern, n format refs into the table
//	n field counts, then a name ref per field
//	messages, prefixes, suffixes, own raw lines, field values: lengths, bytes
//	n signal masks, statuses, latencies, memory %, memory MB, CPU %
//
// Every event is rebuilt byte for byte: nothing is parsed out of the text.
const (
	numberByPosition = 0
	numberStored     = 1
)

// columns collects the values of a chunk's events before they are
// written; its slices are reused.
type columns struct {
	times                  []int64
	levels, flags          []byte
	svc, host, pat, format []uint32
	nfields                []uint32
	keys                   []uint32
	values                 []string
	msg, pre, suf, raw     []string
	sig                    []cloudsage.Signals
	order                  []int32 // events in pattern order
	fieldStart             []int32 // per event: its first field in keys/values
	fo                     []int32 // fields in the order their values are written
}

func (c *columns) reset() {
	c.times, c.levels, c.flags = c.times[:0], c.levels[:0], c.flags[:0]
	c.svc, c.host, c.pat, c.format = c.svc[:0], c.host[:0], c.pat[:0], c.format[:0]
	c.nfields, c.keys, c.values = c.nfields[:0], c.keys[:0], c.values[:0]
	c.msg, c.pre, c.suf, c.raw, c.sig = c.msg[:0], c.pre[:0], c.suf[:0], c.raw[:0], c.sig[:0]
}

// add records an event but for its fields (field adds them after it).
func (c *columns) add(ev *cloudsage.Event, t int64, svc, host, pat, format uint32) {
	c.times = append(c.times, t)
	c.levels = append(c.levels, byte(ev.Level))
	kind, pre, suf := rawParts(ev.Raw, ev.Message)
	var flags byte
	if ev.TimeGuessed {
		flags |= 1
	}
	c.flags = append(c.flags, flags|kind<<1)
	c.svc, c.host, c.pat, c.format = append(c.svc, svc), append(c.host, host), append(c.pat, pat), append(c.format, format)
	c.nfields = append(c.nfields, 0)
	c.msg = append(c.msg, ev.Message)
	c.pre, c.suf = append(c.pre, pre), append(c.suf, suf)
	own := ""
	if kind == rawOwn {
		own = ev.Raw
	}
	c.raw = append(c.raw, own)
	c.sig = append(c.sig, ev.Signals)
}

// field records a field of the event added last.
func (c *columns) field(key uint32, v string) {
	c.nfields[len(c.nfields)-1]++
	c.keys = append(c.keys, key)
	c.values = append(c.values, v)
}

// refStarts is where each ref's entries start in refs ordered by ref
// (a counting sort's offsets), for nt table entries.
func refStarts(refs []uint32, nt int) []int32 {
	counts := make([]int32, nt+1)
	for _, r := range refs {
		counts[r+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	return counts
}

// patternOrder returns the events ordered by pattern ref (stably), given
// the refs and how many table entries there are.
func patternOrder(order []int32, pat []uint32, nt int) []int32 {
	counts := refStarts(pat, nt)
	order = resize(order, len(pat))
	for i, p := range pat {
		order[counts[p]] = int32(i)
		counts[p]++
	}
	return order
}

// fieldOrder returns the fields (indexes into keys) ordered by name ref,
// the events' fields taken in the given event order.
func fieldOrder(out []int32, keys []uint32, start []int32, nfields []uint32, events []int32, nt int) []int32 {
	counts := refStarts(keys, nt)
	out = resize(out, len(keys))
	for _, ev := range events {
		for f := start[ev]; f < start[ev]+int32(nfields[ev]); f++ {
			k := keys[f]
			out[counts[k]] = f
			counts[k]++
		}
	}
	return out
}

// encode appends the version-3 encoding of the collected events to b.
func (c *columns) encode(b []byte, table []string, ids []storedID) []byte {
	n := len(c.times)
	b = append(b, version3)
	if ids == nil {
		b = append(b, numberByPosition)
	} else {
		b = append(b, numberStored)
	}
	b = binary.AppendUvarint(b, uint64(n))
	b = binary.AppendUvarint(b, uint64(len(table)))
	b = appendStrings(b, len(table), func(i int) string { return table[i] })
	if ids != nil {
		var prev int64
		for _, id := range ids {
			b = binary.AppendVarint(b, id.id-prev)
			prev = id.id
		}
		prev = 0
		for _, id := range ids {
			b = binary.AppendVarint(b, int64(id.batch)-prev)
			prev = int64(id.batch)
		}
	}
	var prev int64
	for _, t := range c.times {
		b = binary.AppendVarint(b, t-prev)
		prev = t
	}
	b = append(b, c.levels...)
	b = append(b, c.flags...)
	for _, col := range [][]uint32{c.svc, c.host, c.pat, c.format, c.nfields, c.keys} {
		for _, v := range col {
			b = binary.AppendUvarint(b, uint64(v))
		}
	}
	c.order = patternOrder(c.order, c.pat, len(table))
	// Which of the pre, suf and raw columns an event has: its flags say.
	b = appendStrings(b, n, func(i int) string { return c.msg[c.order[i]] })
	around := c.ordered(rawAround)
	b = appendStrings(b, len(around), func(i int) string { return c.pre[around[i]] })
	b = appendStrings(b, len(around), func(i int) string { return c.suf[around[i]] })
	own := c.ordered(rawOwn)
	b = appendStrings(b, len(own), func(i int) string { return c.raw[own[i]] })
	c.fieldStart = c.fieldStart[:0]
	var f int32
	for _, k := range c.nfields {
		c.fieldStart = append(c.fieldStart, f)
		f += int32(k)
	}
	c.fo = fieldOrder(c.fo, c.keys, c.fieldStart, c.nfields, c.order, len(table))
	fo := c.fo
	b = appendStrings(b, len(fo), func(i int) string { return c.values[fo[i]] })
	return appendSignalColumns(b, c.sig)
}

// ordered returns the events of raw kind kind, in pattern order.
func (c *columns) ordered(kind byte) []int32 {
	var out []int32
	for _, i := range c.order {
		if c.flags[i]>>1 == kind {
			out = append(out, i)
		}
	}
	return out
}

// appendStrings appends n strings: their lengths, then their bytes.
func appendStrings(b []byte, n int, s func(int) string) []byte {
	for i := range n {
		b = binary.AppendUvarint(b, uint64(len(s(i))))
	}
	for i := range n {
		b = append(b, s(i)...)
	}
	return b
}

func signalMask(s *cloudsage.Signals) uint64 {
	var m uint64
	set := func(bit uint64, on bool) {
		if on {
			m |= bit
		}
	}
	set(sigStatus, s.Status != 0)
	set(sigLatency, s.LatencyMS != 0)
	set(sigMemPct, s.MemoryPct != 0)
	set(sigMemMB, s.MemoryMB != 0)
	set(sigCPU, s.CPUPct != 0)
	set(sigHasLatency, s.HasLatency)
	set(sigHasMemPct, s.HasMemPct)
	set(sigHasMemMB, s.HasMemMB)
	set(sigHasCPU, s.HasCPU)
	set(sigOOM, s.OOM)
	return m
}

// appendSignalColumns appends every event's signal mask, then the
// statuses of the events that have one, then each measurement likewise.
func appendSignalColumns(b []byte, sig []cloudsage.Signals) []byte {
	for i := range sig {
		b = binary.AppendUvarint(b, signalMask(&sig[i]))
	}
	for i := range sig {
		if sig[i].Status != 0 {
			b = binary.AppendVarint(b, int64(sig[i].Status))
		}
	}
	for _, f := range signalFloats {
		for i := range sig {
			if v := *f.v(&sig[i]); v != 0 {
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			}
		}
	}
	return b
}

// signalFloats are the float signals, in their order in a chunk.
var signalFloats = []struct {
	bit uint64
	v   func(*cloudsage.Signals) *float64
}{
	{sigLatency, func(s *cloudsage.Signals) *float64 { return &s.LatencyMS }},
	{sigMemPct, func(s *cloudsage.Signals) *float64 { return &s.MemoryPct }},
	{sigMemMB, func(s *cloudsage.Signals) *float64 { return &s.MemoryMB }},
	{sigCPU, func(s *cloudsage.Signals) *float64 { return &s.CPUPct }},
}

// strs reads n strings written by appendStrings into out (reused), with
// lens as scratch.
func (r *chunkReader) strs(out []string, lens *[]uint64, n int) []string {
	if r.err != nil {
		return out[:0]
	}
	if n > len(r.s)-r.off {
		r.err = ErrCorrupt
		return out[:0]
	}
	out = resize(out, n)
	ls := resize(*lens, n)
	*lens = ls
	var total uint64
	for i := range ls {
		ls[i] = r.uvarint()
		total += ls[i]
		if r.err != nil || total > uint64(len(r.s)-r.off) {
			r.err = ErrCorrupt
			return out[:0]
		}
	}
	for i, l := range ls {
		out[i] = r.s[r.off : r.off+int(l)]
		r.off += int(l)
	}
	return out
}

// resize returns s with length n and zero values, reusing its array when
// it is large enough.
func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// refs reads n refs into a table of nt entries, into out (reused).
func (r *chunkReader) refs(out []uint32, n int, nt uint64) []uint32 {
	out = resize(out, n)
	for i := range out {
		v := r.uvarint()
		if r.err == nil && v >= nt {
			r.err = ErrCorrupt
		}
		out[i] = uint32(v)
	}
	return out
}

// bytes reads n bytes.
func (r *chunkReader) bytes(n int) string {
	if r.err != nil || n > len(r.s)-r.off {
		r.err = ErrCorrupt
		return ""
	}
	r.off += n
	return r.s[r.off-n : r.off]
}

// columnDecoder holds the columns of a chunk being decoded; its slices are
// reused (pooled). Events copy what they keep out of them: strings point
// into the decompressed chunk, never into these slices.
type columnDecoder struct {
	ids, batches, times                 []int64
	svc, host, pat, format, nfields     []uint32
	keys                                []uint32
	order, start, fo                    []int32
	lens                                []uint64
	col, msgs, pres, sufs, raws, values []string
	masks                               []uint64
	sig                                 []cloudsage.Signals
}

var columnDecoders = sync.Pool{New: func() any { return new(columnDecoder) }}

// decodeColumns decodes a version-3 chunk; see decodeRows for keep.
func decodeColumns(chunk int64, batch BatchID, s string, keep func(*Event) bool) ([]Event, error) {
	d := columnDecoders.Get().(*columnDecoder)
	defer columnDecoders.Put(d)
	r := &chunkReader{s: s}
	r.byte() // version3
	numbering := r.byte()
	n64 := r.uvarint()
	nt := r.uvarint()
	if r.err != nil || numbering > numberStored || n64 > MaxEvents*4 || (numbering == numberByPosition && n64 > 1<<IDShift) || nt > uint64(len(s)) {
		return nil, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	n := int(n64)
	table := r.strs(nil, &d.lens, int(nt))
	if numbering == numberStored {
		d.ids, d.batches = resize(d.ids, n), resize(d.batches, n)
		var id, b int64
		for i := range d.ids {
			id += r.varint()
			d.ids[i] = id
		}
		for i := range d.batches {
			b += r.varint()
			d.batches[i] = b
		}
	}
	d.times = resize(d.times, n)
	var t int64
	for i := range d.times {
		t += r.varint()
		d.times[i] = t
	}
	levels, flags := r.bytes(n), r.bytes(n)
	d.svc, d.host, d.pat, d.format = r.refs(d.svc, n, nt), r.refs(d.host, n, nt), r.refs(d.pat, n, nt), r.refs(d.format, n, nt)
	d.nfields = resize(d.nfields, n)
	var nf uint64
	for i := range d.nfields {
		v := r.uvarint()
		nf += v
		if r.err != nil || nf > uint64(len(s)) {
			return nil, ErrCorrupt
		}
		d.nfields[i] = uint32(v)
	}
	d.keys = r.refs(d.keys, int(nf), nt)
	if r.err != nil {
		return nil, r.err
	}
	var around, own int
	for i := range len(flags) {
		switch flags[i] >> 1 {
		case rawAround:
			around++
		case rawOwn:
			own++
		case rawSame:
		default:
			return nil, fmt.Errorf("%w: bad flags", ErrCorrupt)
		}
	}
	d.order = patternOrder(d.order, d.pat, int(nt))
	// Each text column back in event order.
	d.col = r.strs(d.col, &d.lens, n)
	d.msgs = resize(d.msgs, n)
	for i, v := range d.col {
		d.msgs[d.order[i]] = v
	}
	d.pres, d.sufs, d.raws = resize(d.pres, n), resize(d.sufs, n), resize(d.raws, n)
	scatter := func(kind byte, dst []string, vals []string) {
		j := 0
		for _, i := range d.order {
			if flags[i]>>1 == kind && j < len(vals) {
				dst[i] = vals[j]
				j++
			}
		}
	}
	d.col = r.strs(d.col, &d.lens, around)
	scatter(rawAround, d.pres, d.col)
	d.col = r.strs(d.col, &d.lens, around)
	scatter(rawAround, d.sufs, d.col)
	d.col = r.strs(d.col, &d.lens, own)
	scatter(rawOwn, d.raws, d.col)
	d.start = resize(d.start, n)
	var f int32
	for i, k := range d.nfields {
		d.start[i] = f
		f += int32(k)
	}
	d.values = resize(d.values, int(nf))
	d.fo = fieldOrder(d.fo, d.keys, d.start, d.nfields, d.order, int(nt))
	d.col = r.strs(d.col, &d.lens, int(nf))
	for i, v := range d.col {
		d.values[d.fo[i]] = v
	}
	d.sig, d.masks = resize(d.sig, n), resize(d.masks, n)
	sig, masks := d.sig, d.masks
	for i := range masks {
		masks[i] = r.uvarint()
	}
	for i := range sig {
		if masks[i]&sigStatus != 0 {
			sig[i].Status = int(r.varint())
		}
	}
	for _, fl := range signalFloats {
		for i := range sig {
			if masks[i]&fl.bit != 0 {
				*fl.v(&sig[i]) = r.float()
			}
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.off != len(s) {
		return nil, fmt.Errorf("%w: trailing bytes", ErrCorrupt)
	}
	var evs []Event
	if keep == nil {
		evs = make([]Event, 0, n)
	}
	scratch := map[string]string{}
	e := new(Event)
	for i := range n {
		*e = Event{}
		if numbering == numberStored {
			e.ID, e.BatchID = d.ids[i], BatchID(d.batches[i])
		} else {
			e.ID, e.BatchID = chunk<<IDShift|int64(i), batch
		}
		e.Time = FromNS(d.times[i])
		e.Level = cloudsage.Level(int8(levels[i]))
		e.TimeGuessed = flags[i]&1 != 0
		e.Service, e.Host, e.Pattern, e.Format = table[d.svc[i]], table[d.host[i]], cloudsage.PatternID(table[d.pat[i]]), table[d.format[i]]
		e.Message = d.msgs[i]
		switch flags[i] >> 1 {
		case rawSame:
			e.Raw = e.Message
		case rawOwn:
			e.Raw = d.raws[i]
		}
		if d.nfields[i] > 0 {
			clear(scratch)
			for f := d.start[i]; f < d.start[i]+int32(d.nfields[i]); f++ {
				scratch[table[d.keys[f]]] = d.values[f]
			}
			e.Fields = scratch
		}
		m := masks[i]
		e.Signals = sig[i]
		sg := &e.Signals
		sg.HasLatency, sg.HasMemPct, sg.HasMemMB, sg.HasCPU, sg.OOM = m&sigHasLatency != 0, m&sigHasMemPct != 0, m&sigHasMemMB != 0, m&sigHasCPU != 0, m&sigOOM != 0
		if keep != nil && !keep(e) {
			continue
		}
		if flags[i]>>1 == rawAround {
			e.Raw = d.pres[i] + e.Message + d.sufs[i]
		}
		if e.Fields != nil {
			e.Fields = maps.Clone(scratch)
		}
		evs = append(evs, *e)
	}
	return evs, nil
}
