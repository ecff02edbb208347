//! The state-change feed on Redis: `INCR` ids, a sorted set scored by id, and
//! the `trimmed_through` watermark for the Gone rule.

use market_model::{StateChange, StateChangesGone, StateChangesPage};

use super::scripts::{APPEND_CHANGE, TRIM_CHANGES};
use super::{RedisStore, unavailable};
use crate::store::{
    ChangeStore, ChangesPage, StateChangeDraft, StoreError, clamp_limit, decode_json, encode_json,
};

/// Decodes a member `"{id}\n{draft JSON}"`.
fn decode_change(member: &str) -> Result<StateChange, StoreError> {
    let (id, draft) = member
        .split_once('\n')
        .ok_or_else(|| StoreError::Corrupt("state change without id".into()))?;
    let id = id
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("state change id {id:?}")))?;
    Ok(decode_json::<StateChangeDraft>("state change", draft)?.with_id(id))
}

#[async_trait::async_trait]
impl ChangeStore for RedisStore {
    async fn append_state_change(&self, draft: &StateChangeDraft) -> Result<i64, StoreError> {
        APPEND_CHANGE
            .key(&self.keys.change_seq)
            .key(&self.keys.changes)
            .arg(encode_json(draft)?)
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)
    }

    async fn state_changes(&self, after_id: i64, limit: u32) -> Result<ChangesPage, StoreError> {
        let limit = clamp_limit(limit);
        let k = &self.keys;
        let from = format!("({after_id}");
        // MULTI/EXEC: the watermark, the count and the page agree.
        let (trimmed, latest, total, members): (Option<i64>, Option<i64>, u64, Vec<String>) =
            redis::pipe()
                .atomic()
                .get(&k.changes_trimmed_through)
                .get(&k.change_seq)
                .zcount(&k.changes, &from, "+inf")
                .zrangebyscore_limit(
                    &k.changes,
                    &from,
                    "+inf",
                    0,
                    isize::try_from(limit).unwrap_or(1000),
                )
                .query_async(&mut self.conn())
                .await
                .map_err(unavailable)?;
        let trimmed = trimmed.unwrap_or(0);
        if after_id < trimmed {
            return Ok(Err(StateChangesGone {
                oldest_id: trimmed + 1,
                latest_id: latest.unwrap_or(0),
            }));
        }
        let state_changes = members
            .iter()
            .map(|m| decode_change(m))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Ok(StateChangesPage {
            after_id,
            limit,
            count: u32::try_from(state_changes.len()).unwrap_or(u32::MAX),
            total_available: total,
            state_changes,
        }))
    }

    async fn latest_change_id(&self) -> Result<i64, StoreError> {
        let latest: Option<i64> = redis::cmd("GET")
            .arg(&self.keys.change_seq)
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        Ok(latest.unwrap_or(0))
    }

    async fn trim_state_changes(&self, keep_last: usize) -> Result<u64, StoreError> {
        TRIM_CHANGES
            .key(&self.keys.changes)
            .key(&self.keys.changes_trimmed_through)
            .arg(keep_last)
            .invoke_async(&mut self.conn())
            .await
            .map_err(unavailable)
    }
}
