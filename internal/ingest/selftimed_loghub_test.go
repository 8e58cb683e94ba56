package ingest

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
)

// Logs the rule was not written against: every Loghub system's lines carry
// their own times, so a retried body of them is recognised by its content.
// Skips without ../shared/datasets/loghub.
func TestSelfTimedLoghub(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/datasets/loghub/*/*_2k.log")
	if len(files) == 0 {
		t.Skip("../shared/datasets/loghub is absent")
	}
	untimed := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		fh.Close()
		if !selfTimed(lines) {
			untimed++
			t.Errorf("%s reads as untimed: a retried body of it would be stored twice", filepath.Base(f))
		}
	}
	t.Logf("%d of %d systems read as self-timed", len(files)-untimed, len(files))
}
