-- Compaction (sqlstore/compact.go) merges a project's sorted runs of
-- chunks into larger runs, so that a page of a search reads a few chunks
-- instead of one per batch. run names a chunk's run: 0 for a batch's own
-- chunks (its batch_id is the run), a negative key for a compaction's
-- output (whose events keep their own ids and batch ids in the chunk).
ALTER TABLE event_chunks ADD COLUMN run BIGINT NOT NULL DEFAULT 0;
