package testenv

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

// Gzip compresses s (test bodies and files).
func Gzip(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// Gunzip decompresses b, failing tb when it is not gzip.
func Gunzip(tb testing.TB, b []byte) string {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}
