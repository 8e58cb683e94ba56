// Package archive is the file format of `cloudsage export` and `cloudsage
// import`: a whole project as gzip-compressed NDJSON. The first line is a
// Header (format name, version, the project's name and settings), then one
// store.Record a line, then a Trailer with the record and event counts and
// the SHA-256 of every line before it. A reader refuses a file of another
// format, of a newer version, with a wrong checksum or count, or cut short,
// and says which.
package archive

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// FormatName names the format in the header.
const FormatName = "cloudsage-project"

// Version is the format version this code writes and the newest it reads.
const Version = 1

// MaxLine is the longest line a reader accepts (one chunk of events).
const MaxLine = 256 << 20

// Header is the first line.
type Header struct {
	Format    string    `json:"format"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	Source    string    `json:"source,omitempty"` // the exporting store's dialect
	By        string    `json:"cloudsage_version,omitempty"`
	Project   Project   `json:"project"`
}

// Project is what the header says of the project.
type Project struct {
	Name      string         `json:"name"`
	Settings  store.Settings `json:"settings"`
	CreatedAt time.Time      `json:"created_at"`
}

// Trailer is the last line.
type Trailer struct {
	End     bool   `json:"end"`
	Records int64  `json:"records"`
	Events  int64  `json:"events"`
	SHA256  string `json:"sha256"` // hex, of every byte before this line
}

// Writer writes an archive.
type Writer struct {
	gz      *gzip.Writer
	bw      *bufio.Writer
	sum     hash.Hash
	records int64
	events  int64
	line    bytes.Buffer
}

// NewWriter writes h to w and returns the Writer of the records.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	h.Format, h.Version = FormatName, Version
	aw := &Writer{gz: gzip.NewWriter(w), sum: sha256.New()}
	aw.bw = bufio.NewWriterSize(aw.gz, 64<<10)
	return aw, aw.writeLine(h)
}

func (w *Writer) writeLine(v any) error {
	w.line.Reset()
	enc := json.NewEncoder(&w.line)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	w.sum.Write(w.line.Bytes())
	_, err := w.bw.Write(w.line.Bytes())
	return err
}

// Write adds a record.
func (w *Writer) Write(rec store.Record) error {
	w.records++
	w.events += int64(len(rec.Events))
	return w.writeLine(rec)
}

// Close writes the trailer and ends the gzip stream (not the underlying
// writer); it returns the trailer.
func (w *Writer) Close() (Trailer, error) {
	t := Trailer{End: true, Records: w.records, Events: w.events, SHA256: hex.EncodeToString(w.sum.Sum(nil))}
	enc := json.NewEncoder(w.bw)
	if err := enc.Encode(t); err != nil {
		return t, err
	}
	if err := w.bw.Flush(); err != nil {
		return t, err
	}
	return t, w.gz.Close()
}

// Reader reads an archive, checking it as it goes.
type Reader struct {
	br      *bufio.Reader
	sum     hash.Hash
	header  Header
	trailer *Trailer
	records int64
	events  int64
	line    int
}

// damaged is the error of a file that cannot be trusted.
func damaged(format string, args ...any) error {
	return cloudsage.Errorf(cloudsage.Invalid, "damaged export file: "+format, args...)
}

// NewReader reads and checks the header: an Invalid error when r is not an
// archive, is damaged, or is of a newer version than this code reads.
func NewReader(r io.Reader) (*Reader, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, cloudsage.Errorf(cloudsage.Invalid, "not a CloudSage project export (want a gzip file from cloudsage export): %v", err)
	}
	ar := &Reader{br: bufio.NewReaderSize(gz, 64<<10), sum: sha256.New()}
	line, err := ar.next()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&ar.header); err != nil || ar.header.Format != FormatName {
		return nil, cloudsage.Errorf(cloudsage.Invalid, "not a CloudSage project export: the first line is not a %s header", FormatName)
	}
	if v := ar.header.Version; v > Version {
		return nil, cloudsage.Errorf(cloudsage.Invalid, "this export is format version %d, newer than this cloudsage reads (%d): import it with a newer cloudsage", v, Version)
	}
	if ar.header.Version < 1 {
		return nil, damaged("format version %d", ar.header.Version)
	}
	if ar.header.Project.Name == "" {
		return nil, damaged("the header names no project")
	}
	if err := ar.header.Project.Settings.Validate(); err != nil {
		return nil, damaged("the project's settings: %s", cloudsage.MessageOf(err))
	}
	ar.sum.Write(line)
	return ar, nil
}

// Header is the archive's header.
func (r *Reader) Header() Header { return r.header }

// Trailer is the archive's trailer, once Next has returned io.EOF.
func (r *Reader) Trailer() Trailer {
	if r.trailer == nil {
		return Trailer{}
	}
	return *r.trailer
}

// next reads one line (with its newline), at most MaxLine bytes.
func (r *Reader) next() ([]byte, error) {
	r.line++
	var out []byte
	for {
		part, err := r.br.ReadSlice('\n')
		if len(out)+len(part) > MaxLine {
			return nil, damaged("line %d is longer than %d bytes", r.line, MaxLine)
		}
		out = append(out, part...)
		switch {
		case err == nil:
			return out, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return nil, damaged("it ends at line %d without its trailer (cut short?)", r.line)
		}
		return nil, damaged("line %d: %v", r.line, err)
	}
}

// Next returns the next record, or io.EOF after the trailer has been read
// and checked: counts, checksum, and nothing after it.
func (r *Reader) Next() (store.Record, error) {
	if r.trailer != nil {
		return store.Record{}, io.EOF
	}
	line, err := r.next()
	if err != nil {
		return store.Record{}, err
	}
	if bytes.HasPrefix(line, []byte(`{"end":`)) {
		return store.Record{}, r.end(line)
	}
	r.sum.Write(line)
	var rec store.Record
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rec); err != nil {
		return rec, damaged("line %d: %v", r.line, err)
	}
	if n := fields(rec); n != 1 {
		return rec, damaged("line %d holds %d kinds of record, want one", r.line, n)
	}
	for _, e := range rec.Events {
		if e.BatchID == 0 {
			return rec, damaged("line %d: an event without its batch", r.line)
		}
	}
	r.records++
	r.events += int64(len(rec.Events))
	return rec, nil
}

func (r *Reader) end(line []byte) error {
	var t Trailer
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil || !t.End {
		return damaged("line %d: a bad trailer", r.line)
	}
	if got := hex.EncodeToString(r.sum.Sum(nil)); got != t.SHA256 {
		return damaged("the checksum does not match (the file was changed after export)")
	}
	if t.Records != r.records || t.Events != r.events {
		return damaged("the trailer counts %d records and %d events, the file holds %d and %d", t.Records, t.Events, r.records, r.events)
	}
	if _, err := r.br.ReadByte(); !errors.Is(err, io.EOF) {
		if err == nil {
			return damaged("data after the trailer")
		}
		return damaged("after the trailer: %v", err)
	}
	r.trailer = &t
	return io.EOF
}

// fields counts the set fields of rec.
func fields(rec store.Record) int {
	n := 0
	for _, set := range []bool{rec.State != nil, rec.Batch != nil, rec.Pattern != nil, rec.Forecast != nil,
		rec.Risk != nil, rec.Action != nil, rec.Search != nil, len(rec.Events) > 0} {
		if set {
			n++
		}
	}
	return n
}

// Verify reads all of r and checks it; it returns the header and trailer.
func Verify(r io.Reader) (Header, Trailer, error) {
	ar, err := NewReader(r)
	if err != nil {
		return Header{}, Trailer{}, err
	}
	for {
		if _, err := ar.Next(); errors.Is(err, io.EOF) {
			return ar.header, ar.Trailer(), nil
		} else if err != nil {
			return ar.header, Trailer{}, err
		}
	}
}

// String describes t for a person.
func (t Trailer) String() string {
	return fmt.Sprintf("%d records, %d events, sha256 %.12s", t.Records, t.Events, t.SHA256)
}
