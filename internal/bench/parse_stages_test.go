package bench

import (
	"context"
	"testing"
)

func TestParseStages(t *testing.T) {
	c := &Corpus{Raw: []string{
		`{"level":"error","msg":"db timeout after 30s"}`,
		"2025-01-02 10:00:00 ERROR boom",
		"java.lang.IllegalStateException: x",
		"\tat com.example.Main.run(Main.java:10)",
		"2025-01-02 10:00:01 INFO ok",
	}}
	c.Content = c.Raw
	r, err := parseStage(true)(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Lines != len(c.Raw) || r.Patterns == 0 {
		t.Errorf("parse+mine = %+v, want %d lines and some patterns", r, len(c.Raw))
	}
	p, _ := parseStage(false)(context.Background(), c)
	if p.Patterns != 0 {
		t.Errorf("parse reports %d patterns, want none", p.Patterns)
	}
}
