// Package syslog reads syslog messages as rsyslog, syslog-ng, journald
// forwarders and logger(1) send them: TCP framing (RFC 6587 octet counting
// and newline-delimited, detected per message) and the RFC 5424 and RFC
// 3164 formats, into shipper records. A message neither format reads is
// kept whole as the record's message, never dropped. Pure apart from
// reading the given stream.
package syslog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	gosyslog "github.com/leodido/go-syslog/v4"
	"github.com/leodido/go-syslog/v4/rfc3164"
	"github.com/leodido/go-syslog/v4/rfc5424"

	"github.com/cloudsage/cloudsage/internal/shipper"
)

// TokenParam is the structured-data parameter that carries a project API
// token in RFC 5424 messages, e.g. [cloudsage token="cs_..."]. It is never
// stored.
const TokenParam = "token"

// ErrFrame is returned for a stream whose framing cannot be followed (a
// bad octet count); the connection should be closed.
var ErrFrame = errors.New("bad syslog frame")

// ReadFrame reads one message from a TCP stream. A message that starts
// with a digit is octet-counted ("LEN SP MSG"); otherwise it runs to the
// next newline or NUL. Messages longer than max are cut to max bytes.
// It returns io.EOF at the end of the stream.
func ReadFrame(r *bufio.Reader, max int) ([]byte, error) {
	for {
		c, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		switch {
		case c == '\n' || c == '\r' || c == 0 || c == ' ':
			continue // blank separators between messages
		case c >= '0' && c <= '9':
			n := int(c - '0')
			for {
				c, err = r.ReadByte()
				if err != nil {
					return nil, fmt.Errorf("%w: stream ended in an octet count", ErrFrame)
				}
				if c == ' ' {
					break
				}
				if c < '0' || c > '9' || n > 1<<26 {
					return nil, fmt.Errorf("%w: octet count is not a number", ErrFrame)
				}
				n = n*10 + int(c-'0')
			}
			keep := min(n, max)
			msg := make([]byte, keep)
			if _, err := io.ReadFull(r, msg); err != nil {
				return nil, fmt.Errorf("%w: stream ended inside a message", ErrFrame)
			}
			if _, err := r.Discard(n - keep); err != nil {
				return nil, fmt.Errorf("%w: stream ended inside a message", ErrFrame)
			}
			return bytes.TrimRight(msg, "\r\n\x00"), nil
		default:
			msg := []byte{c}
			for {
				c, err := r.ReadByte()
				if err != nil || c == '\n' || c == 0 {
					break // the end of the stream ends a last unterminated message
				}
				if len(msg) < max {
					msg = append(msg, c)
				}
			}
			return bytes.TrimRight(msg, "\r\n"), nil
		}
	}
}

// Parser turns messages into records. Not safe for concurrent use: make
// one per connection.
type Parser struct {
	m5424 gosyslog.Machine
	m3164 gosyslog.Machine
}

// NewParser returns a Parser; RFC 3164 timestamps, which carry no year or
// zone, are read in loc and the current year.
func NewParser(loc *time.Location) *Parser {
	return &Parser{
		m5424: rfc5424.NewMachine(),
		m3164: rfc3164.NewMachine(rfc3164.WithYear(rfc3164.CurrentYear{}), rfc3164.WithTimezone(loc), rfc3164.WithBestEffort()),
	}
}

// Parse reads one message. token is the value of a structured-data
// "token" parameter, if any (removed from the record).
func (p *Parser) Parse(msg []byte) (rec shipper.Record, token string) {
	if m, err := p.m5424.Parse(msg); err == nil && m != nil && m.Valid() {
		sm := m.(*rfc5424.SyslogMessage)
		rec = base(&sm.Base)
		if sm.StructuredData != nil {
			for id, params := range *sm.StructuredData {
				for k, v := range params {
					if k == TokenParam {
						token = v
						continue
					}
					rec.Set(id+"."+k, v)
				}
			}
		}
		return rec, token
	}
	if m, err := p.m3164.Parse(msg); m != nil && m.Valid() && (err == nil || m.(*rfc3164.SyslogMessage).Message != nil) {
		return base(&m.(*rfc3164.SyslogMessage).Base), ""
	}
	return shipper.Record{Message: string(msg)}, ""
}

// severities maps syslog severities 0-7 to levels.
var severities = [8]string{"fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug"}

func base(b *gosyslog.Base) shipper.Record {
	var rec shipper.Record
	str := func(p *string) string {
		if p == nil || *p == "-" {
			return ""
		}
		return *p
	}
	if b.Timestamp != nil {
		rec.Time = b.Timestamp.UTC()
	}
	if b.Severity != nil && *b.Severity < 8 {
		rec.Level = severities[*b.Severity]
	}
	rec.Service = str(b.Appname)
	rec.Host = str(b.Hostname)
	rec.Message = str(b.Message)
	if f := b.FacilityLevel(); f != nil {
		rec.Set("facility", *f)
	}
	if s := str(b.ProcID); s != "" {
		rec.Set("proc_id", s)
	}
	if s := str(b.MsgID); s != "" {
		rec.Set("msg_id", s)
	}
	return rec
}
