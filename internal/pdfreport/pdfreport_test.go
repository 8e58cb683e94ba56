package pdfreport_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/advisor"
	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/pdfreport"
	"github.com/cloudsage/cloudsage/internal/pdfreport/pdftest"
	"github.com/cloudsage/cloudsage/internal/risk"
)

func sample() pdfreport.Document {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rep := engine.Report{At: at, Events: 12345}
	rep.Risk = engine.Risk{Score: 78, Label: "high", Trend: 2.5, Factors: []risk.Factor{
		{Name: "error_rate", Weight: 30, Points: 24, Value: 0.18, Unit: "ratio", Status: "high", Measured: true},
		{Name: "memory", Weight: 15, Status: "ok"},
	}}
	for i := range 24 {
		v := 60 + float64(i)
		rep.Forecast.Points = append(rep.Forecast.Points, engine.ForecastPoint{Time: at.Add(time.Duration(i) * time.Hour), Score: v, Low: v - 10, High: v + 10})
	}
	rep.Forecast.HorizonHours, rep.Forecast.PHigh, rep.Forecast.PeakScore = 24, 0.83, 83
	rep.Forecast.Why = "errors rising for 3 hours"
	for i := range 12 {
		rep.Actions = append(rep.Actions, advisor.Action{ID: fmt.Sprint(i), Priority: "high", Title: fmt.Sprintf("Raise the pool size %d", i), Why: "db timeouts in 40% of requests (café)"})
	}
	rep.Patterns = []engine.Pattern{{Template: "db timeout after <*> ms (pool=<*>)", Count: 812, Trend: "surging"}}
	return pdfreport.Document{Project: "Shop (prod)", GeneratedAt: at, High: 70, Medium: 40, Report: rep}
}

func TestRender(t *testing.T) {
	var buf bytes.Buffer
	if err := pdfreport.New().Render(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	text, err := pdftest.Text(buf.Bytes())
	if err != nil {
		t.Fatalf("Render wrote an unreadable PDF: %v", err)
	}
	for _, want := range []string{"Shop (prod)", "78", "Risk score: HIGH", "error_rate", "0.18 ratio", "not measured",
		"Forecast: next 24 hours", "Chance of reaching High: 83%", "Recommended actions", "1. [high] Raise the pool size 0",
		"10. [high] Raise the pool size 9", "... and 2 more in the app.", "Top patterns", "db timeout after <*> ms (pool=<*>)", "surging"} {
		if !strings.Contains(text, want) {
			t.Errorf("report text lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Raise the pool size 10") {
		t.Errorf("report shows more than 10 actions")
	}
	// UTF-8 text reaches the page (as cp1252), not mangled into two bytes.
	if !strings.Contains(text, "caf\xe9") {
		t.Errorf("report text lacks café in cp1252")
	}
}

func TestRenderEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := pdfreport.New().Render(&buf, pdfreport.Document{Project: "new", GeneratedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	text, err := pdftest.Text(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"No action recommended.", "No patterns mined yet.", "Not enough history for a forecast yet."} {
		if !strings.Contains(text, want) {
			t.Errorf("empty report lacks %q:\n%s", want, text)
		}
	}
}

func TestCheckRefusesDamage(t *testing.T) {
	var buf bytes.Buffer
	if err := pdfreport.New().Render(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	cut := good[:len(good)/2]
	shifted := append([]byte("x"), good...)
	for name, b := range map[string][]byte{"cut": cut, "shifted": shifted, "empty": nil} {
		if err := pdftest.Check(b); err == nil {
			t.Errorf("Check(%s PDF) = nil, want an error", name)
		}
	}
}
