//! The hydration queue on SQLite: every transition is one `BEGIN IMMEDIATE`
//! transaction, so concurrent leases are serialized by SQLite's write lock and
//! never see the same pending row.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::{SqliteStore, map_err};
use crate::store::{
    EnqueueOutcome, Failure, HydrationJob, HydrationKey, JobId, JobState, Lease, LeaseToken,
    QueueCounts, QueueStore, StoreError, decode_json, encode_json, from_millis, lease_deadline,
    millis,
};

const JOB_COLUMNS: &str = "id, user, source, app, version, request, state, attempts, \
    next_attempt_at, lease_worker, lease_token, lease_deadline, last_failure, result, \
    created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct JobRow {
    id: i64,
    user: String,
    source: String,
    app: String,
    version: String,
    request: String,
    state: String,
    attempts: i64,
    next_attempt_at: i64,
    lease_worker: Option<String>,
    lease_token: Option<i64>,
    lease_deadline: Option<i64>,
    last_failure: Option<String>,
    result: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl JobRow {
    fn into_job(self) -> Result<HydrationJob, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("job {}: {what}", self.id));
        let lease = match (self.lease_worker, self.lease_token, self.lease_deadline) {
            (Some(worker), Some(token), Some(deadline)) => Some(Lease {
                worker,
                token: u64::try_from(token).map_err(|_| corrupt("lease token"))?,
                deadline: from_millis(deadline)?,
            }),
            _ => None,
        };
        Ok(HydrationJob {
            id: self.id,
            key: HydrationKey {
                user: self.user,
                source: market_model::SourceId::parse(&self.source)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                app: self.app,
                version: self.version,
            },
            request: decode_json("job request", &self.request)?,
            state: JobState::parse(&self.state).ok_or_else(|| corrupt("state"))?,
            attempts: u32::try_from(self.attempts).map_err(|_| corrupt("attempts"))?,
            next_attempt_at: from_millis(self.next_attempt_at)?,
            lease,
            last_failure: self
                .last_failure
                .as_deref()
                .map(|f| decode_json("job failure", f))
                .transpose()?,
            result: self
                .result
                .as_deref()
                .map(|r| decode_json("job result", r))
                .transpose()?,
            created_at: from_millis(self.created_at)?,
            updated_at: from_millis(self.updated_at)?,
        })
    }
}

/// Returns every expired lease to pending (keeping `next_attempt_at`).
async fn reclaim(conn: &mut SqliteConnection, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE hydration_jobs SET state = 'pending', lease_worker = NULL, lease_token = NULL,
            lease_deadline = NULL, updated_at = ?1
         WHERE state = 'leased' AND lease_deadline <= ?1",
    )
    .bind(millis(now))
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(done.rows_affected())
}

/// Ends a lease as `done` (with a result) or records a failure; the one place
/// that checks the token. Returns false, writing nothing, when it is stale.
pub(super) async fn finish(
    conn: &mut SqliteConnection,
    id: JobId,
    token: LeaseToken,
    end: End<'_>,
) -> Result<bool, StoreError> {
    let token = i64::try_from(token).unwrap_or(-1);
    let (state, next_attempt_at, failure, result, now) = match end {
        End::Done { result, now } => (JobState::Done, None, None, Some(encode_json(result)?), now),
        End::Failed { failure, retry_at } => (
            if retry_at.is_some() {
                JobState::Pending
            } else {
                JobState::Failed
            },
            retry_at.map(millis),
            Some(encode_json(failure)?),
            None,
            failure.time,
        ),
    };
    let done = sqlx::query(
        "UPDATE hydration_jobs SET state = ?1,
            next_attempt_at = coalesce(?2, next_attempt_at),
            last_failure = coalesce(?3, last_failure), result = coalesce(?4, result),
            lease_worker = NULL, lease_token = NULL, lease_deadline = NULL, updated_at = ?5
         WHERE id = ?6 AND state = 'leased' AND lease_token = ?7",
    )
    .bind(state.as_str())
    .bind(next_attempt_at)
    .bind(failure)
    .bind(result)
    .bind(millis(now))
    .bind(id)
    .bind(token)
    .execute(conn)
    .await
    .map_err(map_err)?;
    Ok(done.rows_affected() == 1)
}

/// How a lease ends.
pub(super) enum End<'a> {
    Done {
        result: &'a serde_json::Value,
        now: DateTime<Utc>,
    },
    Failed {
        failure: &'a Failure,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// Whether the job is leased under `token` (inside the caller's transaction).
pub(super) async fn holds_lease(
    conn: &mut SqliteConnection,
    id: JobId,
    token: LeaseToken,
) -> Result<bool, StoreError> {
    let token = i64::try_from(token).unwrap_or(-1);
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM hydration_jobs WHERE id = ? AND state = 'leased' AND lease_token = ?",
    )
    .bind(id)
    .bind(token)
    .fetch_optional(conn)
    .await
    .map_err(map_err)?;
    Ok(found.is_some())
}

#[async_trait::async_trait]
impl QueueStore for SqliteStore {
    async fn enqueue(
        &self,
        key: &HydrationKey,
        request: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<EnqueueOutcome, StoreError> {
        let mut tx = self.begin().await?;
        let live: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM hydration_jobs WHERE user = ? AND source = ? AND app = ?
                AND version = ? AND state IN ('pending', 'leased')",
        )
        .bind(&key.user)
        .bind(key.source.as_str())
        .bind(&key.app)
        .bind(&key.version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        if let Some(job_id) = live {
            return Ok(EnqueueOutcome {
                job_id,
                deduplicated: true,
            });
        }
        let job_id: i64 = sqlx::query_scalar(
            "INSERT INTO hydration_jobs (user, source, app, version, request, state,
                next_attempt_at, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6, ?6) RETURNING id",
        )
        .bind(&key.user)
        .bind(key.source.as_str())
        .bind(&key.app)
        .bind(&key.version)
        .bind(encode_json(request)?)
        .bind(millis(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(EnqueueOutcome {
            job_id,
            deduplicated: false,
        })
    }

    async fn lease(
        &self,
        worker: &str,
        max: usize,
        lease_for: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<HydrationJob>, StoreError> {
        let deadline = lease_deadline(now, lease_for);
        let mut tx = self.begin().await?;
        reclaim(&mut tx, now).await?;
        let rows: Vec<JobRow> = sqlx::query_as(&format!(
            "UPDATE hydration_jobs SET state = 'leased', attempts = attempts + 1,
                lease_worker = ?1, lease_token = attempts + 1, lease_deadline = ?2, updated_at = ?3
             WHERE id IN (SELECT id FROM hydration_jobs WHERE state = 'pending'
                AND next_attempt_at <= ?3 ORDER BY next_attempt_at, id LIMIT ?4)
             RETURNING {JOB_COLUMNS}"
        ))
        .bind(worker)
        .bind(millis(deadline))
        .bind(millis(now))
        .bind(i64::try_from(max).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        // RETURNING comes in no particular order.
        let mut jobs = rows
            .into_iter()
            .map(JobRow::into_job)
            .collect::<Result<Vec<_>, _>>()?;
        jobs.sort_by_key(|j| (j.next_attempt_at, j.id));
        Ok(jobs)
    }

    async fn reclaim_expired(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut tx = self.begin().await?;
        let n = reclaim(&mut tx, now).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    async fn heartbeat(
        &self,
        id: JobId,
        token: LeaseToken,
        extend_to: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE hydration_jobs SET lease_deadline = ?
             WHERE id = ? AND state = 'leased' AND lease_token = ?",
        )
        .bind(millis(extend_to))
        .bind(id)
        .bind(i64::try_from(token).unwrap_or(-1))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn complete(
        &self,
        id: JobId,
        token: LeaseToken,
        result: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        finish(&mut conn, id, token, End::Done { result, now }).await
    }

    async fn fail(
        &self,
        id: JobId,
        token: LeaseToken,
        failure: &Failure,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        finish(&mut conn, id, token, End::Failed { failure, retry_at }).await
    }

    async fn job(&self, id: JobId) -> Result<Option<HydrationJob>, StoreError> {
        let row: Option<JobRow> = sqlx::query_as(&format!(
            "SELECT {JOB_COLUMNS} FROM hydration_jobs WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.map(JobRow::into_job).transpose()
    }

    async fn job_by_key(&self, key: &HydrationKey) -> Result<Option<HydrationJob>, StoreError> {
        let row: Option<JobRow> = sqlx::query_as(&format!(
            "SELECT {JOB_COLUMNS} FROM hydration_jobs
             WHERE user = ? AND source = ? AND app = ? AND version = ? ORDER BY id DESC LIMIT 1"
        ))
        .bind(&key.user)
        .bind(key.source.as_str())
        .bind(&key.app)
        .bind(&key.version)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.map(JobRow::into_job).transpose()
    }

    async fn purge_finished(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM hydration_jobs WHERE state IN ('done', 'failed') AND updated_at < ?",
        )
        .bind(millis(before))
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected())
    }

    async fn queue_counts(&self) -> Result<QueueCounts, StoreError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, count(*) FROM hydration_jobs GROUP BY state")
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        let mut counts = QueueCounts::default();
        for (state, n) in rows {
            let n = u64::try_from(n).unwrap_or(0);
            match JobState::parse(&state) {
                Some(JobState::Pending) => counts.pending = n,
                Some(JobState::Leased) => counts.leased = n,
                Some(JobState::Done) => counts.done = n,
                Some(JobState::Failed) => counts.failed = n,
                None => return Err(StoreError::Corrupt(format!("job state {state:?}"))),
            }
        }
        Ok(counts)
    }
}
