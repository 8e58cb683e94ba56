package archive_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/archive"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/testenv"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func sampleRecords() []store.Record {
	return []store.Record{
		{State: &store.ProjectState{Snapshot: []byte{0, 1, 2, 255}, Report: []byte(`{"risk":{"score":42}}`), Score: 42, Label: "medium"}},
		{Batch: &store.Batch{ID: 7, Status: "committed", Source: "text", Accepted: 2, Formats: map[string]int{"plain": 2}, Reasons: []string{}}},
		{Pattern: &store.Pattern{ID: "p1", Template: "db timeout <*>", Count: 2, FirstSeen: t0, LastSeen: t0}},
		{Risk: &store.RiskRow{RiskPoint: store.RiskPoint{At: t0, Score: 42, Label: "medium"}, Batch: 7}},
		{Events: []store.Event{{ID: 1, BatchID: 7, Event: cloudsage.Event{Time: t0, Level: cloudsage.LevelError, Message: "db timeout 1 \"quoted\" é"}},
			{ID: 2, BatchID: 7, Event: cloudsage.Event{Time: t0.Add(time.Second), Message: "db timeout 2", Fields: map[string]string{"k": "v"}}}}},
	}
}

func write(t testing.TB, recs []store.Record) []byte {
	var b bytes.Buffer
	w, err := archive.NewWriter(&b, archive.Header{CreatedAt: t0, Source: "sqlite", Project: archive.Project{Name: "shop", Settings: store.DefaultSettings()}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gunzip(t testing.TB, b []byte) string { return testenv.Gunzip(t, b) }

func gz(s string) []byte { return testenv.Gzip(s) }

func TestRoundTrip(t *testing.T) {
	want := sampleRecords()
	r, err := archive.NewReader(bytes.NewReader(write(t, want)))
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h.Format != archive.FormatName || h.Version != archive.Version || h.Project.Name != "shop" {
		t.Errorf("header = %+v", h)
	}
	var got []store.Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-written +read):\n%s", diff)
	}
	if tr := r.Trailer(); tr.Records != 5 || tr.Events != 2 || len(tr.SHA256) != 64 {
		t.Errorf("trailer = %+v", tr)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next after the end = %v, want io.EOF", err)
	}
}

func TestRefuses(t *testing.T) {
	plain := gunzip(t, write(t, sampleRecords()))
	lines := strings.SplitAfter(plain, "\n")
	f := func(name string, file []byte, want string) {
		t.Helper()
		_, _, err := archive.Verify(bytes.NewReader(file))
		if err == nil || !strings.Contains(err.Error(), want) || cloudsage.KindOf(err) != cloudsage.Invalid {
			t.Errorf("Verify(%s) = %v, want an Invalid error with %q", name, err, want)
		}
	}
	f("changed record", gz(strings.Replace(plain, "db timeout 2", "db timeout 3", 1)), "checksum does not match")
	f("changed header", gz(strings.Replace(plain, `"name":"shop"`, `"name":"shoq"`, 1)), "checksum does not match")
	f("dropped line", gz(strings.Join(append(lines[:2:2], lines[3:]...), "")), "checksum does not match")
	f("cut", gz(strings.Join(lines[:3], "")), "without its trailer")
	f("no newline at the end", gz(strings.TrimSuffix(plain, "\n")), "without its trailer")
	f("after trailer", gz(plain+"{}\n"), "data after the trailer")
	f("newer", gz(strings.Replace(plain, `"version":1`, `"version":9`, 1)), "format version 9, newer")
	f("foreign json", gz("{\"hello\":1}\n"), "not a CloudSage project export")
	f("plain text", []byte(plain), "not a CloudSage project export")
	f("empty", nil, "not a CloudSage project export")
	f("two kinds", gz(lines[0]+`{"pattern":{"id":"x"},"risk":{"at":"2026-01-01T00:00:00Z"}}`+"\n"), "2 kinds")
	f("unknown field", gz(lines[0]+`{"user":{"id":1}}`+"\n"), "unknown field")
	f("bad settings", gz(strings.Replace(plain, `"high_threshold":70`, `"high_threshold":700`, 1)), "settings")
	f("event without batch", gz(lines[0]+`{"events":[{"time":"2026-01-01T00:00:00Z","message":"x"}]}`+"\n"), "without its batch")
	good := write(t, sampleRecords())
	f("gzip cut", good[:len(good)-10], "damaged export file")
}

// FuzzVerify: any content, gzipped, is either a valid archive or an
// Invalid error; never a panic. The corpus in testdata/fuzz/FuzzVerify
// holds a valid archive's content and damaged variants.
func FuzzVerify(f *testing.F) {
	f.Add([]byte(gunzip(f, write(f, sampleRecords()))))
	f.Fuzz(func(t *testing.T, content []byte) {
		h, tr, err := archive.Verify(bytes.NewReader(gz(string(content))))
		if err != nil {
			if cloudsage.KindOf(err) != cloudsage.Invalid {
				t.Fatalf("Verify = %v, not an Invalid error", err)
			}
			return
		}
		if h.Format != archive.FormatName || h.Version > archive.Version || len(tr.SHA256) != 64 {
			t.Fatalf("accepted header %+v trailer %+v", h, tr)
		}
	})
}

// TestWriteCorpus rewrites the fuzz seed corpus with -update.
func TestWriteCorpus(t *testing.T) {
	if os.Getenv("ARCHIVE_UPDATE_CORPUS") == "" {
		t.Skip("set ARCHIVE_UPDATE_CORPUS=1 to rewrite testdata/fuzz/FuzzVerify")
	}
	plain := gunzip(t, write(t, sampleRecords()))
	dir := filepath.Join("testdata", "fuzz", "FuzzVerify")
	os.MkdirAll(dir, 0o755)
	seeds := map[string]string{
		"valid":   plain,
		"changed": strings.Replace(plain, "db timeout 2", "db timeout 3", 1),
		"cut":     plain[:len(plain)/2],
		"newer":   strings.Replace(plain, `"version":1`, `"version":2`, 1),
	}
	for name, s := range seeds {
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(s) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
