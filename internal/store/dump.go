package store

import (
	"context"
	"time"

	"github.com/cloudsage/cloudsage"
)

// Record is one part of a whole project as `cloudsage export` writes it and
// `cloudsage import` reads it: exactly one field is set. Batch ids are the
// exporting store's; an import maps them to its own.
type Record struct {
	State    *ProjectState `json:"state,omitempty"`
	Batch    *Batch        `json:"batch,omitempty"`
	Pattern  *Pattern      `json:"pattern,omitempty"`
	Forecast *Forecast     `json:"forecast,omitempty"`
	Risk     *RiskRow      `json:"risk,omitempty"`
	Action   *ActionStatus `json:"action,omitempty"`
	Search   *SavedSearch  `json:"search,omitempty"`
	Events   []Event       `json:"events,omitempty"` // one stored chunk's events, of one batch
}

// ProjectState is a project's engine state and latest report.
type ProjectState struct {
	Snapshot      []byte     `json:"snapshot"`
	Report        []byte     `json:"report,omitempty"` // the latest report's JSON
	ReportAt      *time.Time `json:"report_at,omitempty"`
	ReportHorizon int        `json:"report_horizon,omitempty"`
	Score         float64    `json:"score"`
	Label         string     `json:"label"`
	LastIngestAt  *time.Time `json:"last_ingest_at,omitempty"`
}

// Forecast is a kept report with its body.
type Forecast struct {
	Report
	Body []byte `json:"body"`
}

// RiskRow is a risk history row with the batch that caused it.
type RiskRow struct {
	RiskPoint
	Batch BatchID `json:"batch_id,omitempty"`
}

// DumpStore moves whole projects between stores (cloudsage export and
// import): settings, engine state, batches, events, patterns, forecasts,
// risk history, action feedback and saved searches. Members, tokens,
// sessions, activity and notification channels and rules stay behind.
type DumpStore interface {
	// DumpProject hands fn the project's records in one read transaction
	// (a consistent view while ingests go on): the state first, then
	// batches, patterns, forecasts, risk rows, actions, searches, and the
	// events one stored chunk at a time.
	DumpProject(ctx context.Context, id cloudsage.ProjectID, fn func(Record) error) error
	// ImportProject creates p (name and settings) with owner as its admin and
	// stores every record next returns until it returns io.EOF, all in one
	// transaction: any error, from next or the database, leaves nothing.
	// Batches must come before the events and risk rows that name them.
	ImportProject(ctx context.Context, owner cloudsage.UserID, p Project, next func() (Record, error)) (Project, error)
}
