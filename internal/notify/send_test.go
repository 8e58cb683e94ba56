package notify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage/internal/store"
)

func TestSignVerify(t *testing.T) {
	body := []byte(`{"id":"x"}`)
	at := time.Unix(1767225600, 0)
	h := Sign("s3cret", at, body)
	if !strings.HasPrefix(h, "t=1767225600,v1=") || len(h) != len("t=1767225600,v1=")+64 {
		t.Fatalf("Sign = %q", h)
	}
	if err := Verify("s3cret", h, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("Verify(own signature) = %v", err)
	}
	for name, tc := range map[string]struct {
		secret, header string
		body           []byte
		now            time.Time
	}{
		"wrong secret": {"other", h, body, at},
		"changed body": {"s3cret", h, []byte(`{"id":"y"}`), at},
		"replayed":     {"s3cret", h, body, at.Add(time.Hour)},
		"malformed":    {"s3cret", "v1=abc", body, at},
		"moved time":   {"s3cret", strings.Replace(h, "t=1767225600", "t=1767225601", 1), body, at},
	} {
		if err := Verify(tc.secret, tc.header, tc.body, tc.now, 5*time.Minute); err == nil {
			t.Errorf("%s: Verify accepted it", name)
		}
	}
}

// FuzzVerify: the signature header parser never panics and accepts only
// what Sign produced.
func FuzzVerify(f *testing.F) {
	at := time.Unix(1767225600, 0)
	f.Add(Sign("k", at, []byte("b")), []byte("b"))
	f.Add("t=,v1=", []byte(""))
	f.Add("t=1767225600,v1=zz,v1=00", []byte("b"))
	f.Add(",,=,t==1", []byte("x"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		if Verify("k", header, body, at, time.Hour) == nil && header != Sign("k", at, body) {
			// Another time within tolerance signed by the same key is fine.
			ts, _, _ := strings.Cut(strings.TrimPrefix(header, "t="), ",")
			if !strings.Contains(header, "v1=") || ts == "" {
				t.Errorf("Verify accepted %q", header)
			}
		}
	})
}

func TestInternal(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true, "169.254.169.254": true,
		"100.64.0.1": true, "0.0.0.0": true, "::1": true, "fe80::1": true, "fc00::1": true, "::ffff:127.0.0.1": true,
		"224.0.0.1": true, "8.8.8.8": false, "2606:4700::1111": false, "93.184.216.34": false,
	} {
		if got := Internal(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Internal(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestGuardAtDialTime: with DenyPrivate the sender refuses a loopback
// receiver when it connects, whatever was checked when the channel was
// made (a name resolving somewhere else later is refused the same way),
// and the failure is permanent.
func TestGuardAtDialTime(t *testing.T) {
	hits := 0
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer rcv.Close()
	u, _ := url.Parse(rcv.URL)
	target := "http://localhost:" + u.Port() + "/hook" // a name, resolved at dial time
	s := NewSender(&Guard{DenyPrivate: true}, nil, time.Now)
	err := s.Send(context.Background(), store.Channel{Type: Webhook, Target: target, Secret: "x"}, testMessage())
	var se *SendError
	if !errors.As(err, &se) || !se.Permanent || !strings.Contains(err.Error(), "CLOUDSAGE_WEBHOOK_DENY_PRIVATE") || hits != 0 {
		t.Fatalf("send to loopback with the guard on: %v (hits %d)", err, hits)
	}
	if err := (&Guard{DenyPrivate: true}).CheckURL(mustURL(target)); err == nil {
		t.Errorf("CheckURL(%s) passed", target)
	}
	if err := (&Guard{DenyPrivate: true}).CheckURL(mustURL("http://[::ffff:10.0.0.1]/")); err == nil {
		t.Errorf("CheckURL(mapped private) passed")
	}
	// Off (the default), the same target is reached.
	if err := NewSender(&Guard{}, nil, time.Now).Send(context.Background(), store.Channel{Type: Webhook, Target: target}, testMessage()); err != nil || hits != 1 {
		t.Errorf("send with the guard off: %v (hits %d)", err, hits)
	}
}

func mustURL(s string) *url.URL { u, _ := url.Parse(s); return u }

func testMessage() Message {
	return Message{ID: "m1", SentAt: t0, Events: []Event{{Kind: KindLabel, Title: "shop: risk is now HIGH (was low), score 80", At: t0,
		Project: "shop", ProjectID: 3, URL: "http://cs.example/projects/3", Score: 80, Label: "high",
		Factors: []Factor{{Name: "latency", Value: 900, Baseline: 100, Unit: "ms", Status: "high", Points: 20}},
		Actions: []Action{{Title: "Check the database pool", Priority: "critical"}}}}}
}

func TestSendStatuses(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		status    int
		header    string
		ok        bool
		permanent bool
		retry     time.Duration
	}{
		{200, "", true, false, 0},
		{204, "", true, false, 0},
		{500, "", false, false, 0},
		{503, "", false, false, 0},
		{404, "", false, true, 0},
		{400, "", false, true, 0},
		{410, "", false, true, 0},
		{301, "", false, true, 0},
		{429, "7", false, false, 7 * time.Second},
		{429, now.Add(90 * time.Second).Format(http.TimeFormat), false, false, 90 * time.Second},
	}
	for _, c := range cases {
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if c.header != "" {
				w.Header().Set("Retry-After", c.header)
			}
			if c.status == 301 {
				w.Header().Set("Location", "/elsewhere")
			}
			w.WriteHeader(c.status)
			io.WriteString(w, "nope")
		}))
		err := NewSender(nil, nil, func() time.Time { return now }).Send(context.Background(), store.Channel{Type: Slack, Target: rcv.URL + "/services/T0/B0/KEY"}, testMessage())
		rcv.Close()
		var se *SendError
		switch {
		case c.ok && err != nil:
			t.Errorf("%d: %v", c.status, err)
		case !c.ok && (!errors.As(err, &se) || se.Permanent != c.permanent || se.RetryAfter != c.retry):
			t.Errorf("%d %q: err %v (%+v), want permanent %v, retry after %s", c.status, c.header, err, se, c.permanent, c.retry)
		}
	}
}

// TestRenderedBodies: each channel type gets the shape its receiver
// expects, with what happened, score, label, factors, actions and the link.
func TestRenderedBodies(t *testing.T) {
	m := testMessage()
	var slack struct {
		Text   string
		Blocks []map[string]any
	}
	b, _ := m.Slack()
	if err := json.Unmarshal(b, &slack); err != nil || slack.Blocks[0]["type"] != "header" || !strings.Contains(string(b), "Check the database pool") ||
		!strings.Contains(string(b), "latency") || !strings.Contains(string(b), "http://cs.example/projects/3") || !strings.Contains(string(b), "80/100") {
		t.Errorf("slack body: %v %s", err, b)
	}
	var discord struct {
		Embeds []struct {
			Title  string
			URL    string
			Color  int
			Fields []struct{ Name, Value string }
		}
	}
	b, _ = m.Discord()
	if err := json.Unmarshal(b, &discord); err != nil || len(discord.Embeds) != 1 || discord.Embeds[0].URL != "http://cs.example/projects/3" ||
		discord.Embeds[0].Color != 0xd93025 || len(discord.Embeds[0].Fields) != 4 {
		t.Errorf("discord body: %v %s", err, b)
	}
	var hook WebhookBody
	b, _ = m.Webhook()
	if err := json.Unmarshal(b, &hook); err != nil || hook.Type != "notification" || hook.Count != 1 || hook.Events[0].Score != 80 || hook.Project.URL == "" {
		t.Errorf("webhook body: %v %s", err, b)
	}
	mm, err := m.Mail([]string{"a@example.com"})
	if err != nil || !strings.Contains(mm.Text, "Check the database pool") || !strings.Contains(mm.HTML, `<a href="http://cs.example/projects/3">`) ||
		!strings.Contains(mm.Subject, "risk is now HIGH") || !strings.Contains(mm.Text, "900 ms") {
		t.Errorf("mail: %v\n%s\n%s", err, mm.Text, mm.HTML)
	}
	// A group lists every event.
	g := m
	g.Events = append(append([]Event{}, m.Events...), m.Events[0], m.Events[0])
	g.Digest = true
	if sub := g.Subject(); !strings.Contains(sub, "3 notifications held during quiet hours") {
		t.Errorf("digest subject %q", sub)
	}
	if n := strings.Count(g.Text(), "risk is now HIGH"); n != 3 {
		t.Errorf("digest text lists %d events, want 3:\n%s", n, g.Text())
	}
}

func TestCheckChannel(t *testing.T) {
	ok := []store.Channel{
		{Type: "webhook", Target: "https://example.com/hook"},
		{Type: "Slack", Target: "https://hooks.slack.com/services/T/B/K", Name: "ops"},
		{Type: "email", Target: "a@example.com, Bob <b@example.com>", QuietStart: "22:00", QuietEnd: "07:00"},
	}
	for _, c := range ok {
		if err := CheckChannel(&c, true, nil); err != nil {
			t.Errorf("CheckChannel(%+v) = %v", c, err)
		}
	}
	bad := map[string]store.Channel{
		"type":          {Type: "sms", Target: "x"},
		"url":           {Type: "webhook", Target: "ftp://example.com"},
		"email":         {Type: "email", Target: "not an address"},
		"quiet half":    {Type: "webhook", Target: "https://e.com", QuietStart: "22:00"},
		"quiet format":  {Type: "webhook", Target: "https://e.com", QuietStart: "25:00", QuietEnd: "07:00"},
		"rate":          {Type: "webhook", Target: "https://e.com", MaxPerHour: -1},
		"slack secret":  {Type: "slack", Target: "https://e.com", Secret: "x"},
		"private":       {Type: "webhook", Target: "http://127.0.0.1:8080/"},
		"no smtp email": {Type: "email", Target: "a@example.com"},
	}
	for name, c := range bad {
		mailOK := name != "no smtp email"
		if err := CheckChannel(&c, mailOK, &Guard{DenyPrivate: true}); err == nil {
			t.Errorf("%s: CheckChannel(%+v) passed", name, c)
		}
	}
	if got := MaskTarget(store.Channel{Type: Slack, Target: "https://hooks.slack.com/services/T00/B00/XXXXYYYYZZZZ"}); got != "https://hooks.slack.com/…ZZZZ" {
		t.Errorf("MaskTarget(slack) = %q", got)
	}
}
