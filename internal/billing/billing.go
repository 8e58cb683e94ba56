// Package billing is the optional paid plan: plans as data (limits on
// projects, members, retention and daily ingest volume), and Stripe
// Checkout, the customer portal and verified webhooks through stripe-go.
// It is off unless a Stripe secret key is configured; a self-hosted
// instance never needs it.
package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/stripe/stripe-go/v85"
	"github.com/stripe/stripe-go/v85/webhook"

	"github.com/cloudsage/cloudsage"
	"github.com/cloudsage/cloudsage/internal/store"
)

// Plan is a plan's price and limits; a limit of 0 is unlimited.
type Plan struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	PriceUSD      int    `json:"price_usd_month"`
	Projects      int    `json:"projects"`       // projects a user administers
	Members       int    `json:"members"`        // members of one project
	RetentionDays int    `json:"retention_days"` // the longest retention setting
	EventsPerDay  int64  `json:"events_per_day"` // events accepted into one project per UTC day
}

// The plans. Free is every account without an active subscription.
var (
	Free = Plan{ID: "free", Name: "Free", Projects: 2, Members: 3, RetentionDays: 30, EventsPerDay: 200_000}
	Pro  = Plan{ID: "pro", Name: "Pro", PriceUSD: 29, Projects: 50, Members: 50, RetentionDays: 365, EventsPerDay: 10_000_000}
)

// PlanOf is the plan an account is on: Pro while its subscription is
// active or trialing (or past due, while Stripe retries the payment), else Free.
func PlanOf(a store.Account) Plan {
	if a.Plan == Pro.ID {
		switch a.Status {
		case "active", "trialing", "past_due":
			return Pro
		}
	}
	return Free
}

// Config configures billing; an empty SecretKey turns it off.
type Config struct {
	SecretKey     string // sk_...
	WebhookSecret string // whsec_... of the webhook endpoint
	PricePro      string // the Stripe price id of Pro (price_...)
	APIURL        string // another Stripe API base URL (stripe-mock in tests); empty: Stripe's
	BaseURL       string // this instance's public URL, for Checkout's return links
}

// Billing creates Checkout and portal sessions and reads webhooks.
type Billing struct {
	cfg Config
	sc  *stripe.Client
}

// New returns billing for cfg, or nil when cfg has no secret key (off).
func New(cfg Config) *Billing {
	if cfg.SecretKey == "" {
		return nil
	}
	var opts []stripe.ClientOption
	if cfg.APIURL != "" {
		opts = append(opts, stripe.WithBackends(stripe.NewBackendsWithConfig(&stripe.BackendConfig{URL: stripe.String(cfg.APIURL)})))
	}
	return &Billing{cfg: cfg, sc: stripe.NewClient(cfg.SecretKey, opts...)}
}

// Checkout starts a Pro subscription for u and returns the Checkout page's URL.
func (b *Billing) Checkout(ctx context.Context, u store.User, a store.Account) (string, error) {
	if b.cfg.PricePro == "" {
		return "", cloudsage.Errorf(cloudsage.Unavailable, "billing has no Pro price configured (CLOUDSAGE_STRIPE_PRICE_PRO)")
	}
	p := &stripe.CheckoutSessionCreateParams{
		Mode:              stripe.String(string(stripe.CheckoutSessionModeSubscription)),
		LineItems:         []*stripe.CheckoutSessionCreateLineItemParams{{Price: stripe.String(b.cfg.PricePro), Quantity: stripe.Int64(1)}},
		ClientReferenceID: stripe.String(strconv.FormatInt(int64(u.ID), 10)),
		SuccessURL:        stripe.String(b.cfg.BaseURL + "/account?billing=done#billing"),
		CancelURL:         stripe.String(b.cfg.BaseURL + "/account?billing=cancelled#billing"),
	}
	if a.CustomerID != "" {
		p.Customer = stripe.String(a.CustomerID)
	} else {
		p.CustomerEmail = stripe.String(u.Email)
	}
	s, err := b.sc.V1CheckoutSessions.Create(ctx, p)
	if err != nil {
		return "", stripeError("create a Checkout session", err)
	}
	return s.URL, nil
}

// Portal returns the URL of the customer portal for a's customer.
func (b *Billing) Portal(ctx context.Context, a store.Account) (string, error) {
	if a.CustomerID == "" {
		return "", cloudsage.Errorf(cloudsage.Invalid, "no subscription yet: subscribe first")
	}
	s, err := b.sc.V1BillingPortalSessions.Create(ctx, &stripe.BillingPortalSessionCreateParams{
		Customer: stripe.String(a.CustomerID), ReturnURL: stripe.String(b.cfg.BaseURL + "/account#billing")})
	if err != nil {
		return "", stripeError("open the customer portal", err)
	}
	return s.URL, nil
}

func stripeError(what string, err error) error {
	return &cloudsage.Error{Kind: cloudsage.Unavailable, Message: "Stripe could not " + what + "; try again later", Err: err}
}

// Event is a verified webhook event and the account change it asks for.
type Event struct {
	ID, Type string
	// User is the account's user when the event names it (Checkout's
	// client_reference_id); else Customer finds it.
	User     cloudsage.UserID
	Customer string
	Change   *store.Account // nil: nothing to store (an event type billing ignores)
}

// ParseWebhook verifies payload's Stripe-Signature header and reads the
// subscription change it carries: a completed Checkout makes the account
// Pro, a subscription update or deletion sets its status. A bad signature
// is an Invalid error.
func (b *Billing) ParseWebhook(payload []byte, signature string) (Event, error) {
	ev, err := webhook.ConstructEvent(payload, signature, b.cfg.WebhookSecret)
	if err != nil {
		return Event{}, cloudsage.Errorf(cloudsage.Invalid, "webhook signature not verified: %v", err)
	}
	out := Event{ID: ev.ID, Type: string(ev.Type)}
	switch ev.Type {
	case "checkout.session.completed":
		var s stripe.CheckoutSession
		if err := json.Unmarshal(ev.Data.Raw, &s); err != nil {
			return out, cloudsage.Errorf(cloudsage.Invalid, "checkout.session.completed: %v", err)
		}
		uid, err := strconv.ParseInt(s.ClientReferenceID, 10, 64)
		if err != nil || uid <= 0 {
			return out, cloudsage.Errorf(cloudsage.Invalid, "checkout.session.completed without a CloudSage user id (client_reference_id %q)", s.ClientReferenceID)
		}
		out.User = cloudsage.UserID(uid)
		a := &store.Account{UserID: out.User, Plan: Pro.ID, Status: "active"}
		if s.Customer != nil {
			a.CustomerID, out.Customer = s.Customer.ID, s.Customer.ID
		}
		if s.Subscription != nil {
			a.SubscriptionID = s.Subscription.ID
		}
		out.Change = a
	case "customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted":
		var sub stripe.Subscription
		if err := json.Unmarshal(ev.Data.Raw, &sub); err != nil {
			return out, cloudsage.Errorf(cloudsage.Invalid, "%s: %v", ev.Type, err)
		}
		if sub.Customer == nil || sub.Customer.ID == "" {
			return out, cloudsage.Errorf(cloudsage.Invalid, "%s without a customer", ev.Type)
		}
		out.Customer = sub.Customer.ID
		a := &store.Account{Plan: Pro.ID, Status: string(sub.Status), CustomerID: sub.Customer.ID, SubscriptionID: sub.ID}
		if ev.Type == "customer.subscription.deleted" {
			a.Status = "canceled"
		}
		var end int64
		if sub.Items != nil {
			for _, it := range sub.Items.Data {
				end = max(end, it.CurrentPeriodEnd)
			}
		}
		if end > 0 {
			t := time.Unix(end, 0).UTC()
			a.PeriodEnd = &t
		}
		out.Change = a
	}
	return out, nil
}

// Limit errors say what the plan allows and how to get more.
func Limit(p Plan, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if p.ID == Free.ID {
		msg += fmt.Sprintf("; upgrade to %s ($%d/month) in Settings > Billing", Pro.Name, Pro.PriceUSD)
	}
	return &cloudsage.Error{Kind: cloudsage.PaymentRequired, Message: msg, Detail: map[string]any{"plan": p.ID}}
}
