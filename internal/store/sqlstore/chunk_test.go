package sqlstore

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
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

func TestChunkRoundTrip(t *testing.T) {
	evs := sampleEvents()
	cs := BuildChunks(7, evs)
	if len(cs) != 1 {
		t.Fatalf("BuildChunks gave %d chunks, want 1", len(cs))
	}
	c := cs[0]
	if c.N != len(evs) || c.MinTime != 0 || c.MaxTime != ns(t0.Add(time.Nanosecond)) || c.Project != 7 {
		t.Errorf("chunk meta: n %d, min %d, max %d, project %d", c.N, c.MinTime, c.MaxTime, c.Project)
	}
	wantLevels := levelBits([]cloudsage.Level{cloudsage.LevelInfo, cloudsage.LevelError, cloudsage.LevelUnknown, cloudsage.Level(-1), cloudsage.LevelFatal})
	if c.Levels != wantLevels {
		t.Errorf("Levels = %b, want %b", c.Levels, wantLevels)
	}
	got, err := DecodeChunk(3, c.Data)
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
		if got[i].ID != 3<<ChunkShift|int64(i) {
			t.Errorf("event %d id = %d, want %d", i, got[i].ID, 3<<ChunkShift|int64(i))
		}
	}
}

func TestBuildChunksSplits(t *testing.T) {
	evs := make([]cloudsage.Event, 2*ChunkEvents+5)
	for i := range evs {
		evs[i] = cloudsage.Event{Time: t0.Add(time.Duration(len(evs)-i) * time.Second), Message: fmt.Sprint("m ", i)}
	}
	cs := BuildChunks(1, evs)
	if len(cs) != 3 || cs[0].N != ChunkEvents || cs[2].N != 5 {
		t.Fatalf("chunks %d, sizes %d/%d", len(cs), cs[0].N, cs[len(cs)-1].N)
	}
	for i := 1; i < len(cs); i++ {
		if cs[i].MinTime <= cs[i-1].MaxTime {
			t.Errorf("chunk %d starts at %d, not after chunk %d's end %d: batches are not split in time order", i, cs[i].MinTime, i-1, cs[i-1].MaxTime)
		}
	}
	if evs[0].Message != "m 0" {
		t.Error("BuildChunks reordered the caller's slice")
	}
}

func TestRetentionRewriteKeepsIDs(t *testing.T) {
	var evs []*cloudsage.Event
	for _, e := range sampleEvents()[:3] {
		evs = append(evs, &e)
	}
	ids := []storedID{{9, 3}, {4, 3}, {1 << 40, 1}}
	c := buildChunk(1, evs, ids)
	got, err := decodeChunk(2, 77, c.Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range ids {
		if got[i].ID != want.id || got[i].BatchID != want.batch {
			t.Errorf("event %d: id %d batch %d, want %d and %d (a version-2 chunk keeps them, whatever its own id and batch)", i, got[i].ID, got[i].BatchID, want.id, want.batch)
		}
	}
	// A version-1 chunk takes both from its row.
	v1, err := decodeChunk(2, 77, BuildChunks(1, sampleEvents())[0].Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v1[1].ID != 2<<ChunkShift|1 || v1[1].BatchID != 77 {
		t.Errorf("version-1 event: id %d batch %d, want %d and 77", v1[1].ID, v1[1].BatchID, 2<<ChunkShift|1)
	}
}

func TestDecodeChunkRejects(t *testing.T) {
	good := BuildChunks(1, sampleEvents())[0].Data
	raw, err := decompress(good)
	if err != nil {
		t.Fatal(err)
	}
	// Two events with ordinal 0, both empty strings from a one-entry table.
	dup := []byte{chunkVersion, 2, 1, 0}
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
		if evs, err := DecodeChunk(1, data); err == nil {
			t.Errorf("DecodeChunk(%s) = %d events, want an error", name, len(evs))
		}
	}
}

func TestTokens(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"disk full on /var/lib/data.db", []string{"disk", "full", "on", "var", "lib", "data", "db"}},
		{"durability-marker-7", []string{"durability", "marker", "7"}},
		{"Café ÜBER_x", []string{"café", "über", "x"}},
		{`al"pha`, []string{"al", "pha"}},
		{"  --  ", nil},
		{"a😀b", []string{"a", "b"}},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, Tokens(c.in)); diff != "" {
			t.Errorf("Tokens(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

func TestIndexToken(t *testing.T) {
	long := strings.Repeat("a", maxIndexToken+1)
	cases := []struct {
		in     string
		hashed bool
	}{{"disk", false}, {"500", false}, {"café", true}, {long, true}, {strings.Repeat("b", maxIndexToken), false}}
	for _, c := range cases {
		got := indexToken(c.in)
		if (got != c.in) != c.hashed || !isPlain(got) {
			t.Errorf("indexToken(%q) = %q, hashed %v, want hashed %v and [a-z0-9]", c.in, got, got != c.in, c.hashed)
		}
	}
	if keyToken('s', "api") == keyToken('p', "api") || !isPlain(keyToken('s', "Ünïcode/service")) {
		t.Error("key tokens of a service and a pattern collide, or are not plain")
	}
}

// Every token an event's search finds is in its chunk's index: the index
// never hides a match from the exact filter.
func TestChunkTokensCoverMatches(t *testing.T) {
	evs := sampleEvents()
	c := BuildChunks(1, evs)[0]
	have := map[string]bool{}
	for _, tok := range c.Tokens {
		have[tok] = true
		if !isPlain(tok) {
			t.Errorf("index token %q is not [a-z0-9]+", tok)
		}
	}
	for _, q := range []string{"GET", "café", "CRÈME", "über", "path", "method", "nul", "boom", "utf"} {
		_, idx, ok := queryTokens(q)
		if !ok {
			t.Fatalf("queryTokens(%q) found no word", q)
		}
		for _, tok := range idx {
			if !have[tok] {
				t.Errorf("query %q needs index token %q, missing from the chunk", q, tok)
			}
		}
	}
	for _, k := range []string{keyToken('s', "api"), keyToken('s', "web"), keyToken('p', "p1"), keyToken('p', "p2")} {
		if !have[k] {
			t.Errorf("key token %q missing", k)
		}
	}
}

func TestMatcher(t *testing.T) {
	ev := store.Event{ID: 5, Event: cloudsage.Event{Time: t0, Level: cloudsage.LevelError, Service: "api", Pattern: "p1",
		Message: "disk full on /var/lib/data.db durability-marker-7", Fields: map[string]string{"user": "Quokka"}}}
	m := func(q string, f func(*matcher)) bool {
		mt := &matcher{}
		if q != "" {
			mt.phrases, _, _ = queryTokens(q)
		}
		if f != nil {
			f(mt)
		}
		return mt.match(&ev)
	}
	cases := []struct {
		name string
		q    string
		f    func(*matcher)
		want bool
	}{
		{"word", "disk", nil, true},
		{"case", "DISK", nil, true},
		{"two words", "full disk", nil, true},
		{"phrase", "durability-marker-7", nil, true},
		{"phrase out of order", "marker-durability", nil, false},
		{"part of a path", "data", nil, true},
		{"prefix is not a word", "dur", nil, false},
		{"field value", "quokka", nil, true},
		{"field name", "user", nil, true},
		{"absent", "zebra", nil, false},
		{"level", "", func(m *matcher) { m.levels = levelBit(cloudsage.LevelError) }, true},
		{"other level", "", func(m *matcher) { m.levels = levelBit(cloudsage.LevelInfo) }, false},
		{"service", "", func(m *matcher) { m.conds = []cond{{field: "service", values: []string{"web"}}} }, false},
		{"pattern", "", func(m *matcher) { m.conds = []cond{{field: "pattern", values: []string{"p1"}}} }, true},
		{"any of two services", "", func(m *matcher) { m.conds = []cond{{field: "service", values: []string{"web", "api"}}} }, true},
		{"service is exact", "", func(m *matcher) { m.conds = []cond{{field: "service", values: []string{"API"}}} }, false},
		{"not service", "", func(m *matcher) { m.conds = []cond{{field: "service", values: []string{"api"}, not: true}} }, false},
		{"field ignores case", "", func(m *matcher) { m.conds = []cond{{field: "user", values: []string{"quokka"}}} }, true},
		{"field name ignores case", "", func(m *matcher) { m.conds = []cond{{field: "USER", values: []string{"Quokka"}}} }, true},
		{"absent field", "", func(m *matcher) { m.conds = []cond{{field: "team", values: []string{"x"}}} }, false},
		{"not absent field", "", func(m *matcher) { m.conds = []cond{{field: "team", values: []string{"x"}, not: true}} }, true},
		{"level field", "", func(m *matcher) { m.conds = []cond{{field: "level", values: []string{"error"}}} }, true},
		{"excluded word", "", func(m *matcher) { m.notPhrases = [][]string{{"disk"}} }, false},
		{"excluded absent word", "", func(m *matcher) { m.notPhrases = [][]string{{"zebra"}} }, true},
		{"from", "", func(m *matcher) { m.from, m.hasFrom = ns(t0), true }, true},
		{"to", "", func(m *matcher) { m.to, m.hasTo = ns(t0), true }, false},
		{"cursor same time lower id", "", func(m *matcher) { m.curT, m.curID, m.hasCur = ns(t0), 6, true }, true},
		{"cursor same time same id", "", func(m *matcher) { m.curT, m.curID, m.hasCur = ns(t0), 5, true }, false},
	}
	for _, c := range cases {
		if got := m(c.q, c.f); got != c.want {
			t.Errorf("%s: match(%q) = %v, want %v", c.name, c.q, got, c.want)
		}
	}
}

func FuzzDecodeChunk(f *testing.F) {
	good := BuildChunks(1, sampleEvents())[0].Data
	raw, _ := decompress(good)
	f.Add(raw)
	f.Add(raw[:len(raw)/2])
	f.Add([]byte{chunkVersion, 1, 0})
	var v2 []*cloudsage.Event
	var v2ids []storedID
	for i, e := range sampleEvents() {
		v2 = append(v2, &e)
		v2ids = append(v2ids, storedID{int64(100 - i), store.BatchID(i % 2)})
	}
	raw2, _ := decompress(buildChunk(1, v2, v2ids).Data)
	f.Add(raw2)
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := decodeEvents(1, 5, string(b), nil)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes (as version 2) to events that decode
		// the same, ids and batches included.
		plain := make([]*cloudsage.Event, len(evs))
		ids := make([]storedID, len(evs))
		for i := range evs {
			plain[i] = &evs[i].Event
			ids[i] = storedID{evs[i].ID, evs[i].BatchID}
		}
		c := buildChunk(1, plain, ids)
		again, err := decodeChunk(9, 6, c.Data, nil)
		if err != nil {
			t.Fatalf("re-encoded chunk does not decode: %v", err)
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

func BenchmarkBuildChunks(b *testing.B) {
	evs := benchEvents(10000)
	b.ReportAllocs()
	var bytes int
	for b.Loop() {
		bytes = 0
		for _, c := range BuildChunks(1, evs) {
			bytes += len(c.Data)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
	b.ReportMetric(float64(bytes)/float64(len(evs)), "bytes/event")
}

func BenchmarkDecodeChunk(b *testing.B) {
	c := BuildChunks(1, benchEvents(ChunkEvents))[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeChunk(1, c.Data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*ChunkEvents), "ns/event")
}

func BenchmarkMatch(b *testing.B) {
	evs, _ := DecodeChunk(1, BuildChunks(1, benchEvents(ChunkEvents))[0].Data)
	m := &matcher{}
	m.phrases, _, _ = queryTokens("orders 4242")
	b.ReportAllocs()
	for b.Loop() {
		for i := range evs {
			m.match(&evs[i])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}

// Chunks written by the first format (zstd, no codec byte) still decode.
func TestDecodeZstdChunk(t *testing.T) {
	raw, err := decompress(BuildChunks(1, sampleEvents())[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := DecodeChunk(1, enc.EncodeAll(raw, nil))
	if err != nil || len(evs) != len(sampleEvents()) {
		t.Fatalf("DecodeChunk(zstd) = %d events, %v", len(evs), err)
	}
}

func TestContainsFold(t *testing.T) {
	cases := []struct {
		s, t string
		want bool
	}{
		{"Disk FULL", "full", true},
		{"Disk FULL", "disk", true},
		{"dis", "disk", false},
		{"", "a", false},
		{"x500y", "500", true},
		{"ÜBER disk", "disk", true},
		{"DISC", "disk", false},
	}
	for _, c := range cases {
		if got := containsFold(c.s, c.t); got != c.want {
			t.Errorf("containsFold(%q, %q) = %v, want %v", c.s, c.t, got, c.want)
		}
	}
}

// A filtered decode keeps exactly the accepted events, each with its own
// fields and its whole raw line.
func TestDecodeChunkKeep(t *testing.T) {
	c := BuildChunks(1, sampleEvents())[0]
	all, err := DecodeChunk(1, c.Data)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := decodeChunk(1, 0, c.Data, func(e *store.Event) bool { return e.Level != cloudsage.LevelError })
	if err != nil {
		t.Fatal(err)
	}
	var want []store.Event
	for _, e := range all {
		if e.Level != cloudsage.LevelError {
			want = append(want, e)
		}
	}
	if diff := cmp.Diff(want, kept); diff != "" {
		t.Errorf("filtered decode (-want +got):\n%s", diff)
	}
}
