//! The hydration queue on Redis (layout in the module `//!` of `redis`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use redis::cmd;

use super::scripts::{COMPLETE, ENQUEUE, FAIL, HEARTBEAT, LEASE, PURGE_FINISHED, RECLAIM};
use super::{RedisKeys, RedisStore, unavailable};
use crate::store::{
    EnqueueOutcome, Failure, HydrationJob, HydrationKey, JobId, JobState, Lease, LeaseToken,
    QueueCounts, QueueStore, StoreError, decode_json, encode_json, from_millis, lease_deadline,
    millis,
};

/// Decodes a job hash (HGETALL).
pub(super) fn decode_job(h: &HashMap<String, String>) -> Result<HydrationJob, StoreError> {
    let field = |name: &str| {
        h.get(name)
            .ok_or_else(|| StoreError::Corrupt(format!("job hash without {name}")))
    };
    let int = |name: &str| -> Result<i64, StoreError> {
        field(name)?
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("job field {name} is not an integer")))
    };
    let time = |name: &str| -> Result<DateTime<Utc>, StoreError> { from_millis(int(name)?) };
    let lease = if h.contains_key("lease_token") {
        Some(Lease {
            worker: field("lease_worker")?.clone(),
            token: u64::try_from(int("lease_token")?)
                .map_err(|_| StoreError::Corrupt("negative lease token".into()))?,
            deadline: time("lease_deadline")?,
        })
    } else {
        None
    };
    Ok(HydrationJob {
        id: int("id")?,
        key: HydrationKey {
            user: field("user")?.clone(),
            source: market_model::SourceId::parse(field("source")?)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            app: field("app")?.clone(),
            version: field("version")?.clone(),
        },
        request: decode_json("job request", field("request")?)?,
        state: JobState::parse(field("state")?)
            .ok_or_else(|| StoreError::Corrupt("job state".into()))?,
        attempts: u32::try_from(int("attempts")?)
            .map_err(|_| StoreError::Corrupt("job attempts".into()))?,
        next_attempt_at: time("next_attempt_at")?,
        lease,
        last_failure: h
            .get("last_failure")
            .map(|f| decode_json("job failure", f))
            .transpose()?,
        result: h
            .get("result")
            .map(|r| decode_json("job result", r))
            .transpose()?,
        created_at: time("created_at")?,
        updated_at: time("updated_at")?,
    })
}

impl RedisStore {
    /// Runs [`FAIL`]: -1 when the lease was lost, else the change id or 0.
    pub(super) async fn run_fail(
        &self,
        id: JobId,
        token: LeaseToken,
        failure: &Failure,
        retry_at: Option<DateTime<Utc>>,
        draft: Option<String>,
    ) -> Result<i64, StoreError> {
        let k = &self.keys;
        FAIL.key(k.job(id))
            .key(&k.jobs_leased)
            .key(&k.jobs_pending)
            .key(&k.jobs_live)
            .key(&k.jobs_done)
            .key(&k.jobs_failed)
            .key(&k.change_seq)
            .key(&k.changes)
            .arg(token)
            .arg(RedisKeys::job_member(id))
            .arg(encode_json(failure)?)
            .arg(retry_at.map(|t| millis(t).to_string()).unwrap_or_default())
            .arg(millis(failure.time))
            .arg(draft.unwrap_or_default())
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)
    }
}

#[async_trait::async_trait]
impl QueueStore for RedisStore {
    async fn enqueue(
        &self,
        key: &HydrationKey,
        request: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<EnqueueOutcome, StoreError> {
        let k = &self.keys;
        let (job_id, dedup): (i64, i64) = ENQUEUE
            .key(&k.jobs_live)
            .key(&k.jobs_latest)
            .key(&k.job_seq)
            .key(&k.jobs_pending)
            .arg(&k.job_prefix)
            .arg(key.encode())
            .arg(&key.user)
            .arg(key.source.as_str())
            .arg(&key.app)
            .arg(&key.version)
            .arg(encode_json(request)?)
            .arg(millis(now))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(EnqueueOutcome {
            job_id,
            deduplicated: dedup == 1,
        })
    }

    async fn lease(
        &self,
        worker: &str,
        max: usize,
        lease_for: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<HydrationJob>, StoreError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let deadline = lease_deadline(now, lease_for);
        let hashes: Vec<HashMap<String, String>> = LEASE
            .key(&self.keys.jobs_pending)
            .key(&self.keys.jobs_leased)
            .arg(&self.keys.job_prefix)
            .arg(millis(now))
            // Bounded so Lua passes it on as an integer, not as `1.8e19`.
            .arg(max.min(100_000))
            .arg(millis(deadline))
            .arg(worker)
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        hashes.iter().map(decode_job).collect()
    }

    async fn reclaim_expired(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        RECLAIM
            .key(&self.keys.jobs_pending)
            .key(&self.keys.jobs_leased)
            .arg(&self.keys.job_prefix)
            .arg(millis(now))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)
    }

    async fn heartbeat(
        &self,
        id: JobId,
        token: LeaseToken,
        extend_to: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let ok: i64 = HEARTBEAT
            .key(self.keys.job(id))
            .key(&self.keys.jobs_leased)
            .arg(token)
            .arg(millis(extend_to))
            .arg(RedisKeys::job_member(id))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(ok == 1)
    }

    async fn complete(
        &self,
        id: JobId,
        token: LeaseToken,
        result: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let k = &self.keys;
        let ok: i64 = COMPLETE
            .key(k.job(id))
            .key(&k.jobs_leased)
            .key(&k.jobs_pending)
            .key(&k.jobs_live)
            .key(&k.jobs_done)
            .key(&k.jobs_failed)
            .arg(token)
            .arg(RedisKeys::job_member(id))
            .arg(encode_json(result)?)
            .arg(millis(now))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(ok == 1)
    }

    async fn fail(
        &self,
        id: JobId,
        token: LeaseToken,
        failure: &Failure,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError> {
        Ok(self.run_fail(id, token, failure, retry_at, None).await? >= 0)
    }

    async fn job(&self, id: JobId) -> Result<Option<HydrationJob>, StoreError> {
        let h: HashMap<String, String> = cmd("HGETALL")
            .arg(self.keys.job(id))
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        if h.is_empty() {
            return Ok(None);
        }
        decode_job(&h).map(Some)
    }

    async fn job_by_key(&self, key: &HydrationKey) -> Result<Option<HydrationJob>, StoreError> {
        let id: Option<i64> = cmd("HGET")
            .arg(&self.keys.jobs_latest)
            .arg(key.encode())
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        match id {
            Some(id) => self.job(id).await,
            None => Ok(None),
        }
    }

    async fn purge_finished(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        PURGE_FINISHED
            .key(&self.keys.jobs_done)
            .key(&self.keys.jobs_failed)
            .key(&self.keys.jobs_latest)
            .arg(&self.keys.job_prefix)
            .arg(millis(before))
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)
    }

    async fn queue_counts(&self) -> Result<QueueCounts, StoreError> {
        let k = &self.keys;
        let (pending, leased, done, failed): (u64, u64, u64, u64) = redis::pipe()
            .atomic()
            .zcard(&k.jobs_pending)
            .zcard(&k.jobs_leased)
            .zcard(&k.jobs_done)
            .zcard(&k.jobs_failed)
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(QueueCounts {
            pending,
            leased,
            done,
            failed,
        })
    }
}
