-- Market sources known to the repository, as JSON documents.
CREATE TABLE market_sources (
    id            TEXT PRIMARY KEY NOT NULL,
    doc           TEXT NOT NULL,
    priority      INTEGER NOT NULL,
    -- 1 for the active remote source, NULL otherwise: UNIQUE admits many NULLs
    -- but one 1, which is the one-active-remote rule.
    active_remote INTEGER UNIQUE CHECK (active_remote = 1)
);

-- One-time steps done in code after the migrations, each flipped in the same
-- transaction as its work, so a crash in between repeats the step.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
INSERT INTO meta (key, value) VALUES ('sources_seeded', 0);
