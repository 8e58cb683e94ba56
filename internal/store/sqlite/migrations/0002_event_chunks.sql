-- Events move into chunks: up to 1024 events of one batch per row, encoded
-- and zstd-compressed by the store (sqlstore/chunk.go), with the chunk's
-- time range and a bitmap of its levels. An event's id is the chunk id
-- shifted left by 12 plus its ordinal in the chunk. AUTOINCREMENT: a chunk
-- id (and so an event id) is never reused.
CREATE TABLE event_chunks (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	project_id BIGINT NOT NULL,
	batch_id   BIGINT NOT NULL,
	min_time   BIGINT NOT NULL,
	max_time   BIGINT NOT NULL,
	n          INTEGER NOT NULL,
	levels     BIGINT NOT NULL,
	data       BLOB NOT NULL
);
CREATE INDEX event_chunks_project_time ON event_chunks(project_id, max_time, id);

-- One document per chunk, keyed by chunk id: the chunk's distinct search
-- tokens ([a-z0-9]+, see sqlstore.indexToken) and a key token per service
-- and pattern. Only which chunks hold a token is kept (detail=none); the
-- exact match is done on the decoded events.
CREATE VIRTUAL TABLE event_chunks_fts USING fts5(tokens, content='', contentless_delete=1, detail=none, tokenize='ascii');

-- The per-event index is replaced; the rows of events are moved into
-- chunks by the store when it opens (sqlstore.ConvertLegacy).
DROP TABLE events_fts;
