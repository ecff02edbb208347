//! `GET /runtime/state`: a snapshot of the caller's runtime state (Olares'
//! `RuntimeSnapshot`): each of the caller's apps with its hydration stage, and
//! the market's components. Tasks are empty until the task queue exists.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::{DateTime, Utc};
use market_model::Envelope;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, Json, Query};
use super::identity::Caller;
use super::openapi;
use crate::state::AppState;
use crate::store::{UserApp, UserAppStatus};

pub fn routes() -> Router<AppState> {
    Router::new().route("/runtime/state", get(runtime_state))
}

/// Filters of `/runtime/state` (Olares' names; `user_id` is always the caller).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RuntimeFilter {
    pub source_id: Option<String>,
    pub app_name: Option<String>,
}

/// Olares' `RuntimeSnapshot`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuntimeSnapshot {
    pub timestamp: DateTime<Utc>,
    /// Keyed `user:source:app`.
    pub app_states: BTreeMap<String, AppFlowState>,
    /// Keyed by task id (empty: no task queue yet).
    pub tasks: BTreeMap<String, Value>,
    pub components: BTreeMap<String, ComponentStatus>,
    pub summary: RuntimeSummary,
}

/// One app of the snapshot (a subset of Olares' `AppFlowState`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AppFlowState {
    pub user_id: String,
    pub source_id: String,
    pub app_name: String,
    pub version: String,
    /// Ours: `pending`, `ready` or `failed` (the hydration).
    pub stage: String,
    pub health: String,
    pub last_update: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Olares' `ComponentStatus`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentStatus {
    pub name: String,
    pub healthy: bool,
    pub status: String,
    pub last_check: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Olares' `RuntimeSummary` (the counts this market knows).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct RuntimeSummary {
    pub total_apps: usize,
    pub total_tasks: usize,
    pub pending_tasks: usize,
    pub running_tasks: usize,
    pub completed_tasks: usize,
    pub failed_tasks: usize,
    pub healthy_apps: usize,
    pub unhealthy_apps: usize,
}

/// The caller's apps (by hydration stage) and the market's components.
#[utoipa::path(get, path = "/runtime/state", tag = "runtime", security(("bfl_user" = [])),
    params(RuntimeFilter),
    responses(
        (status = 200, body = openapi::Envelope<RuntimeSnapshot>),
        (status = 401, body = openapi::ErrorBody),
    ))]
pub async fn runtime_state(
    State(state): State<AppState>,
    caller: Caller,
    Query(filter): Query<RuntimeFilter>,
) -> Result<Json<Envelope<RuntimeSnapshot>>, ApiError> {
    let now = Utc::now();
    let store_status = match state.store.ping().await {
        Ok(()) => (true, None),
        Err(e) => (false, Some(e.to_string())),
    };
    let apps = state.store.user_apps(caller.name(), None).await?;
    Ok(Json(Envelope::ok(snapshot(
        apps,
        &filter,
        store_status,
        now,
    ))))
}

fn snapshot(
    apps: Vec<UserApp>,
    filter: &RuntimeFilter,
    (store_ok, store_message): (bool, Option<String>),
    now: DateTime<Utc>,
) -> RuntimeSnapshot {
    let mut summary = RuntimeSummary::default();
    let mut app_states = BTreeMap::new();
    for app in apps {
        if filter
            .source_id
            .as_deref()
            .is_some_and(|s| s != app.source.as_str())
            || filter
                .app_name
                .as_deref()
                .is_some_and(|n| n != app.app_name)
        {
            continue;
        }
        let healthy = app.status != UserAppStatus::Failed;
        summary.total_apps += 1;
        if healthy {
            summary.healthy_apps += 1;
        } else {
            summary.unhealthy_apps += 1;
        }
        let key = format!("{}:{}:{}", app.user, app.source, app.app_name);
        app_states.insert(
            key,
            AppFlowState {
                user_id: app.user,
                source_id: app.source.to_string(),
                app_name: app.app_name,
                version: app.version,
                stage: app.status.as_str().to_owned(),
                health: if healthy { "healthy" } else { "unhealthy" }.to_owned(),
                last_update: app.updated_at,
                error: app.failure.map(|f| format!("{}: {}", f.step, f.reason)),
            },
        );
    }
    let components = BTreeMap::from([(
        "store".to_owned(),
        ComponentStatus {
            name: "store".to_owned(),
            healthy: store_ok,
            status: if store_ok { "running" } else { "unavailable" }.to_owned(),
            last_check: now,
            message: store_message,
        },
    )]);
    RuntimeSnapshot {
        timestamp: now,
        app_states,
        tasks: BTreeMap::new(),
        components,
        summary,
    }
}
