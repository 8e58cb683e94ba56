-- Compaction moves a chunk from its batch's run to a merged run with an
-- UPDATE of run alone (sqlstore/compact.go). run is in no index, so the
-- update can be HOT (no new index entries, GIN tokens included) when the
-- row's page has room for the new version: with pages packed full by
-- inserts it had none. Leave a fifth of each page free. A partitioned
-- table takes no storage parameters, so each partition gets it (new days'
-- partitions in postgres/partitions.go); existing pages keep theirs until
-- rewritten.
DO $$
DECLARE
	t TEXT;
BEGIN
	FOR t IN SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'event_chunks'::regclass
	LOOP
		EXECUTE format('ALTER TABLE %I SET (fillfactor = 80)', t);
	END LOOP;
END $$;
