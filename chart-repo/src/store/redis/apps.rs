//! Rendered app records on Redis: a hash per user (`source/app` → record JSON),
//! a holder set per app, and the set of users with records.

use chrono::{DateTime, SecondsFormat, Utc};
use market_model::SourceId;
use redis::cmd;

use super::scripts::{COMMIT_HYDRATION, REMOVE_APP};
use super::{RedisKeys, RedisStore, unavailable};
use crate::store::{
    AppKey, AppRecord, AppStore, Committed, HydrationCommit, HydrationFailure, JobId, LeaseToken,
    PutOutcome, StoreError, decode_json, encode_json, millis,
};

fn decode_records(docs: &[String]) -> Result<Vec<AppRecord>, StoreError> {
    docs.iter().map(|d| decode_json("app record", d)).collect()
}

fn sort_records(records: &mut [AppRecord]) {
    records
        .sort_by(|a, b| (&a.user, &a.source, &a.app_name).cmp(&(&b.user, &b.source, &b.app_name)));
}

#[async_trait::async_trait]
impl AppStore for RedisStore {
    async fn app(
        &self,
        user: &str,
        source: &SourceId,
        name: &str,
    ) -> Result<Option<AppRecord>, StoreError> {
        let doc: Option<String> = cmd("HGET")
            .arg(self.keys.user_apps(user))
            .arg(RedisKeys::app_field(source, name))
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        doc.map(|d| decode_json("app record", &d)).transpose()
    }

    async fn apps(
        &self,
        user: &str,
        source: Option<&SourceId>,
    ) -> Result<Vec<AppRecord>, StoreError> {
        let docs: Vec<String> = cmd("HVALS")
            .arg(self.keys.user_apps(user))
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        let mut records = decode_records(&docs)?;
        records.retain(|r| source.is_none_or(|s| &r.source == s));
        sort_records(&mut records);
        Ok(records)
    }

    async fn apps_page(
        &self,
        after: Option<&AppKey>,
        limit: usize,
    ) -> Result<Vec<AppRecord>, StoreError> {
        let mut users: Vec<String> = cmd("SMEMBERS")
            .arg(&self.keys.app_users)
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        users.sort();
        users.retain(|u| after.is_none_or(|a| u >= &a.user));
        // One user's hash at a time, so a page holds at most one user's
        // records beyond `limit`.
        let mut page = Vec::new();
        for user in users {
            if page.len() >= limit {
                break;
            }
            let mut records = self.apps(&user, None).await?;
            records.retain(|r| after.is_none_or(|a| &r.key() > a));
            page.extend(records);
        }
        page.truncate(limit);
        Ok(page)
    }

    async fn users_with_app(
        &self,
        source: &SourceId,
        name: &str,
    ) -> Result<Vec<String>, StoreError> {
        let mut users: Vec<String> = cmd("SMEMBERS")
            .arg(self.keys.app_holders(source, name))
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        users.sort();
        Ok(users)
    }

    async fn commit_hydration(
        &self,
        id: JobId,
        token: LeaseToken,
        commit: &HydrationCommit,
    ) -> Result<Option<Committed>, StoreError> {
        let k = &self.keys;
        let r = &commit.record;
        let draft = commit.change.as_ref().map(encode_json).transpose()?;
        let (outcome, change_id): (String, i64) = COMMIT_HYDRATION
            .key(k.job(id))
            .key(&k.jobs_leased)
            .key(&k.jobs_pending)
            .key(&k.jobs_live)
            .key(&k.jobs_done)
            .key(&k.jobs_failed)
            .key(k.user_apps(&r.user))
            .key(k.app_holders(&r.source, &r.app_name))
            .key(&k.app_users)
            .key(&k.change_seq)
            .key(&k.changes)
            .arg(token)
            .arg(RedisKeys::job_member(id))
            .arg(encode_json(&commit.result)?)
            .arg(millis(r.updated_at))
            .arg(RedisKeys::app_field(&r.source, &r.app_name))
            .arg(encode_json(r)?)
            .arg(&r.user)
            .arg(&r.version)
            .arg(&r.package_digest)
            .arg(draft.unwrap_or_default())
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        if outcome == "lost" {
            return Ok(None);
        }
        let outcome = PutOutcome::parse(&outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("commit outcome {outcome:?}")))?;
        Ok(Some(Committed {
            outcome,
            change_id: (change_id > 0).then_some(change_id),
        }))
    }

    async fn fail_hydration(
        &self,
        id: JobId,
        token: LeaseToken,
        failed: &HydrationFailure,
    ) -> Result<Option<Option<i64>>, StoreError> {
        let draft = failed.change.as_ref().map(encode_json).transpose()?;
        let got = self
            .run_fail(id, token, &failed.failure, failed.retry_at, draft)
            .await?;
        Ok((got >= 0).then_some((got > 0).then_some(got)))
    }

    async fn remove_app(
        &self,
        source: &SourceId,
        name: &str,
        user: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<AppRecord>, StoreError> {
        let k = &self.keys;
        let docs: Vec<String> = REMOVE_APP
            .key(k.app_holders(source, name))
            .key(&k.app_users)
            .key(&k.change_seq)
            .key(&k.changes)
            .arg(&k.user_apps_prefix)
            .arg(RedisKeys::app_field(source, name))
            .arg(user.unwrap_or_default())
            .arg(now.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            .arg(source.as_str())
            .arg(name)
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        decode_records(&docs)
    }
}
