-- CloudSage schema for SQLite. Times are Unix nanoseconds (BIGINT) so both
-- dialects compare and sort them the same way.
CREATE TABLE kv (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	email         TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
	hash       TEXT PRIMARY KEY,
	user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE projects (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	settings   TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

CREATE TABLE members (
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	role       TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
	created_at BIGINT NOT NULL,
	PRIMARY KEY (project_id, user_id)
);
CREATE INDEX members_user ON members(user_id);

-- One row per project: the engine snapshot, the latest report and counters.
-- Ingests lock this row (PostgreSQL: SELECT ... FOR UPDATE).
CREATE TABLE project_state (
	project_id     BIGINT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
	version        BIGINT NOT NULL DEFAULT 0,
	snapshot       BLOB,
	report         BLOB,
	report_at      BIGINT,
	report_horizon INTEGER,
	score          REAL NOT NULL DEFAULT 0,
	label          TEXT NOT NULL DEFAULT '',
	events         BIGINT NOT NULL DEFAULT 0,
	last_ingest_at BIGINT,
	kept_at        BIGINT
);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	project_id   BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	hash         TEXT NOT NULL UNIQUE,
	role         TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
	created_by   BIGINT REFERENCES users(id) ON DELETE SET NULL,
	created_at   BIGINT NOT NULL,
	last_used_at BIGINT
);
CREATE INDEX api_tokens_project ON api_tokens(project_id);

CREATE TABLE ingest_batches (
	id           INTEGER PRIMARY KEY,
	project_id   BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	created_at   BIGINT NOT NULL,
	status       TEXT NOT NULL,
	source       TEXT NOT NULL,
	bytes        BIGINT NOT NULL,
	received     INTEGER NOT NULL,
	accepted     INTEGER NOT NULL,
	rejected     INTEGER NOT NULL,
	formats      TEXT NOT NULL,
	new_patterns INTEGER NOT NULL,
	score        REAL NOT NULL,
	label        TEXT NOT NULL
);
CREATE INDEX ingest_batches_project ON ingest_batches(project_id, id);

-- Events: one row each, no foreign key (checked per row otherwise; project
-- deletion removes them explicitly). Ids are assigned by the single writer.
CREATE TABLE events (
	id           INTEGER PRIMARY KEY,
	project_id   BIGINT NOT NULL,
	batch_id     BIGINT NOT NULL,
	time         BIGINT NOT NULL,
	level        INTEGER NOT NULL,
	service      TEXT NOT NULL,
	host         TEXT NOT NULL,
	pattern      TEXT NOT NULL,
	format       TEXT NOT NULL,
	message      TEXT NOT NULL,
	raw          TEXT,
	fields       TEXT,
	signals      TEXT,
	time_guessed INTEGER NOT NULL
);
CREATE INDEX events_project_time ON events(project_id, time, id);

-- Full-text index over each event's message and fields, keyed by event id.
CREATE VIRTUAL TABLE events_fts USING fts5(text, content='', contentless_delete=1, tokenize='unicode61');

CREATE TABLE patterns (
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	id         TEXT NOT NULL,
	template   TEXT NOT NULL,
	count      BIGINT NOT NULL,
	first_seen BIGINT NOT NULL,
	last_seen  BIGINT NOT NULL,
	PRIMARY KEY (project_id, id)
);

-- Kept forecasts (reports), for history and later scoring.
CREATE TABLE forecasts (
	id         INTEGER PRIMARY KEY,
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	at         BIGINT NOT NULL,
	horizon    INTEGER NOT NULL,
	score      REAL NOT NULL,
	label      TEXT NOT NULL,
	body       BLOB NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX forecasts_project ON forecasts(project_id, id);

CREATE TABLE risk_history (
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	at         BIGINT NOT NULL,
	score      REAL NOT NULL,
	label      TEXT NOT NULL,
	batch_id   BIGINT
);
CREATE INDEX risk_history_project ON risk_history(project_id, at);

CREATE TABLE action_status (
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	action_id  TEXT NOT NULL,
	status     TEXT NOT NULL CHECK (status IN ('done', 'dismissed', 'snoozed')),
	until      BIGINT,
	user_id    BIGINT,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (project_id, action_id)
);
