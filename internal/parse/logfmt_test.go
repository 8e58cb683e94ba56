package parse

import (
	"testing"

	"github.com/cloudsage/cloudsage"
)

func TestLogfmt(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want want
	}{
		{"slog text", `time=2024-01-15T10:00:00.000Z level=WARN msg="cache \"cold\"" service=api took=340ms`,
			want{format: FormatLogfmt, time: utc(2024, 1, 15, 10, 0, 0, 0), level: cloudsage.LevelWarn, service: "api", message: `cache "cold"`,
				fields:  map[string]string{"service": "api", "took": "340ms"},
				signals: cloudsage.Signals{LatencyMS: 340, HasLatency: true}}},
		{"heroku router", `at=info method=GET path="/" host=x.herokuapp.com fwd="1.2.3.4" dyno=web.1 connect=1ms service=42ms status=503 bytes=1548`,
			want{format: FormatLogfmt, guessed: true, level: cloudsage.LevelError, host: "x.herokuapp.com",
				message: `at=info method=GET path="/" host=x.herokuapp.com fwd="1.2.3.4" dyno=web.1 connect=1ms service=42ms status=503 bytes=1548`,
				signals: cloudsage.Signals{Status: 503, LatencyMS: 42, HasLatency: true}}},
		{"flag and resources", `level=info msg=stats mem_used=512MB mem_total=2GB cpu_pct=85 debug`,
			want{format: FormatLogfmt, guessed: true, level: cloudsage.LevelInfo, message: "stats",
				fields:  map[string]string{"mem_used": "512MB", "mem_total": "2GB", "cpu_pct": "85", "debug": "true"},
				signals: cloudsage.Signals{MemoryPct: 25, HasMemPct: true, MemoryMB: 512, HasMemMB: true, CPUPct: 85, HasCPU: true}}},
		{"one pair is not logfmt", `key=value and then prose`,
			want{format: FormatPlain, guessed: true, message: `key=value and then prose`}},
		{"unterminated quote", `a=1 msg="broken`, want{format: FormatPlain, guessed: true, message: `a=1 msg="broken`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.in, one(t, tt.in), tt.want)
		})
	}
}

func TestLooksLogfmt(t *testing.T) {
	for in, want := range map[string]bool{
		"a=1 b=2": true, "time=x": true, "=x": false, "hello world": false, "a b=2": false, `{"a":1}`: false,
	} {
		if got := looksLogfmt(in); got != want {
			t.Errorf("looksLogfmt(%q) = %v, want %v", in, got, want)
		}
	}
}
