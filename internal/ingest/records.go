package ingest

import (
	"encoding/binary"
	"hash"
	"io"
	"slices"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/parse"
)

// Records a log shipper sent already taken apart (Body.Records) go to the
// engine as they are: no JSON line is written for each and read back by
// the parser, which costs more than the rest of the way to the store.

// StructuredAdder is an Analyzer that takes records as they are
// (engine.Engine). Analyzers without it get each record's JSON line.
type StructuredAdder interface {
	AddStructured(recs []parse.Structured) []cloudsage.Event
}

// DocumentAdder is an Analyzer that reads JSON documents a shipper
// wrapped around log lines one event each (engine.Engine): see
// Body.Documents. Analyzers without it read them as lines.
type DocumentAdder interface {
	AddDocuments(docs []string) []cloudsage.Event
}

// Accepted is how many lines and records b carries.
func (b *Body) Accepted() int { return len(b.Lines) + len(b.Records) }

// addBody hands b's lines, then its records, to a and returns the events
// they complete (not flushed).
func addBody(a Analyzer, b *Body) []cloudsage.Event {
	add := a.AddLines
	if da, ok := a.(DocumentAdder); ok && b.Documents {
		add = da.AddDocuments
	}
	if len(b.Records) == 0 {
		return add(b.Lines)
	}
	evs := add(b.Lines)
	if sa, ok := a.(StructuredAdder); ok {
		return append(evs, sa.AddStructured(b.Records)...)
	}
	lines := make([]string, len(b.Records))
	for i := range b.Records {
		lines[i] = b.Records[i].JSONLine()
	}
	return append(evs, a.AddLines(lines)...)
}

// bodySelfTimed is selfTimed for a body's lines and records: records with
// their own time carry it; the others are read as their lines are.
func bodySelfTimed(b *Body) bool {
	if len(b.Records) == 0 {
		return selfTimed(b.Lines)
	}
	if len(b.Lines) > 0 && !selfTimed(b.Lines) {
		return false
	}
	probe := b.Records[:min(len(b.Records), selfTimedProbe)]
	timed := true
	for i := range probe {
		if probe[i].Time.IsZero() {
			timed = false
			break
		}
	}
	if timed {
		return true
	}
	// a record without a time may carry one in a field ("timestamp")
	p := parse.New()
	var evs []cloudsage.Event
	for i := range probe {
		evs = p.PushStructured(evs[:0], &probe[i])
		for _, ev := range evs {
			if ev.TimeGuessed {
				return false
			}
		}
	}
	return true
}

// hashRecords writes recs to h, each part length-prefixed and the fields
// sorted, so that the same records always hash the same.
func hashRecords(h hash.Hash, recs []parse.Structured) {
	var n [8]byte
	str := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		io.WriteString(h, s)
	}
	var keys []string
	for i := range recs {
		r := &recs[i]
		var t int64
		if !r.Time.IsZero() {
			t = r.Time.UnixNano()
		}
		binary.LittleEndian.PutUint64(n[:], uint64(t))
		h.Write(n[:])
		str(r.Level)
		str(r.Service)
		str(r.Host)
		str(r.Message)
		keys = keys[:0]
		for k := range r.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		binary.LittleEndian.PutUint64(n[:], uint64(len(keys)))
		h.Write(n[:])
		for _, k := range keys {
			str(k)
			str(r.Fields[k])
		}
	}
}
