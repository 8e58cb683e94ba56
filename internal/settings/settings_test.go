package settings

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/engine"
)

func TestDefault(t *testing.T) {
	d := Default()
	want := Project{HighThreshold: 70, MediumThreshold: 40, RetentionDays: 30, TimeZone: "UTC"}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Default() = %+v, want %+v", d, want)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("Default() is invalid: %v", err)
	}
	// The default settings configure the engine as its own defaults do, so
	// `cloudsage analyze` and a new project analyse alike.
	cfg, err := d.EngineConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Clock == nil {
		t.Error("EngineConfig has no clock")
	}
	cfg.Clock = nil
	if def := engine.DefaultConfig(); !reflect.DeepEqual(cfg, def) {
		t.Errorf("Default().EngineConfig() = %+v\nwant engine.DefaultConfig() %+v", cfg, def)
	}
}

// Each setting's boundaries: the last valid value and the first invalid one,
// with the field the problem names.
func TestValidateBoundaries(t *testing.T) {
	with := func(f func(*Project)) Project { s := Default(); f(&s); return s }
	cases := []struct {
		name  string
		s     Project
		field string // "" = valid
	}{
		{"default", Default(), ""},
		{"high at 100", with(func(s *Project) { s.HighThreshold = 100 }), ""},
		{"high above 100", with(func(s *Project) { s.HighThreshold = 100.5 }), "high_threshold"},
		{"high at 0", with(func(s *Project) { s.HighThreshold = 0 }), "high_threshold"},
		{"high just above 0", with(func(s *Project) { s.HighThreshold, s.MediumThreshold = 0.5, 0.25 }), ""},
		{"medium just below high", with(func(s *Project) { s.MediumThreshold = 69.9 }), ""},
		{"medium at high", with(func(s *Project) { s.MediumThreshold = 70 }), "medium_threshold"},
		{"medium above high", with(func(s *Project) { s.MediumThreshold = 80 }), "medium_threshold"},
		{"medium small", with(func(s *Project) { s.MediumThreshold = 0.1 }), ""},
		{"medium at 0", with(func(s *Project) { s.MediumThreshold = 0 }), "medium_threshold"},
		{"retention 1 day", with(func(s *Project) { s.RetentionDays = 1 }), ""},
		{"retention 0 days", with(func(s *Project) { s.RetentionDays = 0 }), "retention_days"},
		{"retention 3650 days", with(func(s *Project) { s.RetentionDays = 3650 }), ""},
		{"retention 3651 days", with(func(s *Project) { s.RetentionDays = 3651 }), "retention_days"},
		{"zone Paris", with(func(s *Project) { s.TimeZone = "Europe/Paris" }), ""},
		{"zone unknown", with(func(s *Project) { s.TimeZone = "Mars/Olympus" }), "time_zone"},
		{"zone empty", with(func(s *Project) { s.TimeZone = "" }), "time_zone"},
		{"factor latency", with(func(s *Project) { s.FactorThresholds = map[string]float64{"latency": 800} }), ""},
		{"factor error rate 1", with(func(s *Project) { s.FactorThresholds = map[string]float64{"error_rate": 1} }), ""},
		{"factor error rate above 1", with(func(s *Project) { s.FactorThresholds = map[string]float64{"error_rate": 1.01} }), "factor_thresholds"},
		{"factor negative", with(func(s *Project) { s.FactorThresholds = map[string]float64{"latency": -1} }), "factor_thresholds"},
		{"factor unknown", with(func(s *Project) { s.FactorThresholds = map[string]float64{"latency_p99": 200} }), "factor_thresholds"},
		{"keep invalid ndjson", with(func(s *Project) { s.KeepInvalidNDJSON = true }), ""},
	}
	for _, c := range cases {
		probs := c.s.Problems()
		err := c.s.Validate()
		if c.field == "" {
			if probs != nil || err != nil {
				t.Errorf("%s: problems %v, error %v; want valid", c.name, probs, err)
			}
			continue
		}
		if len(probs) == 0 || probs[0].Field != c.field || !strings.HasPrefix(probs[0].Message, strings.Split(c.field, "_")[0]) {
			t.Errorf("%s: problems %+v, want the first naming %s", c.name, probs, c.field)
		}
		if cloudsage.KindOf(err) != cloudsage.Invalid || !strings.HasPrefix(cloudsage.MessageOf(err), "invalid settings: ") {
			t.Errorf("%s: error %v, want an Invalid \"invalid settings: ...\"", c.name, err)
		}
		if got := ProblemsOf(err); !reflect.DeepEqual(got, probs) {
			t.Errorf("%s: ProblemsOf(Validate()) = %v, want %v", c.name, got, probs)
		}
	}
	// every problem at once, joined in field order
	all := Project{HighThreshold: 200, MediumThreshold: 300, RetentionDays: 0, TimeZone: "x"}
	want := `invalid settings: high_threshold must be in (0, 100]; medium_threshold must be above 0 and below high_threshold; retention_days must be between 1 and 3650; time_zone "x" is not a known IANA zone`
	if got := cloudsage.MessageOf(all.Validate()); got != want {
		t.Errorf("all wrong: %q\nwant %q", got, want)
	}
}

// How each setting maps onto the engine's configuration.
func TestEngineConfig(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	def := engine.DefaultConfig()
	cases := []struct {
		name  string
		s     Project
		check func(engine.Config) bool
	}{
		{"high", Project{HighThreshold: 80}, func(c engine.Config) bool { return c.Risk.High == 80 && c.Risk.Medium == def.Risk.Medium }},
		{"medium", Project{MediumThreshold: 30}, func(c engine.Config) bool { return c.Risk.Medium == 30 && c.Risk.High == def.Risk.High }},
		{"zone", Project{TimeZone: "Europe/Paris"}, func(c engine.Config) bool { return c.Risk.Location.String() == paris.String() }},
		{"no zone is UTC", Project{}, func(c engine.Config) bool { return c.Risk.Location == time.UTC }},
		{"latency high level", Project{FactorThresholds: map[string]float64{"latency": 800}}, func(c engine.Config) bool {
			return c.Risk.LatencyMS.High == 800 && c.Risk.LatencyMS.Normal < def.Risk.LatencyMS.Normal
		}},
		{"error rate high level", Project{FactorThresholds: map[string]float64{"error_rate": 0.4}}, func(c engine.Config) bool {
			return c.Risk.ErrorRate.High == 0.4 && c.Risk.SustainedErrorRate > def.Risk.SustainedErrorRate
		}},
		// retention and broken-NDJSON handling are the store's and ingest's, not the engine's
		{"retention", Project{RetentionDays: 7}, func(c engine.Config) bool { c.Clock = nil; return reflect.DeepEqual(c, def) }},
		{"keep invalid ndjson", Project{KeepInvalidNDJSON: true}, func(c engine.Config) bool { c.Clock = nil; return reflect.DeepEqual(c, def) }},
	}
	for _, c := range cases {
		cfg, err := c.s.EngineConfig()
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !c.check(cfg) {
			t.Errorf("%s: engine config %+v", c.name, cfg.Risk)
		}
	}
	for _, bad := range []Project{
		{TimeZone: "Nowhere/Land"},
		{FactorThresholds: map[string]float64{"latency_p99": 200}},
		{HighThreshold: 30, MediumThreshold: 50}, // medium above high: the engine refuses it
	} {
		if _, err := bad.EngineConfig(); err == nil {
			t.Errorf("EngineConfig(%+v) accepted", bad)
		}
	}
}

func TestPatch(t *testing.T) {
	cur := Default()
	cur.FactorThresholds = map[string]float64{"latency": 800}
	next, err := Patch(cur, json.RawMessage(`{"high_threshold": 80, "factor_thresholds": {"cpu": 90}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := cur
	want.HighThreshold = 80
	want.FactorThresholds = map[string]float64{"latency": 800, "cpu": 90}
	if !reflect.DeepEqual(next, want) {
		t.Errorf("Patch = %+v, want %+v", next, want)
	}
	if len(cur.FactorThresholds) != 1 {
		t.Errorf("Patch changed the current settings' map: %v", cur.FactorThresholds)
	}
	for _, raw := range []string{"", "null"} {
		if got, err := Patch(cur, json.RawMessage(raw)); err != nil || !reflect.DeepEqual(got, cur) {
			t.Errorf("Patch(%q) = %+v, %v; want the current settings", raw, got, err)
		}
	}
	if _, err := Patch(cur, json.RawMessage(`{"retention_days": "ten"}`)); cloudsage.KindOf(err) != cloudsage.Invalid ||
		!strings.HasPrefix(cloudsage.MessageOf(err), "invalid settings: ") {
		t.Errorf("wrong type: %v", err)
	}
	_, err = Patch(cur, json.RawMessage(`{"time_zone": "Mars/Base"}`))
	if p := ProblemsOf(err); len(p) != 1 || p[0].Field != "time_zone" {
		t.Errorf("bad zone: problems %v (error %v)", p, err)
	}
}

func TestFromForm(t *testing.T) {
	form := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	cur := Default()
	cur.FactorThresholds = map[string]float64{"latency": 800}
	next, err := FromForm(cur, form("high_threshold", " 80 ", "medium_threshold", "30", "retention_days", "7", "time_zone", "Europe/Paris", "keep_invalid_ndjson", "on"))
	if err != nil {
		t.Fatal(err)
	}
	want := Project{HighThreshold: 80, MediumThreshold: 30, RetentionDays: 7, TimeZone: "Europe/Paris", KeepInvalidNDJSON: true,
		FactorThresholds: map[string]float64{"latency": 800}}
	if !reflect.DeepEqual(next, want) {
		t.Errorf("FromForm = %+v, want %+v", next, want)
	}
	// values that are not numbers are named, and validation waits for them
	_, err = FromForm(cur, form("high_threshold", "x", "medium_threshold", "40", "retention_days", "1.5", "time_zone", "Mars/Base"))
	var fields []string
	for _, p := range ProblemsOf(err) {
		fields = append(fields, p.Field+": "+p.Message)
	}
	if want := []string{"high_threshold: high_threshold must be a number", "retention_days: retention_days must be a whole number"}; !reflect.DeepEqual(fields, want) {
		t.Errorf("problems %q, want %q", fields, want)
	}
	_, err = FromForm(cur, form("high_threshold", "70", "medium_threshold", "40", "retention_days", "30", "time_zone", "Mars/Base"))
	if p := ProblemsOf(err); len(p) != 1 || p[0].Field != "time_zone" {
		t.Errorf("bad zone: %v", err)
	}
}

func TestChanges(t *testing.T) {
	a := Default()
	b := a
	b.RetentionDays, b.TimeZone, b.KeepInvalidNDJSON = 7, "Europe/Paris", true
	got, _ := json.Marshal(Changes(a, b))
	if want := `{"retention_days":{"from":30,"to":7},"time_zone":{"from":"UTC","to":"Europe/Paris"}}`; string(got) != want {
		t.Errorf("Changes = %s, want %s", got, want)
	}
	b = a
	b.FactorThresholds = map[string]float64{"cpu": 90}
	if got := Changes(a, b); len(got) != 1 || got["factor_thresholds"] == nil {
		t.Errorf("factor change: %v", got)
	}
	if got := Changes(a, a); len(got) != 0 {
		t.Errorf("no change: %v", got)
	}
}
