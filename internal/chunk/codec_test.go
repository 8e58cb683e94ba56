package chunk

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

func TestChunkRoundTrip(t *testing.T) {
	evs := sampleEvents()
	cs := Build(7, evs)
	if len(cs) != 1 {
		t.Fatalf("Build gave %d chunks, want 1", len(cs))
	}
	c := cs[0]
	if c.N != len(evs) || c.MinTime != 0 || c.MaxTime != NS(t0.Add(time.Nanosecond)) || c.Project != 7 {
		t.Errorf("chunk meta: n %d, min %d, max %d, project %d", c.N, c.MinTime, c.MaxTime, c.Project)
	}
	wantLevels := LevelBits([]cloudsage.Level{cloudsage.LevelInfo, cloudsage.LevelError, cloudsage.LevelUnknown, cloudsage.Level(-1), cloudsage.LevelFatal})
	if c.Levels != wantLevels {
		t.Errorf("Levels = %b, want %b", c.Levels, wantLevels)
	}
	got, err := Decode(3, 0, c.Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Stored in time order (stably), ids by position; an empty raw reads
	// back as the message, as before chunks.
	order := []int{3, 1, 0, 4, 2}
	for i, j := range order {
		want := evs[j]
		if want.Raw == "" {
			want.Raw = want.Message
		}
		want.Time = want.Time.UTC()
		if diff := cmp.Diff(want, got[i].Event); diff != "" {
			t.Errorf("event %d (input %d) differs (-want +got):\n%s", i, j, diff)
		}
		if got[i].ID != 3<<IDShift|int64(i) {
			t.Errorf("event %d id = %d, want %d", i, got[i].ID, 3<<IDShift|int64(i))
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	good := Build(1, sampleEvents())[0].Data
	raw, err := decompress(good)
	if err != nil {
		t.Fatal(err)
	}
	// Two events with ordinal 0, both empty strings from a one-entry table.
	dup := []byte{version1, 2, 1, 0}
	for range 2 {
		dup = append(dup, 0, 0, byte(cloudsage.LevelInfo), 0, 0, 0, 0, 0, 0, 0, 0)
	}
	one := slices.Clone(dup[:len(dup)-11])
	one[1] = 1
	if _, err := decodeEvents(1, 0, string(one), nil); err != nil {
		t.Fatalf("the one-event prefix of the duplicate-id case does not decode: %v", err)
	}
	cases := map[string][]byte{
		"empty":         nil,
		"unknown codec": []byte("hello"),
		"bad s2":        []byte("s\xff\xff\xff"),
		"version":       compress(append([]byte{9}, raw[1:]...)),
		"truncated":     compress(raw[:len(raw)-3]),
		"trailing":      compress(append(slices.Clone(raw), 0)),
		"duplicate id":  compress(dup),
	}
	for name, data := range cases {
		if evs, err := Decode(1, 0, data, nil); err == nil {
			t.Errorf("Decode(%s) = %d events, want an error", name, len(evs))
		}
	}
}

// Chunks written by the first format (zstd, no codec byte) still decode.
func TestDecodeZstdChunk(t *testing.T) {
	raw, err := decompress(Build(1, sampleEvents())[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := Decode(1, 0, enc.EncodeAll(raw, nil), nil)
	if err != nil || len(evs) != len(sampleEvents()) {
		t.Fatalf("Decode(zstd) = %d events, %v", len(evs), err)
	}
}

// A filtered decode keeps exactly the accepted events, each with its own
// fields and its whole raw line.
func TestDecodeKeep(t *testing.T) {
	c := Build(1, sampleEvents())[0]
	all, err := Decode(1, 0, c.Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := Decode(1, 0, c.Data, func(e *Event) bool { return e.Level != cloudsage.LevelError })
	if err != nil {
		t.Fatal(err)
	}
	var want []Event
	for _, e := range all {
		if e.Level != cloudsage.LevelError {
			want = append(want, e)
		}
	}
	if diff := cmp.Diff(want, kept); diff != "" {
		t.Errorf("filtered decode (-want +got):\n%s", diff)
	}
}

// FuzzDecode: any bytes either fail to decode or give events that
// re-encode (as version 2) to events that decode the same, ids and batches
// included. The seed corpus (here and in testdata/fuzz/FuzzDecode) holds
// version-1 and version-2 encodings and broken ones.
func FuzzDecode(f *testing.F) {
	good := Build(1, sampleEvents())[0].Data
	raw, _ := decompress(good)
	f.Add(raw)
	f.Add(raw[:len(raw)/2])
	f.Add([]byte{version1, 1, 0})
	var v2 []Event
	for i, e := range sampleEvents() {
		v2 = append(v2, Event{ID: int64(100 - i), BatchID: BatchID(i % 2), Event: e})
	}
	raw2, _ := decompress(Rebuild(1, v2)[0].Data)
	f.Add(raw2)
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := decodeEvents(1, 5, string(b), nil)
		if err != nil {
			return
		}
		cs := Rebuild(1, evs)
		var again []Event
		for _, c := range cs {
			part, err := Decode(9, 6, c.Data, nil)
			if err != nil {
				t.Fatalf("re-encoded chunk does not decode: %v", err)
			}
			again = append(again, part...)
		}
		if len(again) != len(evs) {
			t.Fatalf("re-decoded %d events, want %d", len(again), len(evs))
		}
		for i := range again {
			if again[i].ID != evs[i].ID || again[i].BatchID != evs[i].BatchID {
				t.Fatalf("event %d: id %d batch %d after re-encoding, want %d and %d", i, again[i].ID, again[i].BatchID, evs[i].ID, evs[i].BatchID)
			}
		}
	})
}

// The codec's speed per CPU second (every thread: Build encodes chunks in
// parallel), and its size per event.
func BenchmarkBuild(b *testing.B) {
	evs := benchEvents(10 * MaxEvents)
	b.ReportAllocs()
	var bytes int
	cpu := testenv.StartCPU()
	for b.Loop() {
		bytes = 0
		for _, c := range Build(1, evs) {
			bytes += len(c.Data)
		}
	}
	cpu.Report(b, b.N*len(evs), "events")
	b.ReportMetric(float64(bytes)/float64(len(evs)), "bytes/event")
}

func BenchmarkDecode(b *testing.B) {
	c := Build(1, benchEvents(MaxEvents))[0]
	b.ReportAllocs()
	cpu := testenv.StartCPU()
	for b.Loop() {
		if _, err := Decode(1, 0, c.Data, nil); err != nil {
			b.Fatal(err)
		}
	}
	cpu.Report(b, b.N*MaxEvents, "events")
}

// A search's decode: for a rare word the matcher rejects most events
// before they are copied out; a common word keeps them all.
func BenchmarkDecodeMatching(b *testing.B) {
	c := Build(1, benchEvents(MaxEvents))[0]
	for _, q := range []string{"orders 4242", "get"} {
		b.Run(q, func(b *testing.B) {
			m := &Matcher{}
			m.Phrases, _, _ = queryTokens(q)
			b.ReportAllocs()
			cpu := testenv.StartCPU()
			for b.Loop() {
				if _, err := Decode(1, 0, c.Data, m.Match); err != nil {
					b.Fatal(err)
				}
			}
			cpu.Report(b, b.N*MaxEvents, "events")
		})
	}
}
