package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cloudsage/cloudsage/internal/bench"
)

// printCost prints the cost comparison side by side: one column per
// CloudSage store with its ratio to the peer, then the peer's.
func printCost(w io.Writer, rep bench.PeerReport) {
	fmt.Fprintf(w, "\ncost, one run: %d lines in batches of %d, each server its own process; load average %s before, %s after\n",
		rep.Lines, rep.Batch, rep.LoadAverage[0], rep.LoadAverage[len(rep.LoadAverage)-1])
	var peer *bench.PeerSide
	var ours []bench.PeerSide
	for i, s := range rep.Sides {
		if s.Name == "VictoriaLogs" {
			peer = &rep.Sides[i]
			continue
		}
		if s.Note != "" && s.CPU == 0 {
			fmt.Fprintf(w, "%s: %s\n", s.Name, s.Note)
			continue
		}
		ours = append(ours, s)
	}
	if peer == nil {
		fmt.Fprintf(w, "VictoriaLogs: not measured: %s\n", rep.Missing)
	} else if rep.Peer != "" {
		fmt.Fprintf(w, "peer: %s\n", rep.Peer)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	head := []string{""}
	for _, s := range ours {
		head = append(head, s.Name)
		if peer != nil {
			head = append(head, "ratio")
		}
	}
	if peer != nil {
		head = append(head, "VictoriaLogs")
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	row := func(label string, value func(bench.PeerSide) float64, format func(float64) string, ratio func(ours, peer float64) float64) {
		cells := []string{label}
		for _, s := range ours {
			v := value(s)
			cells = append(cells, format(v))
			if peer != nil {
				if p := value(*peer); p > 0 && v > 0 {
					cells = append(cells, fmt.Sprintf("%.2f×", ratio(v, p)))
				} else {
					cells = append(cells, "-")
				}
			}
		}
		if peer != nil {
			cells = append(cells, format(value(*peer)))
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	over := func(a, b float64) float64 { return a / b }
	row("lines per server CPU-second", func(s bench.PeerSide) float64 { return s.LinesPerCPUSec }, func(v float64) string { return fmt.Sprintf("%.0f", v) }, over)
	row("server CPU seconds (ingest until idle)", func(s bench.PeerSide) float64 { return s.CPU }, func(v float64) string { return fmt.Sprintf("%.1f", v) }, over)
	row("bytes on disk (MB)", func(s bench.PeerSide) float64 { return float64(s.DiskBytes) }, func(v float64) string { return fmt.Sprintf("%.1f", v/1e6) }, over)
	for _, k := range bench.SearchKinds {
		row("first 100 hits, "+k+", p50 ms", func(s bench.PeerSide) float64 { return s.SearchP50MS[k] }, func(v float64) string { return fmt.Sprintf("%.1f", v) }, over)
	}
	row("peak server RSS (MB)", func(s bench.PeerSide) float64 { return float64(s.PeakRSSBytes) }, func(v float64) string { return fmt.Sprintf("%.1f", v/1e6) }, over)
	tw.Flush()
	fmt.Fprintln(w, "ratio: CloudSage over VictoriaLogs (above 1: CloudSage ingests more lines per CPU-second, or uses more disk, time or memory)")
	for _, s := range rep.Sides {
		if s.CPU == 0 {
			continue
		}
		fmt.Fprintf(w, "%s: %d events accepted, ingest %.1f s + idle %.1f s later", s.Name, s.Accepted, s.IngestSeconds, s.SettleSeconds)
		if s.DBCPU > 0 {
			fmt.Fprintf(w, ", of the CPU %.1f s in PostgreSQL backends", s.DBCPU)
		}
		fmt.Fprintf(w, "; disk: %s; hits shown", s.DiskNote)
		for _, k := range bench.SearchKinds {
			fmt.Fprintf(w, " %s %d", k, s.Hits[k])
		}
		if s.Note != "" {
			fmt.Fprintf(w, "; %s", s.Note)
		}
		fmt.Fprintln(w)
	}
	for _, k := range bench.SearchKinds {
		fmt.Fprintf(w, "%s: %s\n", k, strings.Join(rep.Queries[k], " | "))
	}
}
