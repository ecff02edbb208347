//! Users on PostgreSQL.

use chrono::{DateTime, Utc};

use super::{ADMIN_LOCK, PostgresStore, ms, unavailable};
use crate::store::{StoreError, User, UserStore};

#[async_trait::async_trait]
impl UserStore for PostgresStore {
    async fn ensure_user(
        &self,
        name: &str,
        is_admin: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        if is_admin {
            // Two concurrent promotions would each demote what they see and
            // then collide on the one-admin index; the lock orders them.
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(ADMIN_LOCK)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            sqlx::query("UPDATE users SET is_admin = FALSE WHERE is_admin AND name <> $1")
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        let created = sqlx::query(
            "INSERT INTO users (name, is_admin, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(is_admin)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(unavailable)?
        .rows_affected()
            > 0;
        if is_admin && !created {
            sqlx::query("UPDATE users SET is_admin = TRUE WHERE name = $1")
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(created)
    }

    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<(String, bool, DateTime<Utc>)> =
            sqlx::query_as("SELECT name, is_admin, created_at FROM users ORDER BY name")
                .fetch_all(&self.pool)
                .await
                .map_err(unavailable)?;
        Ok(rows
            .into_iter()
            .map(|(name, is_admin, created_at)| User {
                name,
                is_admin,
                created_at,
            })
            .collect())
    }

    async fn admin(&self) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT name FROM users WHERE is_admin")
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)
    }
}
