-- Tasks (DESIGN.md §5.3), their history, and each user's app state as
-- app-service reports it. JSON documents are JSONB.

CREATE TABLE tasks (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_name       TEXT NOT NULL,
    app_name        TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('install', 'uninstall', 'cancel', 'upgrade', 'clone')),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'canceled')),
    source          TEXT NOT NULL,
    version         TEXT NOT NULL,
    -- What the worker sends app-service (envs, images, clone fields).
    request         JSONB NOT NULL,
    -- The caller's X-Authorization, kept so a resumed task can use it. Never
    -- part of an API answer or a log line.
    token           TEXT,
    -- The x-request-id of the request that submitted it, sent on to app-service.
    request_id      TEXT,
    idempotency_key TEXT,
    op_id           TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    lease_owner     TEXT,
    lease_until     TIMESTAMPTZ,
    error           JSONB,
    app_state       TEXT,
    canceled_by     BIGINT,
    created_at      TIMESTAMPTZ NOT NULL,
    started_at      TIMESTAMPTZ,
    finished_at     TIMESTAMPTZ,
    updated_at      TIMESTAMPTZ NOT NULL
);
-- The same request while one is pending or running returns that task.
CREATE UNIQUE INDEX tasks_one_active ON tasks (user_name, app_name, kind)
    WHERE status IN ('pending', 'running');
-- One running operation per (user, app); a cancel runs beside what it cancels.
CREATE UNIQUE INDEX tasks_one_running ON tasks (user_name, app_name)
    WHERE status = 'running' AND kind <> 'cancel';
CREATE UNIQUE INDEX tasks_by_key ON tasks (user_name, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX tasks_by_status ON tasks (status, next_attempt_at, id);
CREATE INDEX tasks_by_user ON tasks (user_name, id);

-- History: one row per task start and end (GET /logs).
CREATE TABLE history (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_name TEXT NOT NULL,
    kind      TEXT NOT NULL,
    app       TEXT NOT NULL,
    message   TEXT NOT NULL,
    extended  JSONB NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX history_by_user ON history (user_name, id);

-- Each user's apps as app-service last reported them.
CREATE TABLE app_states (
    user_name  TEXT NOT NULL,
    app_name   TEXT NOT NULL,
    state      TEXT NOT NULL,
    doc        JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_name, app_name)
);
