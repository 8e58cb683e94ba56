package shipper

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
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
	if d := cmp.Diff(want, got); d != "" {
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
