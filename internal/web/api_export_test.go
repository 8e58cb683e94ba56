package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/pdfreport/pdftest"
	"github.com/cloudsage/cloudsage/internal/store"
)

// TestExport: every table in both formats, the filters, and bad input.
func TestExport(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	ann := e.user("ann")
	p := ann.project("shop")
	base := "/api/projects/" + p + "/export"
	want(t, "ingest", ann.text("/api/ingest/"+p, sampleLogs(2000, "exportmarker")), 200)

	r := ann.get(base + "?format=csv&what=events")
	want(t, "csv events", r, 200)
	if ct := r.hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("csv Content-Type = %q", ct)
	}
	if cd := r.hdr.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, ".csv") {
		t.Errorf("csv Content-Disposition = %q", cd)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatalf("csv export does not parse: %v", err)
	}
	if len(rows) != 2001 || rows[0][0] != "id" || rows[0][8] != "message" {
		t.Fatalf("csv export: %d rows, header %v; want a header and 2000 events", len(rows), rows[0])
	}
	ids := map[string]bool{}
	for _, row := range rows[1:] {
		ids[row[0]] = true
		if _, err := time.Parse(time.RFC3339Nano, row[2]); err != nil {
			t.Fatalf("csv time %q: %v", row[2], err)
		}
	}
	if len(ids) != 2000 {
		t.Errorf("csv export has %d distinct ids, want 2000", len(ids))
	}

	r = ann.get(base + "?format=json&what=events&q=exportmarker")
	want(t, "ndjson events", r, 200)
	if ct := r.hdr.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("ndjson Content-Type = %q", ct)
	}
	lines := strings.Split(strings.TrimSuffix(string(r.body), "\n"), "\n")
	if len(lines) != 500 {
		t.Fatalf("ndjson export with q=exportmarker: %d lines, want 500", len(lines))
	}
	for _, l := range lines {
		var ev store.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil || !strings.Contains(ev.Message, "exportmarker") || ev.ID == 0 {
			t.Fatalf("ndjson line %q: %v", l, err)
		}
	}

	// from/to bound the events: none in the future, all in the last two hours.
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	r = ann.get(base + "?format=csv&what=events&from=" + future)
	want(t, "csv from the future", r, 200)
	if string(r.body) != strings.Join(rowsHeader(), ",")+"\n" {
		t.Errorf("export from the future = %q, want the header alone", r.body)
	}
	r = ann.get(base + "?format=json&from=" + strconv.FormatInt(time.Now().Add(-2*time.Hour).Unix(), 10))
	want(t, "ndjson from unix seconds", r, 200)
	if n := bytes.Count(r.body, []byte("\n")); n != 2000 {
		t.Errorf("export from 2 h ago = %d lines, want 2000", n)
	}

	for _, what := range []string{"patterns", "risk", "actions"} {
		r = ann.get(base + "?format=csv&what=" + what)
		want(t, "csv "+what, r, 200)
		rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil || len(rows) < 2 {
			t.Fatalf("csv %s: %d rows, %v: %.300s", what, len(rows), err, r.body)
		}
		r = ann.get(base + "?format=json&what=" + what)
		want(t, "ndjson "+what, r, 200)
		if n := bytes.Count(r.body, []byte("\n")); n != len(rows)-1 {
			t.Errorf("%s: %d NDJSON lines, %d CSV rows", what, n, len(rows)-1)
		}
	}

	for _, bad := range []string{"?format=xml", "?what=users", "?from=yesterday", "?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "?level=loud"} {
		want(t, "export "+bad, ann.get(base+bad), 400)
	}
	// A viewer may export; a stranger gets 404 (see testIsolation too).
	want(t, "anonymous export", e.client().get(base), 401)
}

func rowsHeader() []string {
	return []string{"id", "batch_id", "time", "level", "service", "host", "format", "pattern", "message",
		"raw", "fields", "status", "latency_ms", "memory_pct", "memory_mb", "cpu_pct", "oom", "time_guessed"}
}

// TestExportBoundedMemory exports a 200,000-event project and measures the
// heap while the response is read: it must stay far below the size of the
// data, since events are written chunk by chunk as they are read.
func TestExportBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 200,000 events")
	}
	e := start(t, openSQLite(t), nil)
	ann := e.user("ann")
	p := ann.project("big")
	id, _ := strconv.ParseInt(p, 10, 64)
	const total, batch = 200_000, 20_000
	t0 := time.Now().Add(-48 * time.Hour).UTC()
	for b := 0; b < total/batch; b++ {
		evs := make([]cloudsage.Event, batch)
		for i := range evs {
			n := b*batch + i
			msg := fmt.Sprintf("request %d served for user-%d in %d ms from a fairly ordinary log line", n, n%977, n%500)
			evs[i] = cloudsage.Event{Time: t0.Add(time.Duration(n) * 500 * time.Millisecond), Level: cloudsage.LevelInfo,
				Service: "api", Host: fmt.Sprint("h", n%7), Message: msg, Raw: msg, Format: "plain"}
		}
		_, err := e.store.Ingest(context.Background(), cloudsage.ProjectID(id), 0, func(store.State) (store.Write, error) {
			return store.Write{Batch: store.Batch{Source: "test", Received: batch, Accepted: batch}, Events: evs}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The background compactor merges the ten batches' runs; its steps
	// (about 30 k events each) would count as the export's heap.
	if c, ok := e.store.(interface {
		CompactEvents(context.Context, cloudsage.ProjectID) error
	}); ok {
		if err := c.CompactEvents(context.Background(), cloudsage.ProjectID(id)); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseHeap := ms.HeapAlloc

	req, _ := http.NewRequest("GET", e.url+"/api/projects/"+p+"/export?format=json&what=events", nil)
	res, err := ann.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("export: status %d", res.StatusCode)
	}
	var bytesRead, lines int64
	var peak uint64
	br := bufio.NewReaderSize(res.Body, 64<<10)
	next := int64(0)
	for {
		line, err := br.ReadSlice('\n')
		bytesRead += int64(len(line))
		if len(line) > 0 {
			lines++
		}
		if bytesRead >= next { // sample the heap every 2 MB of the response
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			next += 2 << 20
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if lines != total {
		t.Fatalf("export streamed %d lines, want %d", lines, total)
	}
	growth := int64(peak) - int64(baseHeap)
	t.Logf("exported %d events, %.1f MB; heap growth at most %.1f MB while streaming", lines, float64(bytesRead)/(1<<20), float64(growth)/(1<<20))
	// A buffered export holds at least the whole response (59.5 MB here)
	// in the heap; a streamed one about 10 MB. The heap is the process's,
	// so in a whole-package run other tests' leftover goroutines add to it
	// (16-23 MB seen): half the response still tells the two apart.
	if growth > bytesRead/2 {
		t.Errorf("heap grew by %d bytes while exporting %d bytes: the export is buffered, not streamed", growth, bytesRead)
	}
}

// TestReportPDF: the report is a valid PDF with the project's name, score
// and sections, before and after logs.
func TestReportPDF(t *testing.T) {
	e := start(t, openSQLite(t), nil)
	ann := e.user("ann")
	p := ann.project("checkout service")
	r := ann.get("/api/projects/" + p + "/report.pdf")
	want(t, "report before logs", r, 200)
	text, err := pdftest.Text(r.body)
	if err != nil {
		t.Fatalf("report before logs is not a valid PDF: %v", err)
	}
	if !strings.Contains(text, "checkout service") || !strings.Contains(text, "No action recommended.") {
		t.Errorf("report before logs:\n%s", text)
	}
	want(t, "ingest", ann.text("/api/ingest/"+p, sampleLogs(2000, "pdfmarker")), 200)
	fc := ann.get("/api/forecast/" + p + "?horizon=48h")
	want(t, "forecast", fc, 200)
	r = ann.get("/api/projects/" + p + "/report.pdf?horizon=48h")
	want(t, "report", r, 200)
	if ct := r.hdr.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("report Content-Type = %q", ct)
	}
	if text, err = pdftest.Text(r.body); err != nil {
		t.Fatalf("report is not a valid PDF: %v", err)
	}
	score := fmt.Sprintf("%.0f", fc.json(t)["risk"].(map[string]any)["score"].(float64))
	for _, w := range []string{"checkout service", "Risk factors", "Forecast: next 48 hours", "Recommended actions", "Top patterns", score} {
		if !strings.Contains(text, w) {
			t.Errorf("report lacks %q:\n%s", w, text)
		}
	}
	want(t, "bad horizon", ann.get("/api/projects/"+p+"/report.pdf?horizon=5h"), 400)
}
