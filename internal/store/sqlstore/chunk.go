package sqlstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/query"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Events are stored in chunks: up to ChunkEvents events of one batch per
// row, in a compact encoding compressed with zstd, with the chunk's time
// range and level bitmap beside it and one index document holding the
// chunk's distinct search tokens (plus a key token per service and per
// pattern). A search asks the index for candidate chunks, newest first,
// and filters their decoded events exactly in Go. One index document per
// chunk instead of one per event is what makes ingest cheap.
//
// An event's id is its chunk's id shifted left by ChunkShift plus the
// event's ordinal in the chunk, so ids grow with insertion. A chunk written
// by compaction or rewritten by retention (version 2) holds events of other
// chunks and batches: it stores each event's id and batch id, so events
// keep them (and a cursor stays valid) whatever chunk they move to.

// ChunkEvents is the most events a chunk holds.
const ChunkEvents = 1024

// ChunkShift is how far a chunk id is shifted to make its events' ids.
const ChunkShift = 12

// Chunk encodings: version 1 numbers events by ordinal in the chunk (ids
// follow from the chunk id) and takes the batch from the chunk's row;
// version 2 stores each event's id and batch id (as deltas).
const (
	chunkVersion   = 1
	chunkVersionV2 = 2
)

// Chunk is one stored row of events.
type Chunk struct {
	ID      int64
	Project cloudsage.ProjectID
	Batch   store.BatchID
	// Run is the sorted run the chunk belongs to: 0 for a batch's own
	// chunks (the batch is their run), a compaction's run key otherwise.
	Run     int64
	MinTime int64 // Unix ns
	MaxTime int64
	N       int
	Levels  int64    // bit 1<<level for every level present
	Data    []byte   // compressed encoding
	Tokens  []string // distinct index tokens, [a-z0-9]+ each
}

// levelBits returns the bitmap of levels.
func levelBits(ls []cloudsage.Level) int64 {
	var m int64
	for _, l := range ls {
		m |= levelBit(l)
	}
	return m
}

func levelBit(l cloudsage.Level) int64 { return 1 << (uint(uint8(l)) & 63) }

// Compression: one byte naming the codec, then the compressed encoding.
// S2 (Snappy's faster successor) costs a third of zstd's CPU on log chunks
// for about 1.4 times the size (measured: 29% of the encoding against 21%).
// A chunk that starts with zstd's frame magic (the first format) still
// decodes.
const codecS2 byte = 's'

var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

var zstdDecoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<30))

// compress returns the stored form of an encoded chunk.
func compress(b []byte) []byte {
	out := make([]byte, 1+s2.MaxEncodedLen(len(b)))
	out[0] = codecS2
	n := len(s2.Encode(out[1:], b))
	return out[:1+n]
}

// decompress returns the encoding of a stored chunk.
func decompress(data []byte) ([]byte, error) {
	switch {
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
	body   []byte
	out    []byte
	tokens tokenSet
}

var encoders = sync.Pool{New: func() any { return &chunkEncoder{index: map[string]uint32{}} }}

// BuildChunks splits evs, ordered by time (stably), into chunks of at most
// ChunkEvents events, encoded and tokenized (ID and Batch are left for the
// caller), on up to GOMAXPROCS goroutines. The order makes each chunk's
// time range narrow, which is what lets a newest-first search stop after a
// few chunks; readers order by time anyway, and ids still follow the input
// order among equal times.
func BuildChunks(p cloudsage.ProjectID, evs []cloudsage.Event) []Chunk {
	ptrs := make([]*cloudsage.Event, len(evs))
	for i := range evs {
		ptrs[i] = &evs[i]
	}
	if !slices.IsSortedFunc(ptrs, byTime) {
		slices.SortStableFunc(ptrs, byTime)
	}
	return buildParts(len(evs), func(lo, hi int) Chunk { return buildChunk(p, ptrs[lo:hi], nil) })
}

// buildParts builds the chunks of n events, ChunkEvents at a time, with
// build(lo, hi) for events lo to hi, on up to GOMAXPROCS goroutines.
func buildParts(n int, build func(lo, hi int) Chunk) []Chunk {
	out := make([]Chunk, (n+ChunkEvents-1)/ChunkEvents)
	one := func(i int) { out[i] = build(i*ChunkEvents, min((i+1)*ChunkEvents, n)) }
	workers := min(runtime.GOMAXPROCS(0), len(out))
	if workers <= 1 {
		for i := range out {
			one(i)
		}
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(out) {
					return
				}
				one(i)
			}
		})
	}
	wg.Wait()
	return out
}

func byTime(a, b *cloudsage.Event) int { return a.Time.Compare(b.Time) }

// storedID is the id and batch id an event keeps in a version-2 chunk.
type storedID struct {
	id    int64
	batch store.BatchID
}

// buildChunk encodes evs: in version 1 numbered by position when ids is
// nil, else in version 2 with ids[i] the id and batch of evs[i].
func buildChunk(p cloudsage.ProjectID, evs []*cloudsage.Event, ids []storedID) Chunk {
	e := encoders.Get().(*chunkEncoder)
	defer encoders.Put(e)
	c := Chunk{Project: p, N: len(evs), MinTime: math.MaxInt64, MaxTime: math.MinInt64}
	clear(e.index)
	e.table = e.table[:0]
	e.done = e.done[:0]
	e.body = e.body[:0]
	e.tokens.reset()
	var prev, prevID, prevBatch int64
	for i, ev := range evs {
		t := ns(ev.Time)
		c.MinTime, c.MaxTime = min(c.MinTime, t), max(c.MaxTime, t)
		c.Levels |= levelBit(ev.Level)
		b := e.body
		if ids == nil {
			b = binary.AppendUvarint(b, uint64(i))
		} else {
			b = binary.AppendVarint(b, ids[i].id-prevID)
			b = binary.AppendVarint(b, int64(ids[i].batch)-prevBatch)
			prevID, prevBatch = ids[i].id, int64(ids[i].batch)
		}
		b = binary.AppendVarint(b, t-prev)
		prev = t
		var flags byte
		if ev.TimeGuessed {
			flags |= 1
		}
		raw, pre, suf := rawParts(ev.Raw, ev.Message)
		flags |= raw << 1
		b = append(b, byte(ev.Level), flags)
		var si, pi uint32
		b, si = e.refIndex(b, ev.Service)
		var hi uint32
		b, hi = e.refIndex(b, ev.Host)
		b, pi = e.refIndex(b, string(ev.Pattern))
		b = e.ref(b, ev.Format)
		b = appendString(b, ev.Message)
		switch raw {
		case rawAround:
			b = appendString(b, pre)
			b = appendString(b, suf)
		case rawOwn:
			b = appendString(b, ev.Raw)
		}
		e.tokens.addText(searchSource(ev))
		b = binary.AppendUvarint(b, uint64(len(ev.Fields)))
		for k, v := range ev.Fields {
			var ki uint32
			b, ki = e.refIndex(b, k)
			b = appendString(b, v)
			if e.once(ki, doneText) {
				e.tokens.addText(k)
			}
			e.tokens.addText(v)
		}
		b = appendSignals(b, &ev.Signals)
		e.body = b
		if ev.Service != "" && e.once(si, doneService) {
			e.tokens.addKey('s', ev.Service)
		}
		if ev.Host != "" && e.once(hi, doneHost) {
			e.tokens.addKey('h', ev.Host)
		}
		if ev.Pattern != "" && e.once(pi, donePattern) {
			e.tokens.addKey('p', string(ev.Pattern))
		}
	}
	out := e.out[:0]
	if ids == nil {
		out = append(out, chunkVersion)
	} else {
		out = append(out, chunkVersionV2)
	}
	out = binary.AppendUvarint(out, uint64(len(evs)))
	out = binary.AppendUvarint(out, uint64(len(e.table)))
	for _, s := range e.table {
		out = appendString(out, s)
	}
	out = append(out, e.body...)
	e.out = out
	c.Data = compress(out)
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

// ref appends the index of s in the chunk's string table.
func (e *chunkEncoder) ref(b []byte, s string) []byte {
	b, _ = e.refIndex(b, s)
	return b
}

// refIndex appends the index of s in the chunk's string table and returns
// it.
func (e *chunkEncoder) refIndex(b []byte, s string) ([]byte, uint32) {
	i, ok := e.index[s]
	if !ok {
		i = uint32(len(e.table))
		e.table = append(e.table, s)
		e.done = append(e.done, 0)
		e.index[s] = i
	}
	return binary.AppendUvarint(b, uint64(i)), i
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

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
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

func appendSignals(b []byte, s *cloudsage.Signals) []byte {
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
	b = binary.AppendUvarint(b, m)
	if m&sigStatus != 0 {
		b = binary.AppendVarint(b, int64(s.Status))
	}
	for _, f := range []struct {
		bit uint64
		v   float64
	}{{sigLatency, s.LatencyMS}, {sigMemPct, s.MemoryPct}, {sigMemMB, s.MemoryMB}, {sigCPU, s.CPUPct}} {
		if m&f.bit != 0 {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f.v))
		}
	}
	return b
}

// errCorrupt is returned for a chunk that does not decode.
var errCorrupt = errors.New("corrupt event chunk")

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
		r.err = errCorrupt
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
		r.err = errCorrupt
		return 0
	}
	r.off++
	return r.s[r.off-1]
}

func (r *chunkReader) str() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.s)-r.off) {
		r.err = errCorrupt
		return ""
	}
	s := r.s[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

func (r *chunkReader) ref(table []string) string {
	i := r.uvarint()
	if r.err != nil || i >= uint64(len(table)) {
		r.err = errCorrupt
		return ""
	}
	return table[i]
}

func (r *chunkReader) float() float64 {
	if r.err != nil || len(r.s)-r.off < 8 {
		r.err = errCorrupt
		return 0
	}
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(r.s[r.off+i])
	}
	r.off += 8
	return math.Float64frombits(v)
}

// DecodeChunk returns the events of a chunk's compressed data; in a
// version-1 chunk their ids are chunk<<ChunkShift plus their ordinals (and
// their batch id is left 0: the chunk's row holds it).
func DecodeChunk(chunk int64, data []byte) ([]store.Event, error) {
	return decodeChunk(chunk, 0, data, nil)
}

// decodeChunk returns the events of a chunk that keep accepts (all when
// keep is nil). keep sees each event before its raw line is assembled
// (Raw is set only when it is a slice of the chunk) and with a Fields map
// it must not keep: rejected events cost no allocation.
func decodeChunk(chunk int64, batch store.BatchID, data []byte, keep func(*store.Event) bool) ([]store.Event, error) {
	if keep != nil {
		// A search keeps few of a chunk's events: copy out only the
		// strings of the events kept, so they do not retain the whole
		// decoded chunk. The buffer is not pooled: a pooled one was
		// reused by another search while events still pointed into it
		// (a data race the soak test's race detector found).
		raw, err := decompress(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errCorrupt, err)
		}
		evs, err := decodeEvents(chunk, batch, unsafe.String(unsafe.SliceData(raw), len(raw)), keep)
		for i := range evs {
			detach(&evs[i].Event)
		}
		return evs, err
	}
	raw, err := decompress(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	return decodeEvents(chunk, batch, string(raw), keep)
}

// detach copies e's strings out of the decoded chunk they point into.
func detach(e *cloudsage.Event) {
	e.Service, e.Host, e.Format = strings.Clone(e.Service), strings.Clone(e.Host), strings.Clone(e.Format)
	e.Pattern = cloudsage.PatternID(strings.Clone(string(e.Pattern)))
	sameRaw := len(e.Raw) > 0 && len(e.Raw) == len(e.Message) && unsafe.StringData(e.Raw) == unsafe.StringData(e.Message)
	e.Message = strings.Clone(e.Message)
	if sameRaw {
		e.Raw = e.Message
	} else {
		e.Raw = strings.Clone(e.Raw)
	}
	if len(e.Fields) > 0 {
		f := make(map[string]string, len(e.Fields))
		for k, v := range e.Fields {
			f[strings.Clone(k)] = strings.Clone(v)
		}
		e.Fields = f
	}
}

func decodeEvents(chunk int64, batch store.BatchID, s string, keep func(*store.Event) bool) ([]store.Event, error) {
	r := &chunkReader{s: s}
	version := r.byte()
	if version != chunkVersion && version != chunkVersionV2 {
		return nil, fmt.Errorf("%w: unknown version", errCorrupt)
	}
	n := r.uvarint()
	nt := r.uvarint()
	if r.err != nil || n > ChunkEvents*4 || nt > uint64(len(s)) {
		return nil, errCorrupt
	}
	table := make([]string, nt)
	for i := range table {
		table[i] = r.str()
	}
	var evs []store.Event
	if keep == nil {
		evs = make([]store.Event, 0, n)
	}
	var t, id, batchID int64
	var seen []bool
	if version == chunkVersion {
		seen = make([]bool, 1<<ChunkShift)
	}
	scratch := map[string]string{}
	for range n {
		var ev store.Event
		e := &ev
		if version == chunkVersion {
			ord := r.uvarint()
			if ord >= 1<<ChunkShift || seen[ord] {
				return nil, fmt.Errorf("%w: bad ordinal", errCorrupt)
			}
			seen[ord] = true
			e.ID, e.BatchID = chunk<<ChunkShift|int64(ord), batch
		} else {
			id += r.varint()
			batchID += r.varint()
			e.ID, e.BatchID = id, store.BatchID(batchID)
		}
		t += r.varint()
		e.Time = fromNS(t)
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
			return nil, fmt.Errorf("%w: bad flags", errCorrupt)
		}
		nf := r.uvarint()
		if nf > uint64(len(s)) {
			return nil, errCorrupt
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
		evs = append(evs, ev)
	}
	if r.off != len(s) {
		return nil, fmt.Errorf("%w: trailing bytes", errCorrupt)
	}
	return evs, nil
}

// searchSource is the text of an event that search sees before its fields:
// the message, or the raw line when the message is empty.
func searchSource(ev *cloudsage.Event) string {
	if ev.Message == "" {
		return ev.Raw
	}
	return ev.Message
}

// Tokens: search splits text into runs of letters and digits, lowercased
// (the words SQLite's unicode61 tokenizer made, without its diacritic
// folding). The index holds each distinct token of a chunk in the form
// indexToken gives it: plain [a-z0-9] tokens as they are, others (non-ASCII,
// or longer than maxIndexToken) as a hash, so both databases index the same
// simple words. A hash collision only makes a chunk a candidate; the exact
// filter decides.

const maxIndexToken = 64

func isTokenRune(r rune) bool {
	if r < utf8.RuneSelf {
		return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z'
	}
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}

// forEachToken calls fn with each token of s, as a slice of s (not
// lowercased) and whether it is plain ASCII.
func forEachToken(s string, fn func(tok string, ascii bool)) {
	start, ascii := -1, true
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' {
				if start < 0 {
					start, ascii = i, true
				}
			} else if start >= 0 {
				fn(s[start:i], ascii)
				start = -1
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if isTokenRune(r) {
			if start < 0 {
				start = i
			}
			ascii = false
		} else if start >= 0 {
			fn(s[start:i], ascii)
			start = -1
		}
		i += n
	}
	if start >= 0 {
		fn(s[start:], ascii)
	}
}

// Tokens returns the lowercased tokens of s in order.
func Tokens(s string) []string {
	var out []string
	forEachToken(s, func(t string, ascii bool) { out = append(out, lowerToken(t, ascii)) })
	return out
}

func lowerToken(t string, ascii bool) string {
	if !ascii {
		return strings.ToLower(t)
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(t)
		}
	}
	return t
}

// indexToken is the form a lowercased token takes in the index.
func indexToken(t string) string {
	if len(t) <= maxIndexToken && isPlain(t) {
		return t
	}
	return "h" + hashText(t)
}

func isPlain(t string) bool {
	for i := 0; i < len(t); i++ {
		if c := t[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func hashText(s string) string {
	h := fnv64(s)
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [13]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[h%36]
		h /= 36
	}
	return string(b[:])
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// keyToken is the index token of a service ('s'), host ('h') or pattern
// ('p') value.
func keyToken(kind byte, v string) string { return "k" + string(kind) + hashText(v) }

// tokenSet collects a chunk's distinct index tokens in an open-addressing
// hash set over one byte arena: a token is lowercased and hashed in one
// pass, and only a token not seen before in the chunk is copied.
type tokenSet struct {
	slots []uint32 // 0: empty; else 1 + index into ents
	ents  []tokenEnt
	arena []byte
}

type tokenEnt struct {
	hash     uint64
	off, len uint32
}

func (ts *tokenSet) reset() {
	if ts.slots == nil {
		ts.slots = make([]uint32, 4096)
	}
	clear(ts.slots)
	ts.ents = ts.ents[:0]
	ts.arena = ts.arena[:0]
}

const (
	tokenHashInit  = 14695981039346656037
	tokenHashPrime = 1099511628211
)

func (ts *tokenSet) addText(s string) {
	forEachToken(s, func(t string, ascii bool) {
		if ascii && len(t) <= maxIndexToken {
			// Lowercase into the arena's free tail while hashing; the
			// bytes stay only when the token is new.
			off := len(ts.arena)
			b := ts.arena
			h := uint64(tokenHashInit)
			for i := 0; i < len(t); i++ {
				c := t[i]
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				b = append(b, c)
				h = (h ^ uint64(c)) * tokenHashPrime
			}
			ts.arena = b
			if !ts.insert(h, off) {
				ts.arena = ts.arena[:off]
			}
			return
		}
		ts.addString(indexToken(lowerToken(t, ascii)))
	})
}

// addString adds one index token as it is.
func (ts *tokenSet) addString(t string) {
	off := len(ts.arena)
	ts.arena = append(ts.arena, t...)
	h := uint64(tokenHashInit)
	for i := 0; i < len(t); i++ {
		h = (h ^ uint64(t[i])) * tokenHashPrime
	}
	if !ts.insert(h, off) {
		ts.arena = ts.arena[:off]
	}
}

// insert adds the token arena[off:] with hash h, reporting whether it was
// new.
func (ts *tokenSet) insert(h uint64, off int) bool {
	if 2*(len(ts.ents)+1) > len(ts.slots) {
		ts.grow()
	}
	tok := ts.arena[off:]
	mask := uint64(len(ts.slots) - 1)
	for i := (h * 0x9e3779b97f4a7c15) >> 32 & mask; ; i = (i + 1) & mask {
		s := ts.slots[i]
		if s == 0 {
			ts.ents = append(ts.ents, tokenEnt{hash: h, off: uint32(off), len: uint32(len(tok))})
			ts.slots[i] = uint32(len(ts.ents))
			return true
		}
		e := &ts.ents[s-1]
		if e.hash == h && string(ts.arena[e.off:e.off+e.len]) == string(tok) {
			return false
		}
	}
}

func (ts *tokenSet) grow() {
	ts.slots = make([]uint32, 2*len(ts.slots))
	mask := uint64(len(ts.slots) - 1)
	for j := range ts.ents {
		i := (ts.ents[j].hash * 0x9e3779b97f4a7c15) >> 32 & mask
		for ts.slots[i] != 0 {
			i = (i + 1) & mask
		}
		ts.slots[i] = uint32(j + 1)
	}
}

// addKey adds the key token of a service ('s'), host ('h') or pattern ('p')
// value.
func (ts *tokenSet) addKey(kind byte, v string) {
	if v != "" {
		ts.addString(keyToken(kind, v))
	}
}

// list returns the distinct tokens, slices of one string, in the order
// they were first added.
func (ts *tokenSet) list() []string {
	all := string(ts.arena)
	out := make([]string, len(ts.ents))
	for i, e := range ts.ents {
		out[i] = all[e.off : e.off+e.len]
	}
	return out
}

// matcher is the exact filter of a query over decoded events.
type matcher struct {
	phrases    [][]string // each word's lowercased tokens, consecutive in the event
	notPhrases [][]string // phrases the event must not hold
	levels     int64      // 0: any
	conds      []cond     // field conditions, all must hold
	from       int64      // inclusive, when hasFrom
	to         int64      // exclusive, when hasTo
	hasFrom    bool
	hasTo      bool
	curT       int64 // cursor: only events before (curT, curID)
	curID      int64
	hasCur     bool
	toks       []string
}

// cond is a condition on one field: its value is one of values (none of
// them when not).
type cond struct {
	field  string
	values []string
	not    bool
}

func (m *matcher) match(e *store.Event) bool {
	if m.levels != 0 && m.levels&levelBit(e.Level) == 0 {
		return false
	}
	t := ns(e.Time)
	if m.hasFrom && t < m.from || m.hasTo && t >= m.to {
		return false
	}
	if m.hasCur && !(t < m.curT || t == m.curT && e.ID < m.curID) {
		return false
	}
	for i := range m.conds {
		if !m.conds[i].holds(e) {
			return false
		}
	}
	if len(m.phrases) == 0 && len(m.notPhrases) == 0 {
		return true
	}
	// Quick reject: a phrase's first token must occur somewhere in the text
	// (ASCII case folded) before the text is split into tokens.
	for _, ph := range m.phrases {
		if t := ph[0]; isPlain(t) && !containsFold(searchSource(&e.Event), t) && !fieldsContainFold(e.Fields, t) {
			return false
		}
	}
	toks := m.toks[:0]
	add := func(t string, ascii bool) { toks = append(toks, lowerToken(t, ascii)) }
	forEachToken(searchSource(&e.Event), add)
	for k, v := range e.Fields {
		forEachToken(k, add)
		forEachToken(v, add)
	}
	m.toks = toks
	for _, ph := range m.phrases {
		if !containsPhrase(toks, ph) {
			return false
		}
	}
	for _, ph := range m.notPhrases {
		if containsPhrase(toks, ph) {
			return false
		}
	}
	return true
}

// holds reports whether e meets c. Service, host, pattern and format
// compare exactly (as the index keys them); level and other fields ignore
// case.
func (c *cond) holds(e *store.Event) bool {
	v, ok := fieldValue(e, c.field)
	in := false
	if ok {
		for _, w := range c.values {
			if v == w || c.folds() && strings.EqualFold(v, w) {
				in = true
				break
			}
		}
	}
	return in != c.not
}

func (c *cond) folds() bool {
	switch c.field {
	case query.FieldService, query.FieldHost, query.FieldPattern, query.FieldFormat:
		return false
	}
	return true
}

// fieldValue returns the value of a named field of e: an attribute every
// event has, the HTTP status, or one of its parsed fields.
func fieldValue(e *store.Event, f string) (string, bool) {
	switch f {
	case query.FieldLevel:
		return e.Level.String(), true
	case query.FieldService:
		return e.Service, e.Service != ""
	case query.FieldHost:
		return e.Host, e.Host != ""
	case query.FieldPattern:
		return string(e.Pattern), e.Pattern != ""
	case query.FieldFormat:
		return e.Format, e.Format != ""
	case query.FieldStatus:
		if e.Signals.Status != 0 {
			return strconv.Itoa(e.Signals.Status), true
		}
	}
	if v, ok := e.Fields[f]; ok {
		return v, true
	}
	// Field names as written in the log may differ in case.
	for k, v := range e.Fields {
		if strings.EqualFold(k, f) {
			return v, true
		}
	}
	return "", false
}

func fieldsContainFold(fields map[string]string, t string) bool {
	for k, v := range fields {
		if containsFold(k, t) || containsFold(v, t) {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains t, a lowercase [a-z0-9]+ word,
// ignoring ASCII case.
func containsFold(s, t string) bool {
	first := t[0]
	upper := first
	if first >= 'a' && first <= 'z' {
		upper = first - ('a' - 'A')
	}
	for i := 0; i+len(t) <= len(s); i++ {
		if c := s[i]; c != first && c != upper {
			continue
		}
		j := 1
		for ; j < len(t); j++ {
			c := s[i+j]
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != t[j] {
				break
			}
		}
		if j == len(t) {
			return true
		}
	}
	return false
}

func containsPhrase(toks, ph []string) bool {
	for i := 0; i+len(ph) <= len(toks); i++ {
		if toks[i] != ph[0] {
			continue
		}
		ok := true
		for j := 1; j < len(ph); j++ {
			if toks[i+j] != ph[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// queryTokens returns the phrases of q (one per search word) and the
// distinct index tokens every matching chunk must hold; ok is false when q
// has no searchable word.
func queryTokens(q string) (phrases [][]string, index []string, ok bool) {
	seen := map[string]bool{}
	for _, w := range SearchWords(q) {
		ph := Tokens(w)
		if len(ph) == 0 {
			continue
		}
		phrases = append(phrases, ph)
		for _, t := range ph {
			it := indexToken(t)
			if !seen[it] {
				seen[it] = true
				index = append(index, it)
			}
		}
	}
	return phrases, index, len(phrases) > 0
}
