package parse

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage"
)

func TestAccess(t *testing.T) {
	ts := utc(2000, 10, 10, 20, 55, 36, 0)
	tests := []struct {
		name string
		in   string
		want want
	}{
		{"common", `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`,
			want{format: FormatAccess, time: ts, level: cloudsage.LevelInfo, message: "GET /apache_pb.gif 200",
				fields:  map[string]string{"remote_addr": "127.0.0.1", "user": "frank", "bytes": "2326", "method": "GET", "path": "/apache_pb.gif", "protocol": "HTTP/1.0"},
				signals: cloudsage.Signals{Status: 200}}},
		{"combined with nginx request time", `10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "POST /api/orders?id=7 HTTP/1.1" 502 0 "-" "curl/8.5.0" 1.250`,
			want{format: FormatAccess, time: ts, level: cloudsage.LevelError, message: "POST /api/orders 502",
				fields: map[string]string{"remote_addr": "10.0.0.1", "bytes": "0", "method": "POST", "path": "/api/orders", "query": "id=7",
					"protocol": "HTTP/1.1", "user_agent": "curl/8.5.0", "request_time": "1.250"},
				signals: cloudsage.Signals{Status: 502, LatencyMS: 1250, HasLatency: true}}},
		{"apache %D microseconds", `::1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 404 12 "-" "x" 3500`,
			want{format: FormatAccess, time: ts, level: cloudsage.LevelWarn, message: "GET / 404",
				signals: cloudsage.Signals{Status: 404, LatencyMS: 3.5, HasLatency: true}}},
		{"vhost and key=value", `example.com:443 10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /x HTTP/2.0" 200 5 "-" "y" rt=0.020 uct="0.001"`,
			want{format: FormatAccess, time: ts, level: cloudsage.LevelInfo, message: "GET /x 200",
				signals: cloudsage.Signals{Status: 200, LatencyMS: 20, HasLatency: true}}},
		{"garbage request", `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "\x16\x03\x01" 400 0 "-" "-"`,
			want{format: FormatAccess, time: ts, level: cloudsage.LevelWarn, message: `"\x16\x03\x01" 400`, signals: cloudsage.Signals{Status: 400}}},
		{"no status is not access", `1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" abc`,
			want{format: FormatApp, time: ts, message: `"GET / HTTP/1.1" abc`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.in, one(t, tt.in), tt.want)
		})
	}
}

// A stream of access lines reuses the message of an earlier line with the
// same route and status, keeps the cache bounded, and never mixes messages
// up when the cache starts afresh.
func TestAccessMessageCache(t *testing.T) {
	p := New()
	var evs []cloudsage.Event
	const n = maxMessageCache + 300
	for i := range n {
		line := fmt.Sprintf(`10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /r/%d HTTP/1.1" 200 1`, i%(maxMessageCache+100))
		evs = p.Push(evs, line)
		if len(p.msgs) > maxMessageCache {
			t.Fatalf("cache holds %d messages, more than %d", len(p.msgs), maxMessageCache)
		}
	}
	evs = p.Flush(evs)
	if len(evs) != n {
		t.Fatalf("got %d events, want %d", len(evs), n)
	}
	for i, ev := range evs {
		if want := fmt.Sprintf("GET /r/%d 200", i%(maxMessageCache+100)); ev.Message != want {
			t.Fatalf("event %d: message %q, want %q", i, ev.Message, want)
		}
	}
	long := "/" + strings.Repeat("x", maxCachedMessage)
	evs = p.Push(evs[:0], `10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET `+long+` HTTP/1.1" 200 1`)
	evs = p.Flush(evs)
	if _, ok := p.msgs[evs[0].Message]; ok || evs[0].Message != "GET "+long+" 200" {
		t.Fatalf("long message %q cached (%v) or wrong", evs[0].Message, ok)
	}
}

// After the first line of a route, an access line allocates nothing but its
// Fields map.
func TestAccessMessageNoAlloc(t *testing.T) {
	p := New()
	line := `10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /api/v1/users HTTP/1.1" 200 12 "-" "curl/8.5.0"`
	evs := p.Push(nil, line)
	allocs := testing.AllocsPerRun(100, func() {
		evs = p.Push(evs[:0], line)
		for i := range evs {
			p.Reuse(evs[i].Fields)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per access line, want 0", allocs)
	}
}
