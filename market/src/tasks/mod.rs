//! The task engine (DESIGN.md §5.3): what the API submits ([`submit`]), the
//! workers that run tasks against app-service (`runner`), how app-service's
//! state reports end them (`app_state`), and the waits of `"sync": true`.
//!
//! A task is committed to the store before the API answers. Workers lease it
//! (`MARKET_TASK_WORKERS`, one running task per (user, app)), call app-service
//! once per attempt, and record the `opID` app-service answers before anything
//! else, so an accepted operation is never sent twice. The task then stays
//! running until a state event (or the `/all/apps` poll) says it ended.
//! Never: SQL (the store), HTTP details (the app-service client).

pub mod app_state;
pub mod runner;

use std::time::{Duration, Instant};

use chrono::Utc;
use market_model::task::{Task, TaskId};
use serde_json::json;

use crate::state::AppState;
use crate::store::{NewTask, StoreError, Submitted};

/// The SSE event of every task transition (`data`: the task).
pub const EVENT_TASK: &str = "task_update";
/// The SSE event of an app state change reported by app-service.
pub const EVENT_APP_STATE: &str = "app_state";

/// Commits a task (or finds the one it repeats) and wakes a worker.
pub async fn submit(state: &AppState, new: &NewTask) -> Result<Submitted, StoreError> {
    let submitted = state.store.submit_task(new, Utc::now()).await?;
    if submitted.created {
        tracing::info!(task.id = submitted.task.id, task.kind = submitted.task.kind.as_str(), app = %submitted.task.app_name, "task submitted");
        state
            .market_metrics
            .count_task(submitted.task.kind, submitted.task.status);
        publish(state, &submitted.task).await;
        state.signals.tasks.notify_one();
    }
    Ok(submitted)
}

/// Pushes a task's new state on `/events` and wakes `sync` waiters.
pub async fn publish(state: &AppState, task: &Task) {
    // A task ends once (the store's transitions guarantee it), so each terminal
    // state is published, and counted, once.
    if task.status.is_terminal() {
        state.market_metrics.count_task(task.kind, task.status);
    }
    let data = json!(task);
    if let Err(e) = state
        .store
        .append_event(Some(&task.user), EVENT_TASK, &data, Utc::now())
        .await
    {
        tracing::warn!(error = %e, task.id = task.id, "task event not stored");
    }
    state.signals.task_changed.notify_waiters();
}

/// Waits until the task is terminal or `within` passed; the task as last read.
pub async fn wait(state: &AppState, id: TaskId, within: Duration) -> Result<Task, StoreError> {
    let deadline = Instant::now() + within;
    loop {
        // Registered before the read, so a change during it is not missed.
        let changed = state.signals.task_changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let task = state
            .store
            .task(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("task {id} vanished")))?;
        let left = deadline.saturating_duration_since(Instant::now());
        if task.status.is_terminal() || left.is_zero() {
            return Ok(task);
        }
        tokio::select! {
            () = &mut changed => {}
            // Another replica may have changed it: poll as a fallback.
            () = tokio::time::sleep(left.min(Duration::from_millis(500))) => {}
        }
    }
}
