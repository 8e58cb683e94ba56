package web

import (
	"context"
	"net/http"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/billing"
	"github.com/cloudsage/cloudsage/internal/store"
	"github.com/cloudsage/cloudsage/internal/web/ui"
)

// billingView is the account page's plan section (nil when billing is off).
func (s *Server) billingView(ctx context.Context, user cloudsage.UserID) (*ui.BillingView, error) {
	if s.billing == nil {
		return nil, nil
	}
	a, p, err := s.accountPlan(ctx, user)
	if err != nil {
		return nil, err
	}
	n, err := s.store.AdminProjects(ctx, user)
	if err != nil {
		return nil, err
	}
	v := &ui.BillingView{Plan: p.Name, PeriodEnd: a.PeriodEnd, Projects: p.Projects, Members: p.Members, RetentionDays: p.RetentionDays,
		EventsPerDay: p.EventsPerDay, UsedProjects: n, ProPrice: billing.Pro.PriceUSD, OnPro: p.ID == billing.Pro.ID, HasCustomer: a.CustomerID != ""}
	if a.SubscriptionID != "" {
		v.Status = a.Status
	}
	return v, nil
}

// POST /account/billing/checkout: on to Stripe Checkout for Pro.
func (s *Server) pageBillingCheckout(w http.ResponseWriter, r *http.Request) error {
	return s.billingRedirect(w, r, func(u store.User, a store.Account) (string, error) {
		return s.billing.Checkout(r.Context(), u, a)
	})
}

// POST /account/billing/portal: on to Stripe's customer portal.
func (s *Server) pageBillingPortal(w http.ResponseWriter, r *http.Request) error {
	return s.billingRedirect(w, r, func(_ store.User, a store.Account) (string, error) {
		return s.billing.Portal(r.Context(), a)
	})
}

// billingRedirect sends the browser to the Stripe page url makes for the
// signed-in user and their billing account, or shows the account page with
// the problem.
func (s *Server) billingRedirect(w http.ResponseWriter, r *http.Request, url func(store.User, store.Account) (string, error)) error {
	if err := parseForm(w, r); err != nil {
		return err
	}
	if s.billing == nil {
		return errBillingOff
	}
	u, err := func() (string, error) {
		_, u, err := s.accountUser(r)
		if err != nil {
			return "", err
		}
		a, _, err := s.accountPlan(r.Context(), u.ID)
		if err != nil {
			return "", err
		}
		return url(u, a)
	}()
	if err != nil {
		return s.accountFailed(w, r, err)
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
	return nil
}
