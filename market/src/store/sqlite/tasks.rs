//! Tasks, history and app states on SQLite: every transition is one
//! `BEGIN IMMEDIATE` transaction (SQLite has one writer, so a lease never
//! races another).

use chrono::{DateTime, Utc};
use market_model::task::{Task, TaskError, TaskId, TaskStatus};
use secrecy::{ExposeSecret, SecretString};
use sqlx::SqliteConnection;

use super::{SqliteStore, from_millis, millis, unavailable};
use crate::store::{
    AppStateRecord, HistoryRecord, LeasedTask, NewTask, StoreError, Submitted, TaskEnd, TaskFilter,
    TaskRequest, TaskStore, decode_json, encode_json, history_row, parse_task_kind,
    parse_task_status,
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
    attempts: i64,
    next_attempt_at: Option<i64>,
    error: Option<String>,
    app_state: Option<String>,
    canceled_by: Option<i64>,
    created_at: i64,
    started_at: Option<i64>,
    finished_at: Option<i64>,
    updated_at: i64,
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
            next_attempt_at: r.next_attempt_at.map(from_millis).transpose()?,
            error: r
                .error
                .map(|e| decode_json::<TaskError>(&what, &e))
                .transpose()?,
            created_at: from_millis(r.created_at)?,
            started_at: r.started_at.map(from_millis).transpose()?,
            finished_at: r.finished_at.map(from_millis).transpose()?,
            updated_at: from_millis(r.updated_at)?,
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

async fn load(conn: &mut SqliteConnection, id: TaskId) -> Result<Option<Task>, StoreError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM tasks WHERE id = ?"))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map_err(unavailable)?;
    row.map(Task::try_from).transpose()
}

async fn write_history(
    conn: &mut SqliteConnection,
    task: &Task,
    what: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (message, extended) = history_row(task, what);
    sqlx::query(
        "INSERT INTO history (user_name, kind, app, message, extended, at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&task.user)
    .bind(task.kind.as_str())
    .bind(&task.app_name)
    .bind(message)
    .bind(encode_json(&extended)?)
    .bind(millis(now))
    .execute(conn)
    .await
    .map(drop)
    .map_err(unavailable)
}

/// The task a submission joins: the key's, else the active one of its kind.
async fn existing(conn: &mut SqliteConnection, new: &NewTask) -> Result<Option<Task>, StoreError> {
    if let Some(key) = &new.idempotency_key {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM tasks WHERE user_name = ? AND idempotency_key = ?")
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
        "SELECT id FROM tasks WHERE user_name = ? AND app_name = ? AND kind = ?
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

/// Ends a task whose status is one of `from`, with its history row; `None`
/// when it was not in one of them.
async fn finish(
    conn: &mut SqliteConnection,
    id: TaskId,
    end: &TaskEnd,
    app_state: Option<&str>,
    now: DateTime<Utc>,
    from: &str,
) -> Result<Option<Task>, StoreError> {
    let (error, by) = match end {
        TaskEnd::Failed(e) => (Some(encode_json(e)?), None),
        TaskEnd::Canceled { by } => (None, *by),
        TaskEnd::Completed => (None, None),
    };
    let status = end.status().as_str();
    let done = sqlx::query(&format!(
        "UPDATE tasks SET status = ?,
            error = CASE WHEN ? = 'completed' THEN NULL ELSE COALESCE(?, error) END,
            app_state = COALESCE(?, app_state), canceled_by = ?, finished_at = ?, updated_at = ?,
            next_attempt_at = NULL, lease_owner = NULL, lease_until = NULL
         WHERE id = ? AND status IN ({from})"
    ))
    .bind(status)
    .bind(status)
    .bind(error)
    .bind(app_state)
    .bind(by)
    .bind(millis(now))
    .bind(millis(now))
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
impl TaskStore for SqliteStore {
    async fn submit_task(
        &self,
        new: &NewTask,
        now: DateTime<Utc>,
    ) -> Result<Submitted, StoreError> {
        let mut tx = self.begin().await?;
        if let Some(task) = existing(&mut tx, new).await? {
            tx.commit().await.map_err(unavailable)?;
            return Ok(Submitted {
                task,
                created: false,
            });
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO tasks (user_name, app_name, kind, status, source, version, request, token,
                idempotency_key, request_id, attempts, created_at, updated_at)
             VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id",
        )
        .bind(&new.user)
        .bind(&new.app_name)
        .bind(new.kind.as_str())
        .bind(&new.source)
        .bind(&new.version)
        .bind(encode_json(&new.request)?)
        .bind(new.token.as_ref().map(|t| t.expose_secret().to_owned()))
        .bind(&new.idempotency_key)
        .bind(&new.request_id)
        .bind(millis(now))
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx(e, "a task for this app is already active"))?;
        let task = load(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("task {id} vanished")))?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Submitted {
            task,
            created: true,
        })
    }

    async fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        load(&mut conn, id).await
    }

    async fn tasks(&self, user: &str, filter: &TaskFilter) -> Result<Vec<Task>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE user_name = ?
               AND (? IS NULL OR status = ?) AND (? IS NULL OR kind = ?)
               AND (? IS NULL OR app_name = ?)
             ORDER BY id DESC LIMIT ?"
        ))
        .bind(user)
        .bind(filter.status.map(TaskStatus::as_str))
        .bind(filter.status.map(TaskStatus::as_str))
        .bind(filter.kind.map(|k| k.as_str()))
        .bind(filter.kind.map(|k| k.as_str()))
        .bind(&filter.app)
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
               AND (? IS NULL OR user_name = ?) ORDER BY id"
        ))
        .bind(user)
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
        let mut tx = self.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT t.id FROM tasks t
             WHERE (t.status = 'pending' AND (t.next_attempt_at IS NULL OR t.next_attempt_at <= ?1)
                    AND (t.kind = 'cancel' OR NOT EXISTS (
                        SELECT 1 FROM tasks r WHERE r.user_name = t.user_name
                          AND r.app_name = t.app_name AND r.status = 'running' AND r.kind <> 'cancel')))
                OR (t.status = 'running' AND t.op_id IS NULL AND t.lease_until < ?1)
             ORDER BY t.id LIMIT 1",
        )
        .bind(millis(now))
        .fetch_optional(&mut *tx)
        .await
        .map_err(unavailable)?;
        let Some(id) = id else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE tasks SET status = 'running', lease_owner = ?, lease_until = ?,
                attempts = attempts + 1, next_attempt_at = NULL,
                started_at = COALESCE(started_at, ?), updated_at = ?
             WHERE id = ?",
        )
        .bind(owner)
        .bind(millis(until))
        .bind(millis(now))
        .bind(millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?;
        let task = load(&mut tx, id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("task {id} vanished")))?;
        let (request, token, request_id): (String, Option<String>, Option<String>) =
            sqlx::query_as("SELECT request, token, request_id FROM tasks WHERE id = ?")
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(unavailable)?;
        write_history(&mut tx, &task, "started", now).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(Some(LeasedTask {
            request: decode_json::<TaskRequest>(&format!("task {id} request"), &request)?,
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
            "UPDATE tasks SET lease_until = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
        )
        .bind(millis(until))
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
            "UPDATE tasks SET op_id = ?, lease_owner = NULL, lease_until = NULL, updated_at = ?
             WHERE id = ? AND lease_owner = ? AND status = 'running'",
        )
        .bind(op_id)
        .bind(millis(now))
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
            "UPDATE tasks SET status = 'pending', error = ?, next_attempt_at = ?,
                lease_owner = NULL, lease_until = NULL, updated_at = ?
             WHERE id = ? AND lease_owner = ? AND status = 'running'",
        )
        .bind(encode_json(error)?)
        .bind(millis(next_attempt_at))
        .bind(millis(now))
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
        let mut tx = self.begin().await?;
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
        let mut tx = self.begin().await?;
        let task = finish(&mut tx, id, &TaskEnd::Canceled { by }, None, now, PENDING).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(task)
    }

    async fn history(&self, user: &str, limit: u32) -> Result<Vec<HistoryRecord>, StoreError> {
        type HRow = (i64, String, String, String, String, String, i64);
        let rows: Vec<HRow> = sqlx::query_as(
            "SELECT * FROM (SELECT id, user_name, kind, app, message, extended, at FROM history
               WHERE user_name = ? ORDER BY id DESC LIMIT ?) ORDER BY id",
        )
        .bind(user)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.into_iter()
            .map(|(id, user, kind, app, message, extended, at)| {
                Ok(HistoryRecord {
                    id,
                    user,
                    kind,
                    app,
                    message,
                    extended: decode_json(&format!("history {id}"), &extended)?,
                    at: from_millis(at)?,
                })
            })
            .collect()
    }

    async fn put_app_state(&self, r: &AppStateRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO app_states (user_name, app_name, state, doc, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (user_name, app_name) DO UPDATE SET state = excluded.state,
                doc = excluded.doc, updated_at = excluded.updated_at",
        )
        .bind(&r.user)
        .bind(&r.app_name)
        .bind(&r.state)
        .bind(encode_json(&r.doc)?)
        .bind(millis(r.updated_at))
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(unavailable)
    }

    async fn app_states(&self, user: &str) -> Result<Vec<AppStateRecord>, StoreError> {
        type SRow = (String, String, String, String, i64);
        let rows: Vec<SRow> = sqlx::query_as(
            "SELECT user_name, app_name, state, doc, updated_at FROM app_states
             WHERE user_name = ? ORDER BY app_name",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.into_iter()
            .map(|(user, app_name, state, doc, at)| {
                Ok(AppStateRecord {
                    doc: decode_json(&format!("app state {user}/{app_name}"), &doc)?,
                    updated_at: from_millis(at)?,
                    user,
                    app_name,
                    state,
                })
            })
            .collect()
    }
}
