-- `/market/data` shows each user's app states (from app-service): a change to them
-- moves the view revision too, so answers kept under it are not served stale.
CREATE TRIGGER app_states_insert_moves_view AFTER INSERT ON app_states
BEGIN UPDATE view_revision SET revision = revision + 1; END;
CREATE TRIGGER app_states_update_moves_view AFTER UPDATE ON app_states
BEGIN UPDATE view_revision SET revision = revision + 1; END;
CREATE TRIGGER app_states_delete_moves_view AFTER DELETE ON app_states
BEGIN UPDATE view_revision SET revision = revision + 1; END;
