package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/billing"
	"github.com/cloudsage/cloudsage/internal/store"
)

var errBillingOff = cloudsage.Errorf(cloudsage.NotFound, "billing is off on this instance (no CLOUDSAGE_STRIPE_SECRET_KEY): every limit is lifted")

// accountPlan is user's account and plan (Free without an account).
func (s *Server) accountPlan(ctx context.Context, user cloudsage.UserID) (store.Account, billing.Plan, error) {
	a, err := s.store.Account(ctx, user)
	if store.IsNotFound(err) {
		return store.Account{UserID: user, Plan: billing.Free.ID}, billing.Free, nil
	}
	if err != nil {
		return a, billing.Plan{}, err
	}
	return a, billing.PlanOf(a), nil
}

// projectPlan is the best plan among a project's admins: a project is
// paid for by whoever administers it.
func (s *Server) projectPlan(ctx context.Context, id cloudsage.ProjectID) (billing.Plan, []store.Member, error) {
	ms, err := s.store.Members(ctx, id)
	if err != nil {
		return billing.Plan{}, nil, err
	}
	best := billing.Free
	for _, m := range ms {
		if m.Role != store.RoleAdmin {
			continue
		}
		_, p, err := s.accountPlan(ctx, m.UserID)
		if err != nil {
			return best, ms, err
		}
		if p.ID == billing.Pro.ID {
			best = p
		}
	}
	return best, ms, nil
}

// checkProjectLimit refuses a new project beyond user's plan.
func (s *Server) checkProjectLimit(ctx context.Context, user cloudsage.UserID) error {
	if s.billing == nil {
		return nil
	}
	_, p, err := s.accountPlan(ctx, user)
	if err != nil {
		return err
	}
	n, err := s.store.AdminProjects(ctx, user)
	if err != nil {
		return err
	}
	if p.Projects > 0 && n >= p.Projects {
		return billing.Limit(p, "the %s plan allows %d projects and you administer %d", p.Name, p.Projects, n)
	}
	return nil
}

// checkMemberLimit refuses a new member of project beyond its plan.
func (s *Server) checkMemberLimit(ctx context.Context, project cloudsage.ProjectID, user cloudsage.UserID) error {
	if s.billing == nil {
		return nil
	}
	p, ms, err := s.projectPlan(ctx, project)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.UserID == user {
			return nil // a role change, not a new member
		}
	}
	if p.Members > 0 && len(ms) >= p.Members {
		return billing.Limit(p, "the %s plan allows %d members a project and this one has %d", p.Name, p.Members, len(ms))
	}
	return nil
}

// checkRetentionLimit refuses a retention beyond project's plan.
func (s *Server) checkRetentionLimit(ctx context.Context, project cloudsage.ProjectID, days int) error {
	if s.billing == nil {
		return nil
	}
	p, _, err := s.projectPlan(ctx, project)
	if err != nil {
		return err
	}
	if p.RetentionDays > 0 && days > p.RetentionDays {
		return billing.Limit(p, "the %s plan keeps events at most %d days; retention_days %d is more", p.Name, p.RetentionDays, days)
	}
	return nil
}

// checkRetentionDays refuses a new project's retention beyond user's plan.
func (s *Server) checkRetentionDays(ctx context.Context, user cloudsage.UserID, days int) error {
	if s.billing == nil {
		return nil
	}
	_, p, err := s.accountPlan(ctx, user)
	if err != nil {
		return err
	}
	if p.RetentionDays > 0 && days > p.RetentionDays {
		return billing.Limit(p, "the %s plan keeps events at most %d days; retention_days %d is more", p.Name, p.RetentionDays, days)
	}
	return nil
}

// checkIngestLimit refuses a batch that would take project past its plan's
// events of the current UTC day.
func (s *Server) checkIngestLimit(ctx context.Context, project cloudsage.ProjectID, lines int) error {
	if s.billing == nil {
		return nil
	}
	p, _, err := s.projectPlan(ctx, project)
	if err != nil || p.EventsPerDay <= 0 {
		return err
	}
	day := s.now().UTC().Truncate(24 * time.Hour)
	n, err := s.store.AcceptedSince(ctx, project, day)
	if err != nil {
		return err
	}
	if n+int64(lines) > p.EventsPerDay {
		return billing.Limit(p, "the %s plan takes %d events a project a day (UTC); this project has %d today and the batch has %d lines",
			p.Name, p.EventsPerDay, n, lines)
	}
	return nil
}

// GET /api/billing: whether billing is on, the caller's plan, its limits
// and usage, and the plans.
func (s *Server) billingShow(w http.ResponseWriter, r *http.Request) error {
	p, err := s.user(r)
	if err != nil {
		return err
	}
	if s.billing == nil {
		writeJSON(w, http.StatusOK, map[string]any{"enabled": false})
		return nil
	}
	a, plan, err := s.accountPlan(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	n, err := s.store.AdminProjects(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"enabled": true, "plan": plan, "account": a,
		"usage": map[string]any{"projects": n}, "plans": []billing.Plan{billing.Free, billing.Pro}})
	return nil
}

// POST /api/billing/checkout: a Stripe Checkout page for Pro: {"url"}.
func (s *Server) billingCheckout(w http.ResponseWriter, r *http.Request) error {
	if s.billing == nil {
		return errBillingOff
	}
	p, err := s.user(r)
	if err != nil {
		return err
	}
	u, err := s.store.UserByID(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	a, plan, err := s.accountPlan(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	if plan.ID == billing.Pro.ID {
		return cloudsage.Errorf(cloudsage.Conflict, "you are on Pro already: manage it in the customer portal")
	}
	url, err := s.billing.Checkout(r.Context(), u, a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": url})
	return nil
}

// POST /api/billing/portal: the Stripe customer portal: {"url"}.
func (s *Server) billingPortal(w http.ResponseWriter, r *http.Request) error {
	if s.billing == nil {
		return errBillingOff
	}
	p, err := s.user(r)
	if err != nil {
		return err
	}
	a, _, err := s.accountPlan(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	url, err := s.billing.Portal(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"url": url})
	return nil
}

// POST /api/billing/webhook: Stripe's events, verified by their
// signature and applied once per event id (a redelivery changes nothing).
func (s *Server) billingWebhook(w http.ResponseWriter, r *http.Request) error {
	if s.billing == nil {
		return errBillingOff
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		return cloudsage.Errorf(cloudsage.TooLarge, "webhook body larger than 1 MiB")
	}
	ev, err := s.billing.ParseWebhook(body, r.Header.Get("Stripe-Signature"))
	if err != nil {
		return err
	}
	change := ev.Change
	if change != nil && ev.User == 0 {
		a, err := s.store.AccountByCustomer(r.Context(), ev.Customer)
		switch {
		case store.IsNotFound(err):
			s.log.Warn("stripe event for an unknown customer", "event", ev.ID, "type", ev.Type, "customer", ev.Customer)
			change = nil
		case err != nil:
			return err
		default:
			change.UserID = a.UserID
		}
	}
	if change != nil && ev.User != 0 {
		if _, err := s.store.UserByID(r.Context(), ev.User); store.IsNotFound(err) {
			return cloudsage.Errorf(cloudsage.Invalid, "event %s names user %d, who has no account here", ev.ID, ev.User)
		}
	}
	applied, err := s.store.ApplyStripeEvent(r.Context(), ev.ID, ev.Type, change)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"received": true, "duplicate": !applied, "type": ev.Type,
		"applied": applied && change != nil && strings.Contains(ev.Type, ".")})
	return nil
}
