package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/learn"
	"github.com/cloudsage/cloudsage/internal/store"
)

// testLearning: per-user feedback, overrides and incidents (issue 11).
func testLearning(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann, bob := user(t, s, "ann@example.com"), user(t, s, "bob@example.com")
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	other := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "b"}))(t)

	// Every change to what the analysis learns from moves the project's
	// learning version (State.Learning), and only that project's.
	learning := func(id cloudsage.ProjectID) int64 { return must(s.LoadState(ctx, id, -1))(t).Learning }
	lastLearning, otherLearning := learning(p.ID), learning(other.ID)
	moved := func(what string) {
		t.Helper()
		if v := learning(p.ID); v == lastLearning {
			t.Errorf("%s: learning version still %d", what, v)
		} else {
			lastLearning = v
		}
		if v := learning(other.ID); v != otherLearning {
			t.Errorf("%s: another project's learning version moved from %d to %d", what, otherLearning, v)
		}
	}
	defer func() {
		// Kept forecasts feed the recent scores.
		v := must(s.LoadState(ctx, p.ID, -1))(t)
		must(s.Append(ctx, p.ID, v.Version, store.Dedup{}, store.Write{Snapshot: []byte("s"),
			Report: &store.Report{At: t0, Horizon: 24, Score: 10, Label: "low", Body: []byte(`{}`)}, Keep: true}))(t)
		moved("a kept forecast")
		v = must(s.LoadState(ctx, p.ID, -1))(t)
		must(s.Append(ctx, p.ID, v.Version, store.Dedup{}, store.Write{Snapshot: []byte("s"),
			Report: &store.Report{At: t0, Horizon: 24, Score: 10, Label: "low", Body: []byte(`{}`)}}))(t)
		if learning(p.ID) != lastLearning {
			t.Error("a batch whose report is not kept moved the learning version")
		}
	}()

	// Feedback: one opinion per user and action; the shared status is the latest.
	noErr(t, s.SetActionStatus(ctx, store.ActionStatus{ProjectID: p.ID, ActionID: "a1", Key: "disk_full", Status: store.ActionDone, UserID: ann.ID}))
	noErr(t, s.SetActionStatus(ctx, store.ActionStatus{ProjectID: p.ID, ActionID: "a1", Key: "disk_full", Status: store.ActionDismissed, UserID: bob.ID}))
	noErr(t, s.SetActionStatus(ctx, store.ActionStatus{ProjectID: p.ID, ActionID: "a1", Status: store.ActionNotRelevant, UserID: bob.ID}))
	fb := must(s.ActionFeedback(ctx, p.ID))(t)
	if len(fb) != 2 || fb[0].UserEmail != "ann@example.com" || fb[0].Status != store.ActionDone ||
		fb[1].UserID != bob.ID || fb[1].Status != store.ActionNotRelevant || fb[1].Key != "disk_full" {
		t.Fatalf("ActionFeedback = %+v, want ann done and bob not_relevant, both disk_full", fb)
	}
	moved("feedback")
	noErr(t, s.DeleteActionStatus(ctx, p.ID, "a1"))
	moved("deleted feedback")
	if fb := must(s.ActionFeedback(ctx, p.ID))(t); len(fb) != 0 {
		t.Errorf("after delete ActionFeedback = %+v, want none", fb)
	}

	// Overrides.
	noErr(t, s.SetOverride(ctx, p.ID, store.Override{Override: learn.Override{Kind: learn.Mute, Target: "scale_out"}, UserID: ann.ID}))
	noErr(t, s.SetOverride(ctx, p.ID, store.Override{Override: learn.Override{Kind: learn.Threshold, Target: "latency", Value: 800}}))
	noErr(t, s.SetOverride(ctx, p.ID, store.Override{Override: learn.Override{Kind: learn.Threshold, Target: "latency", Value: 900}, UserID: bob.ID}))
	wantKind(t, "bad kind", s.SetOverride(ctx, p.ID, store.Override{Override: learn.Override{Kind: "maybe", Target: "x"}}), cloudsage.Invalid)
	wantKind(t, "threshold without value", s.SetOverride(ctx, p.ID, store.Override{Override: learn.Override{Kind: learn.Threshold, Target: "cpu"}}), cloudsage.Invalid)
	moved("overrides")
	os := must(s.Overrides(ctx, p.ID))(t)
	if len(os) != 2 || os[0].Kind != learn.Mute || os[0].UserEmail != "ann@example.com" || os[1].Value != 900 || os[1].UserID != bob.ID {
		t.Fatalf("Overrides = %+v", os)
	}
	if os := must(s.Overrides(ctx, other.ID))(t); len(os) != 0 {
		t.Errorf("another project's Overrides = %+v", os)
	}
	wantKind(t, "delete in another project", s.DeleteOverride(ctx, other.ID, learn.Mute, "scale_out"), cloudsage.NotFound)
	noErr(t, s.DeleteOverride(ctx, p.ID, learn.Mute, "scale_out"))
	moved("a deleted override")
	wantKind(t, "delete twice", s.DeleteOverride(ctx, p.ID, learn.Mute, "scale_out"), cloudsage.NotFound)

	// Incidents.
	sig := learn.Signature{Patterns: []string{"p1"}, Templates: []string{"pool exhausted"}, Factors: []string{"error_rate"}}
	inc := must(s.SaveIncident(ctx, store.Incident{ProjectID: p.ID, OpenedAt: t0, PeakScore: 75, Signature: sig}))(t)
	if inc.ID == 0 || !inc.OpenedAt.Equal(t0) || inc.ClosedAt != nil || inc.Signature.Templates[0] != "pool exhausted" {
		t.Fatalf("SaveIncident = %+v", inc)
	}
	moved("an incident")
	inc = must(s.AnnotateIncident(ctx, p.ID, inc.ID, store.Notes{Title: "orders DB pool exhausted", Fix: "raised max_connections"}))(t)
	moved("an incident's notes")
	closed := t0.Add(2 * time.Hour)
	inc.ClosedAt, inc.PeakScore, inc.Title = &closed, 90, "ignored: notes are annotated"
	inc = must(s.SaveIncident(ctx, inc))(t)
	if inc.Title != "orders DB pool exhausted" || inc.PeakScore != 90 || inc.ClosedAt == nil || !inc.ClosedAt.Equal(closed) {
		t.Fatalf("after update = %+v", inc)
	}
	_, err := s.AnnotateIncident(ctx, other.ID, inc.ID, store.Notes{Title: "x"})
	wantKind(t, "annotate in another project", err, cloudsage.NotFound)
	_, err = s.Incident(ctx, other.ID, inc.ID)
	wantKind(t, "incident of another project", err, cloudsage.NotFound)
	must(s.SaveIncident(ctx, store.Incident{ProjectID: p.ID, OpenedAt: t0.Add(5 * time.Hour), PeakScore: 71}))(t)
	is := must(s.Incidents(ctx, p.ID, 10))(t)
	if len(is) != 2 || is[1].ID != inc.ID || is[0].ClosedAt != nil {
		t.Fatalf("Incidents = %+v, want newest first", is)
	}
	if got := must(s.Incident(ctx, p.ID, inc.ID))(t); got.Fix != "raised max_connections" {
		t.Errorf("Incident = %+v", got)
	}
}
