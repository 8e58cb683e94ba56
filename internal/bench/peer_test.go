package bench

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cloudsage/cloudsage"
)

func TestStatusKB(t *testing.T) {
	b := []byte("Name:\tx\nVmPeak:\t  9000 kB\nVmHWM:\t  1234 kB\nVmRSS:\t 1000 kB\n")
	if got := statusKB(b, "VmHWM:"); got != 1234 {
		t.Errorf("VmHWM = %d, want 1234", got)
	}
	if got := statusKB(b, "VmSwap:"); got != 0 {
		t.Errorf("missing key = %d, want 0", got)
	}
	if _, err := os.Stat("/proc/self/status"); err == nil && pidPeakRSS(os.Getpid()) <= 0 {
		t.Error("no peak RSS for this process")
	}
}

func TestPlainWords(t *testing.T) {
	got := plainWords(`ERROR conn_pool: connection refused (retry 3) host=db-01 connection Über timeout timeout`)
	want := []string{"connection", "refused", "retry", "timeout"}
	if !slices.Equal(got, want) {
		t.Errorf("plainWords = %q, want %q", got, want)
	}
}

func TestPickQueries(t *testing.T) {
	lines := []string{
		"2026-01-01 host alpha: connection refused by server",
		"2026-01-01 host alpha: connection reset by server",
		"2026-01-01 host alpha: disk quota exceeded",
		"2026-01-01 host alpha: connection refused again",
	}
	msgs := []string{"connection refused by server", "connection reset by server", "disk quota exceeded", "connection refused again"}
	levels := []cloudsage.Level{cloudsage.LevelError, cloudsage.LevelInfo, cloudsage.LevelError, cloudsage.LevelError}
	var evs []cloudsage.Event
	for i, m := range msgs {
		evs = append(evs, cloudsage.Event{Message: m, Level: levels[i]})
	}
	qs := pickQueries(lines, levels, evs)
	for _, q := range append(qs["one-word"], qs["two-word"]...) {
		for _, w := range q.words {
			if w == "alpha" {
				t.Errorf("%s: a word of the lines' header, not their message", q)
			}
		}
	}
	if len(qs["one-word"]) == 0 || qs["one-word"][0].String() != "connection" {
		t.Errorf("one-word %v, want the most frequent word first", qs["one-word"])
	}
	if len(qs["two-word"]) == 0 || qs["two-word"][0].String() != "connection refused" {
		t.Errorf("two-word %v", qs["two-word"])
	}
	for _, q := range qs["level:error+word"] {
		if q.level != cloudsage.LevelError || !strings.HasPrefix(q.String(), "level:error ") {
			t.Errorf("level query %q", q)
		}
		if q.words[0] == "reset" {
			t.Errorf("%q: a word only in a line at level info", q)
		}
	}
}

func TestFindVictoriaLogs(t *testing.T) {
	dir := t.TempDir()
	if bin, why := FindVictoriaLogs(filepath.Join(dir, "nope")); bin != "" || !strings.Contains(why, "no victoria-logs binary") {
		t.Errorf("missing path: %q, %q", bin, why)
	}
	t.Setenv("PATH", dir)
	t.Setenv("CLOUDSAGE_TOOLS_CACHE", dir)
	if bin, why := FindVictoriaLogs(""); bin != "" || !strings.Contains(why, dir) {
		t.Errorf("empty cache: %q, %q", bin, why)
	}
	for _, v := range []string{"v1.9.0", "v1.52.1", "v1.10.3"} {
		os.MkdirAll(filepath.Join(dir, "victoria-logs-"+v), 0o755)
		os.WriteFile(filepath.Join(dir, "victoria-logs-"+v, "victoria-logs"), []byte("#!/bin/sh\n"), 0o755)
	}
	if bin, _ := FindVictoriaLogs(""); bin != filepath.Join(dir, "victoria-logs-v1.52.1", "victoria-logs") {
		t.Errorf("cache: %q, want the newest version", bin)
	}
}
