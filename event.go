package cloudsage

import (
	"strings"
	"time"
)

// Level is the severity of an event, ordered from least to most severe.
type Level int8

// Levels. LevelUnknown sorts below everything so a missing level never
// counts as an error.
const (
	LevelUnknown Level = iota
	LevelTrace
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
	LevelFatal
)

var levelNames = [...]string{"unknown", "trace", "debug", "info", "warn", "error", "fatal"}

// String returns the lowercase name of l ("error", "warn", ...).
func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return "unknown"
	}
	return levelNames[l]
}

// ParseLevel returns the Level named by s (as String returns it), or
// LevelUnknown. Format-specific spellings ("E", "WARNING", 50) are the
// parse package's job.
func ParseLevel(s string) Level {
	s = strings.ToLower(s)
	for i, n := range levelNames {
		if n == s {
			return Level(i)
		}
	}
	return LevelUnknown
}

// MarshalText encodes l as its name.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText decodes a name written by MarshalText.
func (l *Level) UnmarshalText(b []byte) error { *l = ParseLevel(string(b)); return nil }

// Signals are the measurements a log line carries that feed the risk
// factors. A Has* flag says whether the matching value was present, so a
// zero value means "not measured", never "measured as zero".
type Signals struct {
	Status     int     `json:"status,omitempty"` // HTTP status code; 0 when the line has none
	LatencyMS  float64 `json:"latency_ms,omitempty"`
	MemoryPct  float64 `json:"memory_pct,omitempty"` // memory in use, percent of total
	MemoryMB   float64 `json:"memory_mb,omitempty"`  // memory in use (RSS, heap) when no total is known
	CPUPct     float64 `json:"cpu_pct,omitempty"`
	HasLatency bool    `json:"-"`
	HasMemPct  bool    `json:"-"`
	HasMemMB   bool    `json:"-"`
	HasCPU     bool    `json:"-"`
	OOM        bool    `json:"oom,omitempty"` // an out-of-memory error or kill
}

// Event is one normalised log record: what every parser produces and what
// the rest of the engine consumes. A multi-line record (a stack trace) is one
// Event whose Raw holds every line.
type Event struct {
	Time    time.Time         `json:"time"`
	Level   Level             `json:"level"`
	Service string            `json:"service,omitempty"`
	Host    string            `json:"host,omitempty"`
	Message string            `json:"message"`          // the text a person reads; what pattern mining sees
	Raw     string            `json:"raw,omitempty"`    // the original line(s), unchanged
	Format  string            `json:"format,omitempty"` // detected format name, e.g. "json", "logfmt", "access"
	Fields  map[string]string `json:"fields,omitempty"` // structured fields, nested keys flattened with "."
	Signals Signals           `json:"signals"`
	// TimeGuessed is true when the line had no timestamp of its own and took
	// the previous line's (or the receive time).
	TimeGuessed bool      `json:"time_guessed,omitempty"`
	Pattern     PatternID `json:"pattern,omitempty"` // set by pattern mining
}
