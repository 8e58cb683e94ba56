package syslog

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudsage/cloudsage/internal/shipper"
)

func frames(t *testing.T, in string, max int) []string {
	t.Helper()
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	var out []string
	for {
		f, err := ReadFrame(br, max)
		if err == io.EOF {
			return out
		}
		if err != nil {
			return append(out, "ERR "+err.Error())
		}
		out = append(out, string(f))
	}
}

func TestReadFrame(t *testing.T) {
	f := func(in string, max int, want ...string) {
		t.Helper()
		if got := frames(t, in, max); !cmp.Equal(want, got) {
			t.Errorf("frames(%q) = %q, want %q", in, got, want)
		}
	}
	f("<13>1 - - - - - - a\n<13>b\r\n\nlast", 100, "<13>1 - - - - - - a", "<13>b", "last")
	f("5 <1>ab10 <13>x\ny z\n", 100, "<1>ab", "<13>x\ny z")               // octet counted, a newline inside
	f("12 <1>abcdefghi<2>next\n", 5, "<1>ab", "<2>ne")                    // cut to max, both framings
	f("<1>"+strings.Repeat("x", 40)+"\n<2>y\n", 10, "<1>xxxxxxx", "<2>y") // a long line longer than the buffer
	f("7 <1>ab", 100, "ERR bad syslog frame: stream ended inside a message")
	f("12x <1>", 100, "ERR bad syslog frame: octet count is not a number")
	f("<1>a\x00<2>b\x00", 100, "<1>a", "<2>b")
}

func TestParse(t *testing.T) {
	p := NewParser(time.UTC)
	f := func(in string, want shipper.Record, wantTok string) {
		t.Helper()
		got, tok := p.Parse([]byte(in))
		if d := cmp.Diff(want, got); d != "" || tok != wantTok {
			t.Errorf("Parse(%q) token %q (want %q), record (-want +got):\n%s", in, tok, wantTok, d)
		}
	}
	f(`<11>1 2026-03-04T05:06:07.5Z web-1 billing 4242 PAY [timeQuality isSynced="1"][cloudsage token="cs_secret" env="prod"] card failure`,
		shipper.Record{Time: time.Date(2026, 3, 4, 5, 6, 7, 5e8, time.UTC), Level: "error", Service: "billing", Host: "web-1", Message: "card failure",
			Fields: map[string]string{"facility": "user", "proc_id": "4242", "msg_id": "PAY", "timeQuality.isSynced": "1", "cloudsage.env": "prod"}},
		"cs_secret")
	year := time.Now().Year()
	f(`<28>Mar  4 05:06:07 web-2 billing[77]: retrying`,
		shipper.Record{Time: time.Date(year, 3, 4, 5, 6, 7, 0, time.UTC), Level: "warn", Service: "billing", Host: "web-2", Message: "retrying",
			Fields: map[string]string{"facility": "daemon", "proc_id": "77"}}, "")
	f(`no syslog header at all`, shipper.Record{Message: "no syslog header at all"}, "")
	f(`<0>1 - - - - - -`, shipper.Record{Level: "fatal", Fields: map[string]string{"facility": "kern"}}, "")
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event`))
	f.Add([]byte(`<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8`))
	f.Add([]byte("12 <1>abcdefghi<2>next\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := NewParser(time.UTC)
		rec, _ := p.Parse(data)
		if !json.Valid([]byte(rec.Line())) {
			t.Fatalf("record line is not JSON: %s", rec.Line())
		}
		br := bufio.NewReaderSize(strings.NewReader(string(data)), 16)
		for range 1000 {
			fr, err := ReadFrame(br, 64)
			if err != nil {
				if err != io.EOF && !errors.Is(err, ErrFrame) {
					t.Fatalf("ReadFrame: unexpected error %v", err)
				}
				return
			}
			if len(fr) > 64 {
				t.Fatalf("frame of %d bytes, max 64", len(fr))
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	p := NewParser(time.UTC)
	msg := []byte(`<11>1 2026-03-04T05:06:07.5Z web-1 billing 4242 PAY [meta env="prod"] card failure for order 1234`)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		p.Parse(msg)
	}
}
