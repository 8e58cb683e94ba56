package ui

import (
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// The view models: plain structs that handlers fill and templates read.
// Every page embeds Layout.

// Layout is what every page's frame needs.
type Layout struct {
	Title   string
	User    string      // the signed-in user's email; "" on the sign-in pages
	Project *ProjectRef // set on a project's pages: adds its tabs
	Tab     string      // the project tab shown: "overview", "logs", "ingest", "settings"
	Live    string      // the URL of the page's live-update stream; "" for none
	Flash   string      // a one-line notice ("Saved")
	Now     time.Time   // the time the page was rendered ("2 m ago" is relative to it)
	// DataTo is the time of the newest event a project page shows (zero:
	// none); the page states it, and says plainly when it is old.
	DataTo time.Time
}

// ProjectRef names a project in links.
type ProjectRef struct {
	ID   cloudsage.ProjectID
	Name string
	Role store.Role
}

// CanAct reports whether the viewer may ingest and act on actions.
func (p *ProjectRef) CanAct() bool {
	return p != nil && (p.Role == "" || p.Role.Allows(store.RoleMember))
}

// CanAdmin reports whether the viewer may change settings and tokens.
func (p *ProjectRef) CanAdmin() bool {
	return p != nil && (p.Role == "" || p.Role.Allows(store.RoleAdmin))
}

// AuthPage is the sign-in and sign-up page.
type AuthPage struct {
	Layout
	Email    string
	Error    string
	FirstRun bool   // no account exists yet: the sign-up page greets the first user
	Next     string // where to go after signing in (a local path)
	// Sign-in beyond the password (account.go).
	MagicLink bool        // "Email me a sign-in link" is offered (an SMTP server is configured)
	SSO       []SSOButton // single sign-on providers
	Token     string      // the magic-link page: the link's token, confirmed by a button
}

// ErrorPage is a full-page error.
type ErrorPage struct {
	Layout
	Status    int
	Message   string
	RequestID string
}

// ProjectsPage lists the user's projects.
type ProjectsPage struct {
	Layout
	Cards    []ProjectCard
	Activity []Activity
	Engine   EngineStatus
	Error    string // the new-project form's error
	Name     string // the new-project form's value
}

// ProjectCard is one project on the projects page.
type ProjectCard struct {
	ID      cloudsage.ProjectID
	Name    string
	Score   float64
	Label   string
	Events  int64
	Updated time.Time // zero: no logs yet
	Spark   Sparkline
	// Critical is how many critical actions are open (not done, dismissed
	// or snoozed) in the latest report.
	Critical int
}

// Activity is one line of recent activity across projects.
type Activity struct {
	At      time.Time
	Project ProjectRef
	Kind    string // "ingest", "score", "pattern"
	Text    string
	Label   string // the label it concerns, for its colour; "" for none
	URL     string
}

// EngineStatus is the health line of the projects page.
type EngineStatus struct {
	Healthy   bool
	Text      string  // "Healthy", or what is wrong
	Store     string  // "sqlite", "postgres"
	LatencyMS float64 // the store's round trip
	Version   string
}

// ProjectPage is a project's dashboard.
type ProjectPage struct {
	Layout
	HasReport bool
	Events    int64
	Score     ScoreView
	Factors   []FactorView
	Floor     string // why the score is at least a label's threshold ("" when it is not raised)
	Forecast  ForecastPanel
	Actions   []ActionView
	Hidden    int // actions done, dismissed or snoozed
	Patterns  []PatternView
	History   Chart // 30 days of risk
	LogsURL   string
	Team      TeamPanel // comments and activity
	Learning  LearningView
}

// LearningView is the project page's learning progress: what feedback and
// overrides changed, how the forecasts fared, the incidents remembered.
type LearningView struct {
	FeedbackEvents int
	Changes        []string
	Accuracy       AccuracyView
	Similar        []SimilarView // past incidents like the present trouble
	Incidents      []IncidentView
}

// AccuracyView is how the kept forecasts fared, as figures for people.
type AccuracyView struct {
	Scored, Pending int
	HitRate         string // "83%"
	Precision       string
	Recall          string
	Brier           string // "0.12 (climatology 0.15)"
	Coverage        string // "80% of 20"
	ByDay           []AccuracyDay
}

// AccuracyDay is one day's figures.
type AccuracyDay struct {
	Day                                  string
	N                                    int
	HitRate, Precision, Recall, Coverage string
	Brier                                string
}

// SimilarView is a past incident like the present.
type SimilarView struct{ Text string }

// IncidentView is one remembered incident.
type IncidentView struct {
	ID        int64
	Opened    time.Time
	Closed    *time.Time
	Peak      float64
	Title     string
	RootCause string
	Fix       string
	Moved     string // what moved: "error_rate, latency; 3 patterns: ..."
}

// ScoreView is the score badge.
type ScoreView struct {
	ProjectID cloudsage.ProjectID
	Score     float64
	Label     string
	Trend     float64   // points per hour
	Updated   time.Time // when the project last received logs (the analysis ran)
	DataTo    time.Time // the newest event the score is computed from
	Now       time.Time
	LogsURL   string
}

// FactorView is one risk factor.
type FactorView struct {
	Name     string // error_rate, ...
	Title    string // "Error rate"
	Value    string // "35%"
	Baseline string // "0.8%"; "" when there is none
	Status   string // normal, elevated, high
	Detail   string
	Points   float64
	Weight   float64
	Measured bool
	Top      bool // among the three that drive the score
	Summary  string
	LogsURL  string
}

// ForecastPanel is the forecast with the advisor's chain.
type ForecastPanel struct {
	ProjectID  cloudsage.ProjectID
	Horizon    int
	Horizons   []int
	PHigh      float64 // 0..1
	Confidence float64 // 0..1
	PeakScore  float64
	PeakTime   time.Time
	Why        string
	Chain      string // critical, preventive, standard
	ChainTitle string
	Lookahead  int
	Steps      []StepView
	Chart      Chart
	High       float64
}

// StepView is one step of the chain.
type StepView struct {
	N          int
	Name       string // "Context analysis"
	Status     string // done, running, pending
	Summary    string
	DurationMS float64
}

// ActionView is one recommended action.
type ActionView struct {
	ID       string
	Title    string
	Why      string
	Priority string
	Steps    []string // further steps of the same problem
	Patterns []PatternLink
	Numbers  []NumberView
	Samples  []string
	LogsURL  string
	PostURL  string
	// Comments on the action and where the comment form posts.
	Comments   []CommentView
	CommentURL string
}

// PatternLink links a pattern id to its log lines.
type PatternLink struct {
	ID       cloudsage.PatternID
	Template string
	URL      string
}

// NumberView is one named number of an action's evidence.
type NumberView struct {
	Name  string
	Value string
	URL   string
}

// PatternView is one row of the top patterns.
type PatternView struct {
	ID        cloudsage.PatternID
	Template  string
	Count     int64
	Recent    int64
	Errors    int64
	Trend     string
	New       bool
	LastSeen  time.Time
	URL       string
	ErrorsURL string
}

// Chart is the data of a uPlot chart, serialised into a data attribute.
type Chart struct {
	Kind      string      // "forecast", "history"
	JSON      string      // {"x": [...unix s], "series": {...}, "high": 70}
	Empty     bool        // nothing to draw yet
	Table     []ChartItem // a text alternative for screen readers and no-JS
	Scenarios []ScenarioLegend
}

// ScenarioLegend names a forecast scenario drawn on the chart.
type ScenarioLegend struct {
	Name  string // "persists", "resolved": its colour
	Title string // "If it persists (84% likely still going in 6 h)"
}

// ChartItem is one row of a chart's text alternative.
type ChartItem struct {
	At    time.Time
	Value string
}

// Sparkline is a server-rendered inline SVG line.
type Sparkline struct {
	Points string // SVG polyline points in a 120x32 box
	Area   string // the polygon under it
	Empty  bool
	Min    float64
	Max    float64
	Desc   string // text alternative
}

// IngestPage is the upload and paste page.
type IngestPage struct {
	Layout
	APIURL   string // where the browser posts logs
	Batches  []BatchView
	Result   *BatchView // the batch just ingested (after a form post without JS)
	Error    string
	MaxBytes int64
}

// BatchView is one ingest batch.
type BatchView struct {
	ID          store.BatchID
	At          time.Time
	Source      string
	Bytes       int64
	Received    int
	Accepted    int
	Rejected    int
	Formats     []KV
	NewPatterns int
	Score       float64
	Label       string
}

// KV is a name and a count.
type KV struct {
	Name  string
	Count int64
}

// LogsPage is the log search page.
type LogsPage struct {
	Layout
	Filter   LogFilter
	Lines    []LogLine
	NextURL  string
	Levels   []Facet // over the current search
	Services []Facet
	Hosts    []Facet
	Patterns []Facet // over the project's history (the latest report)
	// FacetsCounted is how many events the facets counted; not
	// FacetsComplete when that was the counting limit, not every match.
	FacetsCounted  int64
	FacetsComplete bool
	Newest         time.Time // the project's newest event (zero: none)
	Saved          []SavedSearchView
	SaveQuery      string // the current search as a saved search's query
	Tail           bool   // live tail on
	SelfURL        string // this search, for the live tail's refresh
	TailURL        string // toggles the tail
	Error          string
}

// LogFilter is the search form's state.
type LogFilter struct {
	Q       string
	Level   string
	Pattern string
	Service string
	Host    string
	From    string
	To      string
}

// SavedSearchView is a saved search in the logs page's list.
type SavedSearchView struct {
	Name      string
	URL       string
	DeleteURL string
	Active    bool // the current search
}

// LogLine is one event in the results.
type LogLine struct {
	ID         int64
	Time       time.Time
	Level      string
	Service    string
	Host       string
	Pattern    cloudsage.PatternID
	PatternURL string
	Parts      []Part // the message, split at the query's matches
}

// Part is a piece of a message; Hit marks a match of the query.
type Part struct {
	Text string
	Hit  bool
}

// Facet is one filter value with its count.
type Facet struct {
	Name   string
	Title  string
	Count  int64
	URL    string
	Active bool
}

// SettingsPage is a project's settings.
type SettingsPage struct {
	Layout
	Settings  store.Settings
	Tokens    []TokenView
	NewToken  string // a token just created: shown once
	CurlLine  string
	IngestURL string
	Errors    []string
	Members   []store.Member
	Notify    NotifyView // notification channels, rules and history
	Overrides OverridesView
}

// OverridesView is the manual-overrides part of the settings page.
type OverridesView struct {
	List  []OverrideView
	Kinds []string
	Types map[string]string // action key -> name, for the pin and mute choices
}

// OverrideView is one override with what it changes.
type OverrideView struct {
	store.Override
	Text string
}

// NotifyView is the notifications part of the settings page.
type NotifyView struct {
	On          bool // the server runs the notifier
	MailEnabled bool // SMTP is configured: email channels can be added
	Types       []string
	Kinds       []string
	Channels    []ChannelView
	Rules       []RuleView
	History     []NotificationView
	NewSecret   string // a webhook secret just generated: shown once
	Test        *NotificationView
}

// ChannelView is one notification channel (secrets masked).
type ChannelView struct {
	ID         store.ChannelID
	Type       string
	Name       string
	Target     string
	SecretHint string
	Quiet      string // "22:00–07:00" or ""
	MaxPerHour int
	Enabled    bool
}

// RuleView is one notification rule.
type RuleView struct {
	ID       store.RuleID
	Name     string
	Kind     string
	When     string // the thresholds, in words
	Channels string // channel names, or "all channels"
	Critical bool
	Enabled  bool
}

// NotificationView is one row of the notification history.
type NotificationView struct {
	Created   time.Time
	Sent      time.Time
	Channel   string
	Title     string
	Status    string
	Held      string
	Next      time.Time
	Attempts  int
	LastError string
	Grouped   int
	Digest    bool
}

// TokenView is one API token.
type TokenView struct {
	ID       store.TokenID
	Name     string
	Prefix   string
	Scopes   string // "ingest, read"
	Creator  string // the creating user's email, and the token that minted it if one did
	Created  time.Time
	LastUsed time.Time
	LastIP   string
	Expires  time.Time // zero: never
	Expired  bool
}
