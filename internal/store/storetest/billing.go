package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// testBilling: a Stripe event is applied once by id; accounts are found by
// user and customer; admin projects and accepted events are counted.
func testBilling(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann := user(t, s, "ann@example.com")
	_, err := s.Account(ctx, ann.ID)
	wantKind(t, "account before any", err, cloudsage.NotFound)
	end := t0.Add(30 * 24 * time.Hour)
	ok := must(s.ApplyStripeEvent(ctx, "evt_1", "checkout.session.completed",
		&store.Account{UserID: ann.ID, Plan: "pro", Status: "active", CustomerID: "cus_1", SubscriptionID: "sub_1", PeriodEnd: &end}))(t)
	if !ok {
		t.Fatal("first ApplyStripeEvent = false")
	}
	if ok := must(s.ApplyStripeEvent(ctx, "evt_1", "checkout.session.completed", &store.Account{UserID: ann.ID, Plan: "pro", Status: "canceled"}))(t); ok {
		t.Fatal("second ApplyStripeEvent of evt_1 = true")
	}
	a := must(s.AccountByCustomer(ctx, "cus_1"))(t)
	if a.UserID != ann.ID || a.Status != "active" || a.SubscriptionID != "sub_1" || a.PeriodEnd == nil || !a.PeriodEnd.Equal(end) {
		t.Fatalf("account after a redelivery = %+v", a)
	}
	// A later event without ids keeps the stored ones.
	must(s.ApplyStripeEvent(ctx, "evt_2", "customer.subscription.updated", &store.Account{UserID: ann.ID, Plan: "pro", Status: "past_due"}))(t)
	if a := must(s.Account(ctx, ann.ID))(t); a.Status != "past_due" || a.CustomerID != "cus_1" {
		t.Fatalf("account after an update = %+v", a)
	}
	if ok := must(s.ApplyStripeEvent(ctx, "evt_3", "invoice.paid", nil))(t); !ok {
		t.Fatal("an event without a change is recorded too")
	}
	_, err = s.AccountByCustomer(ctx, "cus_none")
	wantKind(t, "unknown customer", err, cloudsage.NotFound)
	p := must(s.CreateProject(ctx, ann.ID, store.Project{Name: "a"}))(t)
	must(s.CreateProject(ctx, ann.ID, store.Project{Name: "b"}))(t)
	if n := must(s.AdminProjects(ctx, ann.ID))(t); n != 2 {
		t.Errorf("AdminProjects = %d, want 2", n)
	}
	ingest(t, s, p.ID, 0, events(30, "x"))
	if n := must(s.AcceptedSince(ctx, p.ID, time.Now().Add(-time.Hour)))(t); n != 30 {
		t.Errorf("AcceptedSince an hour ago = %d, want 30", n)
	}
	if n := must(s.AcceptedSince(ctx, p.ID, time.Now().Add(time.Hour)))(t); n != 0 {
		t.Errorf("AcceptedSince in an hour = %d, want 0", n)
	}
}
