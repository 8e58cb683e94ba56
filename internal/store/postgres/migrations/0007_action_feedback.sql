-- Action feedback learns per action type: each status keeps the type (the
-- knowledge-base key) of the action it is about, and "not relevant for this
-- project" joins the statuses.
ALTER TABLE action_status ADD COLUMN action_key TEXT NOT NULL DEFAULT '';
ALTER TABLE action_status DROP CONSTRAINT IF EXISTS action_status_status_check;
ALTER TABLE action_status ADD CONSTRAINT action_status_status_check CHECK (status IN ('done', 'dismissed', 'snoozed', 'not_relevant'));
