package chunk

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudsage/cloudsage"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// sampleEvents covers every encoding branch: raw the same, around the
// message, its own or empty; fields or none; each signal; odd bytes.
func sampleEvents() []cloudsage.Event {
	return []cloudsage.Event{
		{Time: t0, Level: cloudsage.LevelInfo, Service: "api", Host: "h1", Message: "GET /x 200", Raw: "2026-03-01 GET /x 200 extra", Format: "access",
			Pattern: "p1", Fields: map[string]string{"path": "/x", "method": "GET"}, Signals: cloudsage.Signals{Status: 200, LatencyMS: 12.5, HasLatency: true}},
		{Time: t0.Add(-time.Hour), Level: cloudsage.LevelError, Service: "api", Message: "boom", Raw: "boom", Pattern: "p2",
			Signals: cloudsage.Signals{MemoryPct: 91, HasMemPct: true, MemoryMB: 2048, HasMemMB: true, CPUPct: 0, HasCPU: true, OOM: true}},
		{Time: t0.Add(time.Nanosecond), Level: cloudsage.LevelUnknown, Message: "", Raw: "only raw \x00 nul", TimeGuessed: true},
		{Level: cloudsage.Level(-1), Message: "zero time, invalid \xff utf-8", Raw: "something else entirely", Fields: map[string]string{"": ""}},
		{Time: t0, Level: cloudsage.LevelFatal, Service: "web", Host: "h2", Message: "Café crème 😀 ÜBER", Raw: "", Format: "plain",
			Signals: cloudsage.Signals{Status: -3, LatencyMS: 1e-9}},
	}
}

// benchEvents are access-log-like events with a few fields.
func benchEvents(n int) []cloudsage.Event {
	evs := make([]cloudsage.Event, n)
	for i := range evs {
		msg := fmt.Sprintf("GET /api/v1/orders/%d 200 in %d ms user=u%d", i*7919%100000, i%500, i%1000)
		evs[i] = cloudsage.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Level: cloudsage.LevelInfo, Service: "api", Host: "web-1",
			Message: msg, Raw: "2026-03-01T12:00:00Z INFO " + msg, Format: "plain", Pattern: "p7",
			Fields:  map[string]string{"user": fmt.Sprint("u", i%1000)},
			Signals: cloudsage.Signals{Status: 200, LatencyMS: float64(i % 500), HasLatency: true}}
	}
	return evs
}

func TestBuildSplits(t *testing.T) {
	evs := make([]cloudsage.Event, 2*MaxEvents+5)
	for i := range evs {
		evs[i] = cloudsage.Event{Time: t0.Add(time.Duration(len(evs)-i) * time.Second), Message: fmt.Sprint("m ", i)}
	}
	cs := Build(1, evs)
	if len(cs) != 3 || cs[0].N != MaxEvents || cs[2].N != 5 {
		t.Fatalf("chunks %d, sizes %d/%d", len(cs), cs[0].N, cs[len(cs)-1].N)
	}
	for i := 1; i < len(cs); i++ {
		if cs[i].MinTime <= cs[i-1].MaxTime {
			t.Errorf("chunk %d starts at %d, not after chunk %d's end %d: batches are not split in time order", i, cs[i].MinTime, i-1, cs[i-1].MaxTime)
		}
	}
	if evs[0].Message != "m 0" {
		t.Error("Build reordered the caller's slice")
	}
	if len(Build(1, nil)) != 0 {
		t.Error("Build of no events made a chunk")
	}
}

func TestRebuildKeepsIDs(t *testing.T) {
	var evs []Event
	ids := []storedID{{9, 3}, {4, 3}, {1 << 40, 1}}
	for i, e := range sampleEvents()[:3] {
		evs = append(evs, Event{ID: ids[i].id, BatchID: ids[i].batch, Event: e})
	}
	cs := Rebuild(1, evs)
	if len(cs) != 1 {
		t.Fatalf("Rebuild gave %d chunks, want 1", len(cs))
	}
	got, err := Decode(2, 77, cs[0].Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range ids {
		if got[i].ID != want.id || got[i].BatchID != want.batch {
			t.Errorf("event %d: id %d batch %d, want %d and %d (a version-2 chunk keeps them, whatever its own id and batch)", i, got[i].ID, got[i].BatchID, want.id, want.batch)
		}
	}
	// A version-1 chunk takes both from its row.
	v1, err := Decode(2, 77, Build(1, sampleEvents())[0].Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v1[1].ID != 2<<IDShift|1 || v1[1].BatchID != 77 {
		t.Errorf("version-1 event: id %d batch %d, want %d and 77", v1[1].ID, v1[1].BatchID, 2<<IDShift|1)
	}
	// More than a chunk's worth splits, in the order given.
	many := make([]Event, MaxEvents+1)
	for i := range many {
		many[i] = Event{ID: int64(i), BatchID: 5, Event: cloudsage.Event{Time: t0, Message: fmt.Sprint("m", i)}}
	}
	cs = Rebuild(1, many)
	if len(cs) != 2 || cs[0].N != MaxEvents || cs[1].N != 1 {
		t.Fatalf("Rebuild of %d events: %d chunks", len(many), len(cs))
	}
	last, err := Decode(3, 0, cs[1].Data, nil)
	if err != nil || len(last) != 1 || last[0].ID != MaxEvents || last[0].BatchID != 5 {
		t.Errorf("second chunk: %+v, %v", last, err)
	}
}

func TestLevelBits(t *testing.T) {
	got := LevelBits([]cloudsage.Level{cloudsage.LevelInfo, cloudsage.LevelError, cloudsage.LevelInfo})
	if want := LevelBit(cloudsage.LevelInfo) | LevelBit(cloudsage.LevelError); got != want || LevelBit(cloudsage.LevelInfo) == LevelBit(cloudsage.LevelError) {
		t.Errorf("LevelBits = %b, want %b", got, want)
	}
	if LevelBits(nil) != 0 {
		t.Error("LevelBits(nil) != 0")
	}
}

func TestEventJSON(t *testing.T) {
	// The API's field names of a stored event.
	b, err := json.Marshal(Event{ID: 3, BatchID: 4, Event: cloudsage.Event{Message: "m"}})
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(float64(3), got["id"]); diff != "" {
		t.Errorf("id: %s", diff)
	}
	if diff := cmp.Diff(float64(4), got["batch_id"]); diff != "" {
		t.Errorf("batch_id: %s", diff)
	}
}
