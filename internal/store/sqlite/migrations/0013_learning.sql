-- Learning users can see (issue 11): feedback per user, manual overrides,
-- incident memory.

-- Each user's own feedback on an action: the ranking counts one opinion per
-- user and action. action_status stays the project's shared view (hidden or
-- not); the rows it holds become the first opinions.
CREATE TABLE action_feedback (
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	action_id  TEXT NOT NULL,
	user_id    BIGINT NOT NULL DEFAULT 0, -- 0: an API token
	action_key TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL CHECK (status IN ('done', 'dismissed', 'snoozed', 'not_relevant')),
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (project_id, action_id, user_id)
);
INSERT INTO action_feedback (project_id, action_id, user_id, action_key, status, updated_at)
	SELECT project_id, action_id, COALESCE(user_id, 0), action_key, status, updated_at FROM action_status;

-- Manual overrides: pin or mute an action type, a factor's high level, a
-- pattern marked as expected.
CREATE TABLE learning_overrides (
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	kind       TEXT NOT NULL CHECK (kind IN ('pin', 'mute', 'threshold', 'expected')),
	target     TEXT NOT NULL,
	value      REAL NOT NULL DEFAULT 0,
	user_id    BIGINT NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (project_id, kind, target)
);

-- Incident memory: opened when a project reaches high, closed when it has
-- been low for a while; people add the title, root cause and fix.
CREATE TABLE incidents (
	id         INTEGER PRIMARY KEY,
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	opened_at  BIGINT NOT NULL,
	closed_at  BIGINT,
	low_since  BIGINT,
	peak_score REAL NOT NULL DEFAULT 0,
	title      TEXT NOT NULL DEFAULT '',
	root_cause TEXT NOT NULL DEFAULT '',
	fix        TEXT NOT NULL DEFAULT '',
	signature  TEXT NOT NULL DEFAULT '{}',
	updated_at BIGINT NOT NULL
);
CREATE INDEX incidents_project ON incidents (project_id, opened_at);
