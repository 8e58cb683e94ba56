-- Retried batches: the keys a committed batch answers to for 24 hours (the
-- SHA-256 of its decoded body, or the client's Idempotency-Key), so that a
-- retry gets the first batch's summary instead of being stored again.
CREATE TABLE ingest_keys (
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	key        TEXT NOT NULL,
	body_hash  TEXT NOT NULL,
	batch_id   BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (project_id, key)
);
CREATE INDEX ingest_keys_age ON ingest_keys(project_id, created_at);

-- A batch's event count and rejection reasons, so a duplicate's answer is
-- the first batch's summary.
ALTER TABLE ingest_batches ADD COLUMN events INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ingest_batches ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]';

-- Saved searches: a name and the query string of the logs search.
CREATE TABLE saved_searches (
	id         INTEGER PRIMARY KEY,
	project_id BIGINT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	query      TEXT NOT NULL,
	created_by BIGINT,
	created_at BIGINT NOT NULL,
	UNIQUE (project_id, name)
);

-- Chunks from this id on carry a key token per host (sqlstore.keyToken
-- 'h'); a host filter reads older chunks without the index.
INSERT INTO kv (name, value) SELECT 'index:host-keys-from', CAST(COALESCE(MAX(id), 0) + 1 AS TEXT) FROM event_chunks;
