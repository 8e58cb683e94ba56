package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// EventCols are the stored columns of an event after id, in EventArgs order.
const EventCols = `project_id, batch_id, time, level, service, host, pattern, format, message, raw, fields, signals, time_guessed`

// NumEventCols is the number of values EventArgs appends.
const NumEventCols = 13

// signals is cloudsage.Signals with its Has* flags, as stored.
type signals struct {
	Status     int     `json:"s,omitempty"`
	LatencyMS  float64 `json:"l,omitempty"`
	MemoryPct  float64 `json:"mp,omitempty"`
	MemoryMB   float64 `json:"mm,omitempty"`
	CPUPct     float64 `json:"c,omitempty"`
	HasLatency bool    `json:"hl,omitempty"`
	HasMemPct  bool    `json:"hmp,omitempty"`
	HasMemMB   bool    `json:"hmm,omitempty"`
	HasCPU     bool    `json:"hc,omitempty"`
	OOM        bool    `json:"oom,omitempty"`
}

// EventArgs appends ev's column values (EventCols order) to args.
func EventArgs(args []any, p cloudsage.ProjectID, b store.BatchID, ev *cloudsage.Event) []any {
	var raw, fields, sig any
	if ev.Raw != "" && ev.Raw != ev.Message {
		raw = ev.Raw
	}
	if len(ev.Fields) > 0 {
		fields = string(appendFields(make([]byte, 0, 256), ev.Fields))
	}
	if ev.Signals != (cloudsage.Signals{}) {
		s, _ := json.Marshal(signals(ev.Signals))
		sig = string(s)
	}
	tg := 0
	if ev.TimeGuessed {
		tg = 1
	}
	return append(args, p, b, ns(ev.Time), int(ev.Level), ev.Service, ev.Host, string(ev.Pattern), ev.Format, ev.Message, raw, fields, sig, tg)
}

// SearchText is the text the full-text index holds for ev: its message and
// its fields' names and values (not the raw line, whose timestamps and
// counters would flood the index with unique words).
func SearchText(ev *cloudsage.Event) string {
	msg := ev.Message
	if msg == "" {
		msg = ev.Raw
	}
	if len(ev.Fields) == 0 {
		return msg
	}
	var sb strings.Builder
	sb.WriteString(msg)
	for k, v := range ev.Fields {
		sb.WriteByte(' ')
		sb.WriteString(k)
		sb.WriteByte(' ')
		sb.WriteString(v)
	}
	return sb.String()
}

// appendFields appends fields as a JSON object (what json.Marshal writes,
// without its reflection cost; strings are valid UTF-8 already).
func appendFields(b []byte, fields map[string]string) []byte {
	b = append(b, '{')
	first := true
	for k, v := range fields {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, v)
	}
	return append(b, '}')
}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Cursor encodes a position in newest-first order.
func cursor(t, id int64) string { return strconv.FormatInt(t, 36) + "." + strconv.FormatInt(id, 36) }

func parseCursor(s string) (t, id int64, err error) {
	a, b, ok := strings.Cut(s, ".")
	if ok {
		t, err = strconv.ParseInt(a, 36, 64)
		if err == nil {
			id, err = strconv.ParseInt(b, 36, 64)
		}
	}
	if !ok || err != nil {
		return 0, 0, cloudsage.Errorf(cloudsage.Invalid, "invalid cursor %q", s)
	}
	return t, id, nil
}

// SearchEvents returns one page of a project's events, newest first.
func (db *DB) SearchEvents(ctx context.Context, q store.EventQuery) (store.EventPage, error) {
	page := store.EventPage{Events: []store.Event{}}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	if limit > store.MaxEventLimit {
		limit = store.MaxEventLimit
	}
	var where strings.Builder
	args := []any{q.Project}
	where.WriteString(`project_id = $1`)
	add := func(cond string, arg any) {
		args = append(args, arg)
		where.WriteString(" AND ")
		where.WriteString(strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if !q.From.IsZero() {
		add(`time >= $?`, ns(q.From))
	}
	if !q.To.IsZero() {
		add(`time < $?`, ns(q.To))
	}
	if len(q.Levels) > 0 {
		var ls []string
		for _, l := range q.Levels {
			ls = append(ls, strconv.Itoa(int(l)))
		}
		where.WriteString(" AND level IN (" + strings.Join(ls, ",") + ")")
	}
	if q.Pattern != "" {
		add(`pattern = $?`, string(q.Pattern))
	}
	if q.Service != "" {
		add(`service = $?`, q.Service)
	}
	if q.Cursor != "" {
		t, id, err := parseCursor(q.Cursor)
		if err != nil {
			return page, err
		}
		args = append(args, t, id)
		n := len(args)
		fmt.Fprintf(&where, " AND (time < $%d OR (time = $%d AND id < $%d))", n-1, n-1, n)
	}
	if strings.TrimSpace(q.Q) != "" {
		cond, arg, ok := db.D.TextMatch(q.Q, len(args)+1)
		if !ok {
			return page, nil // no searchable word: nothing matches
		}
		args = append(args, arg)
		where.WriteString(" AND " + cond)
	}
	args = append(args, limit+1)
	query := `SELECT id, ` + EventCols + ` FROM events WHERE ` + where.String() +
		` ORDER BY time DESC, id DESC LIMIT $` + strconv.Itoa(len(args))
	rows, err := db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return page, db.wrap(err, "search events")
	}
	defer rows.Close()
	for rows.Next() {
		var e store.Event
		var p int64
		var t int64
		var level, tg int
		var raw, fields, sig *string
		if err := rows.Scan(&e.ID, &p, &e.BatchID, &t, &level, &e.Service, &e.Host, &e.Pattern, &e.Format, &e.Message, &raw, &fields, &sig, &tg); err != nil {
			return page, db.wrap(err, "search events")
		}
		e.Time, e.Level, e.TimeGuessed = fromNS(t), cloudsage.Level(level), tg != 0
		if raw != nil {
			e.Raw = *raw
		} else {
			e.Raw = e.Message
		}
		if fields != nil {
			json.Unmarshal([]byte(*fields), &e.Fields)
		}
		if sig != nil {
			var s signals
			json.Unmarshal([]byte(*sig), &s)
			e.Signals = cloudsage.Signals(s)
		}
		page.Events = append(page.Events, e)
	}
	if err := rows.Err(); err != nil {
		return page, db.wrap(err, "search events")
	}
	if len(page.Events) > limit {
		page.Events = page.Events[:limit]
		last := page.Events[limit-1]
		page.NextCursor = cursor(ns(last.Time), last.ID)
	}
	return page, nil
}

// SearchWords splits q into the words a full-text query must all match:
// runs of letters and digits joined by punctuation stay one word (a phrase
// to the index), so "durability-marker-1" matches that exact sequence.
func SearchWords(q string) []string {
	var ws []string
	for _, f := range strings.Fields(q) {
		if strings.IndexFunc(f, isWordRune) >= 0 {
			ws = append(ws, f)
		}
	}
	return ws
}

func isWordRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127
}
