package web

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// jsonEvents covers what an event can hold: every optional field set or
// not, escapes, invalid UTF-8, U+2028, control bytes, floats that
// encoding/json writes in either notation, times with and without
// fractions and zones.
func jsonEvents() []store.Event {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return []store.Event{
		{ID: 1, BatchID: 2, Event: cloudsage.Event{Time: t0, Level: cloudsage.LevelInfo, Message: "plain"}},
		{ID: 1 << 50, BatchID: -3, Event: cloudsage.Event{Time: t0.Add(123456789), Level: cloudsage.LevelError, Service: "api", Host: "h\"1",
			Message: "a \"q\" \\ b\n\r\t\b\f\x00\x1f\x7f <html> & é 😀 \u2028\u2029 \xff\xfe", Raw: "raw \xc3", Format: "json",
			Fields:      map[string]string{"z": "1", "a": "<b>", "": "", "é\n": "\u2029", "m": "\x01"},
			Signals:     cloudsage.Signals{Status: 503, LatencyMS: 12.5, MemoryPct: 1e-7, MemoryMB: 1e21, CPUPct: -0.000001, OOM: true, HasCPU: true},
			TimeGuessed: true, Pattern: "p-1"}},
		{Event: cloudsage.Event{Level: cloudsage.Level(-1), Fields: map[string]string{}, Signals: cloudsage.Signals{LatencyMS: 123456789012345678, Status: -7}}},
		{ID: 5, Event: cloudsage.Event{Time: time.Date(1999, 12, 31, 23, 59, 59, 100, time.FixedZone("x", -3600)), Level: cloudsage.LevelFatal,
			Signals: cloudsage.Signals{MemoryPct: 99.99999, CPUPct: 1e20, MemoryMB: 5e-324}}},
	}
}

func stdPage(t testing.TB, evs []store.Event, next string) []byte {
	var nc *string
	if next != "" {
		nc = &next
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]any{"events": evs, "next_cursor": nc}); err != nil {
		return nil
	}
	return buf.Bytes()
}

func TestEventPageJSON(t *testing.T) {
	evs := jsonEvents()
	for _, next := range []string{"", "abc.12", "\"odd\""} {
		for i := range evs {
			page := evs[i : i+1]
			if got, want := eventPageJSON(page, next), stdPage(t, page, next); !bytes.Equal(got, want) {
				t.Errorf("event %d, next %q:\n got %s\nwant %s", i, next, got, want)
			}
		}
		if got, want := eventPageJSON(evs, next), stdPage(t, evs, next); !bytes.Equal(got, want) {
			t.Errorf("whole page differs:\n got %s\nwant %s", got, want)
		}
	}
	if got, want := eventPageJSON(nil, ""), stdPage(t, []store.Event{}, ""); !bytes.Equal(got, want) {
		t.Errorf("empty page: got %s, want %s", got, want)
	}
	// What encoding/json refuses is left to it: the answer is the same.
	for _, bad := range []store.Event{
		{Event: cloudsage.Event{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{Event: cloudsage.Event{Signals: cloudsage.Signals{LatencyMS: math.NaN()}}},
		{Event: cloudsage.Event{Signals: cloudsage.Signals{CPUPct: math.Inf(-1)}}},
	} {
		page := []store.Event{evs[0], bad}
		if got, want := eventPageJSON(page, ""), stdPage(t, page, ""); !bytes.Equal(got, want) {
			t.Errorf("%+v: got %s, want %s", bad, got, want)
		}
	}
}

// Random events, strings of random bytes and runes, random floats: the
// hand-written page is byte for byte encoding/json's.
func TestEventPageJSONRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "Z", " ", "\"", "\\", "\n", "\x00", "\x1f", "\x7f", "<", ">", "&", "é", "😀", "\u2028", "\u2029", "\xff", "\xe2\x80", "\ufffd"}
	str := func() string {
		var sb strings.Builder
		for range r.IntN(8) {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		return sb.String()
	}
	float := func() float64 {
		switch r.IntN(4) {
		case 0:
			return 0
		case 1:
			return r.NormFloat64() * math.Pow(10, float64(r.IntN(50)-25))
		case 2:
			return float64(r.IntN(1000))
		}
		return math.Float64frombits(r.Uint64() &^ (0x7ff << 52)) // finite
	}
	for range 500 {
		var evs []store.Event
		for range 1 + r.IntN(5) {
			e := store.Event{ID: r.Int64(), BatchID: store.BatchID(r.Int64N(1000)), Event: cloudsage.Event{
				Time:    time.Unix(r.Int64N(1<<34), r.Int64N(1e9)).In(time.FixedZone("", (r.IntN(48)-24)*1800)),
				Level:   cloudsage.Level(r.IntN(9) - 1),
				Service: str(), Host: str(), Message: str(), Raw: str(), Format: str(),
				Signals:     cloudsage.Signals{Status: r.IntN(600) - 50, LatencyMS: float(), MemoryPct: float(), MemoryMB: float(), CPUPct: float(), OOM: r.IntN(2) == 0},
				TimeGuessed: r.IntN(2) == 0, Pattern: cloudsage.PatternID(str())}}
			if r.IntN(2) == 0 {
				e.Fields = map[string]string{}
				for range r.IntN(4) {
					e.Fields[str()] = str()
				}
			}
			evs = append(evs, e)
		}
		if got, want := eventPageJSON(evs, str()), stdPage(t, evs, ""); want != nil && len(got) == 0 {
			t.Fatalf("empty answer for %+v", evs)
		}
		next := str()
		if got, want := eventPageJSON(evs, next), stdPage(t, evs, next); !bytes.Equal(got, want) {
			t.Fatalf("differs:\n got %s\nwant %s", got, want)
		}
	}
}

// FuzzAppendJSONString: any string is quoted as encoding/json quotes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\\n\x00\x7f", "é😀\u2028", "\xff\xc3", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

// FuzzAppendJSONFloat: any finite float is written as encoding/json
// writes it.
func FuzzAppendJSONFloat(f *testing.F) {
	for _, v := range []float64{0, 1, -1, 12.5, 1e-7, 1e21, 1e20, 5e-324, math.MaxFloat64, -0.000001} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONFloat(nil, v); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONFloat(%v) = %s, want %s", v, got, want)
		}
	})
}

// BenchmarkEventPageJSON: a page of 1,000 events per CPU second, by hand
// and by encoding/json.
func BenchmarkEventPageJSON(b *testing.B) {
	evs := make([]store.Event, 1000)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range evs {
		evs[i] = store.Event{ID: int64(i), BatchID: 7, Event: cloudsage.Event{Time: t0.Add(time.Duration(i) * time.Millisecond), Level: cloudsage.LevelInfo,
			Service: "api", Host: "web-1", Message: "GET /api/v1/orders/4242 200 in 12 ms", Raw: "2026-03-01T12:00:00Z INFO GET /api/v1/orders/4242 200 in 12 ms",
			Format: "plain", Fields: map[string]string{"user": "u42", "path": "/api/v1/orders/4242"}, Signals: cloudsage.Signals{Status: 200, LatencyMS: 12}, Pattern: "p7"}}
	}
	b.Run("hand", func(b *testing.B) {
		cpu := testenv.StartCPU()
		for b.Loop() {
			eventPageJSON(evs, "x.y")
		}
		cpu.Report(b, b.N, "pages")
	})
	b.Run("encoding-json", func(b *testing.B) {
		cpu := testenv.StartCPU()
		for b.Loop() {
			stdPage(b, evs, "x.y")
		}
		cpu.Report(b, b.N, "pages")
	})
}
