//! Tasks, history and app states on PostgreSQL. A lease picks its task with
//! `FOR UPDATE SKIP LOCKED`, so several workers (and market replicas) never
//! take the same one; the partial unique index "one running task per (user,
//! app)" refuses the rare second lease of an app that raced past the
//! `NOT EXISTS` check, and that lease reports nothing (the worker polls again).

use chrono::{DateTime, Utc};
use market_model::task::{Task, TaskError, TaskId, TaskStatus};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sqlx::PgConnection;

use super::{PostgresStore, ms, unavailable};
use crate::store::{
    AppStateRecord, HistoryRecord, LeasedTask, NewTask, StoreError, Submitted, TaskEnd, TaskFilter,
    TaskRequest, TaskStore, history_row, parse_task_kind, parse_task_status,
};

const COLUMNS: &str = "id, user_name, app_name, kind, status, source, version, op_id, attempts, \
    next_attempt_at, error, app_state, canceled_by, created_at, started_at, finished_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    user_name: String,
    app_name: String,
    kind: String,
    status: String,
    source: String,
    version: String,
    op_id: Option<String>,
    attempts: i32,
    next_attempt_at: Option<DateTime<Utc>>,
    error: Option<Value>,
    app_state: Option<String>,
    canceled_by: Option<i64>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<Row> for Task {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Self, StoreError> {
        let what = format!("task {}", r.id);
        Ok(Task {
            id: r.id,
            kind: parse_task_kind(&r.kind)?,
            status: parse_task_status(&r.status)?,
            attempts: u32::try_from(r.attempts)
                .map_err(|_| StoreError::Corrupt(format!("{what}: attempts {}", r.attempts)))?,
            next_attempt_at: r.next_attempt_at,
            error: r
                .error
                .map(serde_json::from_value::<TaskError>)
                .transpose()
                .map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))?,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            updated_at: r.updated_at,
            user: r.user_name,
            app_name: r.app_name,
            source: r.source,
            version: r.version,
            op_id: r.op_id,
            app_state: r.app_state,
            canceled_by: r.canceled_by,
        })
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

async fn load(conn: &mut PgConnection, id: TaskId) -> Result<Option<Task>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM tasks WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(unavailable)?;
    row.map(Task::try_from).transpose()
}

async fn write_history(
    conn: &mut PgConnection,
    task: &Task,
    what: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (message, extended) = history_row(task, what);
    sqlx::query(
        "INSERT INTO history (user_name, kind, app, message, extended, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&task.user)
    .bind(task.kind.as_str())
    .bind(&task.app_name)
    .bind(message)
    .bind(extended)
    .bind(ms(now))
    .execute(conn)
    .await
    .map(drop)
    .map_err(unavailable)
}

async fn existing(conn: &mut PgConnection, new: &NewTask) -> Result<Option<Task>, StoreError> {
    if let Some(key) = &new.idempotency_key {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM tasks WHERE user_name = $1 AND idempotency_key = $2",
        )
        .bind(&new.user)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(unavailable)?;
        if let Some(id) = id {
            return load(conn, id).await;
        }
    }
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM tasks WHERE user_name = $1 AND app_name = $2 AND kind = $3
           AND status IN ('pending', 'running')",
    )
    .bind(&new.user)
    .bind(&new.app_name)
    .bind(new.kind.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(unavailable)?;
    match id {
        Some(id) => load(conn, id).await,
        None => Ok(None),
    }
}

/// The statuses a finish may start from.
const ACTIVE: &str = "'pending', 'running'";
const PENDING: &str = "'pending'";

async fn finish(
    conn: &mut PgConnection,
    id: TaskId,
    end: &TaskEnd,
    app_state: Option<&str>,
    now: DateTime<Utc>,
    from: &str,
) -> Result<Option<Task>, StoreError> {
    let (error, by) = match end {
        TaskEnd::Failed(e) => (Some(json(e)?), None),
        TaskEnd::Canceled { by } => (None, *by),
        TaskEnd::Completed => (None, None),
    };
    let status = end.status().as_str();
    let done = sqlx::query(&format!(
        "UPDATE tasks SET status = $1,
            error = CASE WHEN $1 = 'completed' THEN NULL ELSE COALESCE($2, error) END,
            app_state = COALESCE($3, app_state), canceled_by = $4, finished_at = $5, updated_at = $5,
            next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL
         WHERE id = $6 AND status IN ({from})"
    ))
    .bind(status)
    .bind(error)
    .bind(app_state)
    .bind(by)
    .bind(ms(now))
    .bind(id)
    .execute(&mut *conn)
    .await
    .map_err(unavailable)?;
    if done.rows_affected() == 0 {
        return Ok(None);
    }
    let task = load(conn, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("task {id} vanished")))?;
    write_history(conn, &task, status, now).await?;
    Ok(Some(task))
}

#[async_trait::async_trait]
impl TaskStore for PostgresStore {
    async fn submit_task(
        &self,
        new: &NewTask,
        now: DateTime<Utc>,
    ) -> Result<Submitted, StoreError> {
        // Two concurrent submissions of the same request: the loser's insert
        // hits a unique index, and its second round finds the winner's task.
        for _ in 0..3 {
            let mut tx = self.pool.begin().await.map_err(unavailable)?;
            if let Some(task) = existing(&mut tx, new).await? {
                tx.commit().await.map_err(unavailable)?;
                return Ok(Submitted {
                    task,
                    created: false,
                });
            }
            let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
                "INSERT INTO tasks (user_name, app_name, kind, status, source, version, request,
                    token, idempotency_key, request_id, attempts, created_at, updated_at)
                 VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, 0, $10, $10) RETURNING id",
            )
            .bind(&new.user)
            .bind(&new.app_name)
            .bind(new.kind.as_str())
            .bind(&new.source)
            .bind(&new.version)
            .bind(json(&new.request)?)
            .bind(new.token.as_ref().map(|t| t.expose_secret().to_owned()))
            .bind(&new.idempotency_key)
            .bind(&new.request_id)
            .bind(ms(now))
            .fetch_one(&mut *tx)
            .await;
            match inserted {
                Ok(id) => {
                    let task = load(&mut tx, id)
                        .await?
                        .ok_or_else(|| StoreError::Corrupt(format!("task {id} vanished")))?;
                    tx.commit().await.map_err(unavailable)?;
                    return Ok(Submitted {
                        task,
                        created: true,
                    });
                }
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => continue,
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(StoreError::Conflict(
            "a task for this app is already active".into(),
        ))
    }

    async fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        load(&mut conn, id).await
    }

    async fn tasks(&self, user: &str, filter: &TaskFilter) -> Result<Vec<Task>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE user_name = $1
               AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR kind = $3)
               AND ($4::text IS NULL OR app_name = $4)
             ORDER BY id DESC LIMIT $5"
        ))
        .bind(user)
        .bind(filter.status.map(TaskStatus::as_str))
        .bind(filter.kind.map(|k| k.as_str()))
        .bind(&filter.app)
        .bind(i64::from(filter.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.into_iter().map(Task::try_from).collect()
    }

    async fn active_tasks(&self, user: Option<&str>) -> Result<Vec<Task>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE status IN ('pending', 'running')
               AND ($1::text IS NULL OR user_name = $1) ORDER BY id"
        ))
        .bind(user)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.into_iter().map(Task::try_from).collect()
    }

    async fn lease_task(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<LeasedTask>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT t.id FROM tasks t
             WHERE (t.status = 'pending' AND (t.next_attempt_at IS NULL OR t.next_attempt_at <= $1)
                    AND (t.kind = 'cancel' OR NOT EXISTS (
                        SELECT 1 FROM tasks r WHERE r.user_name = t.user_name
                          AND r.app_name = t.app_name AND r.status = 'running' AND r.kind <> 'cancel')))
                OR (t.status = 'running' AND t.op_id IS NULL AND t.lease_until < $1)
             ORDER BY t.id LIMIT 1
             FOR UPDATE SKIP LOCKED",
        )
        .bind(ms(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let Some(id) = id else {
            return Ok(None);
        };
        let updated = sqlx::query(
            "UPDATE tasks SET status = 'running', lease_owner = $1, lease_until = $2,
                attempts = attempts + 1, next_attempt_at = NULL,
                started_at = COALESCE(started_at, $3), updated_at = $3
             WHERE id = $4",
        )
        .bind(owner)
        .bind(ms(until))
        .bind(ms(now))
        .bind(id)
        .execute(&mut *tx)
        .await;
        match updated {
            Ok(_) => {}
            // Another worker leased a task of the same app meanwhile.
            Err(sqlx::Error::Database(db)) if db.is_unique_violation() => return Ok(None),
            Err(e) => return Err(unavailable(e)),
        }
        let task = load(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("task {id} vanished")))?;
        let (request, token, request_id): (Value, Option<String>, Option<String>) =
            sqlx::query_as("SELECT request, token, request_id FROM tasks WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(unavailable)?;
        write_history(&mut tx, &task, "started", now).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Some(LeasedTask {
            request: serde_json::from_value::<TaskRequest>(request)
                .map_err(|e| StoreError::Corrupt(format!("task {id} request: {e}")))?,
            token: token.map(SecretString::from),
            request_id,
            task,
        }))
    }

    async fn heartbeat_task(
        &self,
        id: TaskId,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tasks SET lease_until = $1
             WHERE id = $2 AND lease_owner = $3 AND status = 'running'",
        )
        .bind(ms(until))
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(done.rows_affected() > 0)
    }

    async fn accept_task(
        &self,
        id: TaskId,
        owner: &str,
        op_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tasks SET op_id = $1, lease_owner = NULL, lease_until = NULL, updated_at = $2
             WHERE id = $3 AND lease_owner = $4 AND status = 'running'",
        )
        .bind(op_id)
        .bind(ms(now))
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(done.rows_affected() > 0)
    }

    async fn retry_task(
        &self,
        id: TaskId,
        owner: &str,
        error: &TaskError,
        next_attempt_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tasks SET status = 'pending', error = $1, next_attempt_at = $2,
                lease_owner = NULL, lease_until = NULL, updated_at = $3
             WHERE id = $4 AND lease_owner = $5 AND status = 'running'",
        )
        .bind(json(error)?)
        .bind(ms(next_attempt_at))
        .bind(ms(now))
        .bind(id)
        .bind(owner)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(done.rows_affected() > 0)
    }

    async fn finish_task(
        &self,
        id: TaskId,
        end: &TaskEnd,
        app_state: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<Task>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let task = finish(&mut tx, id, end, app_state, now, ACTIVE).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(task)
    }

    async fn cancel_pending_task(
        &self,
        id: TaskId,
        by: Option<TaskId>,
        now: DateTime<Utc>,
    ) -> Result<Option<Task>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        let task = finish(&mut tx, id, &TaskEnd::Canceled { by }, None, now, PENDING).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(task)
    }

    async fn history(&self, user: &str, limit: u32) -> Result<Vec<HistoryRecord>, StoreError> {
        type HRow = (i64, String, String, String, String, Value, DateTime<Utc>);
        let rows: Vec<HRow> = sqlx::query_as(
            "SELECT * FROM (SELECT id, user_name, kind, app, message, extended, at FROM history
               WHERE user_name = $1 ORDER BY id DESC LIMIT $2) h ORDER BY id",
        )
        .bind(user)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, user, kind, app, message, extended, at)| HistoryRecord {
                    id,
                    user,
                    kind,
                    app,
                    message,
                    extended,
                    at,
                },
            )
            .collect())
    }

    async fn put_app_state(&self, r: &AppStateRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO app_states (user_name, app_name, state, doc, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (user_name, app_name) DO UPDATE SET state = excluded.state,
                doc = excluded.doc, updated_at = excluded.updated_at",
        )
        .bind(&r.user)
        .bind(&r.app_name)
        .bind(&r.state)
        .bind(&r.doc)
        .bind(ms(r.updated_at))
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(unavailable)
    }

    async fn app_states(&self, user: &str) -> Result<Vec<AppStateRecord>, StoreError> {
        type SRow = (String, String, String, Value, DateTime<Utc>);
        let rows: Vec<SRow> = sqlx::query_as(
            "SELECT user_name, app_name, state, doc, updated_at FROM app_states
             WHERE user_name = $1 ORDER BY app_name",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(|(user, app_name, state, doc, updated_at)| AppStateRecord {
                user,
                app_name,
                state,
                doc,
                updated_at,
            })
            .collect())
    }
}
