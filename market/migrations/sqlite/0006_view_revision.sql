-- A counter every change to what a user's `/market/hash` covers moves, in the
-- transaction of the change, whoever writes it (market sources, catalog hashes
-- and listings, user apps): the API keeps each user's hash while it stays the
-- same (`MarketStore::view_revision`).
CREATE TABLE view_revision (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO view_revision (id, revision) VALUES (1, 0);

CREATE TRIGGER market_sources_insert_moves_view AFTER INSERT ON market_sources
BEGIN UPDATE view_revision SET revision = revision + 1; END;
CREATE TRIGGER market_sources_update_moves_view AFTER UPDATE ON market_sources
BEGIN UPDATE view_revision SET revision = revision + 1; END;
CREATE TRIGGER market_sources_delete_moves_view AFTER DELETE ON market_sources
BEGIN UPDATE view_revision SET revision = revision + 1; END;

CREATE TRIGGER catalogs_insert_moves_view AFTER INSERT ON catalogs
BEGIN UPDATE view_revision SET revision = revision + 1; END;
CREATE TRIGGER catalogs_update_moves_view AFTER UPDATE ON catalogs
BEGIN UPDATE view_revision SET revision = revision + 1; END;
CREATE TRIGGER catalogs_delete_moves_view AFTER DELETE ON catalogs
BEGIN UPDATE view_revision SET revision = revision + 1; END;

CREATE TRIGGER user_apps_insert_moves_view AFTER INSERT ON user_apps
BEGIN UPDATE view_revision SET revision = revision + 1; END;
CREATE TRIGGER user_apps_update_moves_view AFTER UPDATE ON user_apps
BEGIN UPDATE view_revision SET revision = revision + 1; END;
CREATE TRIGGER user_apps_delete_moves_view AFTER DELETE ON user_apps
BEGIN UPDATE view_revision SET revision = revision + 1; END;

-- `POST /apps` looks a user's apps up by name (the primary key) or by app id.
CREATE INDEX user_apps_by_user_app_id ON user_apps (user_name, source, app_id);
