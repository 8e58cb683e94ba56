package testenv

import (
	"testing"
	"time"
)

// CPUMeter measures the CPU time a benchmark's process uses. On a machine
// shared with other work a benchmark's wall time mostly measures the
// others; CPU time measures the code. Start it after b.ResetTimer.
type CPUMeter struct{ start time.Duration }

// StartCPU starts a CPUMeter.
func StartCPU() CPUMeter { return CPUMeter{cpuTime()} }

// Report adds the metric "<unit>/cpu-s": n units (lines, events) per
// second of the process's CPU time (user + system, every thread: the
// garbage collector's work counts) since the meter started. Where the
// platform gives no CPU time it reports nothing.
func (c CPUMeter) Report(b *testing.B, n int, unit string) {
	if c.start < 0 {
		return
	}
	if d := cpuTime() - c.start; d > 0 {
		b.ReportMetric(float64(n)/d.Seconds(), unit+"/cpu-s")
	}
}
