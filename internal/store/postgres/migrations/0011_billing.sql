-- The optional paid plan (issue 13): each account's plan and Stripe
-- subscription, and the Stripe webhook events already applied, by id, so
-- that a redelivered event changes nothing.
CREATE TABLE billing_accounts (
	user_id         BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	plan            TEXT NOT NULL,
	status          TEXT NOT NULL,
	customer_id     TEXT NOT NULL DEFAULT '',
	subscription_id TEXT NOT NULL DEFAULT '',
	period_end      BIGINT,
	updated_at      BIGINT NOT NULL
);
CREATE INDEX billing_accounts_customer ON billing_accounts(customer_id);

CREATE TABLE stripe_events (
	id          TEXT PRIMARY KEY,
	type        TEXT NOT NULL,
	received_at BIGINT NOT NULL
);
