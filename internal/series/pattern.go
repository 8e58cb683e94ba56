package series

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
)

const (
	patMinutes   = 64 // minute slots per pattern: the last hour
	patHours     = 48 // hour slots per pattern: the last two days
	maxSamples   = 3
	maxSampleLen = 512
	maxFields    = 8
	maxHosts     = 8 // hosts counted per pattern; later ones count as other
	sampleEvery  = 5 // minutes between refreshes of a pattern's latest samples
)

// sampleFieldName reports whether a field (its name lower-cased) is one a
// pattern remembers from its latest sample, for the advisor's evidence (a
// route, a status, a host, ...). A switch: a few comparisons, no hashing,
// for every field of every sample.
func sampleFieldName(k string) bool {
	switch k {
	case "route", "path", "url", "uri", "request", "method",
		"status", "host", "hostname", "upstream", "component",
		"logger", "service", "db", "database", "queue", "topic",
		"remote_addr", "client_ip", "ip", "user", "error", "err",
		"exception", "job", "task", "pod", "container":
		return true
	}
	return false
}

type slot struct {
	stamp int32 // minute or hour index; 0 = empty
	n     uint32
	errs  uint32
}

// Pattern is what the series knows about one log pattern, as of the call
// (Series.Pattern, Series.Patterns) that returned it: read it again after
// adding events.
type Pattern struct {
	ID          cloudsage.PatternID
	Count       uint64
	Levels      [cloudsage.LevelFatal + 1]uint64
	First, Last time.Time
	Samples     []string          // up to three raw lines: the first seen, then the latest
	Fields      map[string]string // selected fields of the latest sample
	Formats     map[string]uint64 // formats the pattern's events came in (at most a few)
	// Hosts counts the pattern's events per host (Event.Host) for the
	// first maxHosts hosts seen; events of further hosts count in
	// OtherHosts. The advisor names a host only when one dominates.
	Hosts      []HostCount
	OtherHosts uint64

	mins       [patMinutes]slot
	hours      [patHours]slot
	lastMin    int64 // latest minute index written
	lastHour   int64
	sampleMin  int64 // minute of the latest sample, to refresh samples every few minutes
	sampleErr  bool  // the latest sample was at error level
	firstSec   int64
	lastSec    int64
	sampleNext int // next sample slot to overwrite (1 or 2)
	// events per format not yet added to Formats, for the formats admitted
	// to it (see countFormat): every way to a Pattern from outside
	// (Series.Pattern, Patterns, snapshots) adds them first
	runs [maxFormats]formatRun
	// the latest sample's fields, not yet in Fields: sampling copies them
	// into one reused buffer, and settle builds the map only when a reader
	// asks (a report, a snapshot), not at every sample
	pend    []pendField
	pendBuf []byte
	pendSet bool
}

// pendField is one pending sample field: key pendBuf[k:v], value pendBuf[v:end].
type pendField struct{ k, v, end int32 }

// settle brings the exported fields up to date: the pending run of one
// format is added to Formats and the latest sample's fields become Fields.
// Every way to a Pattern from outside (Series.Pattern, Patterns,
// snapshots) settles it first.
func (p *Pattern) settle() {
	p.flushFormats()
	if !p.pendSet {
		return
	}
	all := string(p.pendBuf) // one copy: the fields share it
	fields := make(map[string]string, len(p.pend))
	for _, f := range p.pend {
		fields[all[f.k:f.v]] = all[f.v:f.end]
	}
	p.Fields = fields
	// A pattern read is often one that has gone quiet: let its buffers go.
	p.pend, p.pendBuf, p.pendSet = nil, nil, false
}

// maxFormats is the number of formats a pattern counts; events of further
// formats are not counted.
const maxFormats = 4

// formatRun is one format's events not yet added to Formats.
type formatRun struct {
	f string
	n uint64
}

// flushFormats adds the pending counts to Formats and empties them.
func (p *Pattern) flushFormats() {
	for i := range p.runs {
		if r := &p.runs[i]; r.f != "" {
			p.Formats[r.f] += r.n
			*r = formatRun{}
		}
	}
}

// countFormat counts one event of format f (not ""). A pattern's lines
// often alternate between two or three formats: counting them in a few
// slots saves a map update per event. A format gets a slot when it is
// admitted to Formats (the key is added then, its count at the flush).
func (p *Pattern) countFormat(f string) {
	for i := range p.runs {
		r := &p.runs[i]
		if r.f == f {
			r.n++
			return
		}
		if r.f == "" {
			if _, ok := p.Formats[f]; ok || len(p.Formats) < maxFormats {
				if p.Formats == nil {
					p.Formats = make(map[string]uint64, 1)
				}
				p.Formats[f] += 0
				*r = formatRun{f, 1}
			}
			return
		}
	}
	// every slot taken by another format: only when Formats holds more
	// than maxFormats (a snapshot of an older rule)
	p.flushFormats()
	if _, ok := p.Formats[f]; ok {
		p.Formats[f]++
	}
}

// HostCount is a host and how many of a pattern's events came from it.
type HostCount struct {
	Host string
	N    uint64
}

func newPattern(id cloudsage.PatternID) *Pattern {
	return &Pattern{ID: id, firstSec: -1, lastSec: -1, lastMin: -1, lastHour: -1, sampleMin: -1, sampleNext: 1}
}

// Errors returns the pattern's events at error level or above.
func (p *Pattern) Errors() uint64 {
	return p.Levels[cloudsage.LevelError] + p.Levels[cloudsage.LevelFatal]
}

// Warns returns the pattern's events at warn level.
func (p *Pattern) Warns() uint64 { return p.Levels[cloudsage.LevelWarn] }

func (p *Pattern) add(ev *cloudsage.Event, sec int64) {
	p.Count++
	lv := ev.Level
	if lv < 0 || lv > cloudsage.LevelFatal {
		lv = cloudsage.LevelUnknown
	}
	p.Levels[lv]++
	isErr := lv >= cloudsage.LevelError
	if p.firstSec < 0 || sec < p.firstSec {
		p.firstSec = sec
		p.First = ev.Time.UTC()
	}
	if sec >= p.lastSec {
		p.lastSec = sec
		p.Last = ev.Time.UTC()
	}
	mi, hi := floorDiv(sec, 60), floorDiv(sec, 3600)
	bump(p.mins[:], &p.lastMin, mi, isErr)
	bump(p.hours[:], &p.lastHour, hi, isErr)
	if ev.Host != "" {
		p.countHost(ev.Host)
	}
	if f := ev.Format; f != "" {
		p.countFormat(f)
	}
	// Samples refresh every few minutes; error lines are preferred (they
	// make better evidence, and their fields name the failing route or
	// status), so a non-error line replaces an error sample only after
	// half an hour.
	age := mi - p.sampleMin
	switch {
	case len(p.Samples) < maxSamples, age < 0:
		p.sample(ev, mi, isErr)
	case isErr && (!p.sampleErr || age >= sampleEvery):
		p.sample(ev, mi, isErr)
	case !isErr && age >= sampleEvery && (!p.sampleErr || age >= 30):
		p.sample(ev, mi, isErr)
	}
}

func (p *Pattern) countHost(h string) {
	for i := range p.Hosts {
		if p.Hosts[i].Host == h {
			p.Hosts[i].N++
			return
		}
	}
	if len(p.Hosts) < maxHosts {
		p.Hosts = append(p.Hosts, HostCount{Host: strings.Clone(truncate(h, 200)), N: 1})
		return
	}
	p.OtherHosts++
}

// bump counts one event in the ring slot of idx, unless idx is older than
// the ring reaches.
func bump(r []slot, latest *int64, idx int64, isErr bool) {
	n := int64(len(r))
	if *latest >= 0 && idx <= *latest-n {
		return
	}
	if idx > *latest {
		*latest = idx
	}
	s := &r[idx%n]
	if int64(s.stamp) != idx {
		*s = slot{stamp: int32(idx)}
	}
	s.n++
	if isErr {
		s.errs++
	}
}

func (p *Pattern) sample(ev *cloudsage.Event, mi int64, isErr bool) {
	p.sampleMin, p.sampleErr = mi, isErr
	raw := ev.Raw
	if raw == "" {
		raw = ev.Message
	}
	raw = truncate(raw, maxSampleLen)
	// A kept sample is a copy: the line is a slice of its whole request
	// body (ingest reads a body into one buffer), which a sample kept for
	// minutes would pin (in a 4 M-line bench run, 16.5 MB of bodies were
	// still in use, of 38 MB of live heap).
	if len(p.Samples) < maxSamples {
		for _, s := range p.Samples {
			if s == raw {
				return
			}
		}
		p.Samples = append(p.Samples, strings.Clone(raw))
	} else {
		// keep the first sample; rotate the other two through the latest
		if p.Samples[1] == raw || p.Samples[2] == raw {
			return
		}
		p.Samples[p.sampleNext] = strings.Clone(raw)
		p.sampleNext = 3 - p.sampleNext
	}
	// The fields go to the pending list (see settle) after those still
	// pending, and replace them only when this sample has any.
	if !p.pendSet {
		p.pend, p.pendBuf = p.pend[:0], p.pendBuf[:0]
	}
	n0, b0 := len(p.pend), len(p.pendBuf)
	p.addField(n0, "service", ev.Service)
	p.addField(n0, "host", ev.Host)
	if len(ev.Fields) > 0 {
		// the pairs, not the keys: no second lookup of each value
		var kb [maxFields]fieldKV // most events: no allocation for the pairs
		kvs := kb[:0]
		for k, v := range ev.Fields {
			if sampleField(k) {
				kvs = append(kvs, fieldKV{k, v})
			}
		}
		slices.SortFunc(kvs, func(a, b fieldKV) int { return strings.Compare(a.k, b.k) })
		for _, f := range kvs {
			p.addField(n0, f.k, f.v)
		}
	}
	if ev.Signals.Status != 0 && p.pendIndex(n0, "status") < 0 && len(p.pend)-n0 < maxFields {
		// addField(n0, "status", strconv.Itoa(status)) without the string
		f := pendField{k: int32(len(p.pendBuf))}
		p.pendBuf = append(p.pendBuf, "status"...)
		f.v = int32(len(p.pendBuf))
		p.pendBuf = strconv.AppendInt(p.pendBuf, int64(ev.Signals.Status), 10)
		f.end = int32(len(p.pendBuf))
		p.pend = append(p.pend, f)
	}
	if len(p.pend) == n0 {
		return // no fields: the earlier ones stay
	}
	// Move this sample's fields to the front, over the earlier ones.
	p.pendBuf = p.pendBuf[:copy(p.pendBuf, p.pendBuf[b0:])]
	p.pend = p.pend[:copy(p.pend, p.pend[n0:])]
	for i := range p.pend {
		f := &p.pend[i]
		f.k, f.v, f.end = f.k-int32(b0), f.v-int32(b0), f.end-int32(b0)
	}
	p.pendSet = true
}

// fieldKV is one field of an event being sampled.
type fieldKV struct{ k, v string }

// addField adds k=v (v cut to 200 bytes) to the pending sample fields from
// index from on, replacing the value of k when it is there. Empty values
// are left out, and so is everything once maxFields keys are there.
func (p *Pattern) addField(from int, k, v string) {
	if v == "" || len(p.pend)-from >= maxFields {
		return
	}
	v = truncate(v, 200)
	i := p.pendIndex(from, k)
	// key and value are written at the end of the buffer (a replaced
	// value's old bytes stay unused until the next sample)
	f := pendField{k: int32(len(p.pendBuf))}
	p.pendBuf = append(p.pendBuf, k...)
	f.v = int32(len(p.pendBuf))
	p.pendBuf = append(p.pendBuf, v...)
	f.end = int32(len(p.pendBuf))
	if i >= 0 {
		p.pend[i] = f
		return
	}
	p.pend = append(p.pend, f)
}

// pendIndex returns the index of key k in the pending sample fields from
// index from on, or -1.
func (p *Pattern) pendIndex(from int, k string) int {
	for i := from; i < len(p.pend); i++ {
		f := p.pend[i]
		if string(p.pendBuf[f.k:f.v]) == k {
			return i
		}
	}
	return -1
}

// sampleField reports whether the event field k is one a sample keeps
// (any case): a lookup that allocates nothing for ASCII keys.
func sampleField(k string) bool {
	var buf [16]byte
	if len(k) > len(buf) {
		return sampleFieldName(strings.ToLower(k))
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 0x80 {
			return sampleFieldName(strings.ToLower(k)) // Unicode case rules
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return sampleFieldName(string(buf[:len(k)]))
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// CountIn returns the pattern's events, and those at error level or above,
// with from <= time < to. Minutes are exact over the pattern's last hour;
// before that whole hours count, and the hour that holds from counts in
// proportion to its overlap.
func (p *Pattern) CountIn(from, to time.Time) (n, errs uint64) {
	if p.lastSec < 0 || !to.After(from) {
		return 0, 0
	}
	f, t := from.Unix(), to.Unix()
	if t <= p.firstSec || f > p.lastSec {
		return 0, 0
	}
	covMin := p.lastMin - patMinutes + 1 // minutes >= covMin are exact
	fm, tm := ceilDiv(f, 60), ceilDiv(t, 60)
	for _, s := range p.mins {
		m := int64(s.stamp)
		if s.n > 0 && m >= covMin && m >= fm && m < tm {
			n += uint64(s.n)
			errs += uint64(s.errs)
		}
	}
	if fm >= covMin {
		return n, errs
	}
	// The part before minute coverage comes from hours.
	end := min(t, covMin*60) // seconds
	covHourStart := floorDiv(covMin*60, 3600)
	for _, s := range p.hours {
		h := int64(s.stamp)
		if s.n == 0 || h <= p.lastHour-patHours {
			continue
		}
		hs, he := h*3600, h*3600+3600
		cn, ce := float64(s.n), float64(s.errs)
		if h == covHourStart && covMin*60 > hs {
			// this hour straddles the minute coverage: remove what the
			// minutes already hold
			var mn, me uint64
			for _, ms := range p.mins {
				m := int64(ms.stamp)
				if ms.n > 0 && m >= covMin && m*60 < he {
					mn += uint64(ms.n)
					me += uint64(ms.errs)
				}
			}
			cn -= float64(mn)
			ce -= float64(me)
			he = covMin * 60
		}
		lo, hi := max(hs, f), min(he, end)
		if hi <= lo || cn <= 0 {
			continue
		}
		frac := float64(hi-lo) / float64(he-hs)
		n += uint64(cn*frac + 0.5)
		errs += uint64(max(ce, 0)*frac + 0.5)
	}
	return n, errs
}

// Patterns returns the tracked patterns in no particular order. The values
// are the series' own: read them, do not change them.
func (s *Series) Patterns() []*Pattern {
	out := make([]*Pattern, 0, len(s.patterns))
	for _, p := range s.patterns {
		p.settle()
		out = append(out, p)
	}
	return out
}

// Pattern returns the tracked pattern id, or nil.
func (s *Series) Pattern(id cloudsage.PatternID) *Pattern {
	p := s.patterns[id]
	if p != nil {
		p.settle()
	}
	return p
}

// PatternCount returns how many patterns are tracked.
func (s *Series) PatternCount() int { return len(s.patterns) }
