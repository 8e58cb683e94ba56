package parse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

// benchCorpus is the mixed corpus of the issue: generated lines of every
// format plus, when the shared datasets are present, the Loghub samples,
// interleaved.
func benchCorpus(b *testing.B) []string {
	b.Helper()
	gen := Corpus(50000, 1)
	dir := os.Getenv("CLOUDSAGE_DATASETS")
	if dir == "" {
		dir = filepath.Join(testenv.ModuleRoot(b), "..", "shared", "datasets")
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "loghub", "*", "*_2k.log"))
	var hub []string
	for _, p := range logs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		hub = append(hub, strings.Split(strings.TrimRight(string(data), "\n"), "\n")...)
	}
	if len(hub) == 0 {
		return gen
	}
	out := make([]string, 0, len(gen)+len(hub))
	// interleave in blocks, as lines from several services arrive together
	for i, j := 0, 0; i < len(gen) || j < len(hub); i, j = i+200, j+100 {
		out = append(out, gen[min(i, len(gen)):min(i+200, len(gen))]...)
		out = append(out, hub[min(j, len(hub)):min(j+100, len(hub))]...)
	}
	return out
}

// BenchmarkParse parses the mixed corpus with one Parser and reports lines/s.
func BenchmarkParse(b *testing.B) {
	lines := benchCorpus(b)
	size := 0
	for _, l := range lines {
		size += len(l) + 1
	}
	p := New()
	evs := make([]cloudsage.Event, 0, 16)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	cpu := testenv.StartCPU()
	for i := 0; i < b.N; i++ {
		for _, l := range lines {
			evs = p.Push(evs[:0], l)
		}
		evs = p.Flush(evs[:0])
	}
	b.ReportMetric(float64(len(lines))*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	cpu.Report(b, len(lines)*b.N, "lines")
}

// BenchmarkParseFormat measures each format on its own.
func BenchmarkParseFormat(b *testing.B) {
	byFormat := map[string][]string{}
	for _, l := range Corpus(20000, 2) {
		evs := Text(l)
		if len(evs) == 1 {
			byFormat[evs[0].Format] = append(byFormat[evs[0].Format], l)
		}
	}
	for _, f := range []string{FormatJSON, FormatLogfmt, FormatAccess, FormatApp, FormatSyslog5424, FormatSyslog3164, FormatPlain} {
		lines := byFormat[f]
		if len(lines) == 0 {
			continue
		}
		b.Run(f, func(b *testing.B) {
			p := New()
			evs := make([]cloudsage.Event, 0, 4)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				evs = p.Push(evs[:0], lines[i%len(lines)])
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
