package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/cloudsage/cloudsage/internal/bench"
)

const benchUsage = `[--json] [--lines N] [--data DIR] [--stages a,b] [--rounds N] [--budget] [--peer victoria-logs[=PATH]]   (or: bench soak --help, bench load --help)

Measures lines/s and memory of the engine's stages on one corpus: the
Loghub-2k lines of DIR (when present) mixed with generated mixed-format
lines, cycled to N lines. Each stage runs on one goroutine; --procs sets
GOMAXPROCS (default 1: one core, garbage collection included). Mining is
compared in the same run with github.com/faceair/drain on the same
header-stripped lines and on whole raw lines.

--peer victoria-logs compares the cost of CloudSage with VictoriaLogs in
the same run: each runs as its own server process (this binary's serve on
SQLite and on PostgreSQL, see --stores; victoria-logs from PATH, from
--peer victoria-logs=PATH or from the tools cache, never downloaded), gets
the same lines in the same batches, and the table shows lines per server
CPU-second, bytes on disk, first-100-hits search latency and peak memory
side by side with ratios. Without a peer binary it says the peer was not
measured. --stages runs stages as well; without it only the comparison.

--rounds N runs the stages N times in turn (a loaded machine varies from
minute to minute): the table shows each stage's median round, and each
shipper stage is compared with http-sqlite of the same round on server
lines per CPU-second, the median of the rounds' ratios printed with all
of them.

stages:
%s
flags:`

type benchReport struct {
	Corpus      string               `json:"corpus"`
	Lines       int                  `json:"lines"`
	GOMAXPROCS  int                  `json:"gomaxprocs"`
	Stages      []bench.Result       `json:"stages"`
	Ratios      map[string]float64   `json:"ratios,omitempty"` // the median of the rounds'
	Rounds      int                  `json:"rounds"`
	RoundRatios map[string][]float64 `json:"round_ratios,omitempty"` // each round's, sorted
	MaxRSSBytes uint64               `json:"max_rss_bytes"`
	Cost        *bench.PeerReport    `json:"cost,omitempty"`
}

// runBench implements "cloudsage bench" (and "cloudsage bench soak", "cloudsage bench load").
func runBench(ctx context.Context, args []string, stdio Stdio) error {
	if len(args) > 0 && args[0] == "soak" {
		return runSoak(ctx, args[1:], stdio)
	}
	if len(args) > 0 && args[0] == "load" {
		return runLoad(ctx, args[1:], stdio)
	}
	var about strings.Builder
	for _, s := range bench.Stages() {
		fmt.Fprintf(&about, "  %-12s %s\n", s.Name, s.About)
	}
	fs := newFlagSet("bench", fmt.Sprintf(benchUsage, about.String()), stdio)
	asJSON := fs.Bool("json", false, "print JSON")
	lines := fs.Int("lines", 1_000_000, "corpus size in `lines`")
	data := fs.String("data", filepath.Join("..", "shared", "datasets", "loghub"), "Loghub-2k `folder` to take real lines from (skipped when absent)")
	only := fs.String("stages", "", "comma-separated `stages` to run (default all)")
	procs := fs.Int("procs", 1, "GOMAXPROCS while measuring")
	rounds := fs.Int("rounds", 1, "run the stages `N` times in turn; report each stage's median round and the median ratios")
	seed := fs.Uint64("seed", 1, "seed of the generated lines")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the stages (not the corpus set-up) to `file`, for go tool pprof")
	budget := fs.Bool("budget", false, "exit non-zero when a stage misses its budget (the search stages: p99 < 100 ms a page)")
	peer := fs.String("peer", "", "compare cost with a peer log store in the same run: `victoria-logs[=PATH]`")
	stores := fs.String("stores", "sqlite,postgres", "CloudSage `stores` the --peer comparison measures")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *lines <= 0 {
		return usageError{"--lines must be positive"}
	}
	if *rounds <= 0 {
		return usageError{"--rounds must be positive"}
	}
	var names []string
	if *only != "" {
		names = strings.Split(*only, ",")
	}
	var peerOpts *bench.PeerOptions
	if *peer != "" {
		name, path, _ := strings.Cut(*peer, "=")
		if name != "victoria-logs" {
			return usageError{fmt.Sprintf("--peer %s: the peer this bench knows is victoria-logs", name)}
		}
		peerOpts = &bench.PeerOptions{Stores: strings.Split(*stores, ","), PostgresURL: bench.PostgresURL(), Progress: stdio.Err}
		peerOpts.VictoriaLogs, peerOpts.Missing = bench.FindVictoriaLogs(path)
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		peerOpts.Serve = func() *exec.Cmd { return exec.Command(exe, "serve") }
		if soakCommand != nil {
			peerOpts.Serve = soakCommand
		}
	}

	var parts []*bench.Corpus
	if st, err := os.Stat(*data); err == nil && st.IsDir() {
		lh, err := bench.LoadLoghub(*data)
		if err != nil {
			return err
		}
		parts = append(parts, lh)
	} else if fs.Lookup("data").Value.String() != fs.Lookup("data").DefValue {
		return fmt.Errorf("no Loghub folder at %s", *data)
	}
	gen := *lines
	if len(parts) > 0 {
		gen = *lines / 2
	}
	parts = append(parts, bench.Generate(gen, *seed))
	corpus := bench.Mix(*lines, parts...)

	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	var byRound [][]bench.Result
	if peerOpts == nil || len(names) > 0 {
		prev := runtime.GOMAXPROCS(*procs)
		for r := range *rounds {
			if *rounds > 1 {
				fmt.Fprintf(stdio.Err, "round %d of %d\n", r+1, *rounds)
			}
			res, err := bench.Run(ctx, corpus, names)
			if err != nil {
				runtime.GOMAXPROCS(prev)
				return err
			}
			byRound = append(byRound, res)
		}
		runtime.GOMAXPROCS(prev)
	}
	results := medianRounds(byRound)
	med, each := roundRatios(byRound)
	rep := benchReport{
		Corpus: corpus.Sources, Lines: corpus.Len(), GOMAXPROCS: *procs,
		Stages: results, Ratios: med, Rounds: len(byRound), MaxRSSBytes: bench.MaxRSSBytes(),
	}
	if len(byRound) > 1 {
		rep.RoundRatios = each
	}
	if peerOpts != nil {
		cost, err := bench.ComparePeer(ctx, corpus, *peerOpts)
		if err != nil {
			return fmt.Errorf("cost comparison: %w", err)
		}
		rep.Cost = &cost
	}
	if *asJSON {
		enc := json.NewEncoder(stdio.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
		return budgetError(*budget, results)
	}
	fmt.Fprintf(stdio.Out, "corpus: %s\n", rep.Corpus)
	if len(results) > 0 {
		fmt.Fprintf(stdio.Out, "GOMAXPROCS=%d, one goroutine per stage\n\n", rep.GOMAXPROCS)
	}
	tw := tabwriter.NewWriter(stdio.Out, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tlines\tseconds\tlines/s\tlines/cpu-s\tpatterns\tpeak heap MiB\tB/line\tallocs/line\t")
	for _, r := range results {
		pat := "-"
		if r.Patterns > 0 {
			pat = fmt.Sprint(r.Patterns)
		}
		cpu := "-"
		if r.LinesPerCPUSec > 0 {
			cpu = fmt.Sprintf("%.0f", r.LinesPerCPUSec)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%s\t%s\t%.1f\t%.0f\t%.2f\t %s\n", r.Stage, r.Lines, r.Seconds, r.LinesPerSec, cpu, pat,
			float64(r.PeakHeapBytes)/(1<<20), r.AllocBytesPerLine, r.AllocsPerLine, r.Note)
	}
	if len(results) > 0 {
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	by := make(map[string]bench.Result)
	for _, r := range results {
		by[r.Stage] = r
	}
	for _, k := range [][2]string{{"mine", "drain"}, {"mine-raw", "drain-raw"}} {
		if v, ok := rep.Ratios[k[0]+"/"+k[1]]; ok {
			a, b := by[k[0]], by[k[1]]
			fmt.Fprintf(stdio.Out, "%s vs %s: %.2fx the lines/s; %d vs %d patterns (after %d and %d lines)\n",
				k[0], k[1], v, a.Patterns, b.Patterns, a.Lines, b.Lines)
		}
	}
	for _, k := range shipPairs {
		key := k[0] + "/" + k[1]
		if v, ok := rep.Ratios[key]; ok {
			fmt.Fprintf(stdio.Out, "%s vs %s: %.2fx the server lines per CPU-second", k[0], k[1], v)
			if rs := each[key]; len(rs) > 1 {
				fmt.Fprintf(stdio.Out, " (median of %d rounds:", len(rs))
				for _, r := range rs {
					fmt.Fprintf(stdio.Out, " %.2f", r)
				}
				fmt.Fprint(stdio.Out, ")")
			}
			fmt.Fprintln(stdio.Out)
		}
	}
	if len(results) > 0 {
		fmt.Fprintf(stdio.Out, "max RSS %.1f MiB\n", float64(rep.MaxRSSBytes)/(1<<20))
	}
	if rep.Cost != nil {
		printCost(stdio.Out, *rep.Cost)
	} else if slices.ContainsFunc(results, func(r bench.Result) bool { return strings.HasPrefix(r.Stage, "http-") }) {
		fmt.Fprintln(stdio.Out, "VictoriaLogs: not measured (--peer victoria-logs compares it in the same run)")
	}
	return budgetError(*budget, results)
}

// budgetError is the error of a --budget run in which stages missed their
// budget (nil without --budget).
func budgetError(enforce bool, rs []bench.Result) error {
	if !enforce {
		return nil
	}
	var missed []string
	for _, r := range rs {
		if r.OverBudget != "" {
			missed = append(missed, r.Stage+" ("+r.OverBudget+")")
		}
	}
	if len(missed) > 0 {
		return fmt.Errorf("budget missed: %s", strings.Join(missed, "; "))
	}
	return nil
}

// startCPUProfile starts writing a CPU profile to path; the returned
// function stops it and closes the file.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// shipPairs are the shipper stages and what they compare with: server
// lines per CPU-second, the same round.
var shipPairs = [][2]string{{"ship-otlp", "http-sqlite"}, {"ship-loki", "http-sqlite"}, {"ship-esbulk", "http-sqlite"}, {"ship-syslog", "http-sqlite"}}

// ratios compares stages measured in the same round: mining on lines/s,
// the shipper stages on server lines per CPU-second (lines/s where a stage
// has no CPU figure).
func ratios(rs []bench.Result) map[string]float64 {
	by := make(map[string]bench.Result)
	for _, r := range rs {
		by[r.Stage] = r
	}
	out := make(map[string]float64)
	for _, p := range append([][2]string{{"mine", "drain"}, {"mine-raw", "drain-raw"}}, shipPairs...) {
		a, okA := by[p[0]]
		b, okB := by[p[1]]
		switch {
		case !okA || !okB:
		case a.LinesPerServerCPUSec > 0 && b.LinesPerServerCPUSec > 0:
			out[p[0]+"/"+p[1]] = a.LinesPerServerCPUSec / b.LinesPerServerCPUSec
		case b.LinesPerSec > 0:
			out[p[0]+"/"+p[1]] = a.LinesPerSec / b.LinesPerSec
		}
	}
	return out
}

// roundRatios is the median over rounds of each ratio, and each round's
// ratios sorted.
func roundRatios(rounds [][]bench.Result) (map[string]float64, map[string][]float64) {
	each := map[string][]float64{}
	for _, rs := range rounds {
		for k, v := range ratios(rs) {
			each[k] = append(each[k], v)
		}
	}
	med := map[string]float64{}
	for k, vs := range each {
		slices.Sort(vs)
		med[k] = median(vs)
	}
	return med, each
}

// median of sorted vs: the mean of the middle two for an even count.
func median(vs []float64) float64 {
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2]
	}
	return (vs[n/2-1] + vs[n/2]) / 2
}

// medianRounds picks, for each stage, its median round by server lines per
// CPU-second (else lines per CPU-second, else lines/s), in stage order.
func medianRounds(rounds [][]bench.Result) []bench.Result {
	if len(rounds) == 0 {
		return nil
	}
	out := make([]bench.Result, len(rounds[0]))
	for i := range out {
		var rs []bench.Result
		for _, round := range rounds {
			if i < len(round) {
				rs = append(rs, round[i])
			}
		}
		speed := func(r bench.Result) float64 {
			switch {
			case r.LinesPerServerCPUSec > 0:
				return r.LinesPerServerCPUSec
			case r.LinesPerCPUSec > 0:
				return r.LinesPerCPUSec
			}
			return r.LinesPerSec
		}
		slices.SortFunc(rs, func(a, b bench.Result) int { return cmp.Compare(speed(a), speed(b)) })
		out[i] = rs[len(rs)/2]
	}
	return out
}
