package ingest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/store"
)

// EngineConfig maps a project's settings onto the engine's configuration:
// label thresholds, per-factor high levels and the time zone of "same hour"
// baselines.
func EngineConfig(set store.Settings) (engine.Config, error) {
	cfg := engine.DefaultConfig()
	if set.HighThreshold > 0 {
		cfg.Risk.High = set.HighThreshold
	}
	if set.MediumThreshold > 0 {
		cfg.Risk.Medium = set.MediumThreshold
	}
	if set.TimeZone != "" {
		loc, err := time.LoadLocation(set.TimeZone)
		if err != nil {
			return cfg, fmt.Errorf("time zone %q: %w", set.TimeZone, err)
		}
		cfg.Risk.Location = loc
	}
	if err := cfg.Risk.SetHighLevels(set.FactorThresholds); err != nil {
		return cfg, err
	}
	cfg.Clock = time.Now // only measures the chain's step durations
	return cfg, cfg.Validate()
}

// NewEngine is the NewAnalyzer of the real analysis engine.
func NewEngine(set store.Settings) (Analyzer, error) {
	cfg, err := EngineConfig(set)
	if err != nil {
		return nil, err
	}
	return engineAnalyzer{engine.New(cfg)}, nil
}

type engineAnalyzer struct{ *engine.Engine }

func (e engineAnalyzer) Analyze(at time.Time, horizonHours int) (Analysis, error) {
	rep := e.Report(at, horizonHours)
	body, err := json.Marshal(rep)
	if err != nil {
		return Analysis{}, fmt.Errorf("encode report: %w", err)
	}
	tpl := make(map[cloudsage.PatternID]string, len(rep.Patterns))
	for _, p := range rep.Patterns {
		tpl[p.ID] = p.Template
	}
	return Analysis{Score: rep.Risk.Score, Label: rep.Risk.Label, PatternTotal: rep.PatternTotal, Templates: tpl, Body: body, Report: &rep}, nil
}
