-- The search index's share of the disk (issue 15). At 200k bench lines
-- the chunks' live token arrays took 3.0 MB and their GIN indexes 12.5 MB
-- for 5.6 MB of compressed events.
--
-- Token arrays were stored as they are, out of line (STORAGE EXTERNAL,
-- schema 0002), although searches read them from the index alone. MAIN
-- compresses an array and keeps it in the row when it fits, with lz4
-- where the server has it (PostgreSQL 14 on, built with lz4; else pglz).
-- SET STORAGE reaches every partition; SET COMPRESSION is set on each
-- (new days' partitions copy both, postgres/partitions.go).
--
-- The GIN index no longer has a pending list (fastupdate = off): each
-- batch's and each compaction step's tokens went to the list and were
-- moved into the index proper after the batch (gin_clean_pending_list),
-- and the list's emptied pages were never used again until a vacuum: the
-- indexes grew to 2-2.5 times the size of the same entries inserted
-- directly, and a search scanned whatever list was waiting. Direct inserts
-- cost more CPU (each chunk's tokens go into the tree one by one: about
-- 3-4 s of PostgreSQL CPU a million bench lines, the list inserts a
-- batch's shared words once); a list emptied every pass does not keep its
-- size, because its freed pages are still visible to running snapshots
-- when the next batch asks for a page, and are dropped until a vacuum. A partitioned index takes no storage parameter change, so the
-- index is built again with it, on every partition (which also drops
-- their bloat); its name stays.
--
-- Nothing is rewritten but the index: existing arrays keep their form
-- until compaction or retention rewrites their chunk.
ALTER TABLE event_chunks ALTER COLUMN tokens SET STORAGE MAIN;
DO $$
DECLARE
	t TEXT;
BEGIN
	IF current_setting('server_version_num')::int >= 140000 AND EXISTS (
		SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
		EXECUTE 'ALTER TABLE event_chunks ALTER COLUMN tokens SET COMPRESSION lz4';
		FOR t IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = 'event_chunks'::regclass
		LOOP
			EXECUTE format('ALTER TABLE %I ALTER COLUMN tokens SET COMPRESSION lz4', t);
		END LOOP;
	END IF;
END $$;
DROP INDEX event_chunks_tokens;
CREATE INDEX event_chunks_tokens ON event_chunks USING GIN (tokens) WITH (fastupdate = off);
