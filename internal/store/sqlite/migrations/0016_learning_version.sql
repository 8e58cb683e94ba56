-- What an ingest's analysis takes from a project besides its engine — the
-- action feedback, the overrides, the incidents and the kept forecasts'
-- scores — changes rarely, while batches arrive every few seconds: a
-- replica keeps them in memory while learning_version, bumped by any change
-- to those tables (however made: the API, a restore, a cascade), stays the
-- same. LoadState reads it with the state version.
ALTER TABLE project_state ADD COLUMN learning_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER action_feedback_learning_insert AFTER INSERT ON action_feedback BEGIN
	UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = NEW.project_id;
END;
CREATE TRIGGER action_feedback_learning_update AFTER UPDATE ON action_feedback BEGIN
	UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = NEW.project_id;
END;
CREATE TRIGGER action_feedback_learning_delete AFTER DELETE ON action_feedback BEGIN
	UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = OLD.project_id;
END;
CREATE TRIGGER learning_overrides_learning_insert AFTER INSERT ON learning_overrides BEGIN
	UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = NEW.project_id;
END;
CREATE TRIGGER learning_overrides_learning_update AFTER UPDATE ON learning_overrides BEGIN
	UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = NEW.project_id;
END;
CREATE TRIGGER learning_overrides_learning_delete AFTER DELETE ON learning_overrides BEGIN
	UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = OLD.project_id;
END;
CREATE TRIGGER incidents_learning_insert AFTER INSERT ON incidents BEGIN
	UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = NEW.project_id;
END;
CREATE TRIGGER incidents_learning_update AFTER UPDATE ON incidents BEGIN
	UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = NEW.project_id;
END;
CREATE TRIGGER incidents_learning_delete AFTER DELETE ON incidents BEGIN
	UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = OLD.project_id;
END;
CREATE TRIGGER forecasts_learning_insert AFTER INSERT ON forecasts BEGIN
	UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = NEW.project_id;
END;
CREATE TRIGGER forecasts_learning_update AFTER UPDATE ON forecasts BEGIN
	UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = NEW.project_id;
END;
CREATE TRIGGER forecasts_learning_delete AFTER DELETE ON forecasts BEGIN
	UPDATE project_state SET learning_version = learning_version + 1 WHERE project_id = OLD.project_id;
END;
