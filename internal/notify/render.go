package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage/internal/mail"
	"github.com/cloudsage/cloudsage/internal/risk"
)

// Message is what one delivery carries: one event, or several grouped
// (flaps held back by a rate limit, or a digest after quiet hours).
type Message struct {
	ID     string // stable per delivery, so a receiver can drop a repeat
	Events []Event
	Digest bool // held during quiet hours and sent when they ended
	SentAt time.Time
}

// Subject is the message's one-line summary.
func (m Message) Subject() string {
	if len(m.Events) == 1 && !m.Digest {
		return m.Events[0].Title
	}
	first := m.Events[0]
	what := "notifications"
	if m.Digest {
		what = "notifications held during quiet hours"
	}
	last := m.Events[len(m.Events)-1]
	return fmt.Sprintf("%s: %d %s; now %s at %.0f", first.Project, len(m.Events), what, strings.ToUpper(last.Label), last.Score)
}

// latest is the most recent event: its factors and actions describe now.
func (m Message) latest() Event { return m.Events[len(m.Events)-1] }

// fmtValue is a factor's value beside its usual one, in the factor's unit.
func fmtValue(f Factor) string {
	return risk.Format(f.Value, f.Unit) + " (usual " + risk.Format(f.Baseline, f.Unit) + ")"
}

// Text is the plain-text body (email, and Slack's fallback).
func (m Message) Text() string {
	var b strings.Builder
	if len(m.Events) > 1 || m.Digest {
		b.WriteString(m.Subject() + "\n\n")
		for _, e := range m.Events {
			fmt.Fprintf(&b, "- %s  %s\n", e.At.UTC().Format("2006-01-02 15:04 UTC"), e.Title)
		}
		b.WriteString("\nNow:\n")
	}
	e := m.latest()
	if len(m.Events) == 1 && !m.Digest {
		b.WriteString(e.Title + "\n")
		if e.Text != "" {
			b.WriteString(e.Text + "\n")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Score %.0f/100, %s (at %s)\n", e.Score, strings.ToUpper(e.Label), e.At.UTC().Format("2006-01-02 15:04 UTC"))
	if len(e.Factors) > 0 {
		b.WriteString("\nTop factors:\n")
		for _, f := range e.Factors {
			fmt.Fprintf(&b, "  %s: %s, %s\n", f.Name, fmtValue(f), f.Status)
		}
	}
	if len(e.Actions) > 0 {
		b.WriteString("\nWhat to do:\n")
		for i, a := range e.Actions {
			fmt.Fprintf(&b, "  %d. [%s] %s\n", i+1, a.Priority, a.Title)
		}
	}
	if e.URL != "" {
		fmt.Fprintf(&b, "\nOpen the project: %s\n", e.URL)
	}
	return b.String()
}

var htmlMail = template.Must(template.New("mail").Funcs(template.FuncMap{
	"upper": strings.ToUpper, "value": fmtValue, "inc": func(i int) int { return i + 1 },
	"time": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
}).Parse(`<!doctype html><html><body style="font-family:sans-serif;color:#222">
<h2 style="margin:0 0 8px">{{.Subject}}</h2>
{{- if .Many}}<ul>{{range .Events}}<li>{{time .At}} — {{.Title}}</li>{{end}}</ul>{{else if .Latest.Text}}<p>{{.Latest.Text}}</p>{{end}}
<p><strong>Score {{printf "%.0f" .Latest.Score}}/100, {{upper .Latest.Label}}</strong> at {{time .Latest.At}}</p>
{{- with .Latest.Factors}}<h3>Top factors</h3><ul>{{range .}}<li><strong>{{.Name}}</strong>: {{value .}}, {{.Status}}</li>{{end}}</ul>{{end}}
{{- with .Latest.Actions}}<h3>What to do</h3><ol>{{range .}}<li>[{{.Priority}}] {{.Title}}</li>{{end}}</ol>{{end}}
{{- with .Latest.URL}}<p><a href="{{.}}">Open the project in CloudSage</a></p>{{end}}
</body></html>`))

// Mail renders the message as an email to the addresses in target.
func (m Message) Mail(to []string) (mail.Message, error) {
	var b bytes.Buffer
	err := htmlMail.Execute(&b, struct {
		Subject string
		Many    bool
		Events  []Event
		Latest  Event
	}{m.Subject(), len(m.Events) > 1 || m.Digest, m.Events, m.latest()})
	return mail.Message{To: to, Subject: "[CloudSage] " + m.Subject(), Text: m.Text(), HTML: b.String()}, err
}

// WebhookBody is the JSON a generic webhook receives.
type WebhookBody struct {
	ID      string  `json:"id"`
	Type    string  `json:"type"` // "notification", "digest" or "test"
	Project Project `json:"project"`
	Count   int     `json:"count"`
	Events  []Event `json:"events"`
	SentAt  string  `json:"sent_at"`
}

// Project names the project in a webhook body.
type Project struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Webhook renders the generic webhook body.
func (m Message) Webhook() ([]byte, error) {
	e := m.latest()
	typ := "notification"
	switch {
	case m.Digest:
		typ = "digest"
	case len(m.Events) == 1 && e.Kind == KindTest:
		typ = "test"
	}
	return json.Marshal(WebhookBody{ID: m.ID, Type: typ, Project: Project{ID: e.ProjectID, Name: e.Project, URL: e.URL},
		Count: len(m.Events), Events: m.Events, SentAt: m.SentAt.UTC().Format(time.RFC3339)})
}

// Slack renders a Block Kit message for an incoming webhook.
func (m Message) Slack() ([]byte, error) {
	e := m.latest()
	text := func(s string) map[string]any { return map[string]any{"type": "mrkdwn", "text": cut(s, 2900)} }
	blocks := []map[string]any{
		{"type": "header", "text": map[string]any{"type": "plain_text", "text": cut(m.Subject(), 150)}},
	}
	if len(m.Events) > 1 || m.Digest {
		var lines []string
		for _, ev := range m.Events[:min(len(m.Events), 20)] {
			lines = append(lines, fmt.Sprintf("• %s  %s", ev.At.UTC().Format("15:04"), ev.Title))
		}
		if len(m.Events) > 20 {
			lines = append(lines, fmt.Sprintf("… and %d more", len(m.Events)-20))
		}
		blocks = append(blocks, map[string]any{"type": "section", "text": text(strings.Join(lines, "\n"))})
	} else if e.Text != "" {
		blocks = append(blocks, map[string]any{"type": "section", "text": text(e.Text)})
	}
	blocks = append(blocks, map[string]any{"type": "section", "fields": []any{
		text(fmt.Sprintf("*Score*\n%.0f/100", e.Score)), text("*Label*\n" + strings.ToUpper(e.Label)),
	}})
	if len(e.Factors) > 0 {
		var lines []string
		for _, f := range e.Factors {
			lines = append(lines, fmt.Sprintf("• *%s*: %s, %s", f.Name, fmtValue(f), f.Status))
		}
		blocks = append(blocks, map[string]any{"type": "section", "text": text("*Top factors*\n" + strings.Join(lines, "\n"))})
	}
	if len(e.Actions) > 0 {
		var lines []string
		for i, a := range e.Actions {
			lines = append(lines, fmt.Sprintf("%d. [%s] %s", i+1, a.Priority, a.Title))
		}
		blocks = append(blocks, map[string]any{"type": "section", "text": text("*What to do*\n" + strings.Join(lines, "\n"))})
	}
	if e.URL != "" {
		blocks = append(blocks, map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type": "button", "text": map[string]any{"type": "plain_text", "text": "Open in CloudSage"}, "url": e.URL}}})
	}
	return json.Marshal(map[string]any{"text": m.Subject(), "blocks": blocks})
}

var discordColors = map[string]int{"high": 0xd93025, "medium": 0xf29900, "low": 0x188038}

// Discord renders a webhook message with one embed.
func (m Message) Discord() ([]byte, error) {
	e := m.latest()
	var desc strings.Builder
	if len(m.Events) > 1 || m.Digest {
		for _, ev := range m.Events[:min(len(m.Events), 20)] {
			fmt.Fprintf(&desc, "• %s  %s\n", ev.At.UTC().Format("15:04"), ev.Title)
		}
		if len(m.Events) > 20 {
			fmt.Fprintf(&desc, "… and %d more\n", len(m.Events)-20)
		}
	} else if e.Text != "" {
		desc.WriteString(e.Text)
	}
	fields := []map[string]any{
		{"name": "Score", "value": fmt.Sprintf("%.0f/100", e.Score), "inline": true},
		{"name": "Label", "value": strings.ToUpper(e.Label), "inline": true},
	}
	if len(e.Factors) > 0 {
		var lines []string
		for _, f := range e.Factors {
			lines = append(lines, fmt.Sprintf("**%s**: %s, %s", f.Name, fmtValue(f), f.Status))
		}
		fields = append(fields, map[string]any{"name": "Top factors", "value": cut(strings.Join(lines, "\n"), 1000)})
	}
	if len(e.Actions) > 0 {
		var lines []string
		for i, a := range e.Actions {
			lines = append(lines, fmt.Sprintf("%d. [%s] %s", i+1, a.Priority, a.Title))
		}
		fields = append(fields, map[string]any{"name": "What to do", "value": cut(strings.Join(lines, "\n"), 1000)})
	}
	embed := map[string]any{"title": cut(m.Subject(), 250), "description": cut(desc.String(), 4000), "color": discordColors[e.Label],
		"fields": fields, "timestamp": e.At.UTC().Format(time.RFC3339)}
	if e.URL != "" {
		embed["url"] = e.URL
	}
	return json.Marshal(map[string]any{"username": "CloudSage", "embeds": []any{embed}})
}
