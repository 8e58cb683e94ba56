package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/notify"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// The notifications part of the settings page: channels with "Send test",
// rules and the history. Forms post here and the settings page is shown
// again with the outcome.

// notifyView loads what the settings page shows of pr's notifications.
func (s *Server) notifyView(ctx context.Context, pr store.Project) (ui.NotifyView, error) {
	v := ui.NotifyView{On: s.notify != nil, Types: notify.ChannelTypes, Kinds: notify.RuleKinds}
	if s.notify == nil {
		return v, nil
	}
	v.MailEnabled = s.notify.MailEnabled()
	cs, err := s.store.Channels(ctx, pr.ID)
	if err != nil {
		return v, err
	}
	names := map[store.ChannelID]string{}
	for _, c := range cs {
		names[c.ID] = c.Name
		cv := ui.ChannelView{ID: c.ID, Type: c.Type, Name: c.Name, Target: notify.MaskTarget(c), SecretHint: notify.Mask(c.Secret),
			MaxPerHour: c.MaxPerHour, Enabled: c.Enabled}
		if c.QuietStart != "" {
			cv.Quiet = c.QuietStart + "–" + c.QuietEnd
		}
		v.Channels = append(v.Channels, cv)
	}
	rs, err := s.store.Rules(ctx, pr.ID)
	if err != nil {
		return v, err
	}
	for _, r := range rs {
		rv := ui.RuleView{ID: r.ID, Name: r.Name, Kind: r.Kind, When: ruleWhen(r), Critical: r.Critical, Enabled: r.Enabled, Channels: "all channels"}
		if len(r.Channels) > 0 {
			var ns []string
			for _, id := range r.Channels {
				ns = append(ns, names[id])
			}
			rv.Channels = strings.Join(ns, ", ")
		}
		v.Rules = append(v.Rules, rv)
	}
	hist, err := s.store.Notifications(ctx, pr.ID, 30)
	if err != nil {
		return v, err
	}
	for _, n := range hist {
		v.History = append(v.History, notificationView(n, names[n.ChannelID]))
	}
	return v, nil
}

func notificationView(n store.Notification, channel string) ui.NotificationView {
	nv := ui.NotificationView{Created: n.CreatedAt, Channel: channel, Title: n.Title, Status: n.Status, Held: n.Held, Next: n.NextAt,
		Attempts: n.Attempts, LastError: n.LastError, Grouped: n.Grouped, Digest: n.Digest}
	if n.SentAt != nil {
		nv.Sent = *n.SentAt
	}
	return nv
}

// ruleWhen says in words when a rule fires.
func ruleWhen(r store.Rule) string {
	p := r.Params
	switch r.Kind {
	case notify.KindLabel:
		if len(p.Labels) == 0 {
			return "the label changes"
		}
		return "the label becomes " + strings.Join(p.Labels, " or ")
	case notify.KindScore:
		return "the score reaches " + strconv.FormatFloat(p.Threshold, 'f', -1, 64)
	case notify.KindForecast:
		return "high forecast within " + strconv.Itoa(p.Hours) + " h, probability ≥ " + strconv.FormatFloat(p.Probability, 'f', -1, 64)
	case notify.KindErrorPattern:
		return "a new error pattern appears"
	case notify.KindIncident:
		return "an incident opens or resolves"
	}
	return r.Kind
}

// POST /projects/{id}/settings/channels (form: type, name, target, secret,
// quiet_start, quiet_end, max_per_hour)
func (s *Server) pageChannelCreate(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	c := store.Channel{Type: f.Get("type"), Name: f.Get("name"), Target: f.Get("target"), Secret: strings.TrimSpace(f.Get("secret")),
		QuietStart: strings.TrimSpace(f.Get("quiet_start")), QuietEnd: strings.TrimSpace(f.Get("quiet_end")), Enabled: true, MaxPerHour: notify.DefaultMaxPerHour}
	if v := strings.TrimSpace(f.Get("max_per_hour")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return s.settingsPage(w, r, pr, u, http.StatusBadRequest, func(pg *ui.SettingsPage) {
				pg.Errors = []string{"max_per_hour must be a whole number"}
			})
		}
		c.MaxPerHour = n
	}
	c, generated, err := s.createChannel(r.Context(), pr, c)
	if cloudsage.KindOf(err) == cloudsage.Invalid {
		return s.settingsPage(w, r, pr, u, http.StatusBadRequest, func(pg *ui.SettingsPage) { pg.Errors = []string{cloudsage.MessageOf(err)} })
	}
	if err != nil {
		return err
	}
	return s.settingsPage(w, r, pr, u, http.StatusCreated, func(pg *ui.SettingsPage) {
		pg.Flash = "Channel " + c.Name + " added. Send a test to check it."
		pg.Notify.NewSecret = generated
	})
}

// POST /projects/{id}/settings/channels/{cid}/test
func (s *Server) pageChannelTest(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	rec, c, err := s.sendTest(r, pr)
	if err != nil {
		return err
	}
	return s.settingsPage(w, r, pr, u, http.StatusOK, func(pg *ui.SettingsPage) {
		v := notificationView(rec, c.Name)
		pg.Notify.Test = &v
	})
}

// POST /projects/{id}/settings/channels/{cid}/delete
func (s *Server) pageChannelDelete(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := s.deleteChannel(r, pr); err != nil {
		return err
	}
	http.Redirect(w, r, ui.ProjectURL(pr.ID, "settings")+"#notifications", http.StatusSeeOther)
	return nil
}

// POST /projects/{id}/settings/rules (form: kind, labels, threshold, hours,
// probability, channel (repeated), critical)
func (s *Server) pageRuleCreate(w http.ResponseWriter, r *http.Request) error {
	pr, u, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	rule := store.Rule{Kind: f.Get("kind"), Enabled: true, Critical: f.Get("critical") != ""}
	var probs []string
	num := func(key string) float64 {
		v := strings.TrimSpace(f.Get(key))
		if v == "" {
			return 0
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			probs = append(probs, key+" must be a number")
		}
		return x
	}
	switch rule.Kind {
	case notify.KindLabel:
		for _, l := range strings.Split(f.Get("labels"), ",") {
			if l = strings.ToLower(strings.TrimSpace(l)); l != "" {
				rule.Params.Labels = append(rule.Params.Labels, l)
			}
		}
	case notify.KindScore:
		rule.Params.Threshold = num("threshold")
	case notify.KindForecast:
		rule.Params.Hours, rule.Params.Probability = int(num("hours")), num("probability")
	}
	for _, v := range f["channel"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			probs = append(probs, "unknown channel "+v)
			continue
		}
		rule.Channels = append(rule.Channels, store.ChannelID(id))
	}
	return s.settingsAnswer(w, r, pr, u, probs, "notifications", func() error {
		_, err := s.saveRule(r.Context(), pr, rule)
		return err
	})
}

// POST /projects/{id}/settings/rules/{rid}/delete
func (s *Server) pageRuleDelete(w http.ResponseWriter, r *http.Request) error {
	pr, _, err := s.pageProject(r, store.RoleAdmin)
	if err != nil {
		return err
	}
	if err := s.deleteRule(r, pr); err != nil {
		return err
	}
	http.Redirect(w, r, ui.ProjectURL(pr.ID, "settings")+"#notifications", http.StatusSeeOther)
	return nil
}
