-- Catalogs, users, rendered user apps, the data watcher's cursor and live
-- events (DESIGN.md §5.2). Times are milliseconds since the epoch; JSON
-- documents are TEXT.

-- One row per synced source: what it publishes besides its apps.
CREATE TABLE catalogs (
    source     TEXT PRIMARY KEY NOT NULL REFERENCES market_sources (id) ON DELETE CASCADE,
    hash       TEXT NOT NULL,
    version    TEXT NOT NULL,
    listing    TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE catalog_apps (
    source       TEXT NOT NULL REFERENCES market_sources (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    app_id       TEXT NOT NULL,
    version      TEXT NOT NULL,
    entry        TEXT NOT NULL,
    labels       TEXT NOT NULL,
    entry_digest TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (source, name)
);
CREATE INDEX catalog_apps_by_id ON catalog_apps (source, app_id);

CREATE TABLE users (
    name       TEXT PRIMARY KEY NOT NULL,
    is_admin   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL
);
-- At most one admin (the same trick as the one active remote source).
CREATE UNIQUE INDEX users_one_admin ON users (is_admin) WHERE is_admin;

-- No foreign keys: the watcher may record an app for a user or source the
-- market does not know yet; the driver's query joins users and sources.
CREATE TABLE user_apps (
    user_name       TEXT NOT NULL,
    source          TEXT NOT NULL,
    app_name        TEXT NOT NULL,
    app_id          TEXT NOT NULL,
    version         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
    payload         TEXT,
    failure_step    TEXT,
    failure_reason  TEXT,
    failure_at      INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (user_name, source, app_name)
);
CREATE INDEX user_apps_by_app ON user_apps (source, app_name);

-- Named cursors; the data watcher's is 'state_changes'.
CREATE TABLE cursors (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);

-- AUTOINCREMENT: ids are never reused, even after the newest rows are trimmed.
CREATE TABLE events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_name TEXT,
    kind      TEXT NOT NULL,
    data      TEXT NOT NULL,
    at        INTEGER NOT NULL
);
CREATE INDEX events_by_user ON events (user_name, id);
