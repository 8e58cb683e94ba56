package store

import (
	"context"
	"time"

	"github.com/cloudsage/cloudsage"
)

// ChannelID identifies a notification channel.
type ChannelID int64

// RuleID identifies a notification rule.
type RuleID int64

// NotificationID identifies one outbox row.
type NotificationID int64

// Channel is where a project's notifications go: an email address list, a
// Slack or Discord incoming webhook, or a generic signed webhook.
type Channel struct {
	ID         ChannelID           `json:"id"`
	ProjectID  cloudsage.ProjectID `json:"project_id"`
	Type       string              `json:"type"` // email, slack, discord, webhook
	Name       string              `json:"name"`
	Target     string              `json:"target"` // addresses or URL
	Secret     string              `json:"-"`      // the webhook signing secret; never in an API answer
	QuietStart string              `json:"quiet_start"`
	QuietEnd   string              `json:"quiet_end"`    // "HH:MM" in the project's time zone; both empty: no quiet hours
	MaxPerHour int                 `json:"max_per_hour"` // messages an hour at most; 0: no limit
	Enabled    bool                `json:"enabled"`
	CreatedAt  time.Time           `json:"created_at"`

	// The rate window, kept by the delivery worker.
	WindowStart time.Time `json:"-"`
	WindowCount int       `json:"-"`
}

// RuleParams are a rule's thresholds; which apply depends on the kind.
type RuleParams struct {
	Labels      []string `json:"labels,omitempty"`      // label: the labels that fire (empty: any change)
	Threshold   float64  `json:"threshold,omitempty"`   // score: fires when the score rises to or above it
	Hours       int      `json:"hours,omitempty"`       // forecast: high expected within this many hours
	Probability float64  `json:"probability,omitempty"` // forecast: with at least this probability
}

// Rule says which change in a project notifies which channels.
type Rule struct {
	ID        RuleID              `json:"id"`
	ProjectID cloudsage.ProjectID `json:"project_id"`
	Kind      string              `json:"kind"` // label, score, forecast, new_error_pattern, incident
	Name      string              `json:"name"`
	Params    RuleParams          `json:"params"`
	Channels  []ChannelID         `json:"channels"` // empty: every channel of the project
	Critical  bool                `json:"critical"` // breaks through quiet hours
	Enabled   bool                `json:"enabled"`
	CreatedAt time.Time           `json:"created_at"`
}

// Notification statuses.
const (
	NotifyPending = "pending" // waiting to be sent (maybe held by quiet hours, a rate limit or a retry)
	NotifySent    = "sent"
	NotifyFailed  = "failed" // permanently: a 4xx answer or too many attempts
)

// Notification is one outbox row: something that happened, for one
// channel. Rows are written in the transaction of the ingest that caused
// them and sent by the delivery worker.
type Notification struct {
	ID        NotificationID      `json:"id"`
	ProjectID cloudsage.ProjectID `json:"project_id"`
	ChannelID ChannelID           `json:"channel_id"`
	RuleID    RuleID              `json:"rule_id,omitempty"` // 0: a test message
	Kind      string              `json:"kind"`
	Title     string              `json:"title"`
	Critical  bool                `json:"critical"`
	Payload   []byte              `json:"-"` // the event as JSON (notify.Event)
	Status    string              `json:"status"`
	Held      string              `json:"held,omitempty"` // why it waits: "quiet hours", "rate limit", "retry"
	Attempts  int                 `json:"attempts"`
	LastError string              `json:"last_error,omitempty"`
	Grouped   int                 `json:"grouped,omitempty"` // notifications in the message that carried it
	Digest    bool                `json:"digest,omitempty"`  // sent in a digest after quiet hours
	NextAt    time.Time           `json:"next_at"`
	CreatedAt time.Time           `json:"created_at"`
	SentAt    *time.Time          `json:"sent_at"`
}

// Claim is a channel leased to one delivery worker with its due
// notifications. The lease keeps other workers (and replicas) off the
// channel until Until.
type Claim struct {
	Channel       Channel
	Project       Project
	Notifications []Notification
	Owner         string
	Until         time.Time
}

// NotifyStore is the notifications part of the store: channels, rules and
// the outbox.
type NotifyStore interface {
	// CreateChannel stores c; when the project has no rules yet it also
	// stores defaults (in the same transaction).
	CreateChannel(ctx context.Context, c Channel, defaults []Rule) (Channel, error)
	Channels(ctx context.Context, project cloudsage.ProjectID) ([]Channel, error)
	Channel(ctx context.Context, project cloudsage.ProjectID, id ChannelID) (Channel, error)
	UpdateChannel(ctx context.Context, c Channel) error
	DeleteChannel(ctx context.Context, project cloudsage.ProjectID, id ChannelID) error

	CreateRule(ctx context.Context, r Rule) (Rule, error)
	Rules(ctx context.Context, project cloudsage.ProjectID) ([]Rule, error)
	UpdateRule(ctx context.Context, r Rule) error
	DeleteRule(ctx context.Context, project cloudsage.ProjectID, id RuleID) error

	// AddNotifications stores outbox rows outside an ingest (test messages).
	AddNotifications(ctx context.Context, ns []Notification) ([]Notification, error)
	// Notifications lists a project's notifications, newest first.
	Notifications(ctx context.Context, project cloudsage.ProjectID, limit int) ([]Notification, error)
	// ClaimNotifications leases one channel that has notifications due at
	// now (pending, NextAt <= now) and no live lease, to owner until
	// now+lease, and returns it with them (at most 100, oldest first).
	// NotFound when nothing is due. On PostgreSQL the channel row is taken
	// with FOR UPDATE SKIP LOCKED, so replicas never claim the same one.
	ClaimNotifications(ctx context.Context, owner string, now time.Time, lease time.Duration) (Claim, error)
	// FinishClaim stores the outcome of a claim — each notification's new
	// status, attempts, error and next time, the channel's rate window —
	// and releases the lease (if owner still holds it).
	FinishClaim(ctx context.Context, c Claim) error
}
