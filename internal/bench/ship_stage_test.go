package bench

import (
	"context"
	"strings"
	"testing"
)

// Each shipper stage stores every line it sends (the stage itself checks
// the stored count against the lines sent) while reading the forecast.
func TestShipStages(t *testing.T) {
	prev := HTTPBatch
	HTTPBatch = 700
	defer func() { HTTPBatch = prev }()
	c := Generate(1500, 1)
	for _, name := range []string{"ship-otlp", "ship-loki", "ship-esbulk", "ship-syslog"} {
		r, err := shipStage(name)(context.Background(), c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Lines != 1500 || r.Seconds <= 0 {
			t.Errorf("%s = %+v, want 1500 lines and a time", name, r)
		}
		// The same forecast reads as http-sqlite's run beside the shipping.
		if !strings.Contains(r.Note, "GET /api/forecast") {
			t.Errorf("%s note %q: no forecast reads", name, r.Note)
		}
	}
}
