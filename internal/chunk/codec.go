package chunk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/cloudsage/cloudsage"
)

// Compression: one byte naming the codec, then the compressed encoding.
// Chunks are written with zstd ('z'): version-3 chunks of 200,000 bench
// corpus lines (Loghub and generated) take 31.4 bytes a line at zstd's
// fastest level, against 47.3 for the row encoding with S2, for 1.6 times
// the encoding CPU (BenchmarkBuild); its better level, 29.4 bytes a line
// for 1.6 times the fastest's CPU, is kept for the chunks compaction and
// retention rewrite, which are cold. S2 chunks ('s', written before) and
// chunks that start with zstd's frame magic (the first format) still
// decode.
const (
	codecS2   byte = 's'
	codecZstd byte = 'z'
)

var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

var zstdDecoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<30))

// The zstd encoders: hot for a batch's own chunks (written on the ingest
// path, up to GOMAXPROCS at once), cold for the chunks compaction and
// retention write (one at a time: the better level's tables take 4.7 MB an
// encoder, and compaction runs in the background). A 256 KiB window (a
// chunk's encoding is about 100-300 KB) halves the fastest encoder's
// memory for 0.6% more bytes. Made on first use; EncodeAll is safe for
// concurrent use.
var (
	zstdOnce          sync.Once
	zstdHot, zstdCold *zstd.Encoder
)

func zstdEncoder(cold bool) *zstd.Encoder {
	zstdOnce.Do(func() {
		opts := func(l zstd.EncoderLevel, n int) []zstd.EOption {
			return []zstd.EOption{zstd.WithEncoderLevel(l), zstd.WithEncoderConcurrency(n), zstd.WithLowerEncoderMem(true), zstd.WithWindowSize(1 << 18)}
		}
		zstdHot, _ = zstd.NewWriter(nil, opts(zstd.SpeedFastest, runtime.GOMAXPROCS(0))...)
		zstdCold, _ = zstd.NewWriter(nil, opts(zstd.SpeedBetterCompression, 1)...)
	})
	if cold {
		return zstdCold
	}
	return zstdHot
}

// compress returns the stored form of an encoded chunk.
func compress(b []byte, cold bool) []byte {
	out := make([]byte, 1, 1+len(b)/3)
	out[0] = codecZstd
	out = zstdEncoder(cold).EncodeAll(b, out)
	return slices.Clip(out)
}

// decompress returns the encoding of a stored chunk.
func decompress(data []byte) ([]byte, error) {
	switch {
	case len(data) > 0 && data[0] == codecZstd:
		return zstdDecoder.DecodeAll(data[1:], nil)
	case len(data) > 0 && data[0] == codecS2:
		return s2.Decode(nil, data[1:])
	case len(data) >= 4 && string(data[:4]) == string(zstdMagic):
		return zstdDecoder.DecodeAll(data, nil)
	}
	return nil, errors.New("unknown codec")
}

// chunkEncoder builds chunks; its buffers are reused.
type chunkEncoder struct {
	table  []string
	done   []uint8 // per table entry: done* bits
	index  map[string]uint32
	out    []byte
	tokens tokenSet
	cols   columns
}

var encoders = sync.Pool{New: func() any { return &chunkEncoder{index: map[string]uint32{}} }}

// storedID is the id and batch id an event keeps in a version-2 chunk.
type storedID struct {
	id    int64
	batch BatchID
}

// buildChunk encodes evs (version 3): numbered by position when ids is
// nil, else with ids[i] the id and batch of evs[i]. A chunk with ids is
// one compaction or retention writes, and is compressed harder.
func buildChunk(p cloudsage.ProjectID, evs []*cloudsage.Event, ids []storedID) Chunk {
	e := encoders.Get().(*chunkEncoder)
	defer encoders.Put(e)
	c := Chunk{Project: p, N: len(evs), MinTime: math.MaxInt64, MaxTime: math.MinInt64}
	clear(e.index)
	e.table = e.table[:0]
	e.done = e.done[:0]
	e.tokens.reset()
	e.cols.reset()
	for _, ev := range evs {
		t := NS(ev.Time)
		c.MinTime, c.MaxTime = min(c.MinTime, t), max(c.MaxTime, t)
		c.Levels |= LevelBit(ev.Level)
		si, hi, pi := e.refIndex(ev.Service), e.refIndex(ev.Host), e.refIndex(string(ev.Pattern))
		e.cols.add(ev, t, si, hi, pi, e.refIndex(ev.Format))
		e.tokens.addText(searchSource(ev))
		for k, v := range ev.Fields {
			ki := e.refIndex(k)
			e.cols.field(ki, v)
			if e.once(ki, doneText) {
				e.tokens.addText(k)
			}
			e.tokens.addText(v)
		}
		if ev.Service != "" && e.once(si, doneService) {
			e.tokens.addKey(KeyService, ev.Service)
		}
		if ev.Host != "" && e.once(hi, doneHost) {
			e.tokens.addKey(KeyHost, ev.Host)
		}
		if ev.Pattern != "" && e.once(pi, donePattern) {
			e.tokens.addKey(KeyPattern, string(ev.Pattern))
		}
	}
	e.out = e.cols.encode(e.out[:0], e.table, ids)
	c.Data = compress(e.out, ids != nil)
	c.Tokens = e.tokens.list()
	return c
}

// Raw line storage: the same as the message (or empty), the message with a
// prefix and a suffix around it, or its own text.
const (
	rawSame byte = iota
	rawAround
	rawOwn
)

func rawParts(raw, msg string) (byte, string, string) {
	if raw == "" || raw == msg {
		return rawSame, "", ""
	}
	if msg != "" {
		if i := strings.Index(raw, msg); i >= 0 {
			return rawAround, raw[:i], raw[i+len(msg):]
		}
	}
	return rawOwn, "", ""
}

// refIndex returns the index of s in the chunk's string table, adding it.
func (e *chunkEncoder) refIndex(s string) uint32 {
	i, ok := e.index[s]
	if !ok {
		i = uint32(len(e.table))
		e.table = append(e.table, s)
		e.done = append(e.done, 0)
		e.index[s] = i
	}
	return i
}

// What a chunk's tokens already hold of a string-table entry.
const (
	doneText    uint8 = 1 << iota // its text tokens (a field name)
	doneService                   // its service key token
	donePattern                   // its pattern key token
	doneHost                      // its host key token
)

// once reports whether table entry i lacks bit, and sets it.
func (e *chunkEncoder) once(i uint32, bit uint8) bool {
	if e.done[i]&bit != 0 {
		return false
	}
	e.done[i] |= bit
	return true
}

const (
	sigStatus = 1 << iota
	sigLatency
	sigMemPct
	sigMemMB
	sigCPU
	sigHasLatency
	sigHasMemPct
	sigHasMemMB
	sigHasCPU
	sigOOM
)

// ErrCorrupt is returned for a chunk that does not decode.
var ErrCorrupt = errors.New("corrupt event chunk")

// chunkReader reads an uncompressed chunk; strings are slices of one string.
type chunkReader struct {
	s   string
	off int
	err error
}

func (r *chunkReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := uvarintString(r.s[r.off:])
	if n <= 0 {
		r.err = ErrCorrupt
		return 0
	}
	r.off += n
	return v
}

func (r *chunkReader) varint() int64 {
	u := r.uvarint()
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func uvarintString(s string) (uint64, int) {
	var x uint64
	var sh uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -1
			}
			return x | uint64(c)<<sh, i + 1
		}
		x |= uint64(c&0x7f) << sh
		sh += 7
	}
	return 0, 0
}

func (r *chunkReader) byte() byte {
	if r.err != nil || r.off >= len(r.s) {
		r.err = ErrCorrupt
		return 0
	}
	r.off++
	return r.s[r.off-1]
}

func (r *chunkReader) str() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.s)-r.off) {
		r.err = ErrCorrupt
		return ""
	}
	s := r.s[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

func (r *chunkReader) ref(table []string) string {
	i := r.uvarint()
	if r.err != nil || i >= uint64(len(table)) {
		r.err = ErrCorrupt
		return ""
	}
	return table[i]
}

func (r *chunkReader) float() float64 {
	if r.err != nil || len(r.s)-r.off < 8 {
		r.err = ErrCorrupt
		return 0
	}
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(r.s[r.off+i])
	}
	r.off += 8
	return math.Float64frombits(v)
}

// Decode returns the events of chunk id, from its compressed data, that
// keep accepts (all when keep is nil). In a version-1 chunk their ids are
// chunk<<IDShift plus their ordinals and their batch is batch (the chunk's
// row holds it); a version-2 chunk stores both. keep sees each event
// before its raw line is assembled (Raw is set only when it is a slice of
// the chunk) and with a Fields map it must not keep: rejected events cost
// no allocation.
func Decode(chunk int64, batch BatchID, data []byte, keep func(*Event) bool) ([]Event, error) {
	if keep != nil {
		// A search keeps few of a chunk's events: copy out only the
		// strings of the events kept, so they do not retain the whole
		// decoded chunk. The buffer is not pooled: a pooled one was
		// reused by another search while events still pointed into it
		// (a data race the soak test's race detector found).
		raw, err := decompress(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		evs, err := decodeEvents(chunk, batch, unsafe.String(unsafe.SliceData(raw), len(raw)), keep)
		detach(evs)
		return evs, err
	}
	raw, err := decompress(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	// raw is this call's own buffer, never written again: the events'
	// strings point into it without a copy (a compaction step decodes 32
	// chunks at once, and the copy doubled their bytes on the heap).
	return decodeEvents(chunk, batch, unsafe.String(unsafe.SliceData(raw), len(raw)), keep)
}

// detach copies the strings of evs out of the decoded chunk they point
// into, all into one allocation (the events of a chunk are cached and
// paged together): a page of 1,000 events made some 7,000 small
// allocations here before, a good part of a search's garbage.
func detach(evs []Event) {
	n := 0
	for i := range evs {
		e := &evs[i].Event
		n += len(e.Service) + len(e.Host) + len(e.Format) + len(e.Pattern) + len(e.Message)
		if !sameString(e.Raw, e.Message) {
			n += len(e.Raw)
		}
		for k, v := range e.Fields {
			n += len(k) + len(v)
		}
	}
	arena := make([]byte, 0, n)
	cp := func(s string) string {
		if s == "" {
			return ""
		}
		off := len(arena)
		arena = append(arena, s...) // within capacity: arena never moves
		return unsafe.String(&arena[off], len(s))
	}
	for i := range evs {
		e := &evs[i].Event
		e.Service, e.Host, e.Format = cp(e.Service), cp(e.Host), cp(e.Format)
		e.Pattern = cloudsage.PatternID(cp(string(e.Pattern)))
		same := sameString(e.Raw, e.Message)
		e.Message = cp(e.Message)
		if same {
			e.Raw = e.Message
		} else {
			e.Raw = cp(e.Raw)
		}
		if len(e.Fields) > 0 {
			f := make(map[string]string, len(e.Fields))
			for k, v := range e.Fields {
				f[cp(k)] = cp(v)
			}
			e.Fields = f
		}
	}
}

// sameString reports whether a and b are the same bytes in memory (a raw
// line stored as "the same as the message").
func sameString(a, b string) bool {
	return len(a) > 0 && len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}

func decodeEvents(chunk int64, batch BatchID, s string, keep func(*Event) bool) ([]Event, error) {
	if len(s) > 0 && s[0] == version3 {
		return decodeColumns(chunk, batch, s, keep)
	}
	return decodeRows(chunk, batch, s, keep)
}

// decodeRows decodes the row encodings of versions 1 and 2 (chunks
// written before version 3).
func decodeRows(chunk int64, batch BatchID, s string, keep func(*Event) bool) ([]Event, error) {
	r := &chunkReader{s: s}
	version := r.byte()
	if version != version1 && version != version2 {
		return nil, fmt.Errorf("%w: unknown version", ErrCorrupt)
	}
	n := r.uvarint()
	nt := r.uvarint()
	if r.err != nil || n > MaxEvents*4 || nt > uint64(len(s)) {
		return nil, ErrCorrupt
	}
	table := make([]string, nt)
	for i := range table {
		table[i] = r.str()
	}
	var evs []Event
	if keep == nil {
		evs = make([]Event, 0, n)
	}
	var t, id, batchID int64
	var seen [1 << IDShift / 64]uint64 // version 1: ordinals read
	scratch := map[string]string{}
	// One event is decoded at a time, into e, and copied out when kept:
	// keep (a func value) makes e escape, and one allocation per chunk
	// instead of one per event is most of a search's garbage.
	e := new(Event)
	for range n {
		*e = Event{}
		if version == version1 {
			ord := r.uvarint()
			if ord >= 1<<IDShift || seen[ord/64]&(1<<(ord%64)) != 0 {
				return nil, fmt.Errorf("%w: bad ordinal", ErrCorrupt)
			}
			seen[ord/64] |= 1 << (ord % 64)
			e.ID, e.BatchID = chunk<<IDShift|int64(ord), batch
		} else {
			id += r.varint()
			batchID += r.varint()
			e.ID, e.BatchID = id, BatchID(batchID)
		}
		t += r.varint()
		e.Time = FromNS(t)
		e.Level = cloudsage.Level(int8(r.byte()))
		flags := r.byte()
		e.TimeGuessed = flags&1 != 0
		e.Service = r.ref(table)
		e.Host = r.ref(table)
		e.Pattern = cloudsage.PatternID(r.ref(table))
		e.Format = r.ref(table)
		e.Message = r.str()
		var pre, suf string
		switch flags >> 1 {
		case rawSame:
			e.Raw = e.Message
		case rawAround:
			pre, suf = r.str(), r.str()
		case rawOwn:
			e.Raw = r.str()
		default:
			return nil, fmt.Errorf("%w: bad flags", ErrCorrupt)
		}
		nf := r.uvarint()
		if nf > uint64(len(s)) {
			return nil, ErrCorrupt
		}
		if nf > 0 && r.err == nil {
			clear(scratch)
			for range nf {
				k := r.ref(table)
				scratch[k] = r.str()
				if r.err != nil {
					break
				}
			}
			e.Fields = scratch
		}
		m := r.uvarint()
		sg := &e.Signals
		if m&sigStatus != 0 {
			sg.Status = int(r.varint())
		}
		if m&sigLatency != 0 {
			sg.LatencyMS = r.float()
		}
		if m&sigMemPct != 0 {
			sg.MemoryPct = r.float()
		}
		if m&sigMemMB != 0 {
			sg.MemoryMB = r.float()
		}
		if m&sigCPU != 0 {
			sg.CPUPct = r.float()
		}
		sg.HasLatency, sg.HasMemPct, sg.HasMemMB, sg.HasCPU, sg.OOM = m&sigHasLatency != 0, m&sigHasMemPct != 0, m&sigHasMemMB != 0, m&sigHasCPU != 0, m&sigOOM != 0
		if r.err != nil {
			return nil, r.err
		}
		if keep != nil && !keep(e) {
			continue
		}
		if flags>>1 == rawAround {
			e.Raw = pre + e.Message + suf
		}
		if e.Fields != nil {
			e.Fields = maps.Clone(scratch)
		}
		evs = append(evs, *e)
	}
	if r.off != len(s) {
		return nil, fmt.Errorf("%w: trailing bytes", ErrCorrupt)
	}
	return evs, nil
}

// searchSource is the text of an event that search sees before its fields:
