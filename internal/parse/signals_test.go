package parse

import (
	"testing"

	"github.com/cloudsage/cloudsage"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestFieldSignal(t *testing.T) {
	tests := []struct {
		key, val string
		want     cloudsage.Signals
	}{
		{"status", "503", cloudsage.Signals{Status: 503}},
		{"http.response.status_code", "404", cloudsage.Signals{Status: 404}},
		{"status", "ok", cloudsage.Signals{}},
		{"status", "42", cloudsage.Signals{}},
		{"duration_ms", "12.5", cloudsage.Signals{LatencyMS: 12.5, HasLatency: true}},
		{"duration", "5.2s", cloudsage.Signals{LatencyMS: 5200, HasLatency: true}},
		{"latency", "250µs", cloudsage.Signals{LatencyMS: 0.25, HasLatency: true}},
		{"elapsed", "1m30s", cloudsage.Signals{LatencyMS: 90000, HasLatency: true}},
		{"took", "340", cloudsage.Signals{LatencyMS: 340, HasLatency: true}},
		{"request_time", "0.120", cloudsage.Signals{LatencyMS: 120, HasLatency: true}},
		{"durationNs", "2000000", cloudsage.Signals{LatencyMS: 2, HasLatency: true}},
		{"elapsed_us", "1500", cloudsage.Signals{LatencyMS: 1.5, HasLatency: true}},
		{"response_time_seconds", "2", cloudsage.Signals{LatencyMS: 2000, HasLatency: true}},
		{"time", "2024-01-15T10:00:00Z", cloudsage.Signals{}},
		{"time", "12", cloudsage.Signals{}},
		{"time_ms", "12", cloudsage.Signals{LatencyMS: 12, HasLatency: true}},
		{"service", "checkout", cloudsage.Signals{}},
		{"rss", "300MB", cloudsage.Signals{MemoryMB: 300, HasMemMB: true}},
		{"heap", "1.5GiB", cloudsage.Signals{MemoryMB: 1536, HasMemMB: true}},
		{"memory", "85%", cloudsage.Signals{MemoryPct: 85, HasMemPct: true}},
		{"mem_pct", "91.5", cloudsage.Signals{MemoryPct: 91.5, HasMemPct: true}},
		{"mem", "512MB/2GB", cloudsage.Signals{MemoryPct: 25, HasMemPct: true, MemoryMB: 512, HasMemMB: true}},
		{"memory", "768/1024MB", cloudsage.Signals{MemoryPct: 75, HasMemPct: true, MemoryMB: 768, HasMemMB: true}},
		{"memory_bytes", "1048576", cloudsage.Signals{MemoryMB: 1, HasMemMB: true}},
		{"cpu", "85%", cloudsage.Signals{CPUPct: 85, HasCPU: true}},
		{"cpu_pct", "12", cloudsage.Signals{CPUPct: 12, HasCPU: true}},
		{"cpu", "0.5", cloudsage.Signals{CPUPct: 50, HasCPU: true}},
		{"load", "2.5", cloudsage.Signals{}},
		{"load", "75%", cloudsage.Signals{CPUPct: 75, HasCPU: true}},
		{"user_id", "123", cloudsage.Signals{}},
	}
	for _, tt := range tests {
		var sig cloudsage.Signals
		var mem memParts
		fieldSignal(&sig, tt.key, tt.val, &mem)
		mem.apply(&sig)
		if d := cmp.Diff(tt.want, sig, cmpopts.EquateApprox(0, 1e-9)); d != "" {
			t.Errorf("fieldSignal(%q, %q) (-want +got):\n%s", tt.key, tt.val, d)
		}
	}
}

func TestMessageSignals(t *testing.T) {
	tests := []struct {
		msg  string
		want cloudsage.Signals
	}{
		{"request done status=500 took=1.2s", cloudsage.Signals{Status: 500, LatencyMS: 1200, HasLatency: true}},
		{"query took 340ms", cloudsage.Signals{LatencyMS: 340, HasLatency: true}},
		{"job finished in 5.5s", cloudsage.Signals{LatencyMS: 5500, HasLatency: true}},
		{"retrying in 5s", cloudsage.Signals{}},
		{"timed out after 30s", cloudsage.Signals{LatencyMS: 30000, HasLatency: true}},
		{`10.0.0.1 "GET /x HTTP/1.1" 502 12`, cloudsage.Signals{Status: 502}},
		{"status: 200 len: 1893 time: 0.25", cloudsage.Signals{Status: 200, LatencyMS: 250, HasLatency: true}},
		{"memory: 512 MB", cloudsage.Signals{MemoryMB: 512, HasMemMB: true}},
		{"mem=900MB/1GB cpu=97%", cloudsage.Signals{MemoryPct: 87.890625, HasMemPct: true, MemoryMB: 900, HasMemMB: true, CPUPct: 97, HasCPU: true}},
		{"heap_used=700MB heap_total=1000MB", cloudsage.Signals{MemoryPct: 70, HasMemPct: true, MemoryMB: 700, HasMemMB: true}},
		{"exit code: 137", cloudsage.Signals{}},
		{"user 42 logged in", cloudsage.Signals{}},
	}
	for _, tt := range tests {
		var sig cloudsage.Signals
		var mem memParts
		messageSignals(&sig, tt.msg, &mem)
		mem.apply(&sig)
		if d := cmp.Diff(tt.want, sig, cmpopts.EquateApprox(0, 1e-9)); d != "" {
			t.Errorf("messageSignals(%q) (-want +got):\n%s", tt.msg, d)
		}
	}
}

func TestOOMSignal(t *testing.T) {
	for msg, want := range map[string]bool{
		"java.lang.OutOfMemoryError: Java heap space":        true,
		"Out of memory: Killed process 1234 (java)":          true,
		"container web was OOMKilled":                        true,
		"Memory cgroup out of memory: oom-kill:constraint=x": true,
		"fork: Cannot allocate memory":                       true,
		"memory usage normal":                                false,
		"zoom meeting started":                               false,
	} {
		var sig cloudsage.Signals
		oomSignal(&sig, msg)
		if sig.OOM != want {
			t.Errorf("oomSignal(%q) = %v, want %v", msg, sig.OOM, want)
		}
	}
}

func TestParseDurationMS(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"340ms", 340, true}, {"5.2s", 5200, true}, {"1m30s", 90000, true}, {"250us", 0.25, true},
		{"100ns", 0.0001, true}, {"2h", 7200000, true}, {"1.5 s", 1500, true}, {"12", 0, false}, {"abc", 0, false}, {"5 apples", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseDurationMS(tt.in)
		if ok != tt.ok || ok && (got-tt.want > 1e-9 || tt.want-got > 1e-9) {
			t.Errorf("parseDurationMS(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
