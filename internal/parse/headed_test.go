package parse

import (
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
)

// A shipped record or document whose message is a file line with its own
// header is stored as /api/ingest stores that line: its message, time,
// level and service; the shipper's host and fields are kept.
func TestHeadedMessages(t *testing.T) {
	const line = "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating"
	want := Text(line)[0]
	if want.Message == line || want.TimeGuessed {
		t.Fatalf("the line alone: %+v, want its header read", want)
	}
	check := func(name string, ev cloudsage.Event, raw string) {
		t.Helper()
		if ev.Message != want.Message || !ev.Time.Equal(want.Time) || ev.Level != want.Level || ev.Service != want.Service || ev.Format != want.Format {
			t.Errorf("%s: %q %v %v %q %s, want the line's %q %v %v %q %s", name, ev.Message, ev.Time, ev.Level, ev.Service, ev.Format,
				want.Message, want.Time, want.Level, want.Service, want.Format)
		}
		if ev.Host != "bench" || ev.Fields["facility"] != "user" || ev.Raw != raw {
			t.Errorf("%s: host %q fields %v raw %q, want the shipper's host, fields and raw %q", name, ev.Host, ev.Fields, ev.Raw, raw)
		}
	}
	p := New()
	rec := Structured{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Level: "error", Service: "app", Host: "bench", Message: line,
		Fields: map[string]string{"facility": "user"}}
	evs := p.PushStructured(nil, &rec)
	check("record", evs[0], line)
	doc := `{"@timestamp":"2026-01-01T00:00:00Z","message":"` + line + `","host":{"name":"bench"},"facility":"user"}`
	evs = p.PushDocument(nil, doc)
	check("document", evs[0], doc)

	// without a header of its own the message stays whole, as before
	evs = p.PushDocument(nil, `{"message":"PacketResponder 1 terminating","host":{"name":"bench"}}`)
	if evs[0].Message != "PacketResponder 1 terminating" || evs[0].Format != FormatJSON || evs[0].Host != "bench" {
		t.Errorf("document without a header: %+v", evs[0])
	}
	if got := p.Flush(p.PushDocument(nil, `{"message":"x"}`)); len(got) != 1 {
		t.Errorf("a document made %d events, want 1 at once (never held back): %v", len(got), got)
	}
	for msg, want := range map[string]bool{line: true, "plain words": false, "ERROR: x": true, `{"a":1}`: true, line + "\n\tat x": false, "": false} {
		if HasHeader(msg) != want {
			t.Errorf("HasHeader(%q) = %v, want %v", msg, !want, want)
		}
	}
}
