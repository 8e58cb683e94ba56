package shipper

import (
	"cmp"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/parse"
)

func TestLine(t *testing.T) {
	r := Record{Time: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), Level: "error", Service: "api", Host: "h1",
		Message: "a \"quoted\"\nline\x01 \xff", Fields: map[string]string{"msg": "attribute named msg", "b": "2", "a": "1"}}
	got := r.Line()
	want := `{"time":"2026-01-02T03:04:05.000006Z","level":"error","service":"api","host":"h1","msg":"a \"quoted\"\nline\u0001 \ufffd","a":"1","b":"2","msg":"attribute named msg"}`
	if got != want {
		t.Fatalf("Line() =\n%s\nwant\n%s", got, want)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(got), &m); err != nil {
		t.Fatalf("Line() is not JSON: %v", err)
	}
	if got := (&Record{Message: "x"}).Line(); got != `{"msg":"x"}` {
		t.Errorf("minimal Line() = %s", got)
	}
}

func TestSeverityLevel(t *testing.T) {
	got := map[string]string{}
	for _, s := range []string{"ERR", "Warning", "crit", "E", "notice", "DEBUG", "bogus", ""} {
		got[s] = SeverityLevel(s)
	}
	want := map[string]string{"ERR": "error", "Warning": "warn", "crit": "fatal", "E": "error", "notice": "info", "DEBUG": "debug", "bogus": "", "": ""}
	if d := gocmp.Diff(want, got); d != "" {
		t.Errorf("SeverityLevel (-want +got):\n%s", d)
	}
}

func FuzzLine(f *testing.F) {
	f.Add("msg", "k", "v")
	f.Add("\xff\x00\"\\", "\n", "\u2028")
	f.Fuzz(func(t *testing.T, msg, k, v string) {
		r := Record{Message: msg, Fields: map[string]string{k: v}}
		var got struct{ Msg string }
		if err := json.Unmarshal([]byte(r.Line()), &got); err != nil {
			t.Fatalf("Line() is not valid JSON: %q", r.Line())
		}
		if utf8.ValidString(msg) && got.Msg != msg && !strings.EqualFold(k, "msg") {
			t.Fatalf("Line() = %q reads back as message %q, want %q", r.Line(), got.Msg, msg)
		}
	})
}

// structuredCases are records of every shape the decoders make, and some
// they should not, in one stream (the parser's time memory carries over).
func structuredCases() []Record {
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)
	long := strings.Repeat("payload ", 1500)
	return []Record{
		{Time: t0, Level: "info", Service: "api", Host: "web-1", Message: "GET /users 200 in 12ms", Fields: map[string]string{"trace_id": "abc", "otel.scope.name": "x"}},
		{Time: t0.Add(time.Second), Level: "error", Service: "api", Message: "request failed status=503 latency_ms=250", Fields: map[string]string{"error": "upstream timeout", "http.status_code": "503"}},
		{Message: "no time, no level: ERROR keyword decides"},
		{Time: t0.In(time.FixedZone("X", 3600)), Message: "panic: runtime error: index out of range"},
		{Time: t0, Level: "warn", Message: "java.lang.IllegalStateException: boom\n\tat a.b.C.d(C.java:1)\n\tat e.f.G.h(G.java:2)"},
		{Time: t0, Message: "ends with newline\r\n"},
		{Time: t0, Message: "fields that name things", Fields: map[string]string{"timestamp": "2020-01-01T00:00:00Z", "severity": "fatal", "message": "other", "service.name": "svc2", "hostname": "h2", "msg": "m2"}},
		{Message: "time from a field", Fields: map[string]string{"ts": "2026-01-01T10:00:00Z", "lvl": "debug"}},
		{Time: t0, Message: "memory usage 93% cpu 88% heap_mb=512 OutOfMemoryError"},
		{Time: t0, Message: `quotes " and backslashes \ and tabs	and ` + "\x1b[31mcolour\x1b[0m"},
		{Time: t0, Message: "unicode é ü 日本 \u2028"},
		{Time: t0, Message: long, Fields: map[string]string{"big": long}},
		{Time: t0, Level: "bogus", Service: "9starts-with-digit", Host: strings.Repeat("h", 300), Message: "odd header values"},
		{Time: t0, Message: "many fields", Fields: manyFields(140)},
		{Time: t0, Message: "   "}, // blank message: read from the line
		{Fields: map[string]string{"only": "attributes", "status": "404"}},          // no message: read from the line
		{Time: t0, Message: "bad utf-8 \xff\xfe and NUL \x00 inside"},               // repaired: read from the line
		{Time: t0, Message: "bad key", Fields: map[string]string{"k\xff": "v\x7f"}}, // repaired: read from the line
		{Time: time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), Message: "far future"},
		{Time: t0, Message: strings.Repeat("\x01", 12000)}, // escapes past the parser's line limit
		{Message: "after all that, a guessed time again"},
		{Time: t0, Level: "info", Message: "fatal error: all goroutines are asleep"},
		{Time: t0, Message: "{\"level\":\"error\",\"msg\":\"a JSON line as the message\"}"},
		{Time: t0, Service: "svc", Message: "127.0.0.1 - - [04/Mar/2026:05:06:07 +0000] \"GET / HTTP/1.1\" 500 12"},
		// file lines forwarded as they are: read as the lines
		{Time: t0, Level: "info", Service: "app", Host: "bench", Message: "081109 203615 148 WARN dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_3886 terminating", Fields: map[string]string{"facility": "user", "status": "503"}},
		{Level: "info", Host: "h", Message: "ERROR: disk full on /var"},
		{Host: "web-2", Message: "<34>1 2026-03-04T05:06:10Z mymachine su - ID47 - 'su root' failed\n"},
		{Time: t0, Service: "svc", Message: "ts=2026-03-04T05:06:11Z level=debug msg=\"cache warm\" took=12ms"},
	}
}

func manyFields(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m["f"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+strings.Repeat("0", i/26)] = "v"
	}
	return m
}

// checkStructured: the events PushStructured makes of recs equal those the
// parser makes of their JSON lines, all but Raw, which is the message the
// shipper sent (the line when the record was read from it). A record whose
// message is a log line with a header of its own (parse.HasHeader) is
// that line's event instead (checkHeaded).
func checkStructured(t *testing.T, recs []Record) {
	t.Helper()
	def := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
	lp, sp := parse.New(), parse.New()
	lp.SetDefaultTime(def)
	sp.SetDefaultTime(def)
	var want, got []cloudsage.Event
	var plain []int // the records compared with their JSON lines
	for i := range recs {
		n := len(got)
		got = sp.PushStructured(got, recs[i].Structured())
		if len(got) != n+1 {
			t.Fatalf("record %d made %d events", i, len(got)-n)
		}
		if parse.HasHeader(recs[i].Message) {
			g := got[n]
			checkHeaded(t, i, &recs[i], g, def)
			got = got[:n]
			if !g.TimeGuessed {
				// the parser's time memory moved on to the record's time
				lp.Push(nil, `{"time":"`+g.Time.Format(time.RFC3339Nano)+`","msg":"-"}`)
			}
			continue
		}
		want = lp.Flush(lp.Push(want, recs[i].Line()))
		plain = append(plain, i)
	}
	if len(got) != len(want) {
		t.Fatalf("%d events from records, %d from their lines", len(got), len(want))
	}
	for k := range want {
		i, w, g := plain[k], want[k], got[k]
		if g.Raw != recs[i].Message && g.Raw != w.Raw {
			t.Errorf("record %d: Raw %.80q, want the message %.80q or the line", i, g.Raw, recs[i].Message)
		}
		w.Raw, g.Raw = "", ""
		if d := gocmp.Diff(w, g, cmpopts.EquateEmpty()); d != "" {
			t.Errorf("record %d (%.60q): event differs from its line's (-line +record):\n%s", i, recs[i].Message, d)
		}
	}
}

// checkHeaded: a record whose message is a log line with a header of its
// own gives that line's event (what /api/ingest makes of it), the record
// filling what the line lacks: its service and host when the line names
// none, its level and time when the line has none, its fields beside the
// line's.
func checkHeaded(t *testing.T, i int, r *Record, g cloudsage.Event, def time.Time) {
	t.Helper()
	p := parse.New()
	p.SetDefaultTime(def)
	evs := p.Flush(p.Push(nil, r.Message))
	if len(evs) != 1 {
		t.Fatalf("record %d: its message alone made %d events", i, len(evs))
	}
	w := evs[0]
	if g.Message != w.Message || g.Format != w.Format || g.Raw != strings.TrimRight(r.Message, "\r\n") {
		t.Errorf("record %d (%.60q): message %q format %s raw %.60q, want the line's %q %s and the message as raw", i, r.Message, g.Message, g.Format, g.Raw, w.Message, w.Format)
	}
	if !w.TimeGuessed && !g.Time.Equal(w.Time) {
		t.Errorf("record %d: time %v, want the line's %v", i, g.Time, w.Time)
	}
	if r.Level == "" && g.Level != w.Level {
		t.Errorf("record %d: level %v, want the line's %v", i, g.Level, w.Level)
	}
	if want := cmp.Or(w.Service, r.Service); g.Service != want {
		t.Errorf("record %d: service %q, want %q", i, g.Service, want)
	}
	if want := cmp.Or(w.Host, r.Host); g.Host != want {
		t.Errorf("record %d: host %q, want %q", i, g.Host, want)
	}
	for k, v := range w.Fields {
		if g.Fields[k] != v {
			t.Errorf("record %d: field %s = %q, want the line's %q", i, k, g.Fields[k], v)
		}
	}
	for k := range r.Fields {
		if _, ok := g.Fields[k]; !ok && k != "" && len(g.Fields) < 128 && utf8.ValidString(k) && !strings.ContainsAny(k, "\x00\x7f") {
			t.Errorf("record %d: the record's field %q is missing", i, k)
		}
	}
	if w.Signals.Status != 0 && g.Signals.Status != w.Signals.Status {
		t.Errorf("record %d: status %d, want the line's %d", i, g.Signals.Status, w.Signals.Status)
	}
}

func TestPushStructuredMatchesLine(t *testing.T) {
	checkStructured(t, structuredCases())
}

func FuzzPushStructured(f *testing.F) {
	f.Add(int64(1772600767123456789), "info", "api", "web-1", "GET / 200 in 5ms", "status", "500")
	f.Add(int64(0), "", "", "", "panic: boom\n\tgoroutine 1", "timestamp", "2026-01-01T00:00:00Z")
	f.Add(int64(-62135596800000000), "E", "9x", "", "\xff\x00", "level", "warn")
	f.Add(int64(0), "bogus", "svc", "h", "   ", "msg", "m")
	f.Fuzz(func(t *testing.T, ns int64, level, service, host, msg, k, v string) {
		var tm time.Time
		if ns != 0 {
			tm = time.Unix(0, ns)
		}
		r := Record{Time: tm, Level: level, Service: service, Host: host, Message: msg, Fields: map[string]string{k: v}}
		checkStructured(t, []Record{r, {Message: "next"}})
	})
}
