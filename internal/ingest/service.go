package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/advisor"
	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/learn"
	"github.com/cloudsage/cloudsage/internal/parse"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Analysis is what the service needs from an engine report.
type Analysis struct {
	Score        float64
	Label        string
	PatternTotal int
	Templates    map[cloudsage.PatternID]string // templates the report names
	Body         []byte                         // the report as JSON
	Report       *engine.Report                 // the report itself (nil from analyzers that have none)
}

// Notifier plans notifications from a new report before the batch is
// stored (notify.Service): it gets the rules' memory at the state version
// the batch was analysed at and returns the new memory and the outbox rows,
// which Append stores in the batch's transaction.
type Notifier interface {
	Plan(ctx context.Context, pr store.Project, prev []byte, rep *engine.Report) ([]byte, []store.Notification, error)
}

// Analyzer is one project's analysis engine (engine.Engine behind an
// adapter). Not safe for concurrent use: the Service serialises calls.
type Analyzer interface {
	SetDefaultTime(t time.Time)
	AddLines(lines []string) []cloudsage.Event
	Flush() []cloudsage.Event
	LastEventTime() time.Time
	Analyze(at time.Time, horizonHours int) (Analysis, error)
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// PreferenceSetter is an Analyzer that ranks actions by learned
// preferences (action key -> multiplier, see package learn); the service
// hands it the project's before each ingest.
type PreferenceSetter interface {
	SetPreferences(p map[string]float64)
}

// Learner is an Analyzer that takes a project's manual overrides and its
// past incidents (engine.Engine); the service hands it them before each ingest.
type Learner interface {
	SetOverrides(o learn.Overrides) error
	SetIncidents(ms []learn.Memory)
	SetRecentScores(s []float64)
}

// NewAnalyzer returns an empty analyzer for a project's settings.
type NewAnalyzer func(store.Settings) (Analyzer, error)

// Backfill is how old a project's newest event may be before reports are
// evaluated at that event's time instead of the wall clock: logs uploaded
// from the past read as they would in `analyze`, live logs as of now.
const Backfill = time.Hour

// HistoryEvery is how often (at most) a project's report is kept in the
// forecast history; every ingest replaces the latest report.
const HistoryEvery = 5 * time.Minute

// Store is what the ingest service needs of the store (store.Store has
// it): a project's engine state and its short append, the patterns and
// reports an engine is loaded and read with, and what learning feeds the
// analysis.
type Store interface {
	LoadState(ctx context.Context, project cloudsage.ProjectID, known int64) (store.State, error)
	BatchFor(ctx context.Context, project cloudsage.ProjectID, d store.Dedup) (store.Batch, bool, error)
	Append(ctx context.Context, project cloudsage.ProjectID, expected int64, d store.Dedup, w store.Write) (store.Ingested, error)
	Patterns(ctx context.Context, project cloudsage.ProjectID, limit int) ([]store.Pattern, error)
	LatestReport(ctx context.Context, project cloudsage.ProjectID) (store.Report, error)
	Reports(ctx context.Context, project cloudsage.ProjectID, limit int) ([]store.Report, error)

	ActionFeedback(ctx context.Context, project cloudsage.ProjectID) ([]store.Feedback, error)
	Overrides(ctx context.Context, project cloudsage.ProjectID) ([]store.Override, error)
	Incidents(ctx context.Context, project cloudsage.ProjectID, limit int) ([]store.Incident, error)
	SaveIncident(ctx context.Context, inc store.Incident) (store.Incident, error)
}

// Service runs ingests: one engine per project, loaded from the store's
// snapshot on first use and kept in memory, serialised per project.
type Service struct {
	store Store
	newA  NewAnalyzer
	now   func() time.Time
	log   *slog.Logger

	notifier Notifier // nil: no notifications

	reports *reportCache
	// trust says whether cached reports may be used (ok) and since when
	// (entries filled before are not): set by CacheReports.
	trust func() (ok bool, since time.Time)

	mu       sync.Mutex
	projects map[cloudsage.ProjectID]*project
}

// SetNotifier makes every ingest plan notifications with n (call it before
// serving).
func (s *Service) SetNotifier(n Notifier) { s.notifier = n }

type project struct {
	mu       sync.Mutex
	a        Analyzer // nil: load from the store
	version  int64
	settings string                         // JSON of the settings a was built with
	known    map[cloudsage.PatternID]string // stored patterns and their templates
	kept     time.Time                      // when a report was last kept in history
	// in are the analysis' inputs read at learning version inVer
	// (store.State.Learning): used while the stored version is the same.
	in       *inputs
	inVer    int64
	cache    map[int][]byte
	cacheVer int64
	// stale says another replica stored a batch: drop a and the cached
	// reports before the next use. Set without p.mu, so a fan-out never
	// waits on an ingest in progress.
	stale atomic.Bool
}

// NewService returns a Service; now is the wall clock (time.Now), log may be nil.
func NewService(s Store, newA NewAnalyzer, now func() time.Time, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: s, newA: newA, now: now, log: log, projects: map[cloudsage.ProjectID]*project{}, reports: newReportCache(reportCacheBytes)}
}

// CacheReports lets Report serve projects' latest reports from memory
// while trust says so: always when this process is the store's only writer
// (SQLite); with replicas, while the feed that carries other replicas'
// batches to Invalidate is up, and only entries filled after it last came
// up (drops may have been lost while it was down). Without it every Report
// reads the store.
func (s *Service) CacheReports(trust func() (ok bool, since time.Time)) { s.trust = trust }

func (s *Service) project(id cloudsage.ProjectID) *project {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.projects[id]
	if p == nil {
		p = &project{}
		s.projects[id] = p
	}
	return p
}

// Forget drops a project's in-memory engine (after deletion).
func (s *Service) Forget(id cloudsage.ProjectID) {
	s.mu.Lock()
	delete(s.projects, id)
	s.mu.Unlock()
	s.reports.drop(id)
}

// Invalidate drops what this replica holds of a project — its engine and
// cached reports — before their next use, because another replica moved
// the project on.
func (s *Service) Invalidate(id cloudsage.ProjectID) {
	s.reports.drop(id)
	s.mu.Lock()
	p := s.projects[id]
	s.mu.Unlock()
	if p != nil {
		p.stale.Store(true)
		// Free the engine now unless a batch or a report holds it (they
		// drop it themselves): with replicas behind a round-robin balancer
		// most engines go stale at once, and waiting for the project's
		// next batch here would keep them all in memory for nothing.
		if p.mu.TryLock() {
			if p.stale.Swap(false) {
				p.a, p.known, p.cache = nil, nil, nil
			}
			p.mu.Unlock()
		}
	}
}

// Result is the answer to an ingest.
type Result struct {
	Batch     store.Batch
	Events    int
	Duplicate bool // the body (or its Idempotency-Key) was stored before: Batch is that batch, nothing was stored
}

// load (re)builds p's analyzer from a stored state.
func (s *Service) load(ctx context.Context, pr store.Project, p *project, st store.State) error {
	a, err := s.newA(pr.Settings)
	if err != nil {
		return fmt.Errorf("new engine: %w", err)
	}
	if st.Snapshot != nil {
		if err := a.UnmarshalBinary(st.Snapshot); err != nil {
			return fmt.Errorf("load engine snapshot of project %d: %w", pr.ID, err)
		}
	}
	known := map[cloudsage.PatternID]string{}
	ps, err := s.store.Patterns(ctx, pr.ID, 10000)
	if err != nil {
		return err
	}
	for _, pt := range ps {
		known[pt.ID] = pt.Template
	}
	set, _ := json.Marshal(pr.Settings)
	p.a, p.version, p.known, p.settings = a, st.Version, known, string(set)
	p.cache = nil
	return nil
}

// evalTime is when a report is evaluated: now, or the newest event's time
// when the project only has old (backfilled) or future-stamped logs.
func evalTime(now, last time.Time) time.Time {
	if last.IsZero() {
		return now
	}
	if now.Sub(last) > Backfill || last.After(now) {
		return last
	}
	return now
}

// Ingest analyses body for project pr and stores the batch durably. On any
// error nothing of the batch is stored and the project's engine is reloaded
// from the store on next use. A body seen for the project in the last
// store.DedupWindow (the same Idempotency-Key, or the same decoded lines
// when they carry their own times: see selfTimed) is not stored again (nor
// analysed, under a key): the result is the first batch's, marked
// Duplicate.
//
// The batch is analysed outside any store transaction, on the engine this
// replica holds (reloaded first when the stored state moved on), and
// stored with one short Append at the version it was analysed at. When
// another replica stored a batch in between, Append refuses it
// (store.ErrStale): the engine is reloaded and the batch analysed again, up
// to MaxAttempts times. Within a replica the project's mutex serialises
// batches, so only replicas ever race.
func (s *Service) Ingest(ctx context.Context, pr store.Project, body Body) (Result, error) {
	p := s.project(pr.ID)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stale.Swap(false) {
		p.a = nil
	}
	if set, _ := json.Marshal(pr.Settings); p.a != nil && string(set) != p.settings {
		p.a = nil // settings changed: rebuild with the new configuration
	}
	wall := s.now().UTC()
	dedup := store.Dedup{Key: body.Key, Since: wall.Add(-store.DedupWindow)}
	if body.Key != "" || bodySelfTimed(&body) {
		dedup.BodyHash = body.Hash()
	}
	if dedup.Key != "" {
		// A retry under an Idempotency-Key (a client that sends keys
		// retries) is answered without analysing it. A self-timed body
		// without one is looked up by Append alone, under the project's
		// lock: a read per batch for the rare retry is not worth it, and a
		// retry analysed in vain only costs this replica a reload.
		b, dup, err := s.store.BatchFor(ctx, pr.ID, dedup)
		if err != nil {
			return Result{}, err
		}
		if dup {
			return Result{Batch: b, Events: b.Events, Duplicate: true}, nil
		}
	}
	for attempt := 1; ; attempt++ {
		res, err := s.attempt(ctx, pr, p, body, dedup)
		if err == nil {
			return res, nil
		}
		p.a = nil // the engine took the batch's lines: reload it
		if !errors.Is(err, store.ErrStale) || attempt == MaxAttempts || ctx.Err() != nil {
			return Result{}, err
		}
		s.log.Debug("ingest raced another replica: analysing again", "project_id", pr.ID, "attempt", attempt)
	}
}

// MaxAttempts is how many times Ingest analyses a batch when other replicas
// keep storing batches of the same project first.
const MaxAttempts = 5

// inputs is what an analysis takes from the project besides its engine:
// the learned preferences, overrides, incidents and recent scores.
type inputs struct {
	prefs  map[string]float64
	ov     learn.Overrides
	incs   []store.Incident
	recent []float64 // oldest first
}

func (s *Service) inputs(ctx context.Context, id cloudsage.ProjectID) (inputs, error) {
	var in inputs
	var err error
	if in.prefs, err = s.Preferences(ctx, id); err != nil {
		return in, err
	}
	if in.ov, err = s.Overrides(ctx, id); err != nil {
		return in, err
	}
	if in.incs, err = s.store.Incidents(ctx, id, maxIncidents); err != nil {
		return in, err
	}
	kept, err := s.store.Reports(ctx, id, learn.RollingScores)
	if err != nil {
		return in, err
	}
	in.recent = make([]float64, len(kept))
	for i, k := range kept {
		in.recent[len(kept)-1-i] = k.Score
	}
	return in, nil
}

// attempt analyses body on p's engine, brought up to the stored state
// first, and appends the batch at the version it was analysed at. On an
// error the engine has taken the lines though nothing was stored: the
// caller drops it.
func (s *Service) attempt(ctx context.Context, pr store.Project, p *project, body Body, dedup store.Dedup) (Result, error) {
	known := p.version
	if p.a == nil {
		known = -1
	}
	st, err := s.store.LoadState(ctx, pr.ID, known)
	if err != nil {
		return Result{}, err
	}
	// The inputs change rarely (feedback, overrides, incidents, a kept
	// report every HistoryEvery): read them again only when the learning
	// version moved. Read after it, they are at least that recent.
	if p.in == nil || p.inVer != st.Learning {
		in, err := s.inputs(ctx, pr.ID)
		if err != nil {
			return Result{}, err
		}
		p.in, p.inVer = &in, st.Learning
	}
	in := *p.in
	if st.Changed || p.a == nil {
		if err := s.load(ctx, pr, p, st); err != nil {
			return Result{}, err
		}
	}
	now := s.now().UTC()
	p.a.SetDefaultTime(now)
	if ps, ok := p.a.(PreferenceSetter); ok {
		ps.SetPreferences(in.prefs)
	}
	if l, ok := p.a.(Learner); ok {
		if err := l.SetOverrides(in.ov); err != nil {
			return Result{}, fmt.Errorf("apply overrides: %w", err)
		}
		l.SetIncidents(memories(in.incs))
		l.SetRecentScores(in.recent)
	}
	evs := addBody(p.a, &body)
	evs = append(evs, p.a.Flush()...)
	at := evalTime(now, p.a.LastEventTime())
	an, err := p.a.Analyze(at, 24)
	if err != nil {
		return Result{}, fmt.Errorf("analyze: %w", err)
	}
	snap, err := p.a.MarshalBinary()
	if err != nil {
		return Result{}, fmt.Errorf("snapshot engine: %w", err)
	}
	pats, fresh := batchPatterns(evs, an.Templates, p.known)
	formats := map[string]int{}
	for i := range evs {
		f := evs[i].Format
		if f == "" {
			f = "plain"
		}
		formats[f]++
	}
	keep := now.Sub(p.kept) >= HistoryEvery
	var notifyState []byte
	var outbox []store.Notification
	if s.notifier != nil {
		if notifyState, outbox, err = s.notifier.Plan(ctx, pr, st.Notify, an.Report); err != nil {
			return Result{}, fmt.Errorf("plan notifications: %w", err)
		}
	}
	ing, err := s.store.Append(ctx, pr.ID, st.Version, dedup, store.Write{
		Notifications: outbox,
		NotifyState:   notifyState,
		Batch: store.Batch{Source: body.Source, Bytes: body.Bytes, Received: body.Received, Accepted: body.Accepted(),
			Rejected: body.Rejected, Reasons: body.Reasons, Formats: formats, NewPatterns: len(fresh), Score: an.Score, Label: an.Label},
		Events:   evs,
		Patterns: pats,
		Snapshot: snap,
		Report:   &store.Report{At: at, Horizon: 24, Score: an.Score, Label: an.Label, Body: an.Body},
		Keep:     keep,
	})
	s.reports.drop(pr.ID) // even on an error: the commit may have happened
	if err != nil {
		return Result{}, err
	}
	if ing.Duplicate {
		// A concurrent retry was stored between BatchFor and Append: the
		// engine took lines that are not stored this time.
		p.a = nil
		return Result{Batch: ing.Batch, Events: ing.Batch.Events, Duplicate: true}, nil
	}
	p.version = ing.Version
	if keep {
		p.kept = now
	}
	if an.Report != nil {
		// Derived from the committed report: a failure here loses no data
		// and the next ingest tracks again.
		if err := s.trackIncident(ctx, pr.ID, in.incs, an.Report); err != nil {
			s.log.Warn("track incident", "project_id", pr.ID, "error", err)
		}
	}
	return Result{Batch: ing.Batch, Events: len(evs)}, nil
}

// maxIncidents is how many recent incidents are matched against.
const maxIncidents = 200

// Overrides are the project's manual overrides as the engine takes them.
func (s *Service) Overrides(ctx context.Context, id cloudsage.ProjectID) (learn.Overrides, error) {
	os, err := s.store.Overrides(ctx, id)
	if err != nil {
		return learn.Overrides{}, err
	}
	list := make([]learn.Override, len(os))
	for i, o := range os {
		list[i] = o.Override
	}
	return learn.Collect(list), nil
}

// memories are the closed incidents people described, as matching takes them.
func memories(incs []store.Incident) []learn.Memory {
	var out []learn.Memory
	for _, inc := range incs {
		if inc.ClosedAt == nil {
			continue
		}
		out = append(out, learn.Memory{ID: int64(inc.ID), OpenedAt: inc.OpenedAt, Title: inc.Title,
			RootCause: inc.RootCause, Fix: inc.Fix, Signature: inc.Signature})
	}
	return out
}

// trackIncident moves the project's incident on with rep (see learn.Track):
// opens one at high, closes it after a while at low. incs are the
// project's incidents, newest first.
func (s *Service) trackIncident(ctx context.Context, id cloudsage.ProjectID, incs []store.Incident, rep *engine.Report) error {
	var cur *learn.Tracked
	var open store.Incident
	if len(incs) > 0 && incs[0].ClosedAt == nil {
		open = incs[0]
		cur = &learn.Tracked{OpenedAt: open.OpenedAt, LowSince: open.LowSince, Peak: open.PeakScore, Signature: open.Signature}
	}
	next, changed := learn.Track(cur, rep.At, rep.Risk.Label, rep.Risk.Score, rep.Signature)
	if next == nil || !changed {
		return nil
	}
	open.ProjectID, open.OpenedAt, open.LowSince, open.ClosedAt = id, next.OpenedAt, next.LowSince, next.ClosedAt
	open.PeakScore, open.Signature = next.Peak, next.Signature
	inc, err := s.store.SaveIncident(ctx, open)
	if err == nil && cur == nil {
		s.log.Info("incident opened", "project_id", id, "incident_id", inc.ID, "score", rep.Risk.Score)
	}
	return err
}

// Preferences is what the project's action feedback teaches the ranking:
// the learned multiplier per action type (see package learn).
func (s *Service) Preferences(ctx context.Context, id cloudsage.ProjectID) (map[string]float64, error) {
	es, err := s.Learned(ctx, id)
	return learn.Preferences(es), err
}

// Learned is the Beta-Bernoulli estimate per action type from the
// project's feedback (one opinion per user and action), with priors from
// the knowledge base.
func (s *Service) Learned(ctx context.Context, id cloudsage.ProjectID) ([]learn.Estimate, error) {
	as, err := s.store.ActionFeedback(ctx, id)
	if err != nil {
		return nil, err
	}
	return Estimates(as), nil
}

// Estimates is what a project's action feedback as teaches (Learned, for
// a caller that has already read the feedback).
func Estimates(as []store.Feedback) []learn.Estimate {
	fb := make([]learn.Feedback, len(as))
	for i, a := range as {
		fb[i] = learn.Feedback{Key: a.Key, Status: a.Status}
	}
	return learn.Estimates(fb, kbPriors())
}

var kbPriors = sync.OnceValue(func() map[string]learn.Prior { return learn.Priors(advisor.DefaultKB()) })

// batchPatterns aggregates a batch's events by pattern: counts, first and
// last seen, and a template only where the stored one must change (a new
// pattern's template from the report, else its first message; a known
// pattern's when the report generalised it). known maps the patterns
// stored to their stored templates; batchPatterns records its changes
// there and returns the ids not seen before.
func batchPatterns(evs []cloudsage.Event, templates map[cloudsage.PatternID]string, known map[cloudsage.PatternID]string) ([]store.Pattern, []cloudsage.PatternID) {
	idx := map[cloudsage.PatternID]int{}
	var ps []store.Pattern
	var fresh []cloudsage.PatternID
	for i := range evs {
		ev := &evs[i]
		if ev.Pattern == "" {
			continue
		}
		j, ok := idx[ev.Pattern]
		if !ok {
			j = len(ps)
			idx[ev.Pattern] = j
			tpl := templates[ev.Pattern]
			stored, isKnown := known[ev.Pattern]
			switch {
			case !isKnown:
				if tpl == "" {
					tpl = ev.Message
				}
				fresh = append(fresh, ev.Pattern)
			case tpl == stored:
				tpl = "" // unchanged: keep the stored one
			}
			if tpl != "" {
				known[ev.Pattern] = tpl
			}
			ps = append(ps, store.Pattern{ID: ev.Pattern, Template: tpl, FirstSeen: ev.Time, LastSeen: ev.Time})
		}
		p := &ps[j]
		p.Count++
		if ev.Time.Before(p.FirstSeen) {
			p.FirstSeen = ev.Time
		}
		if ev.Time.After(p.LastSeen) {
			p.LastSeen = ev.Time
		}
	}
	// Refresh the generalised templates of known patterns not in this batch.
	var refresh []cloudsage.PatternID
	for id, tpl := range templates {
		if stored, ok := known[id]; ok && tpl != "" && tpl != stored {
			if _, inBatch := idx[id]; !inBatch {
				refresh = append(refresh, id)
			}
		}
	}
	slices.Sort(refresh)
	for _, id := range refresh {
		ps = append(ps, store.Pattern{ID: id, Template: templates[id]})
		known[id] = templates[id]
	}
	return ps, fresh
}

// Report returns the project's report for horizonHours, evaluated at the
// time of the stored latest report: 24 h is the stored one; other horizons
// are computed from the in-memory engine and cached until the next ingest.
func (s *Service) Report(ctx context.Context, pr store.Project, horizonHours int) ([]byte, store.Report, error) {
	latest, err := s.latest(ctx, pr.ID)
	if err != nil || horizonHours == latest.Horizon {
		return latest.Body, latest, err
	}
	p := s.project(pr.ID)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stale.Swap(false) {
		p.a = nil
	}
	if p.a == nil {
		st, err := s.store.LoadState(ctx, pr.ID, -1)
		if err != nil {
			return nil, latest, err
		}
		if err := s.load(ctx, pr, p, st); err != nil {
			return nil, latest, err
		}
	}
	if p.cacheVer != p.version || p.cache == nil {
		p.cache, p.cacheVer = map[int][]byte{}, p.version
	}
	if b, ok := p.cache[horizonHours]; ok {
		return b, latest, nil
	}
	an, err := p.a.Analyze(latest.At, horizonHours)
	if err != nil {
		return nil, latest, err
	}
	p.cache[horizonHours] = an.Body
	latest.Horizon, latest.Score, latest.Label = horizonHours, an.Score, an.Label
	return an.Body, latest, nil
}

// latest is the project's latest stored report, from the cache when it
// may be used (CacheReports).
func (s *Service) latest(ctx context.Context, id cloudsage.ProjectID) (store.Report, error) {
	if s.trust == nil {
		return s.store.LatestReport(ctx, id)
	}
	ok, since := s.trust()
	if !ok {
		return s.store.LatestReport(ctx, id)
	}
	now := time.Now()
	rep, hit, gen := s.reports.get(id, since, now)
	if hit {
		return rep, nil
	}
	rep, err := s.store.LatestReport(ctx, id)
	if err == nil {
		s.reports.put(id, gen, rep, now)
	}
	return rep, err
}

// selfTimedProbe is how many of a body's events selfTimed reads.
const selfTimedProbe = 256

// selfTimed reports whether a body's lines carry their own timestamps (read
// from its first selfTimedProbe events). Only then are the same lines the
// same events, so that a body seen again is a retry. Lines without times
// are stamped on arrival: a heartbeat "ok" or a one-line status posted twice
// is two occurrences, to two servers or a minute apart, and a client that
// retries such bodies names them with an Idempotency-Key.
func selfTimed(lines []string) bool {
	p := parse.New()
	var evs []cloudsage.Event
	n := 0
	for i := 0; i <= len(lines) && n < selfTimedProbe; i++ {
		if i < len(lines) {
			evs = p.Push(evs[:0], lines[i])
		} else {
			evs = p.Flush(evs[:0])
		}
		for _, ev := range evs {
			if ev.TimeGuessed {
				return false
			}
			n++
		}
	}
	return n > 0
}
