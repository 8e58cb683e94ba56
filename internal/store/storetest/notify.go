package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// testNotifications: channels and rules per project, outbox rows written by
// an ingest (and by nothing when it fails), and channel leases.
func testNotifications(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := user(t, s, "ann@example.com")
	p := must(s.CreateProject(ctx, u.ID, store.Project{Name: "shop"}))(t)
	q := must(s.CreateProject(ctx, u.ID, store.Project{Name: "other"}))(t)
	defaults := []store.Rule{{Kind: "label", Name: "high", Params: store.RuleParams{Labels: []string{"high"}}, Enabled: true}, {Kind: "incident", Name: "inc", Enabled: true}}
	c := must(s.CreateChannel(ctx, store.Channel{ProjectID: p.ID, Type: "webhook", Name: "hook", Target: "https://e.com", Secret: "k", MaxPerHour: 5, Enabled: true}, defaults))(t)
	must(s.CreateChannel(ctx, store.Channel{ProjectID: p.ID, Type: "slack", Name: "ops", Target: "https://s.com", Enabled: true}, defaults))(t)
	rules := must(s.Rules(ctx, p.ID))(t)
	if len(rules) != 2 || rules[0].Params.Labels[0] != "high" || !rules[0].Enabled || rules[0].Channels == nil {
		t.Fatalf("defaults once, on the first channel: %+v", rules)
	}
	rules[0].Channels, rules[0].Critical = []store.ChannelID{c.ID}, true
	noErr(t, s.UpdateRule(ctx, rules[0]))
	if got := must(s.Rules(ctx, p.ID))(t)[0]; !got.Critical || len(got.Channels) != 1 || got.Channels[0] != c.ID {
		t.Errorf("updated rule = %+v", got)
	}
	wantKind(t, "another project's rule", s.DeleteRule(ctx, q.ID, rules[1].ID), cloudsage.NotFound)
	_, err := s.Channel(ctx, q.ID, c.ID)
	wantKind(t, "another project's channel", err, cloudsage.NotFound)
	got := must(s.Channel(ctx, p.ID, c.ID))(t)
	if got.Secret != "k" || got.MaxPerHour != 5 || got.Type != "webhook" {
		t.Errorf("Channel = %+v", got)
	}
	got.QuietStart, got.QuietEnd = "22:00", "07:00"
	noErr(t, s.UpdateChannel(ctx, got))

	// An ingest writes its outbox rows and the rules' memory; a failed one neither.
	now := time.Now().UTC()
	_, err = s.Ingest(ctx, p.ID, 0, func(st store.State) (store.Write, error) {
		if st.Notify != nil {
			t.Errorf("first ingest sees memory %q", st.Notify)
		}
		return store.Write{Batch: store.Batch{Source: "text"}, NotifyState: []byte(`{"label":"high"}`),
			Notifications: []store.Notification{{ChannelID: c.ID, RuleID: rules[0].ID, Kind: "label", Title: "t1", Payload: []byte(`{}`), NextAt: now}}}, nil
	})
	noErr(t, err)
	_, err = s.Ingest(ctx, p.ID, 1, func(st store.State) (store.Write, error) {
		if string(st.Notify) != `{"label":"high"}` {
			t.Errorf("second ingest sees memory %q", st.Notify)
		}
		return store.Write{Notifications: []store.Notification{{ChannelID: c.ID, Kind: "x", Title: "lost"}}}, cloudsage.Errorf(cloudsage.Invalid, "boom")
	})
	wantKind(t, "failed ingest", err, cloudsage.Invalid)
	hist := must(s.Notifications(ctx, p.ID, 10))(t)
	if len(hist) != 1 || hist[0].Title != "t1" || hist[0].Status != store.NotifyPending || hist[0].ProjectID != p.ID {
		t.Fatalf("history = %+v", hist)
	}
	if h := must(s.Notifications(ctx, q.ID, 10))(t); len(h) != 0 {
		t.Errorf("another project's history = %+v", h)
	}

	// Claims: one owner at a time per channel, until the lease ends or is released.
	cl := must(s.ClaimNotifications(ctx, "w1", now, time.Minute))(t)
	if cl.Channel.ID != c.ID || len(cl.Notifications) != 1 || cl.Project.ID != p.ID || cl.Channel.QuietStart != "22:00" {
		t.Fatalf("claim = %+v", cl)
	}
	_, err = s.ClaimNotifications(ctx, "w2", now, time.Minute)
	wantKind(t, "claim while leased", err, cloudsage.NotFound)
	cl2 := must(s.ClaimNotifications(ctx, "w2", now.Add(2*time.Minute), time.Minute))(t) // w1's lease ran out
	if cl2.Channel.ID != c.ID {
		t.Fatalf("claim after the lease = %+v", cl2)
	}
	sent := now.Add(2 * time.Minute)
	n := cl2.Notifications[0]
	n.Status, n.Attempts, n.SentAt, n.Grouped = store.NotifySent, 1, &sent, 1
	cl2.Notifications = []store.Notification{n}
	cl2.Channel.WindowStart, cl2.Channel.WindowCount = sent, 1
	noErr(t, s.FinishClaim(ctx, cl2))
	noErr(t, s.FinishClaim(ctx, cl)) // the late first owner changes nothing: the row is no longer pending
	_, err = s.ClaimNotifications(ctx, "w3", now.Add(3*time.Minute), time.Minute)
	wantKind(t, "nothing left", err, cloudsage.NotFound)
	hist = must(s.Notifications(ctx, p.ID, 10))(t)
	if hist[0].Status != store.NotifySent || hist[0].SentAt == nil || hist[0].Attempts != 1 {
		t.Errorf("after finishing = %+v", hist[0])
	}
	if ch := must(s.Channel(ctx, p.ID, c.ID))(t); ch.WindowCount != 1 || !ch.WindowStart.Equal(sent) {
		t.Errorf("rate window = %+v", ch)
	}
	// A test message is recorded as it is.
	must(s.AddNotifications(ctx, []store.Notification{{ProjectID: p.ID, ChannelID: c.ID, Kind: "test", Title: "test", Status: store.NotifyFailed, LastError: "refused"}}))(t)
	if h := must(s.Notifications(ctx, p.ID, 10))(t); len(h) != 2 || h[0].LastError != "refused" {
		t.Errorf("history with the test = %+v", h)
	}

	// Deleting a channel removes its notifications; deleting the project, everything.
	noErr(t, s.DeleteChannel(ctx, p.ID, c.ID))
	if h := must(s.Notifications(ctx, p.ID, 10))(t); len(h) != 0 {
		t.Errorf("notifications of a deleted channel = %+v", h)
	}
	wantKind(t, "delete again", s.DeleteChannel(ctx, p.ID, c.ID), cloudsage.NotFound)
	noErr(t, s.DeleteProject(ctx, p.ID))
	if cs := must(s.Channels(ctx, p.ID))(t); len(cs) != 0 {
		t.Errorf("channels of a deleted project = %+v", cs)
	}
}
