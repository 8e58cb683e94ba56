package parse

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

var updateDigests = flag.Bool("update-digests", false, "rewrite testdata/digests.json from the parser as it is")

// digestEvents hashes every event of lines parsed by one Parser, as JSON
// with every field (Raw, Fields and the Has* flags included), so that any
// change in what the parser produces changes the digest. With reuse, each
// event's Fields map is handed back to the parser once hashed, as the
// engine does.
func digestEvents(t testing.TB, lines []string, reuse bool) (string, int) {
	t.Helper()
	p := New()
	p.SetDefaultTime(time.Date(2024, 3, 11, 8, 0, 0, 0, time.UTC))
	h := sha256.New()
	n := 0
	write := func(evs []cloudsage.Event) {
		for i := range evs {
			ev := evs[i]
			b, err := json.Marshal(struct {
				cloudsage.Event
				Has [4]bool
			}{ev, [4]bool{ev.Signals.HasLatency, ev.Signals.HasMemPct, ev.Signals.HasMemMB, ev.Signals.HasCPU}})
			if err != nil {
				t.Fatal(err)
			}
			h.Write(b)
			h.Write([]byte{'\n'})
			n++
			if reuse {
				p.Reuse(evs[i].Fields)
			}
		}
	}
	var evs []cloudsage.Event
	for _, l := range lines {
		evs = p.Push(evs[:0], l)
		write(evs)
	}
	write(p.Flush(evs[:0]))
	return hex.EncodeToString(h.Sum(nil)), n
}

// TestDigests pins the parser's output on the generated corpus, the
// testdata samples and (when present) the Loghub samples: speed work on the
// parser must not change a single event. A deliberate change of output
// rewrites the digests with -update-digests (and says why in its commit).
func TestDigests(t *testing.T) {
	sets := map[string][]string{"corpus": Corpus(30000, 7)}
	files, _ := filepath.Glob("testdata/*.log")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sets["testdata"] = append(sets["testdata"], strings.Split(string(b), "\n")...)
	}
	logs, _ := filepath.Glob(filepath.Join(testenv.ModuleRoot(t), "..", "shared", "datasets", "loghub", "*", "*_2k.log"))
	for _, p := range logs {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sets["loghub"] = append(sets["loghub"], strings.Split(string(b), "\n")...)
	}
	got := map[string]string{}
	for name, lines := range sets {
		d, n := digestEvents(t, lines, false)
		got[name] = d
		t.Logf("%s: %d lines, %d events, %s", name, len(lines), n, d)
		if r, _ := digestEvents(t, lines, true); r != d {
			t.Errorf("%s: events differ when Fields maps are reused (digest %s, without reuse %s)", name, r, d)
		}
	}
	path := filepath.Join("testdata", "digests.json")
	if *updateDigests {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read digests (run with -update-digests to create them): %v", err)
	}
	var want map[string]string
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for name, d := range got {
		if want[name] == "" {
			t.Errorf("no digest for %s in %s", name, path)
		} else if d != want[name] {
			t.Errorf("parser output on %s changed: digest %s, want %s (run with -update-digests if the change is intended)", name, d, want[name])
		}
	}
	if _, ok := got["loghub"]; !ok {
		t.Log("../shared/datasets/loghub absent: Loghub digest not checked")
	}
}
