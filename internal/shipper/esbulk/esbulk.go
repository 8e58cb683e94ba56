// Package esbulk decodes Elasticsearch _bulk requests (NDJSON pairs of an
// action line and a document line, as Filebeat, Logstash, Fluent Bit,
// Vector and the go-elasticsearch bulk indexer send them) into log lines,
// and encodes the bulk response those clients read: one item per action,
// each with its own status, and the top-level "errors" flag. Documents are
// kept as they were sent: the ingest parser reads @timestamp, message,
// log.level, service.name, host.name and the other ECS keys itself. Pure:
// no I/O.
package esbulk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Item is the outcome of one action.
type Item struct {
	Action string // index, create, update, delete
	Index  string
	ID     string
	Status int    // 201 for a stored document, else the error status
	Type   string // error type (Elasticsearch's exception names)
	Reason string // error reason
	Line   int    // index into Request.Lines of its document, or -1
}

// Request is a decoded bulk body.
type Request struct {
	Items []Item
	Lines []string // the documents to store, each one JSON line with its index added as _index
	Bytes int64    // size of the stored documents
}

// Errors counts the items that failed.
func (r *Request) Errors() int {
	n := 0
	for _, it := range r.Items {
		if it.Status >= 300 {
			n++
		}
	}
	return n
}

// Decode reads a bulk body. defaultIndex is the {index} of POST
// /{index}/_bulk ("" for POST /_bulk). newID names documents sent without
// an _id. An error means the body is malformed as a whole (Elasticsearch
// answers 400 and stores nothing); a bad document only fails its item.
func Decode(data []byte, defaultIndex string, newID func() string) (Request, error) {
	var req Request
	var idx quotedIndex
	n := 0 // line number, for messages
	next := func() ([]byte, bool) {
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			var line []byte
			if i < 0 {
				line, data = data, nil
			} else {
				line, data = data[:i], data[i+1:]
			}
			n++
			line = bytes.TrimSpace(line)
			if len(line) > 0 {
				return line, true
			}
		}
		return nil, false
	}
	for {
		aline, ok := next()
		if !ok {
			break
		}
		action, meta, err := parseAction(aline)
		if err != nil {
			return Request{}, fmt.Errorf("malformed action/metadata line [%d]: %w", n, err)
		}
		it := Item{Action: action, Index: meta.Index, ID: meta.ID, Line: -1}
		if it.Index == "" {
			it.Index = defaultIndex
		}
		if action == "delete" {
			it.Status, it.Type, it.Reason = 400, "illegal_argument_exception", "CloudSage keeps logs append-only: delete is not supported"
			req.Items = append(req.Items, it)
			continue
		}
		doc, ok := next()
		if !ok {
			return Request{}, fmt.Errorf("the %s action on line [%d] has no document line after it", action, n)
		}
		switch {
		case action == "update":
			it.Status, it.Type, it.Reason = 400, "illegal_argument_exception", "CloudSage keeps logs append-only: update is not supported"
		case it.Index == "":
			it.Status, it.Type, it.Reason = 400, "action_request_validation_exception", "Validation Failed: 1: index is missing;"
		case doc[0] != '{' || !json.Valid(doc):
			it.Status, it.Type, it.Reason = 400, "document_parsing_exception", fmt.Sprintf("[%d:1] failed to parse: the document is not a JSON object", n)
		default:
			if it.ID == "" {
				it.ID = newID()
			}
			it.Status, it.Line = 201, len(req.Lines)
			req.Lines = append(req.Lines, withIndex(doc, idx.quote(it.Index)))
			req.Bytes += int64(len(doc))
		}
		req.Items = append(req.Items, it)
	}
	if len(req.Items) == 0 {
		return Request{}, errors.New("request body is required")
	}
	return req, nil
}

type actionMeta struct {
	Index string `json:"_index"`
	ID    string `json:"_id"`
}

// parseAction reads {"index": {"_index": "x", "_id": "y"}}. It runs once
// a document, so the shapes shippers send ({"create":{}}, {"index":
// {"_index":"logs-x"}}) are read by hand; anything else (escapes, other
// keys, odd spacing) goes through encoding/json.
func parseAction(b []byte) (string, actionMeta, error) {
	if name, meta, ok := quickAction(b); ok {
		return name, meta, nil
	}
	var a struct {
		Index, Create, Update, Delete *actionMeta
	}
	if err := json.Unmarshal(b, &a); err != nil {
		if bytes.HasPrefix(b, []byte("{")) && bytes.Contains(b, []byte(`"_`)) {
			return "", actionMeta{}, errors.New("the action's _index and _id must be strings")
		}
		return "", actionMeta{}, errors.New("expected one JSON object naming an action (index, create, update or delete)")
	}
	name, meta, n := "", actionMeta{}, 0
	for _, x := range []struct {
		name string
		m    *actionMeta
	}{{"index", a.Index}, {"create", a.Create}, {"update", a.Update}, {"delete", a.Delete}} {
		if x.m != nil {
			name, meta, n = x.name, *x.m, n+1
		}
	}
	if n != 1 {
		return "", actionMeta{}, errors.New("expected one JSON object naming one action (index, create, update or delete)")
	}
	return name, meta, nil
}

// quickAction reads {"ACTION":{}} and {"ACTION":{"_index":"I"}} with
// optional "_id" after it, where ACTION is one of the four and the
// strings have no escapes; ok is false for anything else.
func quickAction(b []byte) (name string, meta actionMeta, ok bool) {
	rest, ok := bytes.CutPrefix(b, []byte(`{"`))
	if !ok {
		return "", meta, false
	}
	i := bytes.IndexByte(rest, '"')
	if i < 0 {
		return "", meta, false
	}
	switch name = string(rest[:i]); name {
	case "index", "create", "update", "delete":
	default:
		return "", meta, false
	}
	if rest, ok = bytes.CutPrefix(rest[i+1:], []byte(`:{`)); !ok {
		return "", meta, false
	}
	sep := false // a key was read: the next one must follow a comma
	str := func(key string) (string, bool) {
		r := rest
		if sep {
			var comma bool
			if r, comma = bytes.CutPrefix(r, []byte(",")); !comma {
				return "", true // absent: only the end may follow
			}
		}
		r, found := bytes.CutPrefix(r, []byte(`"`+key+`":"`))
		if !found {
			return "", true
		}
		j := bytes.IndexByte(r, '"')
		if j < 0 || bytes.IndexByte(r[:j], '\\') >= 0 {
			return "", false
		}
		for _, c := range r[:j] {
			if c < 0x20 || c >= 0x80 { // control bytes, and non-ASCII that encoding/json would check and repair
				return "", false
			}
		}
		v := string(r[:j])
		rest, sep = r[j+1:], true
		return v, true
	}
	if meta.Index, ok = str("_index"); !ok {
		return "", meta, false
	}
	if meta.ID, ok = str("_id"); !ok {
		return "", meta, false
	}
	return name, meta, bytes.Equal(rest, []byte("}}"))
}

// quotedIndex remembers the JSON form of the last index name: a bulk body
// names the same index for most documents.
type quotedIndex struct{ name, q string }

func (x *quotedIndex) quote(name string) string {
	if x.q == "" || x.name != name {
		q, _ := json.Marshal(name)
		x.name, x.q = name, string(q)
	}
	return x.q
}

// withIndex returns doc with "_index" (q: the index name as a JSON
// string) added as its first key.
func withIndex(doc []byte, q string) string {
	rest := bytes.TrimLeft(doc[1:], " \t\r")
	b := make([]byte, 0, len(doc)+len(q)+12)
	b = append(b, `{"_index":`...)
	b = append(b, q...)
	if len(rest) > 0 && rest[0] != '}' {
		b = append(b, ',')
	}
	return string(append(b, rest...))
}

// Response encodes the bulk response body; took is in milliseconds.
// seq numbers the stored documents (_seq_no) from its value.
func Response(items []Item, took int64, seq int64) []byte {
	b := make([]byte, 0, 64+len(items)*160)
	errs := false
	for _, it := range items {
		if it.Status >= 300 {
			errs = true
		}
	}
	b = fmt.Appendf(b, `{"took":%d,"errors":%t,"items":[`, took, errs)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"`...)
		b = append(b, it.Action...)
		b = append(b, `":{"_index":`...)
		b = appendJSON(b, it.Index)
		b = append(b, `,"_id":`...)
		b = appendJSON(b, it.ID)
		if it.Status < 300 {
			b = append(b, `,"_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":`...)
			b = strconv.AppendInt(b, seq, 10)
			b = append(b, `,"_primary_term":1`...)
			seq++
		} else {
			b = append(b, `,"error":{"type":`...)
			b = appendJSON(b, it.Type)
			b = append(b, `,"reason":`...)
			b = appendJSON(b, it.Reason)
			b = append(b, '}')
		}
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(it.Status), 10)
		b = append(b, "}}"...)
	}
	return append(b, "]}"...)
}

// Error encodes a request-level error the way Elasticsearch does.
func Error(status int, typ, reason string) []byte {
	b := []byte(`{"error":{"root_cause":[{"type":`)
	b = appendJSON(b, typ)
	b = append(b, `,"reason":`...)
	b = appendJSON(b, reason)
	b = append(b, `}],"type":`...)
	b = appendJSON(b, typ)
	b = append(b, `,"reason":`...)
	b = appendJSON(b, reason)
	b = append(b, `},"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	return append(b, '}')
}

// appendJSON appends s as a JSON string; the index names and ids of a
// response are plain ASCII almost always, which needs no encoder.
func appendJSON(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	q, _ := json.Marshal(s)
	return append(b, q...)
}
