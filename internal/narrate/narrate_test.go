package narrate

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var findings = Findings{Score: 78, Label: "high", Trend: 4, PHigh: 0.9, Horizon: 24,
	Factors: []string{"Error rate 35% (high) - baseline 0.8%"}, Actions: []string{"Raise the orders DB pool"}}

// openAI is an httptest server speaking the chat-completions format; it
// records the last request and answers with reply after delay.
func openAI(t *testing.T, status int, reply string, delay time.Duration) (*httptest.Server, *map[string]any) {
	t.Helper()
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost || r.Header.Get("Authorization") != "Bearer k" {
			http.Error(w, "bad request line", http.StatusBadRequest)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		time.Sleep(delay)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"id": "c1", "object": "chat.completion",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]string{"role": "assistant", "content": reply}}}})
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestNarrateWithModel(t *testing.T) {
	srv, got := openAI(t, http.StatusOK, "  The orders DB is out of connections; raise its pool.  ", 0)
	n := New(Config{URL: srv.URL + "/v1", Model: "m", APIKey: "k"}, nil)
	out := n.Narrate(context.Background(), "p1@t", findings)
	if out.Source != "llm" || out.Text != "The orders DB is out of connections; raise its pool." {
		t.Fatalf("Narrate = %+v", out)
	}
	msgs := (*got)["messages"].([]any)
	user := msgs[1].(map[string]any)["content"].(string)
	if (*got)["model"] != "m" || !strings.Contains(user, `"score":78`) || !strings.Contains(user, "Raise the orders DB pool") {
		t.Errorf("request = %v: want the model and the findings as JSON", *got)
	}
	srv.Close() // cached: no second request
	if again := n.Narrate(context.Background(), "p1@t", findings); again.Source != "llm" {
		t.Errorf("cached narrative = %+v", again)
	}
}

func TestNarrateFallsBack(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	det := Text(findings)
	for _, tc := range []struct {
		name   string
		status int
		reply  string
		delay  time.Duration
	}{
		{"server error", http.StatusInternalServerError, "x", 0},
		{"empty answer", http.StatusOK, "   ", 0},
		{"timeout", http.StatusOK, "late", 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := openAI(t, tc.status, tc.reply, tc.delay)
			n := New(Config{URL: srv.URL + "/v1/chat/completions", Model: "m", APIKey: "k", Timeout: 100 * time.Millisecond}, log)
			if out := n.Narrate(context.Background(), tc.name, findings); out.Source != "deterministic" || out.Text != det {
				t.Errorf("Narrate = %+v, want the deterministic text", out)
			}
		})
	}
	if !strings.Contains(logs.String(), "llm narrative failed") {
		t.Errorf("fallbacks not logged: %s", logs.String())
	}
}

func TestNarrateOff(t *testing.T) {
	var n *Narrator
	if n.On() || New(Config{}, nil).On() {
		t.Error("On without a URL")
	}
	out := New(Config{}, nil).Narrate(context.Background(), "k", findings)
	want := "Risk 78/100 (high), rising 4.0 points an hour; 90% chance of high within 24 h. Error rate 35% (high) - baseline 0.8%. First: Raise the orders DB pool."
	if out.Source != "deterministic" || out.Text != want {
		t.Errorf("Narrate = %+v, want %q", out, want)
	}
}

func FuzzParseAnswer(f *testing.F) {
	f.Add([]byte(`{"choices":[{"message":{"role":"assistant","content":"ok"}}]}`))
	f.Add([]byte(`{"choices":[]}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseAnswer(b)
		if err == nil && (s == "" || len(s) > 2000+len("…")) {
			t.Fatalf("parseAnswer(%q) = %q", b, s)
		}
	})
}
