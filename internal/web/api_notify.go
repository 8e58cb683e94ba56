package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/notify"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Notifications API (issue 9): channels, rules and the history. Secrets
// never leave the server: a channel shows a hint of its secret, and a
// Slack or Discord URL (whose path is its key) is shown masked.

// channelView is a channel as the API shows it.
type channelView struct {
	ID         store.ChannelID     `json:"id"`
	ProjectID  cloudsage.ProjectID `json:"project_id"`
	Type       string              `json:"type"`
	Name       string              `json:"name"`
	Target     string              `json:"target"`
	SecretHint string              `json:"secret_hint,omitempty"`
	QuietStart string              `json:"quiet_start"`
	QuietEnd   string              `json:"quiet_end"`
	MaxPerHour int                 `json:"max_per_hour"`
	Enabled    bool                `json:"enabled"`
	CreatedAt  time.Time           `json:"created_at"`
}

func viewChannel(c store.Channel) channelView {
	return channelView{ID: c.ID, ProjectID: c.ProjectID, Type: c.Type, Name: c.Name, Target: notify.MaskTarget(c),
		SecretHint: notify.Mask(c.Secret), QuietStart: c.QuietStart, QuietEnd: c.QuietEnd, MaxPerHour: c.MaxPerHour,
		Enabled: c.Enabled, CreatedAt: c.CreatedAt}
}

// channelInput is the body of POST (all fields) and PUT (fields given
// replace the current ones) on channels.
type channelInput struct {
	Type       *string `json:"type"`
	Name       *string `json:"name"`
	Target     *string `json:"target"`
	Secret     *string `json:"secret"`
	QuietStart *string `json:"quiet_start"`
	QuietEnd   *string `json:"quiet_end"`
	MaxPerHour *int    `json:"max_per_hour"`
	Enabled    *bool   `json:"enabled"`
}

func (in channelInput) apply(c *store.Channel) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.Type, in.Type)
	set(&c.Name, in.Name)
	set(&c.Target, in.Target)
	set(&c.Secret, in.Secret)
	set(&c.QuietStart, in.QuietStart)
	set(&c.QuietEnd, in.QuietEnd)
	if in.MaxPerHour != nil {
		c.MaxPerHour = *in.MaxPerHour
	}
	if in.Enabled != nil {
		c.Enabled = *in.Enabled
	}
}

// notifier returns the notification service, or Unavailable when the
// server runs without one.
func (s *Server) notifier() (*notify.Service, error) {
	if s.notify == nil {
		return nil, cloudsage.Errorf(cloudsage.Unavailable, "notifications are not enabled on this server")
	}
	return s.notify, nil
}

// guard is the SSRF guard for channel targets (nil: private targets allowed).
func (s *Server) guard() *notify.Guard {
	if !s.cfg.WebhookDenyPrivate {
		return nil
	}
	return &notify.Guard{DenyPrivate: true}
}

// createChannel validates and stores a new channel of pr; a webhook without
// a secret gets a generated one, returned here only.
func (s *Server) createChannel(ctx context.Context, pr store.Project, c store.Channel) (store.Channel, string, error) {
	n, err := s.notifier()
	if err != nil {
		return c, "", err
	}
	c.ProjectID = pr.ID
	if err := notify.CheckChannel(&c, n.MailEnabled(), s.guard()); err != nil {
		return c, "", err
	}
	var generated string
	if c.Type == notify.Webhook && c.Secret == "" {
		generated = notify.NewSecret()
		c.Secret = generated
	}
	c, err = s.store.CreateChannel(ctx, c, notify.DefaultRules())
	return c, generated, err
}

// POST /api/projects/{id}/channels {"type", "name", "target", "secret",
// "quiet_start", "quiet_end", "max_per_hour", "enabled"}: admins add a channel.
func (s *Server) channelCreate(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	var in channelInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	c := store.Channel{MaxPerHour: notify.DefaultMaxPerHour, Enabled: true}
	in.apply(&c)
	c, generated, err := s.createChannel(r.Context(), pr, c)
	if err != nil {
		return err
	}
	answer := struct {
		channelView
		Secret string `json:"secret,omitempty"` // a generated secret, shown once
	}{viewChannel(c), generated}
	writeJSON(w, http.StatusCreated, answer)
	return nil
}

// GET /api/projects/{id}/channels
func (s *Server) channelList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	cs, err := s.store.Channels(r.Context(), pr.ID)
	if err != nil {
		return err
	}
	out := make([]channelView, len(cs))
	for i, c := range cs {
		out[i] = viewChannel(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"channels": out})
	return nil
}

// channelOf reads the {cid} path value as a channel of pr.
func (s *Server) channelOf(r *http.Request, pr store.Project) (store.Channel, error) {
	id, err := strconv.ParseInt(r.PathValue("cid"), 10, 64)
	if err != nil || id <= 0 {
		return store.Channel{}, cloudsage.Errorf(cloudsage.NotFound, "channel not found")
	}
	return s.store.Channel(r.Context(), pr.ID, store.ChannelID(id))
}

// PUT /api/projects/{id}/channels/{cid}: fields given replace the current ones.
func (s *Server) channelUpdate(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	c, err := s.channelOf(r, pr)
	if err != nil {
		return err
	}
	var in channelInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	if in.Type != nil && *in.Type != c.Type {
		return cloudsage.Errorf(cloudsage.Invalid, "a channel's type cannot change: add a new channel")
	}
	in.apply(&c)
	n, err := s.notifier()
	if err != nil {
		return err
	}
	if err := notify.CheckChannel(&c, n.MailEnabled(), s.guard()); err != nil {
		return err
	}
	if err := s.store.UpdateChannel(r.Context(), c); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewChannel(c))
	return nil
}

// DELETE /api/projects/{id}/channels/{cid}: removes a channel and its history.
func (s *Server) channelDelete(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := s.deleteChannel(r, pr); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /api/projects/{id}/channels/{cid}/test: sends a test message now and
// answers with its record: status "sent", or "failed" with last_error.
func (s *Server) channelTest(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	rec, _, err := s.sendTest(r, pr)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": rec.Status == store.NotifySent, "notification": rec})
	return nil
}

// ruleInput is the body of POST and PUT on rules.
type ruleInput struct {
	Kind     *string            `json:"kind"`
	Name     *string            `json:"name"`
	Params   *store.RuleParams  `json:"params"`
	Channels *[]store.ChannelID `json:"channels"`
	Critical *bool              `json:"critical"`
	Enabled  *bool              `json:"enabled"`
}

func (in ruleInput) apply(r *store.Rule) {
	if in.Kind != nil {
		r.Kind = *in.Kind
	}
	if in.Name != nil {
		r.Name = *in.Name
	}
	if in.Params != nil {
		r.Params = *in.Params
	}
	if in.Channels != nil {
		r.Channels = *in.Channels
	}
	if in.Critical != nil {
		r.Critical = *in.Critical
	}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
}

// saveRule validates r against pr's channels and creates (ID 0) or updates it.
func (s *Server) saveRule(ctx context.Context, pr store.Project, r store.Rule) (store.Rule, error) {
	cs, err := s.store.Channels(ctx, pr.ID)
	if err != nil {
		return r, err
	}
	r.ProjectID = pr.ID
	if err := notify.CheckRule(&r, cs); err != nil {
		return r, err
	}
	if r.ID == 0 {
		return s.store.CreateRule(ctx, r)
	}
	return r, s.store.UpdateRule(ctx, r)
}

// POST /api/projects/{id}/rules {"kind", "name", "params", "channels",
// "critical", "enabled"}
func (s *Server) ruleCreate(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	var in ruleInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	rule := store.Rule{Enabled: true}
	in.apply(&rule)
	rule, err = s.saveRule(r.Context(), pr, rule)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, rule)
	return nil
}

// GET /api/projects/{id}/rules
func (s *Server) ruleList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	rs, err := s.store.Rules(r.Context(), pr.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": rs})
	return nil
}

// ruleOf reads the {rid} path value as a rule of pr.
func (s *Server) ruleOf(r *http.Request, pr store.Project) (store.Rule, error) {
	id, err := strconv.ParseInt(r.PathValue("rid"), 10, 64)
	if err == nil && id > 0 {
		rs, err := s.store.Rules(r.Context(), pr.ID)
		if err != nil {
			return store.Rule{}, err
		}
		for _, rule := range rs {
			if rule.ID == store.RuleID(id) {
				return rule, nil
			}
		}
	}
	return store.Rule{}, cloudsage.Errorf(cloudsage.NotFound, "rule not found")
}

// PUT /api/projects/{id}/rules/{rid}: fields given replace the current ones.
func (s *Server) ruleUpdate(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	rule, err := s.ruleOf(r, pr)
	if err != nil {
		return err
	}
	var in ruleInput
	if err := readJSON(r, &in); err != nil {
		return err
	}
	in.apply(&rule)
	if rule, err = s.saveRule(r.Context(), pr, rule); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rule)
	return nil
}

// DELETE /api/projects/{id}/rules/{rid}
func (s *Server) ruleDelete(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := s.deleteRule(r, pr); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /api/projects/{id}/notifications?limit=: the history, newest first,
// with status, attempts and last error.
func (s *Server) notificationList(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.access(r, store.RoleViewer)
	if err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	ns, err := s.store.Notifications(r.Context(), pr.ID, limit)
	if err != nil {
		return err
	}
	cs, err := s.store.Channels(r.Context(), pr.ID)
	if err != nil {
		return err
	}
	names := map[store.ChannelID]string{}
	for _, c := range cs {
		names[c.ID] = c.Name
	}
	type view struct {
		store.Notification
		Channel string `json:"channel"`
	}
	out := make([]view, len(ns))
	for i, n := range ns {
		out[i] = view{n, names[n.ChannelID]}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": out})
	return nil
}

// sendTest sends a test message now to the channel the request names in
// pr; the API and the settings page both answer with its record.
func (s *Server) sendTest(r *http.Request, pr store.Project) (store.Notification, store.Channel, error) {
	c, err := s.channelOf(r, pr)
	if err != nil {
		return store.Notification{}, c, err
	}
	n, err := s.notifier()
	if err != nil {
		return store.Notification{}, c, err
	}
	rec, err := n.SendTest(r.Context(), pr, c)
	return rec, c, err
}

// deleteChannel removes the channel the request names in pr, with its history.
func (s *Server) deleteChannel(r *http.Request, pr store.Project) error {
	c, err := s.channelOf(r, pr)
	if err != nil {
		return err
	}
	return s.store.DeleteChannel(r.Context(), pr.ID, c.ID)
}

// deleteRule removes the rule the request names in pr.
func (s *Server) deleteRule(r *http.Request, pr store.Project) error {
	rule, err := s.ruleOf(r, pr)
	if err != nil {
		return err
	}
	return s.store.DeleteRule(r.Context(), pr.ID, rule.ID)
}
