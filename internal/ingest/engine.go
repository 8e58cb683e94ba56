package ingest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/store"
)

// NewEngine is the NewAnalyzer of the real analysis engine, configured by
// the project's settings (settings.Project.EngineConfig).
func NewEngine(set store.Settings) (Analyzer, error) {
	cfg, err := set.EngineConfig()
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
