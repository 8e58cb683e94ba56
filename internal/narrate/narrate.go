// Package narrate adds an optional plain-language summary to a forecast:
// from the chain's structured findings only (never raw log lines), through
// any OpenAI-compatible chat-completions endpoint (Ollama, llama.cpp
// server, a hosted API). It is off unless configured, the forecast never
// depends on it, and a timeout or error falls back to the deterministic
// text, logged.
package narrate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/risk"
)

// Findings are what the chain found, and all a language model is told.
type Findings struct {
	Score     float64  `json:"score"`
	Label     string   `json:"label"`
	Trend     float64  `json:"trend_per_hour"`
	PHigh     float64  `json:"p_high_within_horizon"`
	Horizon   int      `json:"horizon_hours"`
	Factors   []string `json:"factors"`           // summaries of the factors above normal
	Patterns  []string `json:"changed_patterns"`  // templates of what moved
	Actions   []string `json:"actions"`           // titles, best first
	Similar   []string `json:"similar_incidents"` // "Looks like ..."
	Rationale string   `json:"chain"`             // the chain taken
	Floor     string   `json:"floor,omitempty"`   // why the score was raised
	Scale     string   `json:"scale,omitempty"`   // what is not measured
	Baseline  float64  `json:"baseline_score"`    // the rolling average
	Window    string   `json:"window"`            // the recent window scored
}

// FindingsOf takes the findings of a report: factors above normal, the
// patterns that moved (templates, no samples), the first actions, similar
// incidents.
func FindingsOf(r engine.Report) Findings {
	f := Findings{Score: r.Risk.Score, Label: r.Risk.Label, Trend: r.Risk.Trend, PHigh: r.Forecast.PHigh,
		Horizon: r.Forecast.HorizonHours, Rationale: r.Chain.Name, Floor: r.Risk.Floor, Scale: r.Risk.Scale,
		Baseline: r.Risk.RollingAverage, Window: r.Risk.Window}
	for _, x := range r.Risk.Factors {
		if x.Status != risk.StatusNormal {
			f.Factors = append(f.Factors, x.Summary)
		}
	}
	f.Patterns = r.Signature.Templates
	for i, a := range r.Actions {
		if i == 3 {
			break
		}
		f.Actions = append(f.Actions, a.Title)
	}
	for _, m := range r.Similar {
		f.Similar = append(f.Similar, fmt.Sprintf("'%s' on %s (similarity %.2f): fixed by %s", m.Title, m.OpenedAt.Format("2 Jan 2006"), m.Similarity, m.Fix))
	}
	return f
}

// Text is the deterministic summary of f.
func Text(f Findings) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Risk %.0f/100 (%s)", f.Score, f.Label)
	switch {
	case f.Trend > 0.5:
		fmt.Fprintf(&b, ", rising %.1f points an hour", f.Trend)
	case f.Trend < -0.5:
		fmt.Fprintf(&b, ", falling %.1f points an hour", -f.Trend)
	}
	fmt.Fprintf(&b, "; %.0f%% chance of high within %d h.", 100*f.PHigh, f.Horizon)
	if len(f.Factors) > 0 {
		b.WriteString(" " + strings.Join(f.Factors, "; ") + ".")
	}
	if len(f.Similar) > 0 {
		b.WriteString(" Looks like " + f.Similar[0] + ".")
	}
	if len(f.Actions) > 0 {
		b.WriteString(" First: " + f.Actions[0] + ".")
	}
	return b.String()
}

// Narrative is the summary and where it came from.
type Narrative struct {
	Text   string `json:"text"`
	Source string `json:"source"` // "llm" or "deterministic"
}

// Config configures the model endpoint.
type Config struct {
	URL     string        // chat-completions endpoint, or its base (…/v1); empty: off
	Model   string        // model name the endpoint knows
	APIKey  string        // sent as a bearer token when set
	Timeout time.Duration // per request (10 s)
}

// Narrator writes narratives, with the model when configured. Safe for
// concurrent use.
type Narrator struct {
	cfg  Config
	http *http.Client
	log  *slog.Logger

	mu    sync.Mutex
	cache map[string]string // key -> model text, so a page view does not ask twice
}

// maxCache bounds the cache; it is dropped whole when full.
const maxCache = 512

// New returns a Narrator; log may be nil.
func New(cfg Config, log *slog.Logger) *Narrator {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.URL != "" && !strings.HasSuffix(cfg.URL, "/chat/completions") {
		cfg.URL = strings.TrimSuffix(cfg.URL, "/") + "/chat/completions"
	}
	return &Narrator{cfg: cfg, http: &http.Client{Timeout: cfg.Timeout}, log: log, cache: map[string]string{}}
}

// On reports whether a model is configured.
func (n *Narrator) On() bool { return n != nil && n.cfg.URL != "" }

// Narrate returns the model's summary of f when a model is configured and
// answers in time, else the deterministic text. key names the report (the
// same key, the same findings) for the cache.
func (n *Narrator) Narrate(ctx context.Context, key string, f Findings) Narrative {
	det := Narrative{Text: Text(f), Source: "deterministic"}
	if !n.On() {
		return det
	}
	n.mu.Lock()
	t, ok := n.cache[key]
	n.mu.Unlock()
	if ok {
		return Narrative{Text: t, Source: "llm"}
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	t, err := n.complete(ctx, f)
	if err != nil {
		n.log.Warn("llm narrative failed; deterministic text used", "error", err)
		return det
	}
	n.mu.Lock()
	if len(n.cache) >= maxCache {
		clear(n.cache)
	}
	n.cache[key] = t
	n.mu.Unlock()
	return Narrative{Text: t, Source: "llm"}
}

const systemPrompt = "You are CloudSage's operations assistant. From the JSON findings of a log-based risk forecast, " +
	"write a plain-language summary for an on-call engineer in at most three sentences: the state, why, and the first thing to do. " +
	"Use only the findings; do not invent numbers, services or causes."

// maxAnswer bounds the endpoint's answer read.
const maxAnswer = 1 << 20

func (n *Narrator) complete(ctx context.Context, f Findings) (string, error) {
	fj, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(map[string]any{
		"model": n.cfg.Model,
		"messages": []map[string]string{
			{"role": "system", "content": systemPrompt},
			{"role": "user", "content": string(fj)},
		},
		"temperature": 0.2,
		"max_tokens":  200,
	})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("llm request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if n.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+n.cfg.APIKey)
	}
	resp, err := n.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("llm request: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return "", fmt.Errorf("llm answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("llm answer: status %d: %.200s", resp.StatusCode, raw)
	}
	return parseAnswer(raw)
}

// parseAnswer reads the first choice's message of a chat-completions answer.
func parseAnswer(raw []byte) (string, error) {
	var a struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return "", fmt.Errorf("llm answer: %w", err)
	}
	if len(a.Choices) == 0 {
		return "", errors.New("llm answer: no choices")
	}
	t := strings.TrimSpace(a.Choices[0].Message.Content)
	if t == "" {
		return "", errors.New("llm answer: empty message")
	}
	const maxText = 2000
	if len(t) > maxText {
		t = strings.ToValidUTF8(t[:maxText], "") + "…"
	}
	return t, nil
}
