//! The state-change feed on SQLite: `AUTOINCREMENT` ids (never reused), and
//! the `state_changes_trimmed_through` meta row for the Gone rule.

use sqlx::SqliteConnection;

use super::{SqliteStore, map_err};
use crate::store::{
    ChangeStore, ChangesPage, StateChangeDraft, StoreError, clamp_limit, decode_json, encode_json,
};
use market_model::{StateChangesGone, StateChangesPage};

/// Appends inside the caller's transaction; returns the new id.
pub(super) async fn append(
    conn: &mut SqliteConnection,
    draft: &StateChangeDraft,
) -> Result<i64, StoreError> {
    sqlx::query_scalar("INSERT INTO state_changes (draft) VALUES (?) RETURNING id")
        .bind(encode_json(draft)?)
        .fetch_one(conn)
        .await
        .map_err(map_err)
}

#[async_trait::async_trait]
impl ChangeStore for SqliteStore {
    async fn append_state_change(&self, draft: &StateChangeDraft) -> Result<i64, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        append(&mut conn, draft).await
    }

    async fn state_changes(&self, after_id: i64, limit: u32) -> Result<ChangesPage, StoreError> {
        let limit = clamp_limit(limit);
        // One read transaction: the watermark, the count and the page agree.
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let trimmed_through: i64 = sqlx::query_scalar(
            "SELECT value FROM meta WHERE key = 'state_changes_trimmed_through'",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        if after_id < trimmed_through {
            let latest_id: i64 = sqlx::query_scalar(
                "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'state_changes'), 0)",
            )
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
            return Ok(Err(StateChangesGone {
                oldest_id: trimmed_through + 1,
                latest_id,
            }));
        }
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM state_changes WHERE id > ?")
            .bind(after_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?;
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, draft FROM state_changes WHERE id > ? ORDER BY id LIMIT ?")
                .bind(after_id)
                .bind(i64::from(limit))
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        let state_changes = rows
            .into_iter()
            .map(|(id, doc)| Ok(decode_json::<StateChangeDraft>("state change", &doc)?.with_id(id)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Ok(StateChangesPage {
            after_id,
            limit,
            count: u32::try_from(state_changes.len()).unwrap_or(u32::MAX),
            total_available: u64::try_from(total).unwrap_or(0),
            state_changes,
        }))
    }

    async fn latest_change_id(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'state_changes'), 0)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn trim_state_changes(&self, keep_last: usize) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        // The highest id to drop: the newest `keep_last` stay.
        let cut: Option<i64> =
            sqlx::query_scalar("SELECT id FROM state_changes ORDER BY id DESC LIMIT 1 OFFSET ?")
                .bind(i64::try_from(keep_last).unwrap_or(i64::MAX))
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_err)?;
        let Some(cut) = cut else {
            return Ok(0);
        };
        let dropped = sqlx::query("DELETE FROM state_changes WHERE id <= ?")
            .bind(cut)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?
            .rows_affected();
        sqlx::query(
            "UPDATE meta SET value = max(value, ?) WHERE key = 'state_changes_trimmed_through'",
        )
        .bind(cut)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(dropped)
    }
}
