// Package store defines what the application needs from its database: users,
// sessions, projects with members and roles, API tokens, the event log with
// full-text search, patterns, forecasts, risk history and action feedback.
// store/sqlite and store/postgres implement it; store/storetest is the suite
// both must pass.
//
// Every method takes a context and returns a *cloudsage.Error of kind
// NotFound for a missing row (never nil, nil) and Conflict for a uniqueness
// violation, so callers never see a driver error type.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/chunk"
	"github.com/cloudsage/cloudsage/internal/settings"
)

// Role is a member's role in a project. Viewers read; members also ingest
// and act on actions; admins change settings, tokens and members.
type Role string

// Roles, from least to most privileged.
const (
	RoleViewer Role = "viewer"
	RoleMember Role = "member"
	RoleAdmin  Role = "admin"
)

func (r Role) rank() int {
	switch r {
	case RoleViewer:
		return 1
	case RoleMember:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether a member with role r may do what needs role min.
func (r Role) Allows(min Role) bool { return r.rank() >= min.rank() && r.rank() > 0 }

// TokenID identifies an API token.
type TokenID int64

// BatchID identifies one ingest request (defined beside the stored form of
// events, internal/chunk).
type BatchID = chunk.BatchID

// User is an account.
type User struct {
	ID           cloudsage.UserID `json:"id"`
	Email        string           `json:"email"`
	Name         string           `json:"name,omitempty"`
	PasswordHash string           `json:"-"` // "" for an account that signs in by link or SSO only
	CreatedAt    time.Time        `json:"created_at"`
	// TOTPSecret is the confirmed second-factor secret ("" when 2FA is
	// off); TOTPPending one being set up, not yet confirmed by a code.
	TOTPSecret  string `json:"-"`
	TOTPPending string `json:"-"`
	// TOTPLastStep is the last 30-second step whose code was accepted, so
	// a code cannot be used twice.
	TOTPLastStep int64 `json:"-"`
}

// TwoFactor reports whether u signs in with a second factor.
func (u User) TwoFactor() bool { return u.TOTPSecret != "" }

// Session is a logged-in browser or client. Only the SHA-256 of the session
// secret is stored.
type Session struct {
	Hash       string
	UserID     cloudsage.UserID
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
	// TwoFactor is whether the session's user has 2FA on (read with the
	// session, so an instance that requires 2FA checks it without a second query).
	TwoFactor bool
}

// ID is the session's public id: a prefix of its hash, enough to name it
// in a list and to revoke it, and no help in forging the cookie.
func (s Session) ID() string {
	if len(s.Hash) < SessionIDLen {
		return s.Hash
	}
	return s.Hash[:SessionIDLen]
}

// SessionIDLen is the length of a session's public id.
const SessionIDLen = 16

// Settings are a project's analysis and retention settings, defined with
// their defaults, validation and engine mapping in package settings.
type Settings = settings.Project

// DefaultSettings are a new project's settings (settings.Default).
func DefaultSettings() Settings { return settings.Default() }

// Project is a set of logs analysed together. Role, Score, Label and
// LastIngestAt are filled when a project is read for a user.
type Project struct {
	ID           cloudsage.ProjectID `json:"id"`
	Name         string              `json:"name"`
	Settings     Settings            `json:"settings"`
	CreatedAt    time.Time           `json:"created_at"`
	Role         Role                `json:"role,omitempty"`
	Score        float64             `json:"score"`
	Label        string              `json:"label"`
	Events       int64               `json:"events"`
	LastIngestAt *time.Time          `json:"last_ingest_at"`
}

// Member is a user's membership of a project. JoinedAt and LastActive
// (their newest entry in the project's activity) are filled by Members.
type Member struct {
	ProjectID  cloudsage.ProjectID `json:"project_id"`
	UserID     cloudsage.UserID    `json:"user_id"`
	Email      string              `json:"email"`
	Role       Role                `json:"role"`
	JoinedAt   time.Time           `json:"joined_at"`
	LastActive *time.Time          `json:"last_active"`
}

// Scope is one thing an API token may do in its project.
type Scope string

// Scopes. A token has one or more; ingest is what a log shipper needs.
const (
	ScopeIngest Scope = "ingest" // send logs
	ScopeRead   Scope = "read"   // read logs, forecasts, patterns, activity
	ScopeAdmin  Scope = "admin"  // everything a project admin may do, tokens and members included
)

// allScopes is every scope, in the order they are shown.
var allScopes = []Scope{ScopeIngest, ScopeRead, ScopeAdmin}

// DefaultScopes are a new token's scopes when none are asked for.
func DefaultScopes() []Scope { return []Scope{ScopeIngest} }

// ParseScopes validates scope names (case-insensitive, surrounding blanks
// ignored) and returns them without repeats in the canonical order; none
// at all is the default, ingest.
func ParseScopes(names []string) ([]Scope, error) {
	if len(names) == 0 {
		return DefaultScopes(), nil
	}
	want := map[Scope]bool{}
	for _, n := range names {
		sc := Scope(strings.ToLower(strings.TrimSpace(n)))
		if !slices.Contains(allScopes, sc) {
			return nil, cloudsage.Errorf(cloudsage.Invalid, "unknown scope %q: scopes are ingest, read and admin", n)
		}
		want[sc] = true
	}
	var out []Scope
	for _, sc := range allScopes {
		if want[sc] {
			out = append(out, sc)
		}
	}
	return out, nil
}

// JoinScopes is the stored form of scopes: comma-separated.
func JoinScopes(scopes []Scope) string {
	parts := make([]string, len(scopes))
	for i, sc := range scopes {
		parts[i] = string(sc)
	}
	return strings.Join(parts, ",")
}

// SplitScopes reads the stored form; unknown names are dropped.
func SplitScopes(s string) []Scope {
	var out []Scope
	for _, n := range strings.Split(s, ",") {
		if sc := Scope(n); slices.Contains(allScopes, sc) && !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// Token is a per-project API token. Only the SHA-256 of the secret is stored.
type Token struct {
	ID        TokenID             `json:"id"`
	ProjectID cloudsage.ProjectID `json:"project_id"`
	Name      string              `json:"name"`
	Prefix    string              `json:"prefix"` // the first characters, to recognise it
	Hash      string              `json:"-"`
	Scopes    []Scope             `json:"scopes"`
	// Role is the project role the token's scopes amount to (admin with
	// admin, viewer with read, member for ingest only); set by the store.
	Role           Role             `json:"role"`
	CreatedBy      cloudsage.UserID `json:"created_by"`
	CreatedByEmail string           `json:"created_by_email,omitempty"` // filled by Tokens
	CreatedByToken TokenID          `json:"created_by_token,omitempty"` // when a token minted it
	CreatedAt      time.Time        `json:"created_at"`
	ExpiresAt      *time.Time       `json:"expires_at"`
	LastUsedAt     *time.Time       `json:"last_used_at"`
	LastIP         string           `json:"last_ip"`
}

// Has reports whether t has scope sc (admin implies every scope).
func (t Token) Has(sc Scope) bool {
	return slices.Contains(t.Scopes, sc) || slices.Contains(t.Scopes, ScopeAdmin)
}

// Expired reports whether t has expired at now.
func (t Token) Expired(now time.Time) bool { return t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) }

// RoleOfScopes is the project role that scopes amount to.
func RoleOfScopes(scopes []Scope) Role {
	switch {
	case slices.Contains(scopes, ScopeAdmin):
		return RoleAdmin
	case slices.Contains(scopes, ScopeRead):
		return RoleViewer
	}
	return RoleMember
}

// ActivityID identifies an activity entry.
type ActivityID int64

// Activity is one entry of a project's activity log: who did what. Actor
// is a user, a token, or both (a token acting for its creator).
type Activity struct {
	ID         ActivityID          `json:"id"`
	ProjectID  cloudsage.ProjectID `json:"project_id"`
	ActorUser  cloudsage.UserID    `json:"actor_user,omitempty"`
	ActorToken TokenID             `json:"actor_token,omitempty"`
	ActorEmail string              `json:"actor_email,omitempty"` // the acting user's, filled by Activities
	Kind       string              `json:"kind"`                  // dotted, e.g. "token.created"
	Detail     json.RawMessage     `json:"detail"`                // a JSON object
	At         time.Time           `json:"at"`
}

// ActivityQuery selects a project's activity, newest first.
type ActivityQuery struct {
	Project cloudsage.ProjectID
	Before  ActivityID // entries with a smaller id; 0 means from the newest
	Kind    string     // only this kind, or kinds under this prefix when it ends in "."; "" means all
	Limit   int        // 1..1000; 0 means 100
}

// Batch is the record of one ingest request.
type Batch struct {
	ID          BatchID             `json:"batch_id"`
	ProjectID   cloudsage.ProjectID `json:"project_id"`
	CreatedAt   time.Time           `json:"created_at"`
	Status      string              `json:"status"` // "committed": only committed batches are stored
	Source      string              `json:"source"` // "text", "ndjson", "json", "multipart", ...
	Bytes       int64               `json:"bytes"`
	Received    int                 `json:"received"`
	Accepted    int                 `json:"accepted"`
	Rejected    int                 `json:"rejected"`
	Formats     map[string]int      `json:"formats"`
	NewPatterns int                 `json:"new_patterns"`
	Score       float64             `json:"score"`
	Label       string              `json:"label"`
	Events      int                 `json:"events"`           // events stored (a multi-line record is one)
	Reasons     []string            `json:"rejected_reasons"` // the first rejection reasons
}

// Event is a stored event: its id, its batch and the event (defined
// beside the stored form of events, internal/chunk).
type Event = chunk.Event

// EventQuery selects events of one project, newest first.
type EventQuery struct {
	Project cloudsage.ProjectID
	Q       string            // the search syntax of package query: words, "phrases", field:value, -exclusions
	Levels  []cloudsage.Level // any of these; empty means all
	Pattern cloudsage.PatternID
	Service string
	Host    string
	From    time.Time // inclusive; zero means unbounded
	To      time.Time // exclusive; zero means unbounded
	Limit   int       // 1..1000; 0 means 100
	Cursor  string    // from EventPage.NextCursor
}

// MaxEventLimit is the largest page of events.
const MaxEventLimit = 1000

// EventPage is one page of events and the cursor of the next ("" at the end).
type EventPage struct {
	Events     []Event `json:"events"`
	NextCursor string  `json:"next_cursor"`
}

// Facets count the events a search matches by level, service and host.
// When more than the counting limit match, the counts are of the newest
// Counted events and Complete is false.
type Facets struct {
	Levels   map[string]int64 `json:"levels"`
	Services map[string]int64 `json:"services"`
	Hosts    map[string]int64 `json:"hosts"`
	Counted  int64            `json:"counted"`
	Complete bool             `json:"complete"`
}

// MaxFacetEvents is how many matching events facets count at most.
const MaxFacetEvents = 100_000

// SearchID identifies a saved search.
type SearchID int64

// SavedSearch is a named logs search of a project; Query is the search's
// URL query string (q, level, service, host, pattern, from, to).
type SavedSearch struct {
	ID        SearchID            `json:"id"`
	ProjectID cloudsage.ProjectID `json:"project_id"`
	Name      string              `json:"name"`
	Query     string              `json:"query"`
	CreatedBy cloudsage.UserID    `json:"created_by,omitempty"`
	CreatedAt time.Time           `json:"created_at"`
}

// Pattern is a mined template as last reported by the engine.
type Pattern struct {
	ID        cloudsage.PatternID `json:"id"`
	Template  string              `json:"template"`
	Count     int64               `json:"count"`
	FirstSeen time.Time           `json:"first_seen"`
	LastSeen  time.Time           `json:"last_seen"`
}

// Report is a stored analysis report (the JSON of engine.Report).
type Report struct {
	ID        int64               `json:"id"`
	ProjectID cloudsage.ProjectID `json:"project_id"`
	At        time.Time           `json:"at"` // the analysis time
	Horizon   int                 `json:"horizon_hours"`
	Score     float64             `json:"score"`
	Label     string              `json:"label"`
	Body      []byte              `json:"-"` // JSON
	CreatedAt time.Time           `json:"created_at"`
}

// RiskPoint is one row of a project's risk history.
type RiskPoint struct {
	At    time.Time `json:"at"`
	Score float64   `json:"score"`
	Label string    `json:"label"`
}

// Action statuses.
const (
	ActionDone      = "done"
	ActionDismissed = "dismissed"
	ActionSnoozed   = "snoozed"
	// ActionNotRelevant: "not relevant for this project"; hidden like dismissed,
	// and a stronger signal against the action's type.
	ActionNotRelevant = "not_relevant"
)

// ActionStatus is a user's feedback on a recommended action.
type ActionStatus struct {
	ProjectID cloudsage.ProjectID `json:"project_id"`
	ActionID  string              `json:"action_id"`
	Key       string              `json:"key,omitempty"` // the action's type (knowledge-base key) when known
	Status    string              `json:"status"`
	Until     *time.Time          `json:"until,omitempty"`
	UserID    cloudsage.UserID    `json:"user_id"`
	UpdatedAt time.Time           `json:"updated_at"`
}

// Hidden reports whether the action should be left out of a report read at now.
func (a ActionStatus) Hidden(now time.Time) bool {
	switch a.Status {
	case ActionDone, ActionDismissed, ActionNotRelevant:
		return true
	case ActionSnoozed:
		return a.Until == nil || now.Before(*a.Until)
	}
	return false
}

// State is a project's engine state as LoadState reads it (and Ingest
// hands the caller's function): its version and, when it differs from the
// version the caller holds, the stored snapshot (nil when the project has
// none yet).
type State struct {
	Version  int64
	Changed  bool   // Version differs from the caller's; Snapshot is the stored one
	Snapshot []byte // valid only when Changed
	Notify   []byte // the notification rules' memory at Version (nil: none yet)
	// Learning changes whenever what the analysis learns from does: the
	// project's action feedback, overrides, incidents or kept forecasts
	// (LoadState only).
	Learning int64
}

// ErrStale is wrapped (in an Unavailable *cloudsage.Error) by Append when
// the project's state moved past the version the batch was analysed at:
// another replica stored a batch meanwhile. Reload the state and analyse
// again.
var ErrStale = errors.New("project state moved on")

// Write is what one ingest batch stores, atomically.
type Write struct {
	Batch    Batch // counts and summary; ID, ProjectID and CreatedAt are set by the store
	Events   []cloudsage.Event
	Patterns []Pattern // upserted: Count is added, a non-empty Template replaces the stored one
	Snapshot []byte    // the engine state after the batch
	Report   *Report   // the latest report (optional)
	Keep     bool      // also keep Report in the forecast history
	// Notifications are outbox rows caused by this batch; NotifyState is
	// the notification rules' memory after it (nil: unchanged).
	Notifications []Notification
	NotifyState   []byte
}

// Ingested is the result of a committed ingest.
type Ingested struct {
	Batch     Batch
	Version   int64 // the new state version
	Duplicate bool  // the batch was seen before: Batch is the first one's and nothing was stored
}

// Dedup names a batch so that a retry of it is answered, not stored again.
// With a Key (the client's Idempotency-Key) the key alone decides, and a
// key reused for another body is a Conflict; without one, a body already
// stored with the same BodyHash is the duplicate. Keys older than Since are
// forgotten.
type Dedup struct {
	BodyHash string // hex SHA-256 of the decoded body
	Key      string
	Since    time.Time
}

// DedupWindow is how long a batch's keys are remembered.
const DedupWindow = 24 * time.Hour

// Store is the whole persistence contract of the server.
type Store interface {
	Close() error
	Ping(ctx context.Context) error
	Dialect() string

	// Secret returns the named instance secret, generating and storing
	// size random bytes on first use.
	Secret(ctx context.Context, name string, size int) ([]byte, error)

	CreateUser(ctx context.Context, u User) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	UserByID(ctx context.Context, id cloudsage.UserID) (User, error)

	CreateSession(ctx context.Context, s Session) error
	SessionByHash(ctx context.Context, hash string, now time.Time) (Session, error)
	DeleteSession(ctx context.Context, hash string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	// CreateProject creates p with owner as its admin.
	CreateProject(ctx context.Context, owner cloudsage.UserID, p Project) (Project, error)
	// Project returns a project as seen by user: NotFound unless user is a member.
	Project(ctx context.Context, id cloudsage.ProjectID, user cloudsage.UserID) (Project, error)
	// ProjectByID returns a project whatever the caller (for tokens and background work).
	ProjectByID(ctx context.Context, id cloudsage.ProjectID) (Project, error)
	Projects(ctx context.Context, user cloudsage.UserID) ([]Project, error)
	AllProjects(ctx context.Context) ([]Project, error)
	UpdateProject(ctx context.Context, p Project) error
	DeleteProject(ctx context.Context, id cloudsage.ProjectID) error
	// SetMember adds a member or changes their role (Conflict when that
	// would leave the project without an admin).
	SetMember(ctx context.Context, m Member) error
	Members(ctx context.Context, id cloudsage.ProjectID) ([]Member, error)
	// RemoveMember removes a member and returns them as they were (Conflict
	// for the last admin).
	RemoveMember(ctx context.Context, id cloudsage.ProjectID, user cloudsage.UserID) (Member, error)

	CreateToken(ctx context.Context, t Token) (Token, error)
	Tokens(ctx context.Context, project cloudsage.ProjectID) ([]Token, error)
	DeleteToken(ctx context.Context, project cloudsage.ProjectID, id TokenID) error
	// TokenByHash finds a token and records its use at now from ip (an
	// expired token is returned, unrecorded: the caller refuses it).
	TokenByHash(ctx context.Context, hash string, now time.Time, ip string) (Token, error)

	// AddActivity appends an entry to a project's activity (At is set by the store).
	AddActivity(ctx context.Context, a Activity) (Activity, error)
	// Activities lists a project's activity, newest first.
	Activities(ctx context.Context, q ActivityQuery) ([]Activity, error)

	// Ingest runs one batch as one transaction: it locks the project's
	// state, calls fn with it (known is the version the caller's engine
	// holds), stores fn's Write and commits. Nothing of a failed batch
	// stays. fn runs under the lock: for tools and tests; the server's
	// ingest analyses first and stores with Append.
	Ingest(ctx context.Context, project cloudsage.ProjectID, known int64, fn func(State) (Write, error)) (Ingested, error)
	// Append stores one analysed batch as one short transaction, the
	// state after it being version expected+1. When d names a batch
	// committed since d.Since it stores nothing and answers that batch with
	// Duplicate set (a Key reused for another body is a Conflict); else
	// when the state is no longer at expected it stores nothing and fails
	// with ErrStale. Concurrent calls with the same names store one batch;
	// concurrent calls at the same version store one. Nothing of a failed
	// batch stays.
	Append(ctx context.Context, project cloudsage.ProjectID, expected int64, d Dedup, w Write) (Ingested, error)
	// BatchFor returns the batch d names when one was committed since
	// d.Since (a read, to skip analysing a retry: Append decides).
	BatchFor(ctx context.Context, project cloudsage.ProjectID, d Dedup) (Batch, bool, error)
	// LoadState returns the project's state version, its notification
	// memory, its learning version (see State.Learning), and its snapshot
	// when the version is not known (-1: always).
	LoadState(ctx context.Context, project cloudsage.ProjectID, known int64) (State, error)
	Batches(ctx context.Context, project cloudsage.ProjectID, limit int) ([]Batch, error)
	SearchEvents(ctx context.Context, q EventQuery) (EventPage, error)
	// EventFacets counts the events q matches (ignoring its Limit and
	// Cursor) by level, service and host, up to MaxFacetEvents.
	EventFacets(ctx context.Context, q EventQuery) (Facets, error)
	// ScanEvents hands fn every event q matches (its Limit and Cursor are
	// ignored) one stored chunk at a time, the chunks newest first and the
	// events of a chunk oldest first, without the search cache: memory stays
	// at one chunk whatever the project's size (exports). An error from fn
	// stops the scan and is returned.
	ScanEvents(ctx context.Context, q EventQuery, fn func(Event) error) error
	CountEvents(ctx context.Context, project cloudsage.ProjectID) (int64, error)
	DeleteEventsBefore(ctx context.Context, project cloudsage.ProjectID, before time.Time) (int64, error)
	Patterns(ctx context.Context, project cloudsage.ProjectID, limit int) ([]Pattern, error)

	// LatestReport returns the report stored by the last ingest.
	LatestReport(ctx context.Context, project cloudsage.ProjectID) (Report, error)
	// Reports returns the kept reports, newest first, without bodies.
	Reports(ctx context.Context, project cloudsage.ProjectID, limit int) ([]Report, error)
	// ReportBody is the JSON of a kept forecast (NotFound when the project has no such one).
	ReportBody(ctx context.Context, project cloudsage.ProjectID, id int64) ([]byte, error)
	RiskHistory(ctx context.Context, project cloudsage.ProjectID, from, to time.Time) ([]RiskPoint, error)

	// SaveSearch stores a named search (Conflict when the project has one
	// of that name).
	SaveSearch(ctx context.Context, s SavedSearch) (SavedSearch, error)
	SavedSearches(ctx context.Context, project cloudsage.ProjectID) ([]SavedSearch, error)
	DeleteSearch(ctx context.Context, project cloudsage.ProjectID, id SearchID) error

	// SetActionStatus records feedback on an action: the project's shared
	// status, and the user's own opinion (see ActionFeedback).
	SetActionStatus(ctx context.Context, a ActionStatus) error
	ActionStatuses(ctx context.Context, project cloudsage.ProjectID) ([]ActionStatus, error)
	// DeleteActionStatus removes the feedback on an action, every user's
	// (NotFound when none).
	DeleteActionStatus(ctx context.Context, project cloudsage.ProjectID, actionID string) error

	NotifyStore   // notify.go
	SignInStore   // signin.go
	LearningStore // learning.go
	DumpStore     // dump.go
	TeamStore     // teams.go
	BillingStore  // billing.go
}

// IsNotFound reports whether err is a NotFound error.
func IsNotFound(err error) bool { return cloudsage.KindOf(err) == cloudsage.NotFound }

// ErrNotFound is returned (wrapped in a *cloudsage.Error) for a missing row.
var ErrNotFound = errors.New("not found")

// NotFoundf returns a NotFound error for what.
func NotFoundf(format string, args ...any) error {
	return &cloudsage.Error{Kind: cloudsage.NotFound, Message: fmt.Sprintf(format, args...), Err: ErrNotFound}
}
