-- Event chunks are partitioned by time: RANGE on max_time (the chunk's
-- newest event), one partition a UTC day named event_chunks_pYYYYMMDD, and
-- a DEFAULT partition that takes any time without one, so an insert never
-- fails. Keyed on max_time because both uses of time want the newest event:
-- a search's "from" is max_time >= from and its newest-first walk is
-- ORDER BY max_time DESC (pruned and read partition by partition), and
-- retention removes a chunk once max_time is older than the cut-off, so a
-- day whose end is past every project's cut-off is dropped whole
-- (postgres/partitions.go). Days, because retention is set in days.
--
-- A partitioned table's primary key must hold the partition key: (id,
-- max_time). ids stay unique: they come from one sequence, which replaces
-- the identity column (it continues after the largest id).
--
-- This converts the table in place, in this migration's transaction:
-- new table, a partition per day that holds chunks (within ten years of
-- now; others go to DEFAULT), rows copied, old table dropped, names kept.
CREATE SEQUENCE event_chunk_ids AS BIGINT;
SELECT setval('event_chunk_ids', COALESCE((SELECT MAX(id) FROM event_chunks), 0) + 1, false);

ALTER TABLE event_chunks RENAME TO event_chunks_0011;
ALTER INDEX event_chunks_project_time RENAME TO event_chunks_0011_project_time;
ALTER INDEX event_chunks_tokens RENAME TO event_chunks_0011_tokens;
ALTER TABLE event_chunks_0011 RENAME CONSTRAINT event_chunks_pkey TO event_chunks_0011_pkey;

CREATE TABLE event_chunks (
	id         BIGINT NOT NULL DEFAULT nextval('event_chunk_ids'),
	project_id BIGINT NOT NULL,
	batch_id   BIGINT NOT NULL,
	min_time   BIGINT NOT NULL,
	max_time   BIGINT NOT NULL,
	n          INTEGER NOT NULL,
	levels     BIGINT NOT NULL,
	data       BYTEA NOT NULL,
	tokens     TEXT[] NOT NULL,
	run        BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (id, max_time)
) PARTITION BY RANGE (max_time);
ALTER SEQUENCE event_chunk_ids OWNED BY event_chunks.id;
ALTER TABLE event_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE event_chunks ALTER COLUMN tokens SET STORAGE EXTERNAL;
CREATE INDEX event_chunks_project_time ON event_chunks(project_id, max_time, id);
CREATE INDEX event_chunks_tokens ON event_chunks USING GIN (tokens);
CREATE TABLE event_chunks_default PARTITION OF event_chunks DEFAULT;
ALTER TABLE event_chunks_default ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE event_chunks_default ALTER COLUMN tokens SET STORAGE EXTERNAL;

DO $$
DECLARE
	day_ns CONSTANT BIGINT := 86400000000000;
	now_day BIGINT := floor(extract(epoch FROM now()) / 86400)::BIGINT;
	d BIGINT;
	name TEXT;
BEGIN
	FOR d IN SELECT DISTINCT max_time / day_ns FROM event_chunks_0011
		WHERE max_time >= 0 AND max_time / day_ns BETWEEN now_day - 3650 AND now_day + 7
	LOOP
		name := 'event_chunks_p' || to_char(to_timestamp(d * 86400) AT TIME ZONE 'UTC', 'YYYYMMDD');
		EXECUTE format('CREATE TABLE %I PARTITION OF event_chunks FOR VALUES FROM (%s) TO (%s)', name, d * day_ns, (d + 1) * day_ns);
		EXECUTE format('ALTER TABLE %I ALTER COLUMN data SET STORAGE EXTERNAL, ALTER COLUMN tokens SET STORAGE EXTERNAL', name);
	END LOOP;
END $$;

INSERT INTO event_chunks (id, project_id, batch_id, min_time, max_time, n, levels, data, tokens, run)
	SELECT id, project_id, batch_id, min_time, max_time, n, levels, data, tokens, run FROM event_chunks_0011;
DROP TABLE event_chunks_0011;
