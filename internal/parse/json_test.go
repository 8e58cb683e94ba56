package parse

import (
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
)

func TestJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want want
	}{
		{"slog", `{"time":"2024-01-15T10:00:00.5Z","level":"ERROR","msg":"db down","service":"api","duration_ms":12.5}`,
			want{format: FormatJSON, time: utc(2024, 1, 15, 10, 0, 0, 5e8), level: cloudsage.LevelError, service: "api", message: "db down",
				fields:  map[string]string{"service": "api", "duration_ms": "12.5"},
				signals: cloudsage.Signals{LatencyMS: 12.5, HasLatency: true}}},
		{"zap epoch float", `{"level":"warn","ts":1700000000.25,"caller":"a/b.go:12","msg":"slow","latency":"1.5s"}`,
			want{format: FormatJSON, time: time.Unix(1700000000, 25e7).UTC(), level: cloudsage.LevelWarn, message: "slow",
				fields:  map[string]string{"caller": "a/b.go:12", "latency": "1.5s"},
				signals: cloudsage.Signals{LatencyMS: 1500, HasLatency: true}}},
		{"pino nested", `{"level":50,"time":1700000000000,"pid":1,"hostname":"web-1","req":{"method":"GET","url":"/x"},"res":{"statusCode":502},"responseTime":31,"msg":"request errored"}`,
			want{format: FormatJSON, time: time.UnixMilli(1700000000000).UTC(), level: cloudsage.LevelError, host: "web-1", message: "request errored",
				fields:  map[string]string{"pid": "1", "hostname": "web-1", "req.method": "GET", "req.url": "/x", "res.statusCode": "502", "responseTime": "31"},
				signals: cloudsage.Signals{Status: 502, LatencyMS: 31, HasLatency: true}}},
		{"bunyan", `{"name":"billing","hostname":"h","pid":2,"level":30,"msg":"ok","time":"2024-01-15T10:00:00.000Z","v":0}`,
			want{format: FormatJSON, time: utc(2024, 1, 15, 10, 0, 0, 0), level: cloudsage.LevelInfo, service: "billing", host: "h", message: "ok"}},
		{"ecs", `{"@timestamp":"2024-01-15T10:00:00Z","log":{"level":"warn"},"message":"disk","service":{"name":"db"},"event":{"duration":2500000},"http":{"response":{"status_code":404}}}`,
			want{format: FormatJSON, time: utc(2024, 1, 15, 10, 0, 0, 0), level: cloudsage.LevelWarn, service: "db", message: "disk",
				fields:  map[string]string{"service.name": "db", "event.duration": "2500000", "http.response.status_code": "404"},
				signals: cloudsage.Signals{Status: 404, LatencyMS: 2.5, HasLatency: true}}},
		{"logrus", `{"level":"error","msg":"x","time":"2024-01-15T10:00:00+01:00"}`,
			want{format: FormatJSON, time: utc(2024, 1, 15, 9, 0, 0, 0), level: cloudsage.LevelError, message: "x"}},
		{"gcp severity", `{"severity":"CRITICAL","message":"down","timestamp":"2024-01-15T10:00:00Z"}`,
			want{format: FormatJSON, time: utc(2024, 1, 15, 10, 0, 0, 0), level: cloudsage.LevelFatal, message: "down"}},
		{"escapes", `{"msg":"line \"quoted\" \u00e9 \ud83d\ude00 tab\tend","level":"info"}`,
			want{format: FormatJSON, guessed: true, level: cloudsage.LevelInfo, message: "line \"quoted\" é 😀 tab\tend"}},
		{"msg wins over message", `{"message":"long","msg":"short"}`,
			want{format: FormatJSON, guessed: true, message: "short", fields: map[string]string{"message": "long"}}},
		{"no message keeps the line", `{"a":1,"b":[1,2,{"c":3}],"d":null,"e":true}`,
			want{format: FormatJSON, guessed: true, message: `{"a":1,"b":[1,2,{"c":3}],"d":null,"e":true}`,
				fields: map[string]string{"a": "1", "b": `[1,2,{"c":3}]`, "e": "true"}}},
		{"docker log with trace", `{"log":"boom\n\tat x.y(Z.java:1)\n","stream":"stderr","time":"2024-01-15T10:00:00Z"}`,
			want{format: FormatJSON, time: utc(2024, 1, 15, 10, 0, 0, 0), message: "boom",
				fields: map[string]string{"stream": "stderr", "stack": "\tat x.y(Z.java:1)"}}},
		{"status from text field", `{"msg":"done","status":"ok"}`,
			want{format: FormatJSON, guessed: true, message: "done", fields: map[string]string{"status": "ok"}}},
		{"oom", `{"msg":"container OOMKilled","level":"info"}`,
			want{format: FormatJSON, guessed: true, level: cloudsage.LevelInfo, message: "container OOMKilled", signals: cloudsage.Signals{OOM: true}}},
		{"status sets level", `{"msg":"GET /","status":503}`,
			want{format: FormatJSON, guessed: true, level: cloudsage.LevelError, message: "GET /", signals: cloudsage.Signals{Status: 503}}},
		{"trailing garbage is plain", `{"a":1} x`, want{format: FormatPlain, guessed: true, message: `{"a":1} x`}},
		{"bad escape is plain", `{"a":"\x"}`, want{format: FormatPlain, guessed: true, message: `{"a":"\x"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.in, one(t, tt.in), tt.want)
		})
	}
}
