//! Live events on PostgreSQL.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{EVENTS_LOCK, PostgresStore, ms, unavailable};
use crate::store::{Event, EventId, EventStore, StoreError};

#[async_trait::async_trait]
impl EventStore for PostgresStore {
    async fn append_event(
        &self,
        user: Option<&str>,
        kind: &str,
        data: &Value,
        now: DateTime<Utc>,
    ) -> Result<EventId, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(EVENTS_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(unavailable)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO events (user_name, kind, data, at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user)
        .bind(kind)
        .bind(data)
        .bind(ms(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(id)
    }

    async fn events_after(
        &self,
        user: &str,
        after: EventId,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError> {
        type Row = (i64, Option<String>, String, Value, DateTime<Utc>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, user_name, kind, data, at FROM events
             WHERE id > $1 AND (user_name = $2 OR user_name IS NULL)
             ORDER BY id LIMIT $3",
        )
        .bind(after)
        .bind(user)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(|(id, user, kind, data, at)| Event {
                id,
                user,
                kind,
                data,
                at,
            })
            .collect())
    }

    async fn trim_events(&self, keep_last: u64) -> Result<u64, StoreError> {
        let keep = i64::try_from(keep_last).unwrap_or(i64::MAX);
        let done = sqlx::query(
            "DELETE FROM events
             WHERE id <= (SELECT id FROM events ORDER BY id DESC OFFSET $1 LIMIT 1)",
        )
        .bind(keep)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(done.rows_affected())
    }
}
