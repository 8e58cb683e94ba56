package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/engine"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Options configure a Service.
type Options struct {
	BaseURL     string        // the dashboard's public URL, for links ("" : no links)
	Poll        time.Duration // how often the worker looks for due notifications (default 1 s)
	Lease       time.Duration // how long a claimed channel stays with one worker (default 2 min)
	RetryBase   time.Duration // first retry delay (default 30 s); doubles per attempt, with jitter
	RetryMax    time.Duration // longest retry delay (default 1 h)
	MaxAttempts int           // attempts before a notification fails for good (default 10)
	Now         func() time.Time
	Logger      *slog.Logger
}

// Store is what the service needs of the store: a project's channels,
// rules and latest report to plan from, and the notification queue.
type Store interface {
	Channels(ctx context.Context, project cloudsage.ProjectID) ([]store.Channel, error)
	Rules(ctx context.Context, project cloudsage.ProjectID) ([]store.Rule, error)
	LatestReport(ctx context.Context, project cloudsage.ProjectID) (store.Report, error)
	AddNotifications(ctx context.Context, ns []store.Notification) ([]store.Notification, error)
	ClaimNotifications(ctx context.Context, owner string, now time.Time, lease time.Duration) (store.Claim, error)
	FinishClaim(ctx context.Context, c store.Claim) error
}

// Service plans notifications when reports change (Plan, inside the
// ingest transaction) and delivers them (Run).
type Service struct {
	store  Store
	send   *Sender
	opt    Options
	now    func() time.Time
	log    *slog.Logger
	owner  string
	jitter func() float64
}

// New returns a Service.
func New(st Store, send *Sender, o Options) *Service {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 30 * time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = time.Hour
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	b := make([]byte, 6)
	rand.Read(b)
	return &Service{store: st, send: send, opt: o, now: o.Now, log: o.Logger, owner: hex.EncodeToString(b), jitter: mrand.Float64}
}

// MailEnabled reports whether email channels can be used.
func (s *Service) MailEnabled() bool { return s.send.MailEnabled() }

// ProjectURL is the link to a project's page.
func (s *Service) ProjectURL(id cloudsage.ProjectID) string {
	if s.opt.BaseURL == "" {
		return ""
	}
	return s.opt.BaseURL + "/projects/" + strconv.FormatInt(int64(id), 10)
}

// Plan runs the project's rules on a new report (inside the ingest
// transaction): it returns the rules' new memory and the outbox rows to
// store with the report. rep may be nil (no report: nothing changes).
func (s *Service) Plan(ctx context.Context, pr store.Project, prev []byte, rep *engine.Report) ([]byte, []store.Notification, error) {
	if rep == nil {
		return nil, nil, nil
	}
	var st State
	if len(prev) > 0 {
		if err := json.Unmarshal(prev, &st); err != nil {
			s.log.Warn("notify: unreadable rule memory, starting afresh", "project_id", pr.ID, "error", err)
			st = State{}
		}
	}
	chans, err := s.store.Channels(ctx, pr.ID)
	if err != nil {
		return nil, nil, err
	}
	chans = slices.DeleteFunc(chans, func(c store.Channel) bool { return !c.Enabled })
	var rules []store.Rule
	if len(chans) > 0 { // without a channel the rules have nobody to tell: only the memory moves on
		if rules, err = s.store.Rules(ctx, pr.ID); err != nil {
			return nil, nil, err
		}
		rules = slices.DeleteFunc(rules, func(r store.Rule) bool { return !r.Enabled })
	}
	base := Event{ProjectID: int64(pr.ID), Project: pr.Name, URL: s.ProjectURL(pr.ID)}
	next, fired := Evaluate(st, rules, rep, pr.Settings.HighThreshold, base)
	var out []store.Notification
	for _, f := range fired {
		payload, err := json.Marshal(f.Event)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range chans {
			if len(f.Rule.Channels) > 0 && !slices.Contains(f.Rule.Channels, c.ID) {
				continue
			}
			out = append(out, store.Notification{ProjectID: pr.ID, ChannelID: c.ID, RuleID: f.Rule.ID, Kind: f.Event.Kind, NextAt: s.now().UTC(),
				Title: f.Event.Title, Critical: f.Rule.Critical, Payload: payload, Status: store.NotifyPending})
		}
	}
	b, err := json.Marshal(next)
	return b, out, err
}

// SendTest sends a test message to channel c now, records it in the
// history, and returns the record (status sent or failed, with the error).
func (s *Service) SendTest(ctx context.Context, pr store.Project, c store.Channel) (store.Notification, error) {
	now := s.now().UTC()
	ev := Event{Kind: KindTest, Title: fmt.Sprintf("%s: test message from CloudSage", pr.Name),
		Text: fmt.Sprintf("Channel %q is set up: this is what a notification looks like.", c.Name), At: now,
		ProjectID: int64(pr.ID), Project: pr.Name, URL: s.ProjectURL(pr.ID), Score: pr.Score, Label: pr.Label}
	if ev.Label == "" {
		ev.Label = "low"
	}
	if rep, err := s.store.LatestReport(ctx, pr.ID); err == nil {
		var r engine.Report
		if json.Unmarshal(rep.Body, &r) == nil {
			ev.Factors, ev.Actions = topFactors(&r), topActions(&r)
		}
	}
	payload, _ := json.Marshal(ev)
	n := store.Notification{ProjectID: pr.ID, ChannelID: c.ID, Kind: KindTest, Title: ev.Title, Payload: payload, Attempts: 1, NextAt: now}
	err := s.send.Send(ctx, c, Message{ID: "test-" + s.owner + "-" + strconv.FormatInt(now.UnixNano(), 36), Events: []Event{ev}, SentAt: now})
	if err != nil {
		n.Status, n.LastError = store.NotifyFailed, cut(err.Error(), 500)
	} else {
		n.Status, n.SentAt, n.Grouped = store.NotifySent, &now, 1
	}
	ns, serr := s.store.AddNotifications(ctx, []store.Notification{n})
	if serr != nil {
		return n, serr
	}
	return ns[0], nil
}

// Run delivers due notifications until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.opt.Poll)
	defer t.Stop()
	for {
		if _, err := s.Deliver(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("notify: deliver", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Deliver sends everything due now, channel by channel, and returns how
// many messages went out.
func (s *Service) Deliver(ctx context.Context) (int, error) {
	sent := 0
	for ctx.Err() == nil {
		c, err := s.store.ClaimNotifications(ctx, s.owner, s.now().UTC(), s.opt.Lease)
		if store.IsNotFound(err) {
			return sent, nil
		}
		if err != nil {
			return sent, err
		}
		ok := s.deliverClaim(ctx, &c)
		if err := s.store.FinishClaim(context.WithoutCancel(ctx), c); err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, ctx.Err()
}

// deliverClaim decides what of a claim goes out now — quiet hours hold
// what is not critical until they end, a full rate window holds
// everything until it rolls — sends the rest as one message (grouping
// flaps and digests) and records the outcome on c. It reports whether a
// message was delivered.
func (s *Service) deliverClaim(ctx context.Context, c *store.Claim) bool {
	now := s.now().UTC()
	ch := &c.Channel
	loc, err := time.LoadLocation(c.Project.Settings.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	var send []*store.Notification
	if end, quiet := quietUntil(ch.QuietStart, ch.QuietEnd, now.In(loc)); quiet {
		for i := range c.Notifications {
			n := &c.Notifications[i]
			if n.Critical {
				send = append(send, n)
				continue
			}
			n.Held, n.NextAt = "quiet hours", end.UTC()
		}
	} else {
		for i := range c.Notifications {
			send = append(send, &c.Notifications[i])
		}
	}
	if len(send) == 0 {
		return false
	}
	if now.Sub(ch.WindowStart) >= time.Hour {
		ch.WindowStart, ch.WindowCount = now, 0
	}
	if ch.MaxPerHour > 0 && ch.WindowCount >= ch.MaxPerHour {
		until := ch.WindowStart.Add(time.Hour)
		for _, n := range send {
			n.Held, n.NextAt = fmt.Sprintf("rate limit (%d an hour)", ch.MaxPerHour), until
		}
		return false
	}
	msg := Message{ID: fmt.Sprintf("cs-%d-%d", ch.ID, send[0].ID), SentAt: now}
	for _, n := range send {
		var ev Event
		if err := json.Unmarshal(n.Payload, &ev); err != nil {
			ev = Event{Kind: n.Kind, Title: n.Title, At: n.CreatedAt, ProjectID: int64(n.ProjectID), Project: c.Project.Name}
		}
		msg.Events = append(msg.Events, ev)
		if n.Held == "quiet hours" {
			msg.Digest = true
		}
	}
	// The send must end well inside the lease, or another worker could
	// claim the channel and send the same message.
	sctx, cancel := context.WithTimeout(ctx, max(s.opt.Lease*3/4, time.Second))
	err = s.send.Send(sctx, *ch, msg)
	cancel()
	if err == nil {
		for _, n := range send {
			n.Status, n.SentAt, n.Grouped, n.Digest, n.LastError, n.Held = store.NotifySent, &now, len(send), msg.Digest, "", ""
			n.Attempts++
		}
		ch.WindowCount++
		s.log.Info("notify: sent", "project_id", c.Project.ID, "channel_id", ch.ID, "type", ch.Type, "notifications", len(send), "digest", msg.Digest)
		return true
	}
	var se *SendError
	permanent, wait := false, time.Duration(0)
	if errors.As(err, &se) {
		permanent, wait = se.Permanent, se.RetryAfter
	}
	for _, n := range send {
		n.Attempts++
		n.LastError = cut(err.Error(), 500)
		switch {
		case permanent || n.Attempts >= s.opt.MaxAttempts:
			n.Status, n.Held = store.NotifyFailed, ""
		default:
			d := wait
			if d <= 0 {
				d = s.backoff(n.Attempts)
			}
			n.Held, n.NextAt = "retry", now.Add(d)
		}
	}
	s.log.Warn("notify: delivery failed", "project_id", c.Project.ID, "channel_id", ch.ID, "type", ch.Type,
		"notifications", len(send), "permanent", permanent, "error", err)
	return false
}

// backoff is the delay before attempt+1: RetryBase doubled per attempt up
// to RetryMax, with "equal jitter" (half fixed, half random) so that
// receivers coming back are not hit by every sender at once.
func (s *Service) backoff(attempt int) time.Duration {
	d := float64(s.opt.RetryBase) * math.Pow(2, float64(attempt-1))
	d = math.Min(d, float64(s.opt.RetryMax))
	return time.Duration(d/2 + s.jitter()*d/2)
}

// quietUntil reports whether local (a time in the project's zone) falls in
// the quiet window [start, end) given as "HH:MM" (a window may span
// midnight), and when the window ends.
func quietUntil(start, end string, local time.Time) (time.Time, bool) {
	if start == "" || end == "" {
		return time.Time{}, false
	}
	sm, ok1 := minutes(start)
	em, ok2 := minutes(end)
	if !ok1 || !ok2 || sm == em {
		return time.Time{}, false
	}
	now := local.Hour()*60 + local.Minute()
	in := sm < em && now >= sm && now < em || sm > em && (now >= sm || now < em)
	if !in {
		return time.Time{}, false
	}
	y, m, d := local.Date()
	until := time.Date(y, m, d, em/60, em%60, 0, 0, local.Location())
	if !until.After(local) {
		until = time.Date(y, m, d+1, em/60, em%60, 0, 0, local.Location())
	}
	return until, true
}

func minutes(hhmm string) (int, bool) {
	h, m, ok := strings.Cut(hhmm, ":")
	hi, err1 := strconv.Atoi(h)
	mi, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hi < 0 || hi > 23 || mi < 0 || mi > 59 {
		return 0, false
	}
	return hi*60 + mi, true
}
