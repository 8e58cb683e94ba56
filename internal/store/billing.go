package store

import (
	"context"
	"time"

	"github.com/cloudsage/cloudsage"
)

// Account is a user's plan and Stripe subscription (the optional paid
// plan). A user without one is on the free plan.
type Account struct {
	UserID         cloudsage.UserID `json:"user_id"`
	Plan           string           `json:"plan"`
	Status         string           `json:"status"` // Stripe's subscription status: active, trialing, past_due, canceled, ...
	CustomerID     string           `json:"customer_id,omitempty"`
	SubscriptionID string           `json:"subscription_id,omitempty"`
	PeriodEnd      *time.Time       `json:"period_end,omitempty"`
	UpdatedAt      time.Time        `json:"updated_at"`
}

// BillingStore keeps accounts' plans and the Stripe events applied.
type BillingStore interface {
	// Account is user's account (NotFound when they never subscribed).
	Account(ctx context.Context, user cloudsage.UserID) (Account, error)
	// AccountByCustomer finds the account of a Stripe customer (NotFound when none).
	AccountByCustomer(ctx context.Context, customer string) (Account, error)
	// ApplyStripeEvent records a Stripe event id and, the first time only,
	// stores a (when not nil), in one transaction: it reports false for an
	// event seen before, which changes nothing.
	ApplyStripeEvent(ctx context.Context, id, typ string, a *Account) (bool, error)
	// AdminProjects counts the projects user is an admin of.
	AdminProjects(ctx context.Context, user cloudsage.UserID) (int, error)
	// AcceptedSince sums the events accepted into project since.
	AcceptedSince(ctx context.Context, project cloudsage.ProjectID, since time.Time) (int64, error)
}
