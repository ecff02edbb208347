//! Live events on SQLite.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{SqliteStore, from_millis, millis, unavailable};
use crate::store::{Event, EventId, EventStore, StoreError, decode_json, encode_json};

#[async_trait::async_trait]
impl EventStore for SqliteStore {
    async fn append_event(
        &self,
        user: Option<&str>,
        kind: &str,
        data: &Value,
        now: DateTime<Utc>,
    ) -> Result<EventId, StoreError> {
        // SQLite has one writer at a time, so ids commit in the order they
        // are assigned.
        sqlx::query_scalar(
            "INSERT INTO events (user_name, kind, data, at) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(user)
        .bind(kind)
        .bind(encode_json(data)?)
        .bind(millis(now))
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)
    }

    async fn events_after(
        &self,
        user: &str,
        after: EventId,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        type Row = (i64, Option<String>, String, String, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, user_name, kind, data, at FROM events
             WHERE id > ? AND (user_name = ? OR user_name IS NULL)
             ORDER BY id LIMIT ?",
        )
        .bind(after)
        .bind(user)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.into_iter()
            .map(|(id, user, kind, data, at)| {
                Ok(Event {
                    id,
                    user,
                    data: decode_json(&format!("event {id}"), &data)?,
                    kind,
                    at: from_millis(at)?,
                })
            })
            .collect()
    }

    async fn trim_events(&self, keep_last: u64) -> Result<u64, StoreError> {
        let keep = i64::try_from(keep_last).unwrap_or(i64::MAX);
        let done = sqlx::query(
            "DELETE FROM events
             WHERE id <= (SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?)",
        )
        .bind(keep)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(done.rows_affected())
    }
}
