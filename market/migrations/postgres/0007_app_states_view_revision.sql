-- `/market/data` shows each user's app states (from app-service): a change to them
-- moves the view revision too, so answers kept under it are not served stale.
CREATE CONSTRAINT TRIGGER app_states_move_view
    AFTER INSERT OR UPDATE OR DELETE ON app_states
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION move_view_revision();
