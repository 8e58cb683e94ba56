-- API tokens get scopes (what they may do: ingest, read, admin), an
-- optional expiry, the address they were last used from and, when a token
-- minted them, that token. Existing tokens keep what their role allowed:
-- viewer -> read, member -> ingest+read, admin -> ingest+read+admin.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT 'ingest';
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN last_ip TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN created_by_token BIGINT;
UPDATE api_tokens SET scopes = CASE role
	WHEN 'admin' THEN 'ingest,read,admin'
	WHEN 'member' THEN 'ingest,read'
	ELSE 'read' END;

-- A project's activity: who (a user, a token, or both when a token acts
-- for its creator) did what (kind, e.g. "token.created"), with a JSON
-- detail. Generic on purpose: other features add their own kinds.
CREATE TABLE activity (
	id          INTEGER PRIMARY KEY,
	project_id  BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	actor_user  BIGINT,
	actor_token BIGINT,
	kind        TEXT NOT NULL,
	detail      TEXT NOT NULL DEFAULT '{}',
	created_at  BIGINT NOT NULL
);
CREATE INDEX activity_project ON activity(project_id, id);
