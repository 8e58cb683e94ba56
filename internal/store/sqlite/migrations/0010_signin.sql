-- Sign-in (issue 13): sessions remember where and when they were used so a
-- user can list and revoke them; accounts gain a TOTP second factor with
-- one-time recovery codes and links to OIDC identities; login_tokens hold
-- the single-use secrets of magic links, pending second-factor checks and
-- OIDC round trips (only their SHA-256 is stored).
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_user ON sessions(user_id);

ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

CREATE TABLE recovery_codes (
	user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	hash    TEXT NOT NULL,
	used_at BIGINT,
	PRIMARY KEY (user_id, hash)
);

CREATE TABLE identities (
	provider   TEXT NOT NULL,
	subject    TEXT NOT NULL,
	user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	email      TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_user ON identities(user_id);

CREATE TABLE login_tokens (
	hash       TEXT PRIMARY KEY,
	kind       TEXT NOT NULL CHECK (kind IN ('magic', 'second_factor', 'oidc')),
	email      TEXT NOT NULL DEFAULT '',
	user_id    BIGINT REFERENCES users(id) ON DELETE CASCADE,
	data       TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT
);
CREATE INDEX login_tokens_expires ON login_tokens(expires_at);
