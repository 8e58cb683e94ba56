-- Notifications (issue 9): channels, rules, the outbox and the rules'
-- per-project memory.
CREATE TABLE notify_channels (
	id           INTEGER PRIMARY KEY,
	project_id   BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	type         TEXT NOT NULL CHECK (type IN ('email', 'slack', 'discord', 'webhook')),
	name         TEXT NOT NULL,
	target       TEXT NOT NULL,
	secret       TEXT NOT NULL DEFAULT '',
	quiet_start  TEXT NOT NULL DEFAULT '',
	quiet_end    TEXT NOT NULL DEFAULT '',
	max_per_hour INTEGER NOT NULL DEFAULT 0,
	enabled      BOOLEAN NOT NULL DEFAULT TRUE,
	created_at   BIGINT NOT NULL,
	window_start BIGINT NOT NULL DEFAULT 0,
	window_count INTEGER NOT NULL DEFAULT 0,
	lease_owner  TEXT NOT NULL DEFAULT '',
	lease_until  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX notify_channels_project ON notify_channels(project_id);

CREATE TABLE notify_rules (
	id         INTEGER PRIMARY KEY,
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	kind       TEXT NOT NULL,
	name       TEXT NOT NULL,
	params     TEXT NOT NULL,
	channels   TEXT NOT NULL,
	critical   BOOLEAN NOT NULL DEFAULT FALSE,
	enabled    BOOLEAN NOT NULL DEFAULT TRUE,
	created_at BIGINT NOT NULL
);
CREATE INDEX notify_rules_project ON notify_rules(project_id);

CREATE TABLE notifications (
	id         INTEGER PRIMARY KEY,
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	channel_id BIGINT NOT NULL REFERENCES notify_channels(id) ON DELETE CASCADE,
	rule_id    BIGINT NOT NULL DEFAULT 0,
	kind       TEXT NOT NULL,
	title      TEXT NOT NULL,
	critical   BOOLEAN NOT NULL DEFAULT FALSE,
	payload    BLOB NOT NULL,
	status     TEXT NOT NULL,
	held       TEXT NOT NULL DEFAULT '',
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	grouped    INTEGER NOT NULL DEFAULT 0,
	digest     BOOLEAN NOT NULL DEFAULT FALSE,
	next_at    BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	sent_at    BIGINT
);
CREATE INDEX notifications_project ON notifications(project_id, id);
CREATE INDEX notifications_due ON notifications(status, next_at);
CREATE INDEX notifications_channel ON notifications(channel_id, status, next_at);

CREATE TABLE notify_state (
	project_id BIGINT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
	state      BLOB NOT NULL
);
