-- What an ingest's analysis takes from a project besides its engine — the
-- action feedback, the overrides, the incidents and the kept forecasts'
-- scores — changes rarely, while batches arrive every few seconds: a
-- replica keeps them in memory while learning_version, bumped by any change
-- to those tables (however made: the API, a restore, a cascade), stays the
-- same. LoadState reads it with the state version.
ALTER TABLE project_state ADD COLUMN learning_version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION bump_learning_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = OLD.project_id;
	ELSE
		UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = NEW.project_id;
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER action_feedback_learning AFTER INSERT OR UPDATE OR DELETE ON action_feedback
	FOR EACH ROW EXECUTE FUNCTION bump_learning_version();
CREATE TRIGGER learning_overrides_learning AFTER INSERT OR UPDATE OR DELETE ON learning_overrides
	FOR EACH ROW EXECUTE FUNCTION bump_learning_version();
CREATE TRIGGER incidents_learning AFTER INSERT OR UPDATE OR DELETE ON incidents
	FOR EACH ROW EXECUTE FUNCTION bump_learning_version();
CREATE TRIGGER forecasts_learning AFTER INSERT OR UPDATE OR DELETE ON forecasts
	FOR EACH ROW EXECUTE FUNCTION bump_learning_version();
