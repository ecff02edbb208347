-- Hydration queue, rendered app records, state-change feed, image cache and
-- download history. Times are unix milliseconds; JSON is stored as text.

-- One row per hydration job. A job is live while pending or leased.
CREATE TABLE hydration_jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user            TEXT NOT NULL,
    source          TEXT NOT NULL,
    app             TEXT NOT NULL,
    version         TEXT NOT NULL,
    request         TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    -- Set exactly while leased; the token is the attempt that holds the lease.
    lease_worker    TEXT,
    lease_token     INTEGER,
    lease_deadline  INTEGER,
    last_failure    TEXT,
    result          TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- Dedup: at most one live job per (user, source, app, version).
CREATE UNIQUE INDEX hydration_jobs_live_key ON hydration_jobs (user, source, app, version)
    WHERE state IN ('pending', 'leased');
-- `lease`: due pending jobs, oldest first.
CREATE INDEX hydration_jobs_due ON hydration_jobs (state, next_attempt_at, id);
-- Reclaiming expired leases.
CREATE INDEX hydration_jobs_deadline ON hydration_jobs (lease_deadline) WHERE state = 'leased';
-- `job_by_key`: the latest job of a key.
CREATE INDEX hydration_jobs_key ON hydration_jobs (user, source, app, version, id);

-- The latest rendered version per (user, source, app).
CREATE TABLE apps (
    user           TEXT NOT NULL,
    source         TEXT NOT NULL,
    app_name       TEXT NOT NULL,
    app_id         TEXT NOT NULL,
    version        TEXT NOT NULL,
    source_digest  TEXT NOT NULL,
    package_digest TEXT NOT NULL,
    package_size   INTEGER NOT NULL,
    chart          TEXT NOT NULL,
    payload        TEXT NOT NULL,
    support_arch   TEXT NOT NULL,
    created        INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (user, source, app_name)
);
CREATE INDEX apps_by_app ON apps (source, app_name, user);

-- The feed. AUTOINCREMENT: an id is never reused, even after trimming.
CREATE TABLE state_changes (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    draft TEXT NOT NULL
);
-- The highest id retention dropped; a cursor below it is gone.
INSERT INTO meta (key, value) VALUES ('state_changes_trimmed_through', 0);

CREATE TABLE image_cache (
    reference  TEXT PRIMARY KEY NOT NULL,
    digest     TEXT NOT NULL,
    info       TEXT NOT NULL,
    fetched_at INTEGER NOT NULL
);

CREATE TABLE downloads (
    user    TEXT NOT NULL,
    app     TEXT NOT NULL,
    version TEXT NOT NULL,
    source  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (user, app)
);
