-- Teams: invitations by email (only the SHA-256 of the link's token is
-- kept; a link is single-use, expiring and revocable) and comments on a
-- project's forecast or on one of its actions.
CREATE TABLE invitations (
	id          INTEGER PRIMARY KEY,
	project_id  BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	email       TEXT NOT NULL,
	role        TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
	hash        TEXT NOT NULL UNIQUE,
	created_by  BIGINT REFERENCES users(id) ON DELETE SET NULL,
	created_at  BIGINT NOT NULL,
	expires_at  BIGINT NOT NULL,
	accepted_at BIGINT,
	accepted_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
	revoked_at  BIGINT
);
CREATE INDEX invitations_project ON invitations(project_id, id);

-- target is "forecast" or "action:<action id>".
CREATE TABLE comments (
	id         INTEGER PRIMARY KEY,
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	target     TEXT NOT NULL,
	user_id    BIGINT REFERENCES users(id) ON DELETE SET NULL,
	body       TEXT NOT NULL,
	mentions   TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE INDEX comments_project ON comments(project_id, target, id);

-- A member's last activity is the newest activity row they are the actor of.
CREATE INDEX activity_actor ON activity(project_id, actor_user, created_at);
