package ingest

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cloudsage/cloudsage"
)

// What is not a log. A body is refused rather than stored as text when its
// Content-Type names a binary format (415), or when its bytes are mostly
// not text whatever it claims (400): an image or an archive stored line by
// line only fills the index with noise.

// binaryTypes are media types, or type/ prefixes, that are never logs.
var binaryTypes = []string{"image/", "audio/", "video/", "font/", "model/",
	"application/pdf", "application/zip", "application/gzip", "application/x-gzip", "application/x-tar",
	"application/x-7z-compressed", "application/x-bzip2", "application/x-xz", "application/zstd",
	"application/x-rar-compressed", "application/vnd.", "application/msword", "application/x-executable",
	"application/wasm", "application/java-archive", "application/x-protobuf", "application/protobuf",
	"application/x-msgpack", "application/cbor"}

// checkType refuses a media type that is never logs (415).
func checkType(mt, what string) error {
	for _, b := range binaryTypes {
		prefix := strings.HasSuffix(b, "/") || strings.HasSuffix(b, ".")
		if mt == b || prefix && strings.HasPrefix(mt, b) {
			hint := "send logs as text/plain, NDJSON, JSON or multipart files"
			if strings.Contains(mt, "gzip") {
				hint = "send gzip-compressed logs with Content-Encoding: gzip and the type of what is inside"
			}
			return &cloudsage.Error{Kind: cloudsage.Unsupported, Message: fmt.Sprintf("%s of type %s is not logs: %s", what, mt, hint),
				Detail: map[string]string{"content_type": mt}}
		}
	}
	return nil
}

// magics are the first bytes of binary formats that turn up by mistake.
var magics = []struct{ prefix, name string }{
	{"\x89PNG\r\n\x1a\n", "a PNG image"}, {"\xff\xd8\xff", "a JPEG image"}, {"GIF87a", "a GIF image"}, {"GIF89a", "a GIF image"},
	{"%PDF-", "a PDF document"}, {"PK\x03\x04", "a zip archive"}, {"\x1f\x8b", "gzip data (send it with Content-Encoding: gzip)"},
	{"\x7fELF", "an ELF executable"}, {"\x28\xb5\x2f\xfd", "zstd data"}, {"\xfd7zXZ\x00", "xz data"},
	{"7z\xbc\xaf\x27\x1c", "a 7z archive"}, {"\x00asm", "WebAssembly"}, {"SQLite format 3\x00", "an SQLite database"},
}

// sniffSize is how much of a body is looked at to judge whether it is text.
const sniffSize = 64 << 10

// maxNonText is the share of non-text bytes above which a body is not logs:
// text logs, even in a legacy 8-bit encoding, stay far below it; random or
// compressed bytes are about 60 % non-text.
const maxNonText = 0.3

// checkText refuses data (400) that starts like a known binary format or
// whose first sniffSize bytes are mostly not text.
func checkText(data []byte, what string) error {
	for _, m := range magics {
		if strings.HasPrefix(bytesString(data), m.prefix) {
			return &cloudsage.Error{Kind: cloudsage.Invalid, Message: fmt.Sprintf("%s is %s, not logs", what, m.name)}
		}
	}
	share := nonText(data[:min(len(data), sniffSize)])
	if share > maxNonText {
		return &cloudsage.Error{Kind: cloudsage.Invalid,
			Message: fmt.Sprintf("%s is not text (%.0f%% of its first bytes are control characters or invalid UTF-8): send logs as text", what, share*100),
			Detail:  map[string]float64{"non_text_share": share}}
	}
	return nil
}

// nonText is the share of b's bytes that are control characters other
// than tab, newlines, form feed and escape (ANSI colours), or bytes of
// invalid UTF-8. A sequence cut at the end of b counts as text.
func nonText(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	bad := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b || c == 0x7f {
				bad++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(b[i:]) {
				break // cut at the end of the sample
			}
			bad++
			i++
			continue
		}
		i += size
	}
	return float64(bad) / float64(len(b))
}
