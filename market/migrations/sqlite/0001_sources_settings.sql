-- Market sources and settings (DESIGN.md §5.2).
CREATE TABLE market_sources (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL CHECK (type IN ('remote', 'local')),
    base_url    TEXT NOT NULL DEFAULT '',
    priority    INTEGER NOT NULL DEFAULT 0,
    is_active   BOOLEAN NOT NULL DEFAULT FALSE,
    description TEXT NOT NULL DEFAULT '',
    updated_at  TEXT NOT NULL
);

-- At most one active remote source: every active remote row has the same
-- indexed value, so a second one violates uniqueness.
CREATE UNIQUE INDEX market_sources_one_active_remote
    ON market_sources (type) WHERE type = 'remote' AND is_active;

CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
