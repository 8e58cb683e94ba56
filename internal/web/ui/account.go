package ui

import (
	"html/template"
	"time"
)

// SSOButton is a "Sign in with ..." link.
type SSOButton struct {
	Label string
	URL   string // /auth/oidc/<name>?next=...
}

// AccountPage is the signed-in user's account: sessions, two-factor
// sign-in and password.
type AccountPage struct {
	Layout
	Error       string
	HasPassword bool // false for an account made by SSO or link: it sets a first password without the current one
	Sessions    []SessionRow
	TwoFactor   bool // on
	Required    bool // the instance requires it (and it cannot be turned off)
	CodesLeft   int  // unused recovery codes
	// Setting it up: the pending secret, as text and as a QR code.
	SetupSecret string
	SetupQR     template.URL // a data:image/png URL
	// Just turned on: the recovery codes, shown this once.
	RecoveryCodes []string
	Billing       *BillingView // nil: billing is off on this instance
}

// BillingView is the account page's plan section (the optional paid plan).
type BillingView struct {
	Plan          string // Free or Pro
	Status        string // the subscription's status, "" without one
	PeriodEnd     *time.Time
	Projects      int // the plan's limits; 0 is unlimited
	Members       int
	RetentionDays int
	EventsPerDay  int64
	UsedProjects  int
	ProPrice      int  // US dollars a month
	OnPro         bool // show the portal, not the upgrade
	HasCustomer   bool // the portal needs a Stripe customer
}

// SessionRow is one session in the account page's list.
type SessionRow struct {
	ID        string
	Created   time.Time
	LastSeen  time.Time
	IP        string
	UserAgent string
	Current   bool
}
