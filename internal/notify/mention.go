package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudsage/cloudsage/internal/mail"
	"github.com/cloudsage/cloudsage/internal/store"
)

// KindMention is a member named with @ in a comment.
const KindMention = "mention"

// ChannelsFor returns the enabled email channels among chs that send to
// address: the channels that exist for that member.
func ChannelsFor(chs []store.Channel, address string) []store.Channel {
	var out []store.Channel
	for _, c := range chs {
		if c.Type != Email || !c.Enabled {
			continue
		}
		to, err := mail.ParseAddresses(c.Target)
		if err == nil && slices.ContainsFunc(to, func(a string) bool { return strings.EqualFold(a, address) }) {
			out = append(out, c)
		}
	}
	return out
}

// Mention queues, on each of channels, a notification that author
// mentioned someone in a comment on what (e.g. "the forecast") of project
// pr. The delivery worker sends it like any other (quiet hours and rate
// limits apply).
func (s *Service) Mention(ctx context.Context, pr store.Project, channels []store.Channel, author, what, body string) ([]store.Notification, error) {
	if len(channels) == 0 {
		return nil, nil
	}
	now := s.now().UTC()
	ev := Event{Kind: KindMention, Title: fmt.Sprintf("%s: %s mentioned you in a comment on %s", pr.Name, author, what),
		Text: cut(body, 500), At: now, ProjectID: int64(pr.ID), Project: pr.Name, URL: s.ProjectURL(pr.ID),
		Score: pr.Score, Label: pr.Label}
	if ev.Label == "" {
		ev.Label = "low"
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	ns := make([]store.Notification, len(channels))
	for i, c := range channels {
		ns[i] = store.Notification{ProjectID: pr.ID, ChannelID: c.ID, Kind: KindMention, Title: ev.Title, Payload: payload,
			Status: store.NotifyPending, NextAt: now}
	}
	return s.store.AddNotifications(ctx, ns)
}

// SendMail sends a one-off account mail (an invitation) through the
// configured SMTP server now.
func (s *Service) SendMail(ctx context.Context, m mail.Message) error {
	if s.send.mail == nil {
		return errors.New("no SMTP server configured (CLOUDSAGE_SMTP_HOST)")
	}
	return s.send.mail.Send(ctx, m)
}
