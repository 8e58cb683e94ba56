package bench

import (
	"context"
	"strings"
	"testing"
)

func TestEngineStage(t *testing.T) {
	c := Generate(3000, 1)
	r, err := engineStage(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Lines != 3000 || r.Seconds <= 0 || r.Patterns == 0 || !strings.Contains(r.Note, "report") {
		t.Errorf("engine stage = %+v, want 3000 lines, a time, patterns and a report note", r)
	}
}
