// Package bench is the speed and memory harness behind "cloudsage bench".
// A benchmark is a list of named stages; each runs over the same corpus
// on one goroutine and reports the lines it handled and the time it took.
// The harness adds lines/s, peak heap and allocation per line.
//
// Stages register themselves from their own files (Register), so the
// engine can add an "engine" stage and the server an "http" stage without
// touching this file.
package bench

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"time"
)

// Result is what one stage measured.
type Result struct {
	Stage       string  `json:"stage"`
	Lines       int     `json:"lines"`
	Seconds     float64 `json:"seconds"`
	LinesPerSec float64 `json:"lines_per_sec"`
	// Patterns is the number of templates a mining stage ended with.
	Patterns int `json:"patterns,omitempty"`
	// PeakHeapBytes is the highest live heap seen while the stage ran
	// (sampled), including the corpus.
	PeakHeapBytes uint64 `json:"peak_heap_bytes"`
	// AllocBytesPerLine is the bytes allocated per line by the stage.
	AllocBytesPerLine float64 `json:"alloc_bytes_per_line"`
	// AllocsPerLine is the heap allocations per line by the stage.
	AllocsPerLine float64 `json:"allocs_per_line"`
	// CPUSeconds is the CPU time the process used while the stage ran
	// (set-up included; 0 where unknown). On a shared machine lines per
	// CPU second varies less than lines per second.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	// LinesPerCPUSec is Lines / CPUSeconds (0 when CPUSeconds is).
	LinesPerCPUSec float64 `json:"lines_per_cpu_sec,omitempty"`
	// ServerCPUSeconds is, for the HTTP and shipper stages, the CPU of the
	// timed part alone: this process (server and light client) and the
	// database's backends. Their lines per CPU-second compare on it.
	ServerCPUSeconds float64 `json:"server_cpu_seconds,omitempty"`
	// LinesPerServerCPUSec is Lines / ServerCPUSeconds (0 when that is).
	LinesPerServerCPUSec float64 `json:"lines_per_server_cpu_sec,omitempty"`
	Note                 string  `json:"note,omitempty"`
	// OverBudget says which budget the stage missed (empty: none or no
	// budget); "cloudsage bench --budget" fails when a stage has one.
	OverBudget string `json:"over_budget,omitempty"`
}

// Stage is one named measurement. Run handles corpus lines on the calling
// goroutine and returns at least Lines and Seconds (timing only the work
// itself, not its set-up); it should stop early when ctx is done.
type Stage struct {
	Name  string
	About string
	Run   func(ctx context.Context, c *Corpus) (Result, error)
}

var (
	mu     sync.Mutex
	stages []Stage
)

// Register adds a stage; it panics on a duplicate name (a programming
// error caught at start-up).
func Register(s Stage) {
	mu.Lock()
	defer mu.Unlock()
	for _, o := range stages {
		if o.Name == s.Name {
			panic("bench: stage " + s.Name + " registered twice")
		}
	}
	stages = append(stages, s)
}

// Stages returns the registered stages in registration order.
func Stages() []Stage {
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(stages)
}

// Run runs the named stages (all when names is empty) over c, in order,
// with a garbage collection between stages.
func Run(ctx context.Context, c *Corpus, names []string) ([]Result, error) {
	var todo []Stage
	all := Stages()
	if len(names) == 0 {
		todo = all
	}
	for _, n := range names {
		i := slices.IndexFunc(all, func(s Stage) bool { return s.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown stage %q", n)
		}
		todo = append(todo, all[i])
	}
	var out []Result
	for _, s := range todo {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r, err := measure(ctx, s, c)
		if err != nil {
			return out, fmt.Errorf("stage %s: %w", s.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func measure(ctx context.Context, s Stage, c *Corpus) (Result, error) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := make(chan struct{})
	peak := make(chan uint64)
	go samplePeak(stop, peak)
	cpu0 := processCPU()
	r, err := s.Run(ctx, c)
	cpu := processCPU() - cpu0
	close(stop)
	p := <-peak
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if err != nil {
		return r, err
	}
	r.Stage = s.Name
	if r.Seconds > 0 {
		r.LinesPerSec = float64(r.Lines) / r.Seconds
	}
	r.PeakHeapBytes = max(p, after.HeapAlloc)
	if r.Lines > 0 {
		r.AllocBytesPerLine = float64(after.TotalAlloc-before.TotalAlloc) / float64(r.Lines)
		r.AllocsPerLine = float64(after.Mallocs-before.Mallocs) / float64(r.Lines)
	}
	if cpu > 0 {
		r.CPUSeconds = cpu.Seconds()
		r.LinesPerCPUSec = float64(r.Lines) / r.CPUSeconds
	}
	return r, nil
}

// samplePeak samples the live heap every few milliseconds until stop is
// closed, then sends the highest value seen.
func samplePeak(stop <-chan struct{}, out chan<- uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var hi uint64
	read := func() {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			hi = max(hi, sample[0].Value.Uint64())
		}
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		read()
		select {
		case <-stop:
			read()
			out <- hi
			return
		case <-t.C:
		}
	}
}

// Timed runs f over lines (or until ctx is done or the budget is spent,
// when budget > 0) and returns the lines handled and the seconds taken.
// Stages use it so that every stage is timed the same way.
func Timed(ctx context.Context, lines []string, budget time.Duration, f func(string)) (int, float64) {
	start := time.Now()
	var deadline time.Time
	if budget > 0 {
		deadline = start.Add(budget)
	}
	n := 0
	for i, l := range lines {
		if i&1023 == 0 && i > 0 {
			if ctx.Err() != nil || (!deadline.IsZero() && time.Now().After(deadline)) {
				break
			}
		}
		f(l)
		n++
	}
	return n, time.Since(start).Seconds()
}
