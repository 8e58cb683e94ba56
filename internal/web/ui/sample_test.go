package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/engine"
)

func TestSampleLogsDeterministic(t *testing.T) {
	a := SampleLogs(testNow, 2, 5)
	b := SampleLogs(testNow, 2, 5)
	c := SampleLogs(testNow, 2, 6)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Error("the same seed gave different logs")
	}
	if strings.Join(a, "\n") == strings.Join(c, "\n") {
		t.Error("another seed gave the same logs")
	}
	if n := len(SampleLogs(testNow, 3, 5)); n <= len(a) {
		t.Errorf("3 hours gave %d lines, 2 hours %d", n, len(a))
	}
}

// The sample is a real mix of formats ending in an incident the engine sees.
func TestSampleLogsAnalyse(t *testing.T) {
	lines := SampleLogs(testNow, 3, 11)
	e := engine.New(engine.DefaultConfig())
	e.AddLines(lines)
	e.Flush()
	if last := e.LastEventTime(); last.After(testNow) || testNow.Sub(last) > time.Minute {
		t.Errorf("last event at %v, want within a minute before %v", last, testNow)
	}
	rep := e.Report(e.LastEventTime(), 24)
	for _, f := range []string{"access", "json", "logfmt", "app"} {
		if rep.Formats[f] == 0 {
			t.Errorf("no %s lines in the sample (formats %v)", f, rep.Formats)
		}
	}
	if rep.Risk.Score < 40 {
		t.Errorf("the sample's incident scores %.0f, want at least medium", rep.Risk.Score)
	}
	if len(rep.Actions) < 3 {
		t.Errorf("%d actions, want at least 3", len(rep.Actions))
	}
	quiet := engine.New(engine.DefaultConfig())
	quiet.AddLines(lines[:len(lines)/2]) // before the incident
	quiet.Flush()
	if q := quiet.Report(quiet.LastEventTime(), 24).Risk.Score; q >= rep.Risk.Score {
		t.Errorf("the calm first half scores %.0f, the incident %.0f", q, rep.Risk.Score)
	}
}

func BenchmarkSampleLogs(b *testing.B) {
	for b.Loop() {
		SampleLogs(testNow, 3, 1)
	}
}
