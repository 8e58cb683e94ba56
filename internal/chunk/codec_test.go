package chunk

import (
	"fmt"
	"math/rand/v2"
	"os"
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
		"version":       compress(append([]byte{9}, raw[1:]...), false),
		"truncated":     compress(raw[:len(raw)-3], false),
		"trailing":      compress(append(slices.Clone(raw), 0), false),
		"duplicate id":  compress(dup, false),
		"numbering":     compress(append([]byte{version3, 7}, raw[2:]...), false),
		"bad zstd":      []byte("z\x28\xb5\x2f\xfd\x00"),
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

// Chunks written before version 3 (S2, row encodings; testdata/legacy-*
// were written by that code) still decode to the events they held.
func TestDecodeLegacyChunks(t *testing.T) {
	want := func(ids func(i int) (int64, BatchID), order []int) []Event {
		var out []Event
		for i, j := range order {
			e := sampleEvents()[j]
			if e.Raw == "" {
				e.Raw = e.Message
			}
			e.Time = e.Time.UTC()
			id, b := ids(i)
			out = append(out, Event{ID: id, BatchID: b, Event: e})
		}
		return out
	}
	for _, c := range []struct {
		file string
		want []Event
	}{
		{"testdata/legacy-v1.s2", want(func(i int) (int64, BatchID) { return 3<<IDShift | int64(i), 4 }, []int{3, 1, 0, 4, 2})},
		{"testdata/legacy-v2.s2", want(func(i int) (int64, BatchID) { return int64(100 - i), BatchID(i % 2) }, []int{0, 1, 2, 3, 4})},
	} {
		data, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if data[0] != codecS2 {
			t.Fatalf("%s: codec %q, want the S2 of the old format", c.file, data[0])
		}
		got, err := Decode(3, 4, data, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.file, diff)
		}
	}
}

// Every event comes back byte for byte from a version-3 chunk, with either
// numbering, whatever its mix of raw kinds, fields, patterns and signals.
func TestColumnsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		evs := randomEvents(r, 1+r.IntN(MaxEvents))
		evs = append(evs, sampleEvents()...)
		for i := range evs {
			if r.IntN(3) == 0 {
				evs[i].Raw = "pre " + evs[i].Message + fmt.Sprint(" ", i)
			}
			if r.IntN(4) == 0 {
				evs[i].Fields = map[string]string{"k" + fmt.Sprint(i%3): fmt.Sprint(i), "z": ""}
			}
		}
		stored := make([]Event, len(evs))
		for i, e := range evs {
			stored[i] = Event{ID: int64(1000 + 3*i), BatchID: BatchID(i % 5), Event: e}
		}
		var got []Event
		for _, c := range Rebuild(1, stored) {
			if c.Data[0] != codecZstd {
				t.Fatalf("codec %q", c.Data[0])
			}
			part, err := Decode(9, 0, c.Data, nil)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, part...)
		}
		for i := range stored {
			w := &stored[i]
			if w.Raw == "" {
				w.Raw = w.Message
			}
			w.Time = FromNS(NS(w.Time))
			if len(w.Fields) == 0 {
				w.Fields = nil
			}
		}
		if diff := cmp.Diff(stored, got); diff != "" {
			t.Fatalf("round %d (-want +got):\n%s", round, diff)
		}
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
// re-encode (version 3, stored ids) to the same events, byte for byte, ids
// and batches included. The seed corpus (here and in
// testdata/fuzz/FuzzDecode) holds version-1, 2 and 3 encodings and broken
// ones.
func FuzzDecode(f *testing.F) {
	for _, file := range []string{"testdata/legacy-v1.s2", "testdata/legacy-v2.s2"} {
		data, _ := os.ReadFile(file)
		raw, _ := decompress(data)
		f.Add(raw)
		f.Add(raw[:len(raw)/2])
	}
	raw, _ := decompress(Build(1, sampleEvents())[0].Data)
	f.Add(raw)
	f.Add(raw[:len(raw)/2])
	f.Add([]byte{version1, 1, 0})
	f.Add([]byte{version3, numberByPosition, 1, 0})
	var v2 []Event
	for i, e := range sampleEvents() {
		v2 = append(v2, Event{ID: int64(100 - i), BatchID: BatchID(i % 2), Event: e})
	}
	raw3, _ := decompress(Rebuild(1, v2)[0].Data)
	f.Add(raw3)
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
			w := evs[i]
			if len(w.Fields) == 0 {
				w.Fields = nil
			}
			if w.Raw == "" { // an empty raw line is stored as the message
				w.Raw = w.Message
			}
			if diff := cmp.Diff(w, again[i]); diff != "" {
				t.Fatalf("event %d differs after re-encoding (-want +got):\n%s", i, diff)
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
