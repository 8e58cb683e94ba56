// Package export writes a project's rows for people and other tools: CSV
// with a header row, or NDJSON (one JSON object a line). A Writer takes one
// row at a time and buffers only its output, so an export of any size
// streams in bounded memory; the caller reads its rows the same way
// (store.ScanEvents for events).
package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Format is how rows are written.
type Format string

// The formats: CSV with a header row, and NDJSON.
const (
	CSV    Format = "csv"
	NDJSON Format = "json"
)

// ParseFormat reads the format parameter: csv, json or ndjson ("" is json).
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "json", "ndjson":
		return NDJSON, nil
	case "csv":
		return CSV, nil
	}
	return "", cloudsage.Errorf(cloudsage.Invalid, "format=%q: want csv or json", clip(s))
}

// ContentType is the MIME type of f.
func (f Format) ContentType() string {
	if f == CSV {
		return "text/csv; charset=utf-8"
	}
	return "application/x-ndjson"
}

// Ext is the file name extension of f.
func (f Format) Ext() string {
	if f == CSV {
		return "csv"
	}
	return "ndjson"
}

// Table is what is exported.
type Table string

// The tables: stored events, mined patterns, the risk history, and the
// actions of the latest report with the feedback on them.
const (
	Events   Table = "events"
	Patterns Table = "patterns"
	Risk     Table = "risk"
	Actions  Table = "actions"
)

// ParseTable reads the what parameter ("" is events).
func ParseTable(s string) (Table, error) {
	switch t := Table(s); t {
	case "":
		return Events, nil
	case Events, Patterns, Risk, Actions:
		return t, nil
	}
	return "", cloudsage.Errorf(cloudsage.Invalid, "what=%q: want events, patterns, risk or actions", clip(s))
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Writer writes rows in one format. For CSV it writes the header first;
// for NDJSON each row is the JSON of the row's value.
type Writer struct {
	f    Format
	bw   *bufio.Writer
	csv  *csv.Writer
	enc  *json.Encoder
	cols []string
	head bool
}

// NewWriter returns a Writer of rows with columns cols to w.
func NewWriter(w io.Writer, f Format, cols []string) *Writer {
	wr := &Writer{f: f, cols: cols}
	if f == CSV {
		wr.csv = csv.NewWriter(w)
	} else {
		wr.bw = bufio.NewWriterSize(w, 32<<10)
		wr.enc = json.NewEncoder(wr.bw)
		wr.enc.SetEscapeHTML(false)
	}
	return wr
}

// Row writes one row: v as JSON, or cells (one per column) as CSV.
func (w *Writer) Row(v any, cells []string) error {
	if w.f == NDJSON {
		return w.enc.Encode(v)
	}
	if err := w.header(); err != nil {
		return err
	}
	return w.csv.Write(cells)
}

func (w *Writer) header() error {
	if w.head {
		return nil
	}
	w.head = true
	return w.csv.Write(w.cols)
}

// Flush writes out what is buffered (for CSV, the header even without rows).
func (w *Writer) Flush() error {
	if w.f == NDJSON {
		return w.bw.Flush()
	}
	if err := w.header(); err != nil {
		return err
	}
	w.csv.Flush()
	return w.csv.Error()
}

// EventColumns are the CSV columns of an event.
var EventColumns = []string{"id", "batch_id", "time", "level", "service", "host", "format", "pattern", "message",
	"raw", "fields", "status", "latency_ms", "memory_pct", "memory_mb", "cpu_pct", "oom", "time_guessed"}

// EventRow is e's CSV cells; fields are a JSON object, absent signals empty.
func EventRow(e store.Event) []string {
	fields := ""
	if len(e.Fields) > 0 {
		b, _ := json.Marshal(e.Fields)
		fields = string(b)
	}
	sg := e.Signals
	status := ""
	if sg.Status != 0 {
		status = strconv.Itoa(sg.Status)
	}
	return []string{strconv.FormatInt(e.ID, 10), strconv.FormatInt(int64(e.BatchID), 10), timeCell(e.Time),
		e.Level.String(), e.Service, e.Host, e.Format, string(e.Pattern), e.Message, e.Raw, fields, status,
		num(sg.LatencyMS, sg.HasLatency), num(sg.MemoryPct, sg.HasMemPct), num(sg.MemoryMB, sg.HasMemMB), num(sg.CPUPct, sg.HasCPU),
		flag(sg.OOM), flag(e.TimeGuessed)}
}

// PatternColumns are the CSV columns of a pattern.
var PatternColumns = []string{"id", "template", "count", "first_seen", "last_seen"}

// PatternRow is p's CSV cells.
func PatternRow(p store.Pattern) []string {
	return []string{string(p.ID), p.Template, strconv.FormatInt(p.Count, 10), timeCell(p.FirstSeen), timeCell(p.LastSeen)}
}

// RiskColumns are the CSV columns of a risk point.
var RiskColumns = []string{"at", "score", "label"}

// RiskRow is p's CSV cells.
func RiskRow(p store.RiskPoint) []string {
	return []string{timeCell(p.At), strconv.FormatFloat(p.Score, 'f', -1, 64), p.Label}
}

// Action is a recommended action of the latest report with the feedback
// on it (Status "" when none).
type Action struct {
	ID       string     `json:"id"`
	Key      string     `json:"key"`
	Title    string     `json:"title"`
	Priority string     `json:"priority"`
	Score    float64    `json:"score"`
	Why      string     `json:"why"`
	Status   string     `json:"status"`
	Until    *time.Time `json:"until,omitempty"`
}

// ActionColumns are the CSV columns of an action.
var ActionColumns = []string{"id", "key", "title", "priority", "score", "why", "status", "until"}

// ActionRow is a's CSV cells.
func ActionRow(a Action) []string {
	until := ""
	if a.Until != nil {
		until = timeCell(*a.Until)
	}
	return []string{a.ID, a.Key, a.Title, a.Priority, strconv.FormatFloat(a.Score, 'f', -1, 64), a.Why, a.Status, until}
}

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func num(v float64, ok bool) string {
	if !ok {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func flag(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
