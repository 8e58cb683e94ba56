package parse

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// want is the part of an Event a table test checks; zero fields are not
// checked, except that Fields are compared only when non-nil.
type want struct {
	format  string
	time    time.Time
	guessed bool
	level   cloudsage.Level
	service string
	host    string
	message string
	fields  map[string]string
	signals cloudsage.Signals
}

// one parses line with a fresh Parser and returns its single event.
func one(t *testing.T, line string) cloudsage.Event {
	t.Helper()
	evs := Text(line)
	if len(evs) != 1 {
		t.Fatalf("Text(%q) gave %d events, want 1", line, len(evs))
	}
	return evs[0]
}

// check compares ev with w.
func check(t *testing.T, in string, ev cloudsage.Event, w want) {
	t.Helper()
	if ev.Format != w.format {
		t.Errorf("Format(%q) = %q, want %q", in, ev.Format, w.format)
	}
	if !w.time.IsZero() && !ev.Time.Equal(w.time) {
		t.Errorf("Time(%q) = %v, want %v", in, ev.Time, w.time)
	}
	if ev.TimeGuessed != w.guessed {
		t.Errorf("TimeGuessed(%q) = %v, want %v", in, ev.TimeGuessed, w.guessed)
	}
	if ev.Level != w.level {
		t.Errorf("Level(%q) = %v, want %v", in, ev.Level, w.level)
	}
	if ev.Service != w.service {
		t.Errorf("Service(%q) = %q, want %q", in, ev.Service, w.service)
	}
	if ev.Host != w.host {
		t.Errorf("Host(%q) = %q, want %q", in, ev.Host, w.host)
	}
	if ev.Message != w.message {
		t.Errorf("Message(%q) = %q, want %q", in, ev.Message, w.message)
	}
	if w.fields != nil {
		if d := cmp.Diff(w.fields, ev.Fields); d != "" {
			t.Errorf("Fields(%q) (-want +got):\n%s", in, d)
		}
	}
	if d := cmp.Diff(w.signals, ev.Signals, cmpopts.EquateApprox(0, 1e-9)); d != "" {
		t.Errorf("Signals(%q) (-want +got):\n%s", in, d)
	}
}

func utc(y int, mo time.Month, d, h, m, s, ns int) time.Time {
	return time.Date(y, mo, d, h, m, s, ns, time.UTC)
}

func TestPushHoldsBackOneEvent(t *testing.T) {
	p := New()
	var evs []cloudsage.Event
	evs = p.Push(evs, "2024-01-15 10:00:00 INFO first")
	if len(evs) != 0 {
		t.Fatalf("Push released %d events after the first line, want 0", len(evs))
	}
	evs = p.Push(evs, "2024-01-15 10:00:01 INFO second\n")
	if len(evs) != 1 || evs[0].Message != "first" {
		t.Fatalf("Push after second line = %v, want the first event", evs)
	}
	evs = p.Flush(evs)
	if len(evs) != 2 || evs[1].Message != "second" || evs[1].Raw != "2024-01-15 10:00:01 INFO second" {
		t.Fatalf("Flush = %+v, want the second event without its newline", evs)
	}
	if got := p.Flush(nil); len(got) != 0 {
		t.Fatalf("second Flush = %v, want nothing", got)
	}
}

func TestTimeGuessing(t *testing.T) {
	def := utc(2024, 5, 1, 0, 0, 0, 0)
	p := New()
	p.SetDefaultTime(def)
	var evs []cloudsage.Event
	for _, l := range []string{
		"no time here",
		"2024-05-01T10:00:00Z INFO dated",
		"again no time",
	} {
		evs = p.Push(evs, l)
	}
	evs = p.Flush(evs)
	if len(evs) != 3 {
		t.Fatalf("got %d events, want 3", len(evs))
	}
	if !evs[0].Time.Equal(def) || !evs[0].TimeGuessed {
		t.Errorf("first line: Time %v guessed %v, want the default time, guessed", evs[0].Time, evs[0].TimeGuessed)
	}
	if evs[1].TimeGuessed {
		t.Errorf("dated line: TimeGuessed = true")
	}
	if !evs[2].Time.Equal(utc(2024, 5, 1, 10, 0, 0, 0)) || !evs[2].TimeGuessed {
		t.Errorf("third line: Time %v guessed %v, want the previous line's time, guessed", evs[2].Time, evs[2].TimeGuessed)
	}
}

func TestPlain(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want want
	}{
		{"prose", "something happened", want{format: FormatPlain, guessed: true, message: "something happened"}},
		{"error keyword", "could not open file: error 5", want{format: FormatPlain, guessed: true, level: cloudsage.LevelError, message: "could not open file: error 5"}},
		{"failed keyword", "Failed password for root", want{format: FormatPlain, guessed: true, level: cloudsage.LevelWarn, message: "Failed password for root"}},
		{"keywords are whole words", "terrorists and errorless", want{format: FormatPlain, guessed: true, message: "terrorists and errorless"}},
		{"json array", `[1,2,3]`, want{format: FormatPlain, guessed: true, message: `[1,2,3]`}},
		{"json number", `42`, want{format: FormatPlain, guessed: true, message: `42`}},
		{"json string", `"hello"`, want{format: FormatPlain, guessed: true, message: `"hello"`}},
		{"broken json", `{"a":1`, want{format: FormatPlain, guessed: true, message: `{"a":1`}},
		{"level first", "ERROR: disk full", want{format: FormatApp, guessed: true, level: cloudsage.LevelError, message: "disk full"}},
		{"python default", "WARNING:root:low disk", want{format: FormatApp, guessed: true, level: cloudsage.LevelWarn, service: "root", message: "low disk"}},
		{"bracket level", "[warn] cache cold", want{format: FormatApp, guessed: true, level: cloudsage.LevelWarn, message: "cache cold"}},
		{"leading spaces", "   indented text", want{format: FormatPlain, guessed: true, message: "indented text"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.in, one(t, tt.in), tt.want)
		})
	}
}

func TestBadInput(t *testing.T) {
	big := strings.Repeat("x", 10<<20)
	tests := []struct {
		name string
		in   string
		n    int // events wanted
	}{
		{"empty", "", 0},
		{"blank lines", "\n  \n\t\n\r\n", 0},
		{"binary", "\x00\x01\x02\xff\xfe\x80garbage\x1b\x7f", 1},
		{"nul bytes", "2024-01-15T10:00:00Z ERROR a\x00b", 1},
		{"invalid utf8", "caf\xc3 \xff\xfe ok", 1},
		{"ansi colours", "\x1b[32m2024-01-15T10:00:00Z\x1b[0m \x1b[1;31mERROR\x1b[0m boom", 1},
		{"10 MB line", big, 1},
		{"10 MB json", `{"msg":"` + big + `"}`, 1},
		{"deep json", strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000), 1},
		{"far future", "9999-12-31T23:59:59Z INFO x", 1},
		{"1970", `{"time":0,"msg":"epoch"}`, 1},
		{"huge epoch", `{"ts":1e300,"msg":"x"}`, 1},
		{"negative epoch", `{"ts":-99999999999999,"msg":"x"}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := Text(tt.in)
			if len(evs) != tt.n {
				t.Fatalf("Text gave %d events, want %d", len(evs), tt.n)
			}
			for _, ev := range evs {
				if !utf8.ValidString(ev.Message) || !utf8.ValidString(ev.Raw) {
					t.Errorf("invalid UTF-8 in Message %q or Raw", ev.Message)
				}
				if strings.ContainsAny(ev.Message, "\x00\x1b") || strings.Contains(ev.Raw, "\x00") {
					t.Errorf("control bytes left in Message %q", ev.Message)
				}
				if len(ev.Message) > MaxMessage || len(ev.Raw) > MaxRaw {
					t.Errorf("Message %d bytes, Raw %d bytes: over the caps", len(ev.Message), len(ev.Raw))
				}
				for k, v := range ev.Fields {
					if len(v) > MaxMessage {
						t.Errorf("field %s has %d bytes, over the cap", k, len(v))
					}
				}
			}
		})
	}
}

func TestANSIStrippedBeforeDetection(t *testing.T) {
	in := "\x1b[32m2024-01-15T10:00:00Z\x1b[0m \x1b[1;31mERROR\x1b[0m boom"
	ev := one(t, in)
	check(t, in, ev, want{format: FormatApp, time: utc(2024, 1, 15, 10, 0, 0, 0), level: cloudsage.LevelError, message: "boom"})
	if ev.Raw != in {
		t.Errorf("Raw = %q, want the original line with its colours", ev.Raw)
	}
}

// TestSamples parses every testdata/*.log and checks that no line is lost
// and each sample is read as its format.
func TestSamples(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.log")
	if len(files) == 0 {
		t.Fatal("no testdata/*.log samples")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".log")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			evs := Text(string(b))
			if len(evs) == 0 {
				t.Fatal("no events")
			}
			if name == "multiline" && len(evs) != 5 {
				t.Errorf("multiline: %d events, want 5 (Java, Python, an error line, a Go panic, Node)", len(evs))
			}
			for _, ev := range evs {
				if ev.TimeGuessed && !strings.HasPrefix(ev.Message, "panic: ") {
					t.Errorf("%s: no own time: %q", name, ev.Raw)
				}
				if name != "mixed" && name != "multiline" && ev.Format != name {
					t.Errorf("%s: Format = %q for %q", name, ev.Format, ev.Raw)
				}
				if ev.Message == "" {
					t.Errorf("%s: empty message for %q", name, ev.Raw)
				}
			}
		})
	}
}

// FuzzParse feeds arbitrary text to the parser: it must not panic, must
// keep Message valid UTF-8 and within its cap, and must emit an event for
// every non-blank line that starts a record.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.log")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			f.Add(l)
		}
		f.Add(string(b))
	}
	for _, l := range Corpus(60, 7) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, s string) {
		evs := Text(s)
		nonBlank := false
		for _, l := range strings.Split(s, "\n") {
			c, _ := New().clean(l)
			if !isBlank(c) {
				nonBlank = true
			}
		}
		if nonBlank && len(evs) == 0 {
			t.Fatalf("Text(%q) dropped everything", s)
		}
		for _, ev := range evs {
			if !utf8.ValidString(ev.Message) {
				t.Fatalf("invalid UTF-8 message %q", ev.Message)
			}
			if len(ev.Message) > MaxMessage || len(ev.Raw) > MaxRaw+MaxTraceLines*2 {
				t.Fatalf("over the caps: message %d, raw %d", len(ev.Message), len(ev.Raw))
			}
			if ev.Format == "" {
				t.Fatalf("no format for %q", ev.Raw)
			}
		}
	})
}

// FuzzShortcuts checks the parser's faster helpers against the plain
// definitions they replace: the same answer on any input.
func FuzzShortcuts(f *testing.F) {
	for _, s := range []string{"", " \t x \t", "a [b", "[x] y [z", `GET / HTTP/2" 200 HTTP/1.1" 500`, "HTTP/",
		"Out of memory: Kill process", "OOMKilled", "room zoom", "MEMORY EMORY", "m", "M", "emory",
		`{"a":{"b":"c\"d","e":1}}`, "Duration_MS", "http.request.method", "event.duration", "Level"} {
		f.Add(s, "x")
	}
	for _, l := range Corpus(40, 3) {
		f.Add(l, "k")
	}
	f.Fuzz(func(t *testing.T, s, key string) {
		if got, want := trimBlankLeft(s), strings.TrimLeft(s, " \t"); got != want {
			t.Errorf("trimBlankLeft(%q) = %q, want %q", s, got, want)
		}
		if got, want := trimBlankRight(s), strings.TrimRight(s, " \t"); got != want {
			t.Errorf("trimBlankRight(%q) = %q, want %q", s, got, want)
		}
		if got, want := trimBlank(s), strings.Trim(s, " \t"); got != want {
			t.Errorf("trimBlank(%q) = %q, want %q", s, got, want)
		}
		for _, set := range []string{".[_$/(#0123456789", "._$", "ABCDEFGHIJKLMNOPQRSTUVWXYZ._$/[("} {
			if got, want := newByteSet(set).in(s), strings.ContainsAny(s, set); got != want {
				t.Errorf("byteSet(%q).in(%q) = %v, want %v", set, s, got, want)
			}
		}
		if got, want := spaceBracket(s), strings.Index(s, " ["); got != want {
			t.Errorf("spaceBracket(%q) = %d, want %d", s, got, want)
		}
		want := strings.Index(s, "HTTP/1")
		if want < 0 {
			want = strings.Index(s, "HTTP/2")
		}
		if got := httpVersion(s); got != want {
			t.Errorf("httpVersion(%q) = %d, want %d", s, got, want)
		}
		// the key caches (the direct-mapped table in front of the map)
		// give what the lookups they save give, whatever collides
		p := New()
		for _, k := range []string{key, s, key, s, s + "." + key} {
			if m := p.meta(k); m.key != k || m.info != lookupKey(k) || m.sig != classify(k) {
				t.Errorf("meta(%q) = %+v, want key %q, %+v, %+v", k, m, k, lookupKey(k), classify(k))
			}
			if got := p.dotted(s, key); got != s+"."+key {
				t.Errorf("dotted(%q, %q) = %q", s, key, got)
			}
		}
		mem, oom := oomHints(s)
		if want := strings.Contains(s, "emory") || strings.Contains(s, "EMORY"); mem != want {
			t.Errorf("oomHints(%q) mem = %v, want %v", s, mem, want)
		}
		if want := strings.Contains(s, "OOM") || strings.Contains(s, "oom"); oom != want {
			t.Errorf("oomHints(%q) oom = %v, want %v", s, oom, want)
		}

		// the key cache answers as the two tables do, first time and cached
		p = New()
		for range 2 {
			m := p.meta(key)
			if m.key != key || m.info != lookupKey(key) || m.sig != classify(key) {
				t.Errorf("meta(%q) = %+v, want %+v %+v", key, m, lookupKey(key), classify(key))
			}
		}
		if got := p.dotted(s, key); got != s+"."+key {
			t.Errorf("dotted(%q, %q) = %q", s, key, got)
		}

		// the JSON string scanner, against the byte-by-byte loop it replaced
		if strings.HasPrefix(s, `"`) {
			var j, r jsonScan
			j.s, r.s = s, s
			got, ok := j.str()
			want, wok := refJSONStr(&r)
			if got != want || ok != wok || (ok && j.i != r.i) {
				t.Errorf("str(%q) = %q %v at %d, want %q %v at %d", s, got, ok, j.i, want, wok, r.i)
			}
		}
	})
}

// refJSONStr is jsonScan.str as it was: a byte-by-byte loop.
func refJSONStr(j *jsonScan) (string, bool) {
	j.i++
	start := j.i
	for j.i < len(j.s) {
		c := j.s[j.i]
		if c == '"' {
			v := j.s[start:j.i]
			j.i++
			return v, true
		}
		if c == '\\' {
			return j.strSlow(start)
		}
		j.i++
	}
	return "", false
}

// TestKeyCacheBounded fills the key cache past its cap: it starts afresh and
// keeps answering right.
func TestKeyCacheBounded(t *testing.T) {
	p := New()
	for i := range maxKeyCache*2 + 3 {
		k := fmt.Sprintf("field_%d_ms", i)
		if m := p.meta(k); m.key != k || m.sig != classify(k) || m.info != lookupKey(k) {
			t.Fatalf("meta(%q) = %+v", k, m)
		}
		if len(p.keys) > maxKeyCache {
			t.Fatalf("%d keys cached, cap %d", len(p.keys), maxKeyCache)
		}
	}
	long := strings.Repeat("k", maxCachedKey+1)
	if m := p.meta(long); m.key != long {
		t.Fatalf("meta(long) = %+v", m)
	}
	if _, ok := p.keys[long]; ok {
		t.Error("a key over maxCachedKey bytes was cached")
	}
}
