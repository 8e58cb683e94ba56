package parse

import (
	"slices"
	"testing"
)

func TestCorpus(t *testing.T) {
	a, b := Corpus(3000, 42), Corpus(3000, 42)
	if len(a) != 3000 || !slices.Equal(a, b) {
		t.Fatalf("Corpus is not deterministic or has the wrong length (%d)", len(a))
	}
	if slices.Equal(a, Corpus(3000, 43)) {
		t.Errorf("different seeds gave the same corpus")
	}
	formats := map[string]int{}
	multi, guessed := 0, 0
	evs := Text(joinLines(a))
	for _, ev := range evs {
		formats[ev.Format]++
		if ev.TimeGuessed {
			guessed++ // plain lines and Go panics carry no time
		}
		if len(ev.Raw) > len(ev.Message) && containsNewline(ev.Raw) {
			multi++
		}
	}
	for _, f := range []string{FormatJSON, FormatLogfmt, FormatAccess, FormatApp, FormatSyslog5424, FormatSyslog3164} {
		if formats[f] == 0 {
			t.Errorf("no %s lines in the corpus: %v", f, formats)
		}
	}
	if guessed > len(evs)/10 {
		t.Errorf("%d of %d corpus events have no time of their own, want at most 10%%", guessed, len(evs))
	}
	if multi == 0 {
		t.Errorf("no multi-line events in the corpus")
	}
}

func joinLines(ls []string) string {
	n := 0
	for _, l := range ls {
		n += len(l) + 1
	}
	b := make([]byte, 0, n)
	for _, l := range ls {
		b = append(b, l...)
		b = append(b, '\n')
	}
	return string(b)
}

func containsNewline(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return true
		}
	}
	return false
}
