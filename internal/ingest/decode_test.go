package ingest

import (
	"bytes"
	"compress/gzip"
	"mime/multipart"
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
		{"invalid utf8 and NUL", "text/plain", "", "bad \xff byte\x00 here", []string{"bad \uFFFD byte here"}, 1, 0, "text"},
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
	}
	small := Limits{MaxBytes: 1000, MaxLineBytes: 100}
	for _, c := range cases {
		_, err := Decode(strings.NewReader(c.body), c.ctype, c.enc, small)
		if got := cloudsage.KindOf(err); got != c.kind {
			t.Errorf("%s: Decode error %v (kind %q), want kind %q", c.name, err, got, c.kind)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("text/plain", "", []byte("a\nb\n"))
	f.Add("application/json", "", []byte(`["x", {"a": 1}, 3]`))
	f.Add("application/json", "", []byte(`{"a":1}{"b":2}`))
	f.Add("application/x-ndjson", "", []byte("{\"a\":1}\n"))
	f.Add("text/plain", "gzip", []byte(gzipped("zz\n")))
	f.Add("multipart/form-data; boundary=XX", "", []byte("--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nv\r\n--XX--\r\n"))
	f.Fuzz(func(t *testing.T, ctype, enc string, body []byte) {
		b, err := Decode(bytes.NewReader(body), ctype, enc, Limits{MaxBytes: 1 << 16, MaxLineBytes: 256})
		if err != nil {
			if k := cloudsage.KindOf(err); k != cloudsage.Invalid && k != cloudsage.TooLarge {
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
	})
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
