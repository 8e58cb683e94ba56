// Package notify tells people when a project's risk changes: rules turn
// each new report into events (rules.go), events become outbox rows written
// in the same transaction as the report (plan.go), and a background worker
// delivers them by email, Slack, Discord or a signed webhook (worker.go,
// send.go, render.go) with retries, rate limits, grouping and quiet hours.
package notify

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/mail"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Channel types.
const (
	Email   = "email"
	Slack   = "slack"
	Discord = "discord"
	Webhook = "webhook"
)

// ChannelTypes are the channel types, in the order the settings page shows them.
var ChannelTypes = []string{Email, Slack, Discord, Webhook}

// Rule kinds.
const (
	KindLabel        = "label"             // the label changes (to one of Params.Labels)
	KindScore        = "score"             // the score rises to Params.Threshold or above
	KindForecast     = "forecast"          // high within Params.Hours with probability >= Params.Probability
	KindErrorPattern = "new_error_pattern" // a new pattern with error-level lines appears
	KindIncident     = "incident"          // an incident opens or resolves
)

// RuleKinds are the rule kinds.
var RuleKinds = []string{KindLabel, KindScore, KindForecast, KindErrorPattern, KindIncident}

// Event kinds beyond the rule kinds.
const (
	KindIncidentOpened   = "incident_opened"
	KindIncidentResolved = "incident_resolved"
	KindTest             = "test"
)

// DefaultRules are a project's rules until its users edit them: the label
// becomes high, and an incident opens or resolves, on every channel.
func DefaultRules() []store.Rule {
	return []store.Rule{
		{Kind: KindLabel, Name: "Risk becomes high", Params: store.RuleParams{Labels: []string{"high"}}, Enabled: true},
		{Kind: KindIncident, Name: "Incident opens or resolves", Enabled: true},
	}
}

// Factor is one risk factor in an event.
type Factor struct {
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Baseline float64 `json:"baseline"`
	Unit     string  `json:"unit,omitempty"`
	Status   string  `json:"status"`
	Points   float64 `json:"points"`
}

// Action is one recommended action in an event.
type Action struct {
	Title    string `json:"title"`
	Priority string `json:"priority"`
}

// Event is what happened, as every channel renders it. It is stored as the
// payload of each outbox row.
type Event struct {
	Kind      string    `json:"kind"`
	Rule      string    `json:"rule,omitempty"` // the rule's name
	Title     string    `json:"title"`          // what happened, one line
	Text      string    `json:"text,omitempty"` // more detail
	At        time.Time `json:"at"`             // the report's time
	ProjectID int64     `json:"project_id"`
	Project   string    `json:"project"`
	URL       string    `json:"url"` // the project page
	Score     float64   `json:"score"`
	Label     string    `json:"label"`
	Previous  string    `json:"previous_label,omitempty"`
	Factors   []Factor  `json:"factors"` // the top factors
	Actions   []Action  `json:"actions"` // the top three actions
}

// DefaultMaxPerHour is a new channel's max_per_hour.
const DefaultMaxPerHour = 20

var hhmm = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)

// CheckChannel validates a channel a user sends (type, name, target,
// quiet hours, rate limit) and normalises it. mailOK says whether the
// server has SMTP set up; guard, when not nil, refuses private targets.
func CheckChannel(c *store.Channel, mailOK bool, guard *Guard) error {
	var probs []string
	c.Type = strings.ToLower(strings.TrimSpace(c.Type))
	c.Name = strings.TrimSpace(c.Name)
	c.Target = strings.TrimSpace(c.Target)
	if c.Name == "" {
		c.Name = c.Type
	}
	if len(c.Name) > 100 {
		probs = append(probs, "name must be at most 100 characters")
	}
	switch c.Type {
	case Email:
		if !mailOK {
			probs = append(probs, "email channels need the server's SMTP settings (CLOUDSAGE_SMTP_HOST, CLOUDSAGE_SMTP_FROM, ...)")
		}
		if as, err := mail.ParseAddresses(c.Target); err != nil {
			probs = append(probs, "target: "+err.Error())
		} else {
			c.Target = strings.Join(as, ", ")
		}
		if c.Secret != "" {
			probs = append(probs, "secret applies to webhook channels only")
		}
	case Slack, Discord, Webhook:
		u, err := url.Parse(c.Target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			probs = append(probs, fmt.Sprintf("target must be an http(s) URL, not %q", c.Target))
		} else if guard != nil {
			if err := guard.CheckURL(u); err != nil {
				probs = append(probs, "target: "+err.Error())
			}
		}
		if c.Type != Webhook && c.Secret != "" {
			probs = append(probs, "secret applies to webhook channels only")
		}
		if len(c.Secret) > 200 {
			probs = append(probs, "secret must be at most 200 characters")
		}
	default:
		probs = append(probs, fmt.Sprintf("type %q: want email, slack, discord or webhook", c.Type))
	}
	if (c.QuietStart == "") != (c.QuietEnd == "") {
		probs = append(probs, "quiet_start and quiet_end go together (both \"HH:MM\", or both empty)")
	} else if c.QuietStart != "" && (!hhmm.MatchString(c.QuietStart) || !hhmm.MatchString(c.QuietEnd) || c.QuietStart == c.QuietEnd) {
		probs = append(probs, "quiet_start and quiet_end must be different times \"HH:MM\" (24 h)")
	}
	if c.MaxPerHour < 0 || c.MaxPerHour > 3600 {
		probs = append(probs, "max_per_hour must be between 0 (no limit) and 3600")
	}
	if len(probs) > 0 {
		return cloudsage.Errorf(cloudsage.Invalid, "invalid channel: %s", strings.Join(probs, "; "))
	}
	return nil
}

// CheckRule validates a rule against the project's channels and fills
// defaults for thresholds left out.
func CheckRule(r *store.Rule, channels []store.Channel) error {
	var probs []string
	r.Kind = strings.ToLower(strings.TrimSpace(r.Kind))
	r.Name = strings.TrimSpace(r.Name)
	p := &r.Params
	switch r.Kind {
	case KindLabel:
		for _, l := range p.Labels {
			if labelRank(l) < 0 {
				probs = append(probs, fmt.Sprintf("labels: %q is not low, medium or high", l))
			}
		}
	case KindScore:
		if p.Threshold <= 0 || p.Threshold > 100 {
			probs = append(probs, "threshold must be in (0, 100]")
		}
	case KindForecast:
		if p.Hours == 0 {
			p.Hours = 24
		}
		if p.Probability == 0 {
			p.Probability = 0.5
		}
		if p.Hours < 1 || p.Hours > 24 {
			probs = append(probs, "hours must be between 1 and 24 (the forecast's horizon)")
		}
		if p.Probability <= 0 || p.Probability > 1 {
			probs = append(probs, "probability must be in (0, 1]")
		}
	case KindErrorPattern, KindIncident:
	default:
		probs = append(probs, fmt.Sprintf("kind %q: want one of %s", r.Kind, strings.Join(RuleKinds, ", ")))
	}
	if r.Name == "" {
		r.Name = defaultRuleName(*r)
	}
	if len(r.Name) > 100 {
		probs = append(probs, "name must be at most 100 characters")
	}
	for _, id := range r.Channels {
		if !slices.ContainsFunc(channels, func(c store.Channel) bool { return c.ID == id }) {
			probs = append(probs, fmt.Sprintf("channel %d is not a channel of this project", id))
		}
	}
	slices.Sort(r.Channels)
	r.Channels = slices.Compact(r.Channels)
	if len(probs) > 0 {
		return cloudsage.Errorf(cloudsage.Invalid, "invalid rule: %s", strings.Join(probs, "; "))
	}
	return nil
}

func defaultRuleName(r store.Rule) string {
	switch r.Kind {
	case KindLabel:
		if len(r.Params.Labels) == 0 {
			return "Risk label changes"
		}
		return "Risk becomes " + strings.Join(r.Params.Labels, " or ")
	case KindScore:
		return fmt.Sprintf("Score reaches %g", r.Params.Threshold)
	case KindForecast:
		return fmt.Sprintf("High forecast within %d h (p >= %g)", r.Params.Hours, r.Params.Probability)
	case KindErrorPattern:
		return "New error pattern"
	case KindIncident:
		return "Incident opens or resolves"
	}
	return r.Kind
}

// Mask shows enough of a secret to recognise it: "…" and its last 4 characters.
func Mask(secret string) string {
	if secret == "" {
		return ""
	}
	if len(secret) <= 8 {
		return "…"
	}
	return "…" + secret[len(secret)-4:]
}

// MaskTarget hides the credential part of a Slack or Discord webhook URL
// (its path is the key); email addresses and generic webhook URLs (signed
// with their own secret) are shown as given, without a query string.
func MaskTarget(c store.Channel) string {
	if c.Type == Email {
		return c.Target
	}
	u, err := url.Parse(c.Target)
	if err != nil {
		return "…"
	}
	if c.Type == Slack || c.Type == Discord {
		return u.Scheme + "://" + u.Host + "/" + Mask(strings.Trim(u.Path, "/"))
	}
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	u.User = nil
	return u.String()
}

// NewSecret returns a random webhook signing secret.
func NewSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}
