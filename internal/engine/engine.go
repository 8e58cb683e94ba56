// Package engine runs CloudSage's analysis stages in order — parse, mine
// patterns, aggregate series, score risk, forecast, advise — for one
// project. `cloudsage analyze` and `cloudsage serve` share it. It is pure:
// time comes from the events and from the caller (a clock may be injected to
// measure how long the chain's steps take).
package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/learn"
	"github.com/cloudsage/cloudsage/internal/parse"
	"github.com/cloudsage/cloudsage/internal/patterns"
	"github.com/cloudsage/cloudsage/internal/risk"
	"github.com/cloudsage/cloudsage/internal/series"
)

// Config configures an Engine.
type Config struct {
	Risk     risk.Config     // label and factor thresholds, the recent window, the time zone of "same hour" baselines
	Series   series.Config   // how much history is kept
	Patterns patterns.Config // the miner

	NewWithin       time.Duration      // a pattern first seen this close to the evaluation time is new (1 h)
	ReportPatterns  int                // patterns listed in a report (20)
	AdvisorPatterns int                // patterns handed to the advisor (50)
	HistoryHours    int                // hourly history the forecasts fit on (168: a week)
	ForecastLevel   float64            // prediction-interval coverage of the forecast band (0.8)
	Preferences     map[string]float64 // learned action preferences (action key -> multiplier); nil = neutral
	Overrides       learn.Overrides    // a project's manual overrides; see SetOverrides
	Incidents       []learn.Memory     // past incidents, matched when trouble starts
	RecentScores    []float64          // the project's recent scores, oldest first, for its rolling average (nil: the report's own history)
	// Clock measures the duration of the chain's steps; nil leaves them 0.
	// The engine never reads it for anything else.
	Clock func() time.Time
}

// DefaultConfig returns the configuration analyze and serve use.
func DefaultConfig() Config {
	return Config{
		Risk:            risk.DefaultConfig(),
		Series:          series.DefaultConfig(),
		Patterns:        patterns.DefaultConfig(),
		NewWithin:       time.Hour,
		ReportPatterns:  20,
		AdvisorPatterns: 50,
		HistoryHours:    168,
		ForecastLevel:   0.8,
	}
}

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	var errs []error
	if err := c.Risk.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.NewWithin <= 0 {
		errs = append(errs, fmt.Errorf("new-pattern window %v is not positive", c.NewWithin))
	}
	if c.ForecastLevel <= 0 || c.ForecastLevel >= 1 {
		errs = append(errs, fmt.Errorf("forecast level %v is not between 0 and 1", c.ForecastLevel))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Risk.High == 0 {
		c.Risk = d.Risk
	}
	if c.Risk.Location == nil {
		c.Risk.Location = time.UTC
	}
	if c.Patterns == (patterns.Config{}) {
		c.Patterns = d.Patterns
	}
	if c.NewWithin <= 0 {
		c.NewWithin = d.NewWithin
	}
	if c.ReportPatterns <= 0 {
		c.ReportPatterns = d.ReportPatterns
	}
	if c.AdvisorPatterns <= 0 {
		c.AdvisorPatterns = d.AdvisorPatterns
	}
	if c.HistoryHours < 24 {
		c.HistoryHours = d.HistoryHours
	}
	if c.ForecastLevel <= 0 || c.ForecastLevel >= 1 {
		c.ForecastLevel = d.ForecastLevel
	}
	return c
}

// Engine holds one project's analysis state: parser, pattern miner, series.
// It is not safe for concurrent use; the server holds one per project behind
// a mutex.
type Engine struct {
	cfg        Config
	risk       risk.Config // cfg.Risk before the overrides' thresholds
	parser     *parse.Parser
	miner      *patterns.Miner
	routes     *routeKeys // HTTP request events: exact keys, bounded routes
	series     *series.Series
	events     int64
	guessed    int64         // events whose time was guessed (no timestamp of their own)
	formats    []formatCount // events per detected format: a handful, so a slice beats a map per event
	lastFormat int           // index in formats of the format counted last
	buf        []cloudsage.Event
	det        *detectors // anomaly detectors, fed minute by minute
}

type formatCount struct {
	name string
	n    int64
}

// New returns an empty Engine.
func New(cfg Config) *Engine {
	cfg = cfg.withDefaults()
	e := &Engine{
		cfg:    cfg,
		risk:   cfg.Risk,
		parser: parse.New(),
		miner:  patterns.New(cfg.Patterns),
		routes: newRouteKeys(),
		series: series.New(cfg.Series),
		det:    newDetectors(),
	}
	if !cfg.Overrides.Empty() {
		if err := e.SetOverrides(cfg.Overrides); err != nil {
			e.cfg.Overrides = learn.Overrides{} // Validate-like: a bad threshold leaves the defaults
		}
	}
	return e
}

// Config returns the engine's configuration.
func (e *Engine) Config() Config { return e.cfg }

// SetPreferences replaces the learned action preferences (action key ->
// ranking multiplier, nil neutral) the next reports rank actions with.
func (e *Engine) SetPreferences(p map[string]float64) { e.cfg.Preferences = p }

// SetOverrides replaces the project's manual overrides: pinned and muted
// action types, factor high levels (on top of the configured ones) and
// expected patterns. A bad threshold is an error and changes nothing.
func (e *Engine) SetOverrides(o learn.Overrides) error {
	r := e.risk
	if err := r.SetHighLevels(o.Thresholds); err != nil {
		return err
	}
	e.cfg.Risk, e.cfg.Overrides = r, o
	return nil
}

// SetRecentScores replaces the project's recent scores (oldest first) the
// next reports average into the rolling baseline score.
func (e *Engine) SetRecentScores(s []float64) { e.cfg.RecentScores = s }

// SetIncidents replaces the past incidents the next reports match against.
func (e *Engine) SetIncidents(ms []learn.Memory) { e.cfg.Incidents = ms }

// SetDefaultTime sets the time given to lines that carry none before any
// timestamp has been seen (the receive time, for a server).
func (e *Engine) SetDefaultTime(t time.Time) { e.parser.SetDefaultTime(t) }

// AddLine parses one line and aggregates the events it completes. A
// multi-line record (a stack trace) completes when the next record starts, or
// at Flush.
func (e *Engine) AddLine(line string) {
	e.buf = e.parser.Push(e.buf[:0], line)
	for i := range e.buf {
		e.ingest(&e.buf[i])
		// Nothing keeps an event's Fields once it is aggregated (a pattern
		// sample copies what it keeps): the parser refills the map.
		e.parser.Reuse(e.buf[i].Fields)
	}
	clear(e.buf) // drop references to the lines
}

// AddLines parses lines and returns the events they complete, with Pattern
// set, so that a server can store them.
func (e *Engine) AddLines(lines []string) []cloudsage.Event {
	return e.addEach(len(lines), func(dst []cloudsage.Event, i int) []cloudsage.Event { return e.parser.Push(dst, lines[i]) })
}

// AddStructured turns records a log shipper sent already taken apart into
// events (parse.Parser.PushStructured: the events of their JSON lines,
// without writing and reading those lines) and returns them with Pattern
// set, like AddLines.
func (e *Engine) AddStructured(recs []parse.Structured) []cloudsage.Event {
	return e.addEach(len(recs), func(dst []cloudsage.Event, i int) []cloudsage.Event { return e.parser.PushStructured(dst, &recs[i]) })
}

// AddDocuments turns JSON documents a log shipper wrapped around log
// lines (Elasticsearch _bulk) into events, one a document
// (parse.Parser.PushDocument: a message with a header of its own is read
// as that line), and returns them with Pattern set, like AddLines.
func (e *Engine) AddDocuments(docs []string) []cloudsage.Event {
	return e.addEach(len(docs), func(dst []cloudsage.Event, i int) []cloudsage.Event { return e.parser.PushDocument(dst, docs[i]) })
}

// addEach pushes inputs 0..n-1 in order (push appends the events input i
// completes) and ingests each event.
func (e *Engine) addEach(n int, push func(dst []cloudsage.Event, i int) []cloudsage.Event) []cloudsage.Event {
	// Each event takes at least one input: room for one event an input
	// saves growing a large slice step by step.
	out := make([]cloudsage.Event, 0, n)
	for in := 0; in < n; in++ {
		n := len(out)
		out = push(out, in)
		for i := n; i < len(out); i++ {
			e.ingest(&out[i])
		}
	}
	if len(out) == 0 {
		return nil // as before: no events is a nil slice
	}
	return out
}

// Flush completes a pending multi-line event and returns it (with Pattern
// set), if there was one.
func (e *Engine) Flush() []cloudsage.Event {
	out := e.parser.Flush(nil)
	for i := range out {
		e.ingest(&out[i])
	}
	return out
}

// AddEvents mines and aggregates events parsed elsewhere (OTLP, Loki, ...)
// and sets Pattern on each.
func (e *Engine) AddEvents(evs []cloudsage.Event) {
	for i := range evs {
		e.ingest(&evs[i])
	}
}

func (e *Engine) ingest(ev *cloudsage.Event) {
	if key, ok := e.routes.key(ev); ok {
		ev.Pattern = e.miner.AddKey(key).ID
	} else {
		ev.Pattern = e.miner.Add(mineText(ev)).ID
	}
	e.events++
	if ev.TimeGuessed {
		e.guessed++
	}
	e.countFormat(ev.Format)
	e.series.Add(ev)
}

// countFormat counts one event of format f (none for "").
func (e *Engine) countFormat(f string) {
	if f == "" {
		return
	}
	if i := e.lastFormat; i < len(e.formats) && e.formats[i].name == f {
		e.formats[i].n++ // runs of one format are the rule
		return
	}
	for i := range e.formats {
		if e.formats[i].name == f {
			e.formats[i].n++
			e.lastFormat = i
			return
		}
	}
	e.lastFormat = len(e.formats)
	e.formats = append(e.formats, formatCount{f, 1})
}

// Formats returns the events seen per detected format.
func (e *Engine) Formats() map[string]int64 {
	m := make(map[string]int64, len(e.formats))
	for _, f := range e.formats {
		m[f.name] += f.n
	}
	return m
}

// LastEventTime returns the time of the latest event aggregated (zero when
// none): the time `analyze` evaluates at.
func (e *Engine) LastEventTime() time.Time { return e.series.Last() }

// Events returns how many events the engine has seen.
func (e *Engine) Events() int64 { return e.events }

// Snapshot format: magic, then length-prefixed sections. Version 3 adds the
// anomaly detectors; a version 2 snapshot loads with fresh detectors, which
// learn what the series holds at the next report.
const (
	engineMagic   = "CSENGINE3"
	engineMagicV2 = "CSENGINE2"
)

// MarshalBinary encodes the engine's state — counters, miner, series,
// anomaly detectors — so
// that a server can persist a project and resume it. A pending multi-line
// event is not included: Flush first.
func (e *Engine) MarshalBinary() ([]byte, error) {
	mb, err := e.miner.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode miner: %w", err)
	}
	sb, err := e.series.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("encode series: %w", err)
	}
	b := make([]byte, 0, len(mb)+len(sb)+256)
	b = append(b, engineMagic...)
	b = binary.AppendVarint(b, e.events)
	b = binary.AppendVarint(b, e.guessed)
	formats := e.Formats()
	b = binary.AppendUvarint(b, uint64(len(formats)))
	for _, k := range slices.Sorted(maps.Keys(formats)) {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendVarint(b, formats[k])
	}
	b = binary.AppendUvarint(b, uint64(len(mb)))
	b = append(b, mb...)
	b = binary.AppendUvarint(b, uint64(len(sb)))
	b = append(b, sb...)
	db, err := e.det.marshal(nil)
	if err != nil {
		return nil, fmt.Errorf("encode anomaly detectors: %w", err)
	}
	b = binary.AppendUvarint(b, uint64(len(db)))
	b = append(b, db...)
	return b, nil
}

var errSnapshot = errors.New("corrupt engine snapshot")

// UnmarshalBinary replaces the engine's state with one written by
// MarshalBinary. The parser starts afresh.
func (e *Engine) UnmarshalBinary(data []byte) error {
	if len(data) < len(engineMagic) {
		return fmt.Errorf("read engine snapshot: %w", errSnapshot)
	}
	v2 := string(data[:len(engineMagicV2)]) == engineMagicV2
	if !v2 && string(data[:len(engineMagic)]) != engineMagic {
		return fmt.Errorf("read engine snapshot: %w", errSnapshot)
	}
	b := data[len(engineMagic):]
	events, n := binary.Varint(b)
	if n <= 0 {
		return fmt.Errorf("read engine snapshot: events: %w", errSnapshot)
	}
	b = b[n:]
	guessed, n := binary.Varint(b)
	if n <= 0 {
		return fmt.Errorf("read engine snapshot: events: %w", errSnapshot)
	}
	b = b[n:]
	nf, n := binary.Uvarint(b)
	if n <= 0 || nf > 1024 {
		return fmt.Errorf("read engine snapshot: formats: %w", errSnapshot)
	}
	b = b[n:]
	formats := make([]formatCount, 0, nf)
	for range nf {
		k, rest, ok := section(b)
		if !ok {
			return fmt.Errorf("read engine snapshot: format name: %w", errSnapshot)
		}
		v, n := binary.Varint(rest)
		if n <= 0 {
			return fmt.Errorf("read engine snapshot: format count: %w", errSnapshot)
		}
		formats = append(formats, formatCount{string(k), v})
		b = rest[n:]
	}
	mb, rest, ok := section(b)
	if !ok {
		return fmt.Errorf("read engine snapshot: miner: %w", errSnapshot)
	}
	sb, rest, ok := section(rest)
	if !ok || (v2 && len(rest) != 0) {
		return fmt.Errorf("read engine snapshot: series: %w", errSnapshot)
	}
	det := newDetectors()
	if !v2 {
		db, rest, ok := section(rest)
		if !ok || len(rest) != 0 {
			return fmt.Errorf("read engine snapshot: anomaly detectors: %w", errSnapshot)
		}
		var err error
		if det, err = unmarshalDetectors(db, e.keep()); err != nil {
			return fmt.Errorf("read engine snapshot: %w", err)
		}
	}
	miner := patterns.New(e.cfg.Patterns)
	if err := miner.UnmarshalBinary(mb); err != nil {
		return fmt.Errorf("read engine snapshot: %w", err)
	}
	s := series.New(e.cfg.Series)
	if err := s.UnmarshalBinary(sb); err != nil {
		return fmt.Errorf("read engine snapshot: %w", err)
	}
	routes := newRouteKeys()
	for _, k := range miner.Keys() {
		routes.remember(k)
	}
	e.miner, e.routes, e.series, e.events, e.guessed, e.formats, e.det = miner, routes, s, events, guessed, formats, det
	e.parser = parse.New()
	return nil
}

func section(b []byte) (sec, rest []byte, ok bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, false
	}
	return b[k : k+int(n)], b[k+int(n):], true
}

// errorFields name the error a structured event carries beside its message.
var errorFields = []string{"error", "err", "error.message", "exception", "exc_info", "error_message", "reason"}

// maxErrorText caps the error text joined to a message for mining.
const maxErrorText = 160

// mineText is what the miner sees of an event: its message, and for a
// structured (JSON, logfmt) event at warn level or above, the error it
// names in a field ("cache get failed" + err="redis: connection pool
// timeout"). Without it every failure of one operation would be one pattern
// whatever went wrong, and the counts of a pattern would mix causes.
func mineText(ev *cloudsage.Event) string {
	msg := ev.Message
	if msg == "" {
		msg = ev.Raw
	}
	if ev.Level < cloudsage.LevelWarn || (ev.Format != parse.FormatJSON && ev.Format != parse.FormatLogfmt) || len(ev.Fields) == 0 {
		return msg
	}
	errText := firstField(ev.Fields, errorFields)
	if errText == "" || strings.Contains(msg, errText) {
		return msg
	}
	if len(errText) > maxErrorText {
		n := maxErrorText
		for n > 0 && !utf8.RuneStart(errText[n]) {
			n--
		}
		errText = errText[:n]
	}
	return msg + ": " + errText
}
