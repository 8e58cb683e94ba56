-- Compaction's reads of event_chunks (sqlstore/compact.go: the plan sums
-- each run's events, a step picks a run's earliest chunks) need run, which
-- sits after data in the row (0008 added it), so reading it from the table
-- walks each chunk's overflow pages. This index holds every column those
-- reads use (the id is the rowid, in every index), so they stay on it.
CREATE INDEX event_chunks_runs ON event_chunks(project_id, run, batch_id, min_time, max_time, n);
