//! The data watcher's cursor on PostgreSQL.

use super::{PostgresStore, unavailable};
use crate::store::{StoreError, WatcherStore};

/// The `cursors` row of the data watcher.
const STATE_CHANGES: &str = "state_changes";

#[async_trait::async_trait]
impl WatcherStore for PostgresStore {
    async fn watcher_cursor(&self) -> Result<i64, StoreError> {
        let value: Option<i64> = sqlx::query_scalar("SELECT value FROM cursors WHERE name = $1")
            .bind(STATE_CHANGES)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(value.unwrap_or(0))
    }

    async fn set_watcher_cursor(&self, cursor: i64) -> Result<i64, StoreError> {
        // GREATEST in the statement itself (the upsert locks the row): a slower
        // writer with an older cursor cannot move it back.
        sqlx::query_scalar(
            "INSERT INTO cursors (name, value) VALUES ($1, GREATEST($2, 0))
             ON CONFLICT (name) DO UPDATE SET value = GREATEST(cursors.value, excluded.value)
             RETURNING value",
        )
        .bind(STATE_CHANGES)
        .bind(cursor)
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)
    }
}
