package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"mime/multipart"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cloudsage/cloudsage"
)

var lim = Limits{MaxBytes: 1 << 20, MaxLineBytes: 64}

func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func TestDecode(t *testing.T) {
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	mw.WriteField("note", "ignored field")
	fw, _ := mw.CreateFormFile("upload", "a.log")
	fw.Write([]byte("file one\r\nfile two\n"))
	fw, _ = mw.CreateFormFile("upload", "b.log.gz")
	fw.Write([]byte(gzipped("zipped three\n")))
	mw.Close()

	cases := []struct {
		name, ctype, enc, body string
		lines                  []string
		received, rejected     int
		source                 string
	}{
		{"plain", "text/plain", "", "one\r\ntwo\n\n  \nthree", []string{"one", "two", "three"}, 3, 0, "text"},
		{"no type", "", "", "a\nb\n", []string{"a", "b"}, 2, 0, "text"},
		{"gzip", "text/plain; charset=utf-8", "gzip", gzipped("g1\ng2\n"), []string{"g1", "g2"}, 2, 0, "text"},
		{"ndjson", "application/x-ndjson", "", "{\"a\":1}\n{\"a\":2}\n", []string{`{"a":1}`, `{"a":2}`}, 2, 0, "ndjson"},
		{"json objects stream", "application/json", "", "{\"a\": 1}\n{\"b\": 2}", []string{`{"a":1}`, `{"b":2}`}, 2, 0, "json"},
		{"json array", "application/json", "", `["s1", {"msg": "o2"}, "multi\nline", 7, null]`,
			[]string{"s1", `{"msg":"o2"}`, "multi", "line"}, 6, 2, "json"},
		{"long line", "text/plain", "", "short\n" + strings.Repeat("x", 65) + "\nend", []string{"short", "end"}, 3, 1, "text"},
		{"invalid utf8 and NUL", "text/plain", "", "bad \xff byte\x00 here\nfine", []string{"bad \uFFFD byte\uFFFD here", "fine"}, 2, 0, "text"},
		{"latin-1 text", "text/plain", "", "caf\xe9 ouvert\nna\xefve", []string{"caf\uFFFD ouvert", "na\uFFFDve"}, 2, 0, "text"},
		{"ndjson broken lines", "application/x-ndjson", "", "{\"a\":1}\n{\"a\":\n\n[1]\nplain\n{\"b\":2}", []string{`{"a":1}`, `{"b":2}`}, 5, 3, "ndjson"},
		{"ansi colours", "text/plain", "", "\x1b[31mERROR\x1b[0m disk full\tnow", []string{"\x1b[31mERROR\x1b[0m disk full\tnow"}, 1, 0, "text"},
		{"multipart", mw.FormDataContentType(), "", mp.String(), []string{"file one", "file two", "zipped three"}, 3, 0, "multipart"},
		{"empty", "text/plain", "", "", nil, 0, 0, "text"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Decode(strings.NewReader(c.body), c.ctype, c.enc, lim)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(c.lines, b.Lines); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			if b.Received != c.received || b.Rejected != c.rejected || b.Source != c.source {
				t.Errorf("received %d rejected %d source %q, want %d %d %q (reasons %v)", b.Received, b.Rejected, b.Source, c.received, c.rejected, c.source, b.Reasons)
			}
			if b.Rejected > 0 && len(b.Reasons) == 0 {
				t.Error("rejections without reasons")
			}
			if c.name == "ndjson broken lines" && !slices.Equal(b.Reasons, []string{"line 2: invalid JSON: unexpected end of JSON input",
				"line 4: not a JSON object", "line 5: not a JSON object"}) {
				t.Errorf("reasons = %q", b.Reasons)
			}
			if want := strings.Count(strings.Join(c.lines, "\n"), "\uFFFD") > 0; (b.Repaired > 0) != want {
				t.Errorf("repaired = %d", b.Repaired)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, ctype, enc, body string
		kind                   cloudsage.ErrorKind
	}{
		{"bad gzip", "text/plain", "gzip", "not gzip at all", cloudsage.Invalid},
		{"truncated gzip", "text/plain", "gzip", gzipped("hello world, a longer line")[:20], cloudsage.Invalid},
		{"unknown encoding", "text/plain", "br", "x", cloudsage.Invalid},
		{"truncated array", "application/json", "", `["a", "b"`, cloudsage.Invalid},
		{"truncated object", "application/json", "", `{"name":`, cloudsage.Invalid},
		{"json scalar", "application/json", "", `42`, cloudsage.Invalid},
		{"too large", "text/plain", "", strings.Repeat("a\n", 600), cloudsage.TooLarge},
		{"too large gzip bomb", "text/plain", "gzip", gzipped(strings.Repeat("a", 5000)), cloudsage.TooLarge},
		{"multipart no boundary", "multipart/form-data", "", "x", cloudsage.Invalid},
		{"multipart no file", "multipart/form-data; boundary=XX", "", "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XX--\r\n", cloudsage.Invalid},
		{"image/png", "image/png", "", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", cloudsage.Unsupported},
		{"image with parameters", "IMAGE/JPEG; q=1", "", "x", cloudsage.Unsupported},
		{"gzip as a type", "application/gzip", "", gzipped("a\n"), cloudsage.Unsupported},
		{"pdf", "application/pdf", "", "%PDF-1.4", cloudsage.Unsupported},
		{"office", "application/vnd.ms-excel", "", "x", cloudsage.Unsupported},
		{"png sent as text", "text/plain", "", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", cloudsage.Invalid},
		{"gzip without the encoding", "", "", gzipped("a\n"), cloudsage.Invalid},
		{"random bytes", "application/octet-stream", "", string(noise(900)), cloudsage.Invalid},
		{"binary ndjson", "application/x-ndjson", "", string(noise(900)), cloudsage.Invalid},
		{"binary file part", "multipart/form-data; boundary=XX", "", "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n" +
			string(noise(500)) + "\r\n--XX--\r\n", cloudsage.Invalid},
		{"image file part", "multipart/form-data; boundary=XX", "", "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\nx\r\n--XX--\r\n", cloudsage.Unsupported},
	}
	small := Limits{MaxBytes: 1000, MaxLineBytes: 100}
	for _, c := range cases {
		_, err := Decode(strings.NewReader(c.body), c.ctype, c.enc, small)
		if got := cloudsage.KindOf(err); got != c.kind {
			t.Errorf("%s: Decode error %v (kind %q), want kind %q", c.name, err, got, c.kind)
		}
	}
}

// noise is n pseudo-random bytes (fixed seed).
func noise(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func TestNonText(t *testing.T) {
	for _, c := range []struct {
		in       string
		min, max float64
	}{
		{"", 0, 0}, {"plain log line\n", 0, 0}, {"caf\xe9 x", 0.16, 0.17}, {"\x00\x01ab", 0.5, 0.5},
		{"日本語のログ", 0, 0}, {"ok \xe6\x97", 0, 0}, // a sequence cut at the end is text
		{string(noise(4096)), 0.45, 0.75},
	} {
		if got := nonText([]byte(c.in)); got < c.min || got > c.max {
			t.Errorf("nonText(%.20q) = %.2f, want %.2f..%.2f", c.in, got, c.min, c.max)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("text/plain", "", []byte("a\nb\n"))
	f.Add("application/json", "", []byte(`["x", {"a": 1}, 3]`))
	f.Add("application/json", "", []byte(`{"a":1}{"b":2}`))
	f.Add("application/x-ndjson", "", []byte("{\"a\":1}\n"))
	f.Add("text/plain", "gzip", []byte(gzipped("zz\n")))
	f.Add("application/x-ndjson", "", []byte("{\"a\":1}\n{broken\n[]\n"))
	f.Add("image/png", "", []byte("\x89PNG\r\n\x1a\n"))
	f.Add("", "", []byte("bad \xff\x00 utf8\n"))
	f.Add("application/octet-stream", "", noise(300))
	f.Add("multipart/form-data; boundary=XX", "", []byte("--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nv\r\n--XX--\r\n"))
	f.Fuzz(func(t *testing.T, ctype, enc string, body []byte) {
		b, err := Decode(bytes.NewReader(body), ctype, enc, Limits{MaxBytes: 1 << 16, MaxLineBytes: 256})
		if err != nil {
			if k := cloudsage.KindOf(err); k != cloudsage.Invalid && k != cloudsage.TooLarge && k != cloudsage.Unsupported {
				t.Fatalf("Decode error of kind %q: %v", k, err)
			}
			return
		}
		if b.Received != len(b.Lines)+b.Rejected {
			t.Fatalf("received %d != %d lines + %d rejected", b.Received, len(b.Lines), b.Rejected)
		}
		for _, l := range b.Lines {
			if len(l) > 256*3 || strings.IndexByte(l, 0) >= 0 || strings.TrimSpace(l) == "" {
				t.Fatalf("bad line %q", l)
			}
		}
		// Keeping broken NDJSON lines: the same lines seen, the broken ones
		// kept as flagged JSON objects instead of rejected.
		k, err := Decode(bytes.NewReader(body), ctype, enc, Limits{MaxBytes: 1 << 16, MaxLineBytes: 256, KeepInvalidNDJSON: true})
		if err != nil {
			t.Fatalf("Decode keeping broken lines: %v (without: no error)", err)
		}
		if k.Received != b.Received || k.Received != len(k.Lines)+k.Rejected || k.Flagged > len(k.Lines) {
			t.Fatalf("keeping broken lines: received %d (%d without), %d lines, %d rejected, %d flagged", k.Received, b.Received, len(k.Lines), k.Rejected, k.Flagged)
		}
		if k.Source != "ndjson" && k.Flagged != 0 {
			t.Fatalf("%d lines flagged in a %s body", k.Flagged, k.Source)
		}
		flagged := 0
		for _, l := range k.Lines {
			var v map[string]any
			if json.Unmarshal([]byte(l), &v) == nil && v[InvalidJSONField] == true {
				flagged++
			}
		}
		if k.Source == "ndjson" && flagged < k.Flagged {
			t.Fatalf("%d flagged lines hold the flag, want %d", flagged, k.Flagged)
		}
	})
}

func TestKeepInvalidNDJSON(t *testing.T) {
	body := "{\"msg\":\"ok\"}\n{\"msg\": broken\n[1,2]\nbad \xff utf8\n"
	b, err := Decode(strings.NewReader(body), "application/x-ndjson", "", Limits{MaxBytes: 1 << 16, MaxLineBytes: 256, KeepInvalidNDJSON: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`{"msg":"ok"}`, `{"_cloudsage_invalid_json":true,"message":"{\"msg\": broken"}`,
		`{"_cloudsage_invalid_json":true,"message":"[1,2]"}`, "{\"_cloudsage_invalid_json\":true,\"message\":\"bad \uFFFD utf8\"}"}
	if !slices.Equal(b.Lines, want) || b.Flagged != 3 || b.Rejected != 0 || b.Received != 4 || b.Repaired != 1 {
		t.Errorf("Decode = lines %q, flagged %d, rejected %d, received %d, repaired %d; want lines %q, 3 flagged, 4 received, 1 repaired",
			b.Lines, b.Flagged, b.Rejected, b.Received, b.Repaired, want)
	}
}

func BenchmarkDecode(b *testing.B) {
	var sb strings.Builder
	for i := range 100000 {
		sb.WriteString("2026-01-02 15:04:05,123 INFO [worker] job ")
		sb.WriteString(strings.Repeat("x", i%40))
		sb.WriteString(" finished in 12ms\n")
	}
	body := sb.String()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := Decode(strings.NewReader(body), "text/plain", "", Limits{MaxBytes: 1 << 30, MaxLineBytes: 1 << 16}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSizeHint reads a body whatever its announced size: exact, smaller
// or larger than the body, and over the limit.
func TestSizeHint(t *testing.T) {
	text := strings.Repeat("GET /a 200 ok\n", 1000)
	for _, hint := range []int64{-1, 0, 1, int64(len(text)) - 1, int64(len(text)), int64(len(text)) + 1, 1 << 40} {
		b, err := Decode(strings.NewReader(text), "text/plain", "", Limits{MaxBytes: 1 << 20, MaxLineBytes: 1 << 10, SizeHint: hint})
		if err != nil || b.Bytes != int64(len(text)) || len(b.Lines) != 1000 {
			t.Errorf("hint %d: %d bytes, %d lines, %v; want %d bytes, 1000 lines", hint, b.Bytes, len(b.Lines), err, len(text))
		}
	}
	_, err := Decode(strings.NewReader(text), "text/plain", "", Limits{MaxBytes: 100, MaxLineBytes: 1 << 10, SizeHint: int64(len(text))})
	if cloudsage.KindOf(err) != cloudsage.TooLarge {
		t.Errorf("over the limit with a hint: %v, want TooLarge", err)
	}
}
