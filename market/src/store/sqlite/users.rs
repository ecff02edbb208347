//! Users on SQLite.

use chrono::{DateTime, Utc};

use super::{SqliteStore, from_millis, millis, unavailable};
use crate::store::{StoreError, User, UserStore};

#[async_trait::async_trait]
impl UserStore for SqliteStore {
    async fn ensure_user(
        &self,
        name: &str,
        is_admin: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // One write transaction: the demotion and the promotion commit together.
        let mut tx = self.begin().await?;
        if is_admin {
            sqlx::query("UPDATE users SET is_admin = FALSE WHERE is_admin AND name <> ?")
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        let created = sqlx::query(
            "INSERT INTO users (name, is_admin, created_at) VALUES (?, ?, ?)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(is_admin)
        .bind(millis(now))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?
        .rows_affected()
            > 0;
        if is_admin && !created {
            sqlx::query("UPDATE users SET is_admin = TRUE WHERE name = ?")
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(created)
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<(String, bool, i64)> =
            sqlx::query_as("SELECT name, is_admin, created_at FROM users ORDER BY name")
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
        rows.into_iter()
            .map(|(name, is_admin, at)| {
                Ok(User {
                    name,
                    is_admin,
                    created_at: from_millis(at)?,
                })
            })
            .collect()
    }

    async fn admin(&self) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT name FROM users WHERE is_admin")
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)
    }
}
