package engine

import (
	"bytes"
	"encoding/binary"
	"maps"
	"slices"
	"testing"
	"time"
)

func TestAnomalies(t *testing.T) {
	tests := []struct {
		name     string
		scenario string
		min, max float64
	}{
		{"a calm service raises nothing", "calm", 0, 0.5},
		{"too little history gives nothing", "", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := New(DefaultConfig())
			if tc.scenario != "" {
				for _, l := range scenarioByName(t, tc.scenario).generate() {
					e.AddLine(l)
				}
			} else {
				e.AddLine("2026-04-14T10:00:00Z ERROR one line")
			}
			e.Flush()
			got := e.anomalies(e.LastEventTime())
			if tc.scenario == "" {
				if got != nil {
					t.Errorf("anomalies = %v, want nil", got)
				}
				return
			}
			if len(got) > 5 {
				t.Fatalf("anomalies = %v, want at most the five factors", got)
			}
			for name, v := range got {
				if v < tc.min || v > tc.max {
					t.Errorf("%s anomaly = %v, want in [%v, %v]", name, v, tc.min, tc.max)
				}
			}
		})
	}
}

func TestAnomalyOnset(t *testing.T) {
	// one minute of the error scenario's onset inside the window is enough
	// for the error-rate detector to notice
	e := New(DefaultConfig())
	for _, l := range scenarioByName(t, "tls_certificate").generate() {
		e.AddLine(l)
	}
	e.Flush()
	onset := e.LastEventTime().Add(-25 * time.Minute)
	got := e.anomalies(onset.Add(5 * time.Minute))
	if got["error_rate"] < 0.5 {
		t.Errorf("error_rate anomaly just after the onset = %v, want >= 0.5 (all: %v)", got["error_rate"], got)
	}
}

// reportEvery feeds lines to e and asks for the anomalies every step lines,
// as a server does after each batch, and returns the last answer.
func reportEvery(e *Engine, lines []string, step int) map[string]float64 {
	var got map[string]float64
	for i, l := range lines {
		e.AddLine(l)
		if (i+1)%step == 0 || i == len(lines)-1 {
			e.Flush()
			got = e.anomalies(e.LastEventTime())
		}
	}
	return got
}

// The detectors learn each minute once, whenever the reports come: asking
// after every batch gives what one report at the end gives, and a snapshot
// taken between batches resumes the detectors where they were.
func TestAnomalyDetectorsPersist(t *testing.T) {
	lines := scenarioByName(t, "tls_certificate").generate()
	once := New(DefaultConfig())
	want := reportEvery(once, lines, len(lines))
	if len(want) == 0 {
		t.Fatalf("no anomaly scores at the end: %v", want)
	}

	batched := New(DefaultConfig())
	if got := reportEvery(batched, lines, 500); !maps.Equal(got, want) {
		t.Errorf("anomalies with a report every 500 lines = %v, with one report %v", got, want)
	}

	half := len(lines) / 2
	first := New(DefaultConfig())
	reportEvery(first, lines[:half], 500)
	data, err := first.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if first.det.fed == 0 {
		t.Fatal("no minute fed before the snapshot: the test would not test the detectors' state")
	}
	resumed := New(DefaultConfig())
	if err := resumed.UnmarshalBinary(data); err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	if resumed.det.fed != first.det.fed || !resumed.det.next.Equal(first.det.next) {
		t.Errorf("resumed detectors at minute %v after %d, saved at %v after %d", resumed.det.next, resumed.det.fed, first.det.next, first.det.fed)
	}
	if got := reportEvery(resumed, lines[half:], 500); !maps.Equal(got, want) {
		t.Errorf("anomalies after a snapshot and resume = %v, without %v", got, want)
	}

	// A snapshot written before the detectors were saved (CSENGINE2: no
	// detector section) loads; the detectors learn what the series holds,
	// here all of it, so they end where the others do.
	db, err := first.det.marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	v2 := append([]byte(engineMagicV2), data[len(engineMagic):len(data)-len(db)-uvarintLen(len(db))]...)
	old := New(DefaultConfig())
	if err := old.UnmarshalBinary(v2); err != nil {
		t.Fatalf("UnmarshalBinary(version 2): %v", err)
	}
	if old.det.fed != 0 {
		t.Errorf("version 2 snapshot: %d minutes fed, want fresh detectors", old.det.fed)
	}
	if got := reportEvery(old, lines[half:], 500); !maps.Equal(got, want) {
		t.Errorf("anomalies after loading a version 2 snapshot = %v, without %v", got, want)
	}

	// Broken detector sections are refused, not half loaded.
	for _, bad := range [][]byte{
		data[:len(data)-3],
		append(slices.Clone(data[:len(data)-len(db)-uvarintLen(len(db))]), 1, 0),
	} {
		if err := New(DefaultConfig()).UnmarshalBinary(bad); err == nil {
			t.Errorf("UnmarshalBinary accepted a broken detector section (%d bytes)", len(bad))
		}
	}
}

func uvarintLen(n int) int { return len(binary.AppendUvarint(nil, uint64(n))) }

// The detectors' encodings kept between snapshots (detectors.enc) always
// equal encoding them afresh: after a snapshot, after a resume, and after
// the detectors learnt more minutes.
func TestAnomalyDetectorsEncodingKept(t *testing.T) {
	lines := scenarioByName(t, "tls_certificate").generate()
	fresh := func(e *Engine) []byte {
		t.Helper()
		kept := e.det.enc
		e.det.enc = nil
		b, err := e.MarshalBinary()
		e.det.enc = kept
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	snap := func(e *Engine) []byte {
		t.Helper()
		b, err := e.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	e := New(DefaultConfig())
	third := len(lines) / 3
	reportEvery(e, lines[:third], 500)
	first := snap(e)
	if e.det.fed == 0 || len(e.det.enc) == 0 {
		t.Fatalf("%d minutes fed, %d encodings kept: the test would not test the kept encodings", e.det.fed, len(e.det.enc))
	}
	if again := snap(e); !bytes.Equal(again, first) || !bytes.Equal(fresh(e), first) {
		t.Error("a second snapshot without new minutes differs from the first or from encoding afresh")
	}
	resumed := New(DefaultConfig())
	if err := resumed.UnmarshalBinary(first); err != nil {
		t.Fatal(err)
	}
	if got := snap(resumed); !bytes.Equal(got, fresh(resumed)) || !bytes.Equal(got, first) {
		t.Error("the snapshot of a resumed engine differs from encoding it afresh or from the snapshot it resumed")
	}
	fed := resumed.det.fed
	reportEvery(resumed, lines[third:2*third], 500)
	if resumed.det.fed == fed {
		t.Fatal("no minute learnt after the resume: the test would not test dropping the kept encodings")
	}
	if got := snap(resumed); !bytes.Equal(got, fresh(resumed)) {
		t.Error("after the detectors learnt, the snapshot still carries their old encodings")
	}
}

// The detectors' memory does not grow with the history: the snapshot of a
// week of minutes is no larger than that of two days, give or take the
// seasonal model's days.
func TestAnomalyDetectorsBounded(t *testing.T) {
	size := func(days int) int {
		e := New(DefaultConfig())
		at := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
		for m := range days * 1440 {
			e.AddLine(at.Add(time.Duration(m)*time.Minute).Format(time.RFC3339) + " INFO request served in 12ms")
			if m%720 == 0 {
				e.anomalies(e.LastEventTime())
			}
		}
		e.anomalies(e.LastEventTime())
		b, err := e.det.marshal(nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(e.det.recent) > e.keep() {
			t.Errorf("%d minutes of scores kept, want at most %d", len(e.det.recent), e.keep())
		}
		return len(b)
	}
	two, seven := size(2), size(7)
	if seven > 2*two {
		t.Errorf("detectors' state after 7 days = %d bytes, after 2 days %d", seven, two)
	}
	t.Logf("detectors' state: %d bytes after 2 days, %d after 7", two, seven)
}

// Events that arrive up to a minute late, as a shipper's batches do, still
// reach the detectors: a report made before them does not learn their
// minute.
func TestAnomalyDetectorsWaitForLateEvents(t *testing.T) {
	lines := scenarioByName(t, "tls_certificate").generate()
	once := New(DefaultConfig())
	want := reportEvery(once, lines, len(lines))

	// Hold back the lines of the 40 seconds before a report made at the
	// time of line cut, and send them after it.
	// The report comes early in a minute, so the held lines are of the
	// minute before, which a report would learn if it did not wait.
	var cut int
	var reportAt time.Time
	probe := New(DefaultConfig())
	for i, l := range lines {
		probe.AddLine(l)
		probe.Flush()
		if at := probe.LastEventTime(); i >= len(lines)/2 && at.Second() >= 5 && at.Second() < 20 {
			cut, reportAt = i+1, at
			break
		}
	}
	if cut == 0 {
		t.Fatal("no line early in a minute")
	}
	held := New(DefaultConfig())
	var kept, delayed []string
	for _, l := range lines[:cut] {
		held.AddLine(l)
		held.Flush()
		if reportAt.Sub(held.LastEventTime()) < 40*time.Second {
			delayed = append(delayed, l)
		} else {
			kept = append(kept, l)
		}
	}
	if len(delayed) == 0 {
		t.Fatal("no line in the 40 seconds before the report: the test would not test late events")
	}
	e := New(DefaultConfig())
	for _, l := range kept {
		e.AddLine(l)
	}
	e.Flush()
	e.anomalies(reportAt)
	for _, l := range append(delayed, lines[cut:]...) {
		e.AddLine(l)
	}
	e.Flush()
	if got := e.anomalies(e.LastEventTime()); !maps.Equal(got, want) {
		t.Errorf("anomalies with late events = %v, in order %v", got, want)
	}
	a, _ := e.det.marshal(nil)
	b, _ := once.det.marshal(nil)
	if !bytes.Equal(a, b) {
		t.Error("the detectors learnt otherwise with late events than in order")
	}
}
