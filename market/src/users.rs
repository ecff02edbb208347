//! Users the market hydrates catalogs for: those of `MARKET_USERS` (ensured at start,
//! the one marked `:admin` is the admin) and any user seen first in `X-Bfl-User`
//! (the ingress is trusted), added by [`ensure_user`] and hydrated at once.

use chrono::Utc;

use crate::config::UserSpec;
use crate::state::AppState;
use crate::store::{MarketStore, StoreError};

/// Makes sure `name` is a known user; a new one wakes the hydration driver. Cheap
/// after the first call for a name (an in-memory set answers). Returns whether the
/// user was created. Callers (the API's `X-Bfl-User` extractor) validate the name.
pub async fn ensure_user(state: &AppState, name: &str) -> Result<bool, StoreError> {
    if is_known(state, name) {
        return Ok(false);
    }
    let created = state.store.ensure_user(name, false, Utc::now()).await?;
    remember(state, name);
    if created {
        tracing::info!(user = name, "new user: hydrating its catalog");
        state.signals.wake_hydration();
    }
    Ok(created)
}

/// Ensures the users of `MARKET_USERS` (at build time); the admin is made admin.
pub async fn ensure_configured(
    store: &dyn MarketStore,
    users: &[UserSpec],
) -> Result<(), StoreError> {
    let now = Utc::now();
    for user in users {
        store.ensure_user(&user.name, user.admin, now).await?;
    }
    Ok(())
}

fn is_known(state: &AppState, name: &str) -> bool {
    state
        .signals
        .known_users
        .lock()
        .is_ok_and(|known| known.contains(name))
}

fn remember(state: &AppState, name: &str) {
    if let Ok(mut known) = state.signals.known_users.lock() {
        known.insert(name.to_owned());
    }
}
