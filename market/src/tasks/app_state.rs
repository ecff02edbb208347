//! App state from app-service: the `os.application.*` events it posts
//! ([`apply_event`]) and the `/all/apps` poll ([`run`]) that corrects drift.
//! Each updates the user's app state, pushes it on `/events`, and ends the
//! running tasks the state decides (`market_model::task::state_verdict`):
//! an install completes at `running`, fails at `installFailed`, is canceled at
//! `*Canceled`; an uninstall or a cancel accepted by app-service completes
//! when the app is gone from `/all/apps`.

use chrono::Utc;
use market_model::task::{AppStateEvent, StateVerdict, Task, TaskError, TaskKind, state_verdict};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::app_service::RunningApp;
use crate::state::AppState;
use crate::store::{AppStateRecord, StoreError, TaskEnd};

/// Applies one state event; the tasks it ended.
pub async fn apply_event(state: &AppState, event: &AppStateEvent) -> Result<Vec<Task>, StoreError> {
    let now = Utc::now();
    let doc = serde_json::to_value(event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    record_state(state, &event.user, &event.name, &event.state, doc).await?;
    let active = state.store.active_tasks(Some(&event.user)).await?;
    let mut ended = Vec::new();
    let cancel_id = active
        .iter()
        .find(|t| t.kind == TaskKind::Cancel && t.app_name == event.name)
        .map(|t| t.id);
    for task in active.iter().filter(|t| matches_event(t, event)) {
        let end = match state_verdict(task.kind, &event.state) {
            StateVerdict::InProgress => continue,
            StateVerdict::Completed => TaskEnd::Completed,
            StateVerdict::Canceled => TaskEnd::Canceled { by: cancel_id },
            StateVerdict::Failed => {
                TaskEnd::Failed(state_failure(&event.state, &event.reason, &event.message))
            }
        };
        if let Some(task) = state
            .store
            .finish_task(task.id, &end, Some(&event.state), now)
            .await?
        {
            super::publish(state, &task).await;
            ended.push(task);
        }
    }
    if !ended.is_empty() {
        state.signals.tasks.notify_one();
    }
    Ok(ended)
}

/// Whether an event is about a running task: the same `opID`, or the same app
/// when one side has none (a cancel's event may carry the cancel's own id).
fn matches_event(task: &Task, event: &AppStateEvent) -> bool {
    if task.status != market_model::task::TaskStatus::Running || task.app_name != event.name {
        return false;
    }
    match (task.op_id.as_deref(), event.op_id.as_str()) {
        (Some(mine), theirs) if !theirs.is_empty() && mine != theirs => {
            event.op_type == "cancel"
                && (task.kind == TaskKind::Cancel || task.kind.is_cancelable())
        }
        _ => true,
    }
}

fn state_failure(state: &str, reason: &str, message: &str) -> TaskError {
    let detail = [reason, message]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    TaskError {
        code: "app_state_failed".into(),
        message: if detail.is_empty() {
            format!("app-service reported {state}")
        } else {
            format!("app-service reported {state}: {detail}")
        },
        retryable: false,
        backend_response: None,
    }
}

async fn record_state(
    state: &AppState,
    user: &str,
    app: &str,
    app_state: &str,
    doc: Value,
) -> Result<(), StoreError> {
    let now = Utc::now();
    let record = AppStateRecord {
        user: user.to_owned(),
        app_name: app.to_owned(),
        state: app_state.to_owned(),
        doc: doc.clone(),
        updated_at: now,
    };
    state.store.put_app_state(&record).await?;
    state
        .store
        .append_event(Some(user), super::EVENT_APP_STATE, &doc, now)
        .await?;
    Ok(())
}

/// The poll loop: every `MARKET_APP_STATE_POLL_INTERVAL`.
pub async fn run(state: AppState, token: CancellationToken) {
    loop {
        if let Err(e) = poll_once(&state).await {
            tracing::warn!(error = %e, "app-service poll failed");
        }
        tokio::select! {
            () = token.cancelled() => return,
            () = tokio::time::sleep(state.config.tasks.app_state_poll_interval) => {}
        }
    }
}

/// One poll: states that changed are stored and pushed; accepted tasks whose
/// end the list shows are ended. How many tasks ended.
pub async fn poll_once(state: &AppState) -> Result<usize, PollError> {
    let apps = state.app_service.all_apps().await?;
    let now = Utc::now();
    let active = state.store.active_tasks(None).await?;
    let mut users: Vec<&str> = apps.iter().map(|a| a.owner.as_str()).collect();
    users.extend(active.iter().map(|t| t.user.as_str()));
    users.sort_unstable();
    users.dedup();
    for user in users {
        let known = state.store.app_states(user).await?;
        for app in apps.iter().filter(|a| a.owner == user) {
            let same = known
                .iter()
                .any(|k| k.app_name == app.name && k.state == app.state);
            if !same && !app.state.is_empty() {
                let doc = polled_doc(app);
                record_state(state, user, &app.name, &app.state, doc).await?;
            }
        }
    }
    let mut ended = 0;
    for task in active.iter().filter(|t| t.op_id.is_some()) {
        let app = apps
            .iter()
            .find(|a| a.owner == task.user && a.name == task.app_name);
        let end = match (task.kind, app) {
            (TaskKind::Uninstall | TaskKind::Cancel, None) => TaskEnd::Completed,
            (_, None) => continue,
            (kind, Some(a)) => match state_verdict(kind, &a.state) {
                StateVerdict::InProgress => continue,
                // `running` before the upgrade began is not its end.
                StateVerdict::Completed
                    if kind == TaskKind::Upgrade && !upgraded(a, &task.version) =>
                {
                    continue;
                }
                StateVerdict::Completed => TaskEnd::Completed,
                StateVerdict::Canceled => TaskEnd::Canceled { by: None },
                StateVerdict::Failed => TaskEnd::Failed(state_failure(&a.state, "", "")),
            },
        };
        let app_state = app.map(|a| a.state.as_str()).or(Some("uninstalled"));
        if let Some(task) = state
            .store
            .finish_task(task.id, &end, app_state, now)
            .await?
        {
            tracing::info!(task.id = task.id, "task ended by the app-service poll");
            super::publish(state, &task).await;
            ended += 1;
        }
    }
    if ended > 0 {
        state.signals.tasks.notify_one();
    }
    Ok(ended)
}

/// Whether a listed app shows the upgrade to `version` done: Olares' `/all/apps` item
/// has no `opType`, but carries the installed version in `spec.settings.version`.
fn upgraded(app: &RunningApp, version: &str) -> bool {
    let listed = app
        .raw
        .pointer("/spec/settings/version")
        .and_then(Value::as_str)
        .unwrap_or_default();
    app.op_type == "upgrade" || (!version.is_empty() && listed == version)
}

/// The event-shaped document of a polled app.
fn polled_doc(app: &RunningApp) -> Value {
    let spec = app.raw.get("spec").cloned().unwrap_or(Value::Null);
    let text = |k: &str| {
        spec.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    json!({
        "eventID": "", "createTime": "", "name": app.name, "rawAppName": text("rawAppName"),
        "opID": "", "opType": app.op_type, "state": app.state, "user": app.owner,
        "progress": text("progress"), "marketSource": text("source"), "reason": text("reason"),
        "message": text("message"),
        "entranceStatuses": app.raw.get("status").and_then(|s| s.get("entranceStatuses")).cloned().unwrap_or(json!([])),
    })
}

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    AppService(#[from] crate::app_service::AppServiceError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
