package ui

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cloudsage/cloudsage"
)

// Report is the part of a stored analysis report (the JSON of
// engine.Report, as `analyze --json` prints it and store.Report.Body holds
// it) that the pages show. It is decoded from JSON rather than shared as a
// Go type so a page never depends on the engine's internals, only on the
// report's documented field names.
type Report struct {
	At           time.Time        `json:"at"`
	Events       int64            `json:"events"`
	Formats      map[string]int64 `json:"formats"`
	Span         struct{ From, To time.Time }
	Risk         ReportRisk      `json:"risk"`
	Patterns     []ReportPattern `json:"patterns"`
	PatternTotal int             `json:"pattern_total"`
	NewPatterns  int             `json:"new_patterns"`
	Forecast     ReportForecast  `json:"forecast"`
	Chain        ReportChain     `json:"chain"`
	Actions      []ReportAction  `json:"actions"`
	Similar      []struct {
		Title      string    `json:"title"`
		OpenedAt   time.Time `json:"opened_at"`
		Fix        string    `json:"fix"`
		RootCause  string    `json:"root_cause"`
		Similarity float64   `json:"similarity"`
	} `json:"similar_incidents"`
}

// ReportRisk is the score and its factors.
type ReportRisk struct {
	Score   float64        `json:"score"`
	Label   string         `json:"label"`
	Trend   float64        `json:"trend"`
	Factors []ReportFactor `json:"factors"`
	Top     []string       `json:"top"`
	Window  string         `json:"window"`
	Floor   string         `json:"floor"` // why the score was raised to a label's threshold
	History []struct {
		Time  time.Time `json:"time"`
		Score float64   `json:"score"`
	} `json:"history"`
}

// ReportFactor is one risk factor.
type ReportFactor struct {
	Name        string  `json:"name"`
	Weight      float64 `json:"weight"`
	Points      float64 `json:"points"`
	Value       float64 `json:"value"`
	Baseline    float64 `json:"baseline"`
	Unit        string  `json:"unit"`
	Status      string  `json:"status"`
	Measured    bool    `json:"measured"`
	HasBaseline bool    `json:"has_baseline"`
	Detail      string  `json:"detail"`
	Summary     string  `json:"summary"`
}

// ReportPattern is one mined log pattern.
type ReportPattern struct {
	ID        cloudsage.PatternID `json:"id"`
	Template  string              `json:"template"`
	Count     int64               `json:"count"`
	Recent    int64               `json:"recent"`
	Before    int64               `json:"before"`
	Errors    int64               `json:"errors"`
	Warns     int64               `json:"warns"`
	Levels    map[string]int64    `json:"levels"`
	FirstSeen time.Time           `json:"first_seen"`
	LastSeen  time.Time           `json:"last_seen"`
	New       bool                `json:"new"`
	Trend     string              `json:"trend"`
	Surge     float64             `json:"surge"`
	Samples   []string            `json:"samples"`
}

// ReportForecast is the risk forecast.
type ReportForecast struct {
	HorizonHours int     `json:"horizon_hours"`
	PHigh        float64 `json:"p_high"`
	Confidence   float64 `json:"confidence"`
	Why          string  `json:"why"`
	PeakScore    float64 `json:"peak_score"`
	PeakTime     time.Time
	HistoryHours int           `json:"history_hours"`
	Points       []ReportPoint `json:"points"`
	// Scenarios split an ongoing episode: "persists", "resolved".
	Scenarios []struct {
		Name        string        `json:"name"`
		Title       string        `json:"title"`
		Probability float64       `json:"probability"`
		Points      []ReportPoint `json:"points"`
	} `json:"scenarios"`
}

// ReportPoint is one forecast hour with its band.
type ReportPoint struct {
	Time  time.Time `json:"time"`
	Score float64   `json:"score"`
	Low   float64   `json:"low"`
	High  float64   `json:"high"`
}

// ReportChain is the advisor's chain and its steps.
type ReportChain struct {
	Name           string `json:"name"`
	LookaheadHours int    `json:"lookahead_hours"`
	Steps          []struct {
		Name       string  `json:"name"`
		Summary    string  `json:"summary"`
		DurationMS float64 `json:"duration_ms"`
	} `json:"steps"`
}

// ReportAction is one recommended action with its evidence.
type ReportAction struct {
	ID       string  `json:"id"`
	Key      string  `json:"key"`
	Title    string  `json:"title"`
	Why      string  `json:"why"`
	Priority string  `json:"priority"`
	Score    float64 `json:"score"`
	Steps    []struct {
		Key   string `json:"key"`
		Title string `json:"title"`
	} `json:"steps"`
	Evidence struct {
		Patterns []cloudsage.PatternID `json:"patterns"`
		Numbers  map[string]float64    `json:"numbers"`
		Samples  []string              `json:"samples"`
		Units    map[string]string     `json:"units"`
	} `json:"evidence"`
}

// DecodeReport decodes a stored report body.
func DecodeReport(body []byte) (Report, error) {
	var r Report
	if err := json.Unmarshal(body, &r); err != nil {
		return Report{}, fmt.Errorf("decode report: %w", err)
	}
	return r, nil
}
