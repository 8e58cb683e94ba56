-- Action feedback learns per action type: each status keeps the type (the
-- knowledge-base key) of the action it is about, and "not relevant for this
-- project" joins the statuses. SQLite cannot alter a CHECK, so the table is
-- rebuilt with its rows.
CREATE TABLE action_status_new (
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	action_id  TEXT NOT NULL,
	action_key TEXT NOT NULL DEFAULT '',
	status     TEXT NOT NULL CHECK (status IN ('done', 'dismissed', 'snoozed', 'not_relevant')),
	until      BIGINT,
	user_id    BIGINT,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (project_id, action_id)
);
INSERT INTO action_status_new (project_id, action_id, status, until, user_id, updated_at)
	SELECT project_id, action_id, status, until, user_id, updated_at FROM action_status;
DROP TABLE action_status;
ALTER TABLE action_status_new RENAME TO action_status;
