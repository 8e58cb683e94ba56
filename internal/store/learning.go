package store

import (
	"context"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/learn"
)

// Feedback is one person's current feedback on one action (issue 11): the
// ranking counts one opinion per user and action.
type Feedback struct {
	ActionID  string           `json:"action_id"`
	Key       string           `json:"key,omitempty"`
	Status    string           `json:"status"`
	UserID    cloudsage.UserID `json:"user_id"` // 0: an API token
	UserEmail string           `json:"user_email,omitempty"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// Override is a stored manual override, with who set it and when.
type Override struct {
	learn.Override
	UserID    cloudsage.UserID `json:"user_id"`
	UserEmail string           `json:"user_email,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
}

// IncidentID identifies an incident.
type IncidentID int64

// Incident is a stretch of trouble: opened when the project reached high,
// closed once it has been low for a while. The system keeps the times,
// peak and signature; people add the title, root cause and fix.
type Incident struct {
	ID        IncidentID          `json:"id"`
	ProjectID cloudsage.ProjectID `json:"project_id"`
	OpenedAt  time.Time           `json:"opened_at"`
	ClosedAt  *time.Time          `json:"closed_at,omitempty"`
	LowSince  *time.Time          `json:"low_since,omitempty"` // open, and low since then
	PeakScore float64             `json:"peak_score"`
	Title     string              `json:"title"`
	RootCause string              `json:"root_cause"`
	Fix       string              `json:"fix"`
	Signature learn.Signature     `json:"signature"`
	UpdatedAt time.Time           `json:"updated_at"`
}

// Notes are what people write on an incident.
type Notes struct {
	Title     string `json:"title"`
	RootCause string `json:"root_cause"`
	Fix       string `json:"fix"`
}

// LearningStore is the learning part of the store (issue 11): per-user
// feedback, manual overrides and incident memory.
type LearningStore interface {
	// ActionFeedback lists every user's feedback on the project's actions.
	ActionFeedback(ctx context.Context, project cloudsage.ProjectID) ([]Feedback, error)

	// SetOverride stores o (replacing one of the same kind and target).
	SetOverride(ctx context.Context, project cloudsage.ProjectID, o Override) error
	// Overrides lists a project's overrides by kind and target.
	Overrides(ctx context.Context, project cloudsage.ProjectID) ([]Override, error)
	// DeleteOverride removes one (NotFound when there is none).
	DeleteOverride(ctx context.Context, project cloudsage.ProjectID, kind, target string) error

	// SaveIncident inserts inc (ID 0) or updates its times, peak and
	// signature; the notes are left alone. It returns the stored incident.
	SaveIncident(ctx context.Context, inc Incident) (Incident, error)
	// AnnotateIncident sets an incident's notes.
	AnnotateIncident(ctx context.Context, project cloudsage.ProjectID, id IncidentID, n Notes) (Incident, error)
	// Incidents lists a project's incidents, newest first, at most limit.
	Incidents(ctx context.Context, project cloudsage.ProjectID, limit int) ([]Incident, error)
	// Incident returns one (NotFound when the project has no such one).
	Incident(ctx context.Context, project cloudsage.ProjectID, id IncidentID) (Incident, error)
}
