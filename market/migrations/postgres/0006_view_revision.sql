-- A counter every change to what a user's `/market/hash` covers moves, in the
-- transaction of the change, whoever writes it (market sources, catalog hashes
-- and listings, user apps): the API keeps each user's hash while it stays the
-- same (`MarketStore::view_revision`), on every replica.
--
-- The triggers are deferred to the commit: the counter's row lock is taken last,
-- so a transaction holding it never waits for another lock (no deadlock), and
-- concurrent writers queue on it only for their commit.
CREATE TABLE view_revision (
    id       SMALLINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO view_revision (id, revision) VALUES (1, 0);

CREATE FUNCTION move_view_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE view_revision SET revision = revision + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER market_sources_move_view
    AFTER INSERT OR UPDATE OR DELETE ON market_sources
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION move_view_revision();
CREATE CONSTRAINT TRIGGER catalogs_move_view
    AFTER INSERT OR UPDATE OR DELETE ON catalogs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION move_view_revision();
CREATE CONSTRAINT TRIGGER user_apps_move_view
    AFTER INSERT OR UPDATE OR DELETE ON user_apps
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION move_view_revision();

-- `POST /apps` looks a user's apps up by name (the primary key) or by app id.
CREATE INDEX user_apps_by_user_app_id ON user_apps (user_name, source, app_id);
