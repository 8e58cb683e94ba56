package ingest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/store"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func TestEngineConfig(t *testing.T) {
	set := store.DefaultSettings()
	set.HighThreshold, set.MediumThreshold, set.TimeZone = 80, 30, "Europe/Paris"
	cfg, err := EngineConfig(set)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Risk.High != 80 || cfg.Risk.Medium != 30 || cfg.Risk.Location.String() != "Europe/Paris" {
		t.Errorf("EngineConfig = high %v medium %v zone %v", cfg.Risk.High, cfg.Risk.Medium, cfg.Risk.Location)
	}
	set.TimeZone = "Nowhere/Land"
	if _, err := EngineConfig(set); err == nil {
		t.Error("unknown zone accepted")
	}
}

func TestEngineAnalyze(t *testing.T) {
	a, err := NewEngine(store.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	a.AddLines(lines(300, "svc", now))
	an, err := a.Analyze(now, 48)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Risk struct {
			Score float64
			Label string
		}
		Forecast struct {
			HorizonHours int `json:"horizon_hours"`
		}
		Actions []struct{ ID string }
	}
	if err := json.Unmarshal(an.Body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Risk.Score != an.Score || rep.Risk.Label != an.Label || rep.Forecast.HorizonHours != 48 || len(an.Templates) == 0 {
		t.Errorf("Analyze = %+v, body %+v", an, rep)
	}
	snap, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewEngine(store.DefaultSettings())
	if err := b.UnmarshalBinary(snap); err != nil {
		t.Fatal(err)
	}
	if !b.LastEventTime().Equal(a.LastEventTime()) {
		t.Errorf("restored LastEventTime %v, want %v", b.LastEventTime(), a.LastEventTime())
	}
}
