package web

import (
	"bytes"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/narrate"
)

// forecastDoc is a stored report decoded for GET /api/forecast: its
// top-level fields, its actions apart (they are filtered per request by
// the project's action statuses) and the narrative's findings.
type forecastDoc struct {
	fields    map[string]json.RawMessage // compact, without "actions"
	keys      []string                   // fields' keys, sorted
	size      int                        // the fields' bytes
	actions   []json.RawMessage          // compact
	ids       []string                   // the actions' ids
	findings  narrate.Findings
	narrative json.RawMessage // the deterministic narrative of findings
}

// docKey names one stored report: a new batch makes a new one.
type docKey struct {
	project cloudsage.ProjectID
	created int64 // the report's CreatedAt (the batch's time)
	at      int64
	horizon int
}

// forecastDocs keeps decoded reports, so that the readers of a project's
// forecast decode its report (the 1 M-event project's runs to hundreds of
// kilobytes) once per batch rather than once per read. A report's body
// never changes under its key. Bounded: past maxForecastDocs entries,
// some are dropped (Go's map order).
type forecastDocs struct {
	mu sync.Mutex
	m  map[docKey]*forecastDoc
}

const maxForecastDocs = 2048

func decodeForecast(body []byte) (*forecastDoc, error) {
	d := &forecastDoc{}
	if err := json.Unmarshal(body, &d.fields); err != nil {
		return nil, err
	}
	if raw, ok := d.fields["actions"]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &d.actions); err != nil {
			return nil, err
		}
	}
	delete(d.fields, "actions")
	for k, v := range d.fields {
		d.fields[k] = compactJSON(v)
		d.keys = append(d.keys, k)
		d.size += len(k) + len(d.fields[k]) + 4
	}
	slices.Sort(d.keys)
	d.ids = make([]string, len(d.actions))
	for i, a := range d.actions {
		var id struct {
			ID string `json:"id"`
		}
		json.Unmarshal(a, &id)
		d.ids[i] = id.ID
		d.actions[i] = compactJSON(a)
		d.size += len(d.actions[i]) + 1
	}
	var full engine.Report
	if err := json.Unmarshal(body, &full); err != nil {
		return nil, err
	}
	d.findings = narrate.FindingsOf(full)
	d.narrative, _ = json.Marshal(narrate.Narrative{Text: narrate.Text(d.findings), Source: "deterministic"})
	return d, nil
}

// compactJSON is v (valid JSON) without insignificant space, as
// encoding/json writes a json.RawMessage.
func compactJSON(v json.RawMessage) json.RawMessage {
	if !slices.ContainsFunc(v, func(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }) {
		return v
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return v
	}
	return b.Bytes()
}

// get returns the decoded report of key, decoding body on a miss.
func (fd *forecastDocs) get(k docKey, body []byte) (*forecastDoc, error) {
	fd.mu.Lock()
	d, ok := fd.m[k]
	fd.mu.Unlock()
	if ok {
		return d, nil
	}
	d, err := decodeForecast(body)
	if err != nil {
		return nil, err
	}
	fd.mu.Lock()
	defer fd.mu.Unlock()
	if fd.m == nil {
		fd.m = map[docKey]*forecastDoc{}
	}
	for old := range fd.m {
		if len(fd.m) < maxForecastDocs {
			break
		}
		delete(fd.m, old)
	}
	fd.m[k] = d
	return d, nil
}

func newDocKey(p cloudsage.ProjectID, created, at time.Time, horizon int) docKey {
	return docKey{project: p, created: created.UnixNano(), at: at.UnixNano(), horizon: horizon}
}
