// Package ingest turns an ingest request's body into log lines (plain text,
// NDJSON, a JSON array of strings or objects, multipart uploads, gzip),
// runs them through a project's analysis engine and appends the result to
// the store in one transaction, so that a batch is acknowledged only once
// it is durable.
package ingest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/parse"
)

// Limits bound what one request may carry.
type Limits struct {
	MaxBytes     int64 // body size after decompression
	MaxLineBytes int   // one line
	// KeepInvalidNDJSON keeps a broken NDJSON line as text flagged with
	// InvalidJSONField (the project's setting) instead of rejecting it.
	KeepInvalidNDJSON bool
	// SizeHint is the body's size when known (an HTTP request's
	// Content-Length): an uncompressed body is read into one buffer of
	// that size instead of one that doubles as it fills.
	SizeHint int64
}

// InvalidJSONField is the field, "true", of an event stored from a broken
// NDJSON line: searchable as _cloudsage_invalid_json:true.
const InvalidJSONField = "_cloudsage_invalid_json"

// MaxReasons is how many rejection reasons a batch reports.
const MaxReasons = 5

// Body is a decoded request: the lines to analyse and what was refused.
type Body struct {
	Lines []string
	// Records are log records a shipper sent already taken apart (OTLP,
	// Loki, syslog): they reach the engine as they are, after Lines.
	Records []parse.Structured
	// Documents says Lines are JSON documents a shipper wrapped around log
	// lines (Elasticsearch _bulk): each is one event, and a message that
	// is a log line with a header of its own is read as that line
	// (parse.Parser.PushDocument).
	Documents bool
	Source    string // text, ndjson, json, multipart
	Bytes     int64  // decoded size
	Received  int    // lines or items seen (blank lines are not counted)
	Rejected  int
	Reasons   []string // the first MaxReasons rejection reasons
	// Repaired counts the lines kept with invalid UTF-8 or NUL bytes
	// replaced by U+FFFD (visible in the stored line, never dropped silently).
	Repaired int
	// Flagged counts the broken NDJSON lines kept as flagged text
	// (Limits.KeepInvalidNDJSON).
	Flagged int
	Key     string // the client's Idempotency-Key, if any
}

// Hash is the hex SHA-256 of the decoded lines and records: equal for a
// retried body whatever its encoding (gzip or not).
func (b *Body) Hash() string {
	h := sha256.New()
	var n [8]byte
	for _, l := range b.Lines {
		binary.LittleEndian.PutUint64(n[:], uint64(len(l)))
		h.Write(n[:])
		io.WriteString(h, l)
	}
	hashRecords(h, b.Records)
	return hex.EncodeToString(h.Sum(nil))
}

func (b *Body) reject(format string, args ...any) {
	b.Received++
	b.Rejected++
	if len(b.Reasons) < MaxReasons {
		b.Reasons = append(b.Reasons, fmt.Sprintf(format, args...))
	}
}

// Decode reads a request body of the given Content-Type and
// Content-Encoding. Errors are *cloudsage.Error: Invalid for unreadable
// input (bad gzip, malformed JSON), TooLarge past lim.MaxBytes.
func Decode(r io.Reader, contentType, contentEncoding string, lim Limits) (Body, error) {
	var body Body
	switch enc := strings.ToLower(strings.TrimSpace(contentEncoding)); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return body, &cloudsage.Error{Kind: cloudsage.Invalid, Message: "body is not valid gzip (Content-Encoding: gzip)", Err: err}
		}
		defer zr.Close()
		r = zr
	default:
		return body, cloudsage.Errorf(cloudsage.Invalid, "unsupported Content-Encoding %q (use gzip or none)", enc)
	}
	hint := lim.SizeHint
	if _, ok := r.(*gzip.Reader); ok {
		hint = 0 // the size on the wire, not the body's
	}
	data, err := readAll(r, lim.MaxBytes, hint)
	if err != nil {
		return body, err
	}
	body.Bytes = int64(len(data))
	mt, params, perr := mime.ParseMediaType(contentType)
	if perr != nil {
		mt = "text/plain"
	}
	if err := checkType(mt, "a body"); err != nil {
		return body, err
	}
	switch mt {
	case "application/json":
		body.Source = "json"
		err = decodeJSON(&body, data, lim)
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines":
		body.Source = "ndjson"
		if err = checkText(data, "the body"); err == nil {
			splitNDJSON(&body, bytesString(data), lim)
		}
	case "multipart/form-data":
		body.Source = "multipart"
		err = decodeMultipart(&body, data, params["boundary"], lim)
	default: // text/plain, application/octet-stream, anything textual
		body.Source = "text"
		if err = checkText(data, "the body"); err == nil {
			splitLines(&body, bytesString(data), lim)
		}
	}
	return body, err
}

// bytesString returns data as a string without copying it: the lines of a
// body are slices of that string. data must never change afterwards, which
// holds for what readAll returns (nothing else holds it).
func bytesString(data []byte) string {
	if len(data) == 0 {
		return ""
	}
	return unsafe.String(&data[0], len(data))
}

// readAll reads r up to max bytes, failing with TooLarge beyond.
// hint, when positive, is the size to expect.
func readAll(r io.Reader, max, hint int64) ([]byte, error) {
	// At most 8 MiB up front: a client that announces a large body and
	// sends nothing makes the server hold no more than that.
	data, err := readSized(io.LimitReader(r, max+1), min(hint, max, 8<<20)+1)
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return nil, tooLarge(max)
		case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader), errors.Is(err, io.ErrUnexpectedEOF):
			return nil, &cloudsage.Error{Kind: cloudsage.Invalid, Message: "body is not valid gzip or was cut short", Err: err}
		}
		return nil, &cloudsage.Error{Kind: cloudsage.Invalid, Message: "could not read the request body", Err: err}
	}
	if int64(len(data)) > max {
		return nil, tooLarge(max)
	}
	return data, nil
}

// readSized is io.ReadAll into a buffer of size bytes at first (one more
// than the expected size, so that the end is read without growing it).
func readSized(r io.Reader, size int64) ([]byte, error) {
	if size <= 1 {
		return io.ReadAll(r)
	}
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // more than announced: grow
		}
	}
}

func tooLarge(max int64) error {
	return &cloudsage.Error{Kind: cloudsage.TooLarge, Message: fmt.Sprintf("body is larger than the limit of %d bytes", max),
		Detail: map[string]int64{"max_bytes": max}}
}

// splitLines adds the non-blank lines of s to b.
func splitLines(b *Body, s string, lim Limits) {
	eachLine(s, func(line string, n int) { addLine(b, line, n, lim) })
}

// splitNDJSON adds the non-blank lines of s to b, each of which must be a
// JSON object: a broken one is rejected with its line number, or kept as
// flagged text when lim says so.
func splitNDJSON(b *Body, s string, lim Limits) {
	eachLine(s, func(line string, n int) {
		t := strings.TrimSpace(line)
		switch {
		case t == "" || len(line) > lim.MaxLineBytes:
			addLine(b, line, n, lim) // skipped, or rejected as too long
		case lim.KeepInvalidNDJSON && (t[0] != '{' || !json.Valid([]byte(t))):
			keepInvalid(b, line)
		case t[0] != '{':
			b.reject("line %d: not a JSON object", n)
		case !json.Valid([]byte(t)):
			var v any
			err := json.Unmarshal([]byte(t), &v)
			b.reject("line %d: invalid JSON: %s", n, strings.TrimPrefix(fmt.Sprint(err), "json: "))
		default:
			addLine(b, line, n, lim)
		}
	})
}

// keepInvalid adds a broken NDJSON line to b as a JSON object whose
// message is the line (repaired like any line) and whose InvalidJSONField
// is true: the parser stores the line as the event's message, and the flag
// as a field that shows on the event and can be searched.
func keepInvalid(b *Body, line string) {
	cleaned := Clean(line)
	if cleaned != line {
		b.Repaired++
	}
	wrapped, _ := json.Marshal(map[string]any{"message": cleaned, InvalidJSONField: true})
	b.Received++
	b.Flagged++
	b.Lines = append(b.Lines, string(wrapped))
}

// eachLine calls f with each line of s (without its \r\n) and its number.
func eachLine(s string, f func(line string, n int)) {
	n := 0
	for len(s) > 0 {
		line := s
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		n++
		f(strings.TrimSuffix(line, "\r"), n)
	}
}

func addLine(b *Body, line string, n int, lim Limits) {
	if len(line) > lim.MaxLineBytes {
		b.reject("line %d: %d bytes, longer than the limit of %d", n, len(line), lim.MaxLineBytes)
		return
	}
	cleaned := Clean(line)
	if strings.TrimSpace(cleaned) == "" {
		return
	}
	if len(cleaned) != len(line) || cleaned != line {
		b.Repaired++
	}
	b.Received++
	b.Lines = append(b.Lines, cleaned)
}

// Clean returns line as valid UTF-8 without NUL bytes, unchanged when it
// already is: each NUL and each run of invalid bytes becomes U+FFFD, so a
// repair shows in the stored line.
func Clean(line string) string {
	if strings.IndexByte(line, 0) >= 0 {
		line = strings.ReplaceAll(line, "\x00", "\uFFFD")
	}
	if !utf8.ValidString(line) {
		line = strings.ToValidUTF8(line, "\uFFFD")
	}
	return line
}

func decodeJSON(b *Body, data []byte, lim Limits) error {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil
	}
	switch trimmed[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(trimmed, &items); err != nil {
			return jsonError(err)
		}
		for i, it := range items {
			addItem(b, it, i+1, lim)
		}
		return nil
	case '{':
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		n := 0
		for {
			var it json.RawMessage
			err := dec.Decode(&it)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return jsonError(err)
			}
			n++
			addItem(b, it, n, lim)
		}
	}
	return cloudsage.Errorf(cloudsage.Invalid, "JSON body must be an array of strings or objects, or objects one per line")
}

func jsonError(err error) error {
	return &cloudsage.Error{Kind: cloudsage.Invalid, Message: "invalid JSON: " + err.Error(), Err: err}
}

// addItem adds one JSON array item: a string is one or more lines, an
// object is one JSON line for the parser.
func addItem(b *Body, it json.RawMessage, n int, lim Limits) {
	it = bytes.TrimSpace(it)
	switch {
	case len(it) > 0 && it[0] == '"':
		var s string
		if err := json.Unmarshal(it, &s); err != nil {
			b.reject("item %d: %v", n, err)
			return
		}
		for l := range strings.SplitSeq(s, "\n") {
			addLine(b, strings.TrimSuffix(l, "\r"), n, lim)
		}
	case len(it) > 0 && it[0] == '{':
		var buf bytes.Buffer
		if err := json.Compact(&buf, it); err != nil {
			b.reject("item %d: %v", n, err)
			return
		}
		addLine(b, buf.String(), n, lim)
	default:
		b.reject("item %d: not a string or an object", n)
	}
}

func decodeMultipart(b *Body, data []byte, boundary string, lim Limits) error {
	if boundary == "" {
		return cloudsage.Errorf(cloudsage.Invalid, "multipart body without a boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(data), boundary)
	files := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &cloudsage.Error{Kind: cloudsage.Invalid, Message: "malformed multipart body", Err: err}
		}
		if part.FileName() == "" && part.FormName() != "file" && part.FormName() != "logs" {
			part.Close()
			continue
		}
		files++
		raw, err := io.ReadAll(part)
		part.Close()
		if err != nil {
			return &cloudsage.Error{Kind: cloudsage.Invalid, Message: "malformed multipart body", Err: err}
		}
		if len(raw) > 2 && raw[0] == 0x1f && raw[1] == 0x8b {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				return &cloudsage.Error{Kind: cloudsage.Invalid, Message: fmt.Sprintf("file %q is not valid gzip", part.FileName()), Err: err}
			}
			raw, err = readAll(zr, lim.MaxBytes, 0)
			if err != nil {
				return err
			}
		}
		what := fmt.Sprintf("file %q", part.FileName())
		mt, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if err := checkType(mt, what); err != nil {
			return err
		}
		if mt == "application/json" {
			if err := decodeJSON(b, raw, lim); err != nil {
				return err
			}
			continue
		}
		if err := checkText(raw, what); err != nil {
			return err
		}
		splitLines(b, string(raw), lim)
	}
	if files == 0 {
		return cloudsage.Errorf(cloudsage.Invalid, `multipart body has no file part (send the logs as a file, or in a field named "file")`)
	}
	return nil
}
