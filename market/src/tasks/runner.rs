//! The task workers: `MARKET_TASK_WORKERS` loops that lease a task, call
//! app-service once, and record what happened (accepted with its `opID`, a
//! retry with backoff for a retryable failure, or a final failure with the
//! reason). While the call is in flight the lease is extended every third of
//! its length, so a live worker keeps its task and a dead one's task is taken
//! over after the lease ends (by this process after a restart, or another
//! replica). Workers wake on `Signals::tasks` and poll every [`POLL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures_util::future::join_all;
use market_model::task::{AppServiceInstall, AppServiceUninstall, TaskError, TaskKind};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::app_service::{AppServiceError, OpHeaders, Operation};
use crate::state::AppState;
use crate::store::{LeasedTask, TaskEnd};

/// The fallback poll of an idle worker.
pub const POLL: Duration = Duration::from_secs(1);
/// Attempts before a task that keeps failing retryably fails for good.
pub const MAX_ATTEMPTS: u32 = 5;
/// The longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// The wait after the `attempt`-th failed attempt: `first` doubling, capped.
pub fn backoff(first: Duration, attempt: u32) -> Duration {
    first
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF)
}

/// Runs the workers until the token is cancelled. An in-flight call is
/// abandoned at shutdown; its lease ends and the task is taken over.
pub async fn run(state: AppState, token: CancellationToken) {
    let instance = format!("{:08x}", fastrand::u32(..));
    let unrecorded = Unrecorded::default();
    let workers = (0..state.config.task_workers).map(|n| {
        let owner = format!("{instance}-{n}");
        worker(state.clone(), token.clone(), owner, unrecorded.clone())
    });
    join_all(workers).await;
}

/// Tasks app-service accepted whose acceptance could not be recorded (the store
/// did not answer), by id, with the `opID`: when this process leases one of them
/// again it records the acceptance instead of calling app-service a second time.
/// (A process that dies meanwhile forgets them; its successor's retry is refused by
/// app-service and follows the earlier attempt, see [`already_under_way`].)
#[derive(Clone, Default)]
struct Unrecorded(Arc<Mutex<HashMap<i64, String>>>);

impl Unrecorded {
    fn insert(&self, id: i64, op_id: String) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, op_id);
    }

    fn take(&self, id: i64) -> Option<String> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id)
    }
}

async fn worker(state: AppState, token: CancellationToken, owner: String, unrecorded: Unrecorded) {
    loop {
        let woken = state.signals.tasks.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let now = Utc::now();
        let until = now + chrono_duration(state.config.tasks.lease);
        match state.store.lease_task(&owner, now, until).await {
            Ok(Some(leased)) => {
                tokio::select! {
                    () = token.cancelled() => return,
                    () = run_one(&state, &owner, leased, &unrecorded) => {}
                }
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "tasks: lease failed"),
        }
        tokio::select! {
            () = token.cancelled() => return,
            () = &mut woken => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// One attempt of one task.
#[tracing::instrument(skip_all, fields(task.id = leased.task.id, task.kind = leased.task.kind.as_str()))]
async fn run_one(state: &AppState, owner: &str, leased: LeasedTask, unrecorded: &Unrecorded) {
    let task = &leased.task;
    super::publish(state, task).await;
    if let Some(op_id) = unrecorded.take(task.id) {
        // Accepted by an earlier attempt of this process: record it, call nothing.
        match state
            .store
            .accept_task(task.id, owner, &op_id, Utc::now())
            .await
        {
            Ok(_) => tracing::info!(op_id, "recorded an earlier attempt's acceptance"),
            Err(e) => {
                tracing::warn!(error = %e, "recording the acceptance failed");
                unrecorded.insert(task.id, op_id);
            }
        }
        if let Ok(Some(task)) = state.store.task(task.id).await {
            super::publish(state, &task).await;
        }
        return;
    }
    let op = operation(state, &leased);
    let headers = OpHeaders {
        token: leased.token.clone(),
        user: task.user.clone(),
        market_source: task.source.clone(),
        request_id: leased.request_id.clone(),
    };
    let call = state.app_service.operate(&task.app_name, &op, &headers);
    let answer = tokio::select! {
        answer = call => answer,
        () = heartbeat(state, task.id, owner) => return,
    };
    let now = Utc::now();
    let outcome = match answer {
        Ok(response) => {
            // Recorded first: once this commits, the task is never sent again.
            let op_id = response.op_id().unwrap_or_default().to_owned();
            match state.store.accept_task(task.id, owner, &op_id, now).await {
                Ok(true) => tracing::info!(op_id, "app-service accepted the task"),
                Ok(false) => tracing::debug!("task ended before its acceptance was recorded"),
                Err(e) => {
                    tracing::warn!(error = %e, "recording the acceptance failed; kept until the task is leased again");
                    unrecorded.insert(task.id, op_id);
                }
            }
            None
        }
        Err(e) if e.is_retryable() && task.attempts < MAX_ATTEMPTS => {
            let next =
                now + chrono_duration(backoff(state.config.tasks.retry_backoff, task.attempts));
            let error = task_error(&e);
            tracing::warn!(error = %e, attempts = task.attempts, "app-service call failed; retrying");
            if let Err(e) = state
                .store
                .retry_task(task.id, owner, &error, next, now)
                .await
            {
                tracing::warn!(error = %e, "recording the retry failed");
            }
            None
        }
        // A retry refused because the app is already where this operation
        // takes it: an earlier attempt reached app-service, though its answer
        // was lost (a timeout, market's store away). Follow that one: the state
        // events and the `/all/apps` poll end the task.
        Err(e) if task.attempts > 0 && e.is_refusal() && already_under_way(state, task).await => {
            tracing::info!(error = %e, "an earlier attempt reached app-service; following it");
            if let Err(e) = state.store.accept_task(task.id, owner, "", now).await {
                tracing::warn!(error = %e, "recording the acceptance failed");
                unrecorded.insert(task.id, String::new());
            }
            None
        }
        Err(e) => {
            let mut error = task_error(&e);
            if e.is_retryable() {
                error.code = "gave_up".into();
                error.message = format!(
                    "gave up after {} attempts: {}",
                    task.attempts, error.message
                );
            }
            tracing::warn!(code = %error.code, "task failed");
            Some(TaskEnd::Failed(error))
        }
    };
    let changed = match outcome {
        Some(end) => state.store.finish_task(task.id, &end, None, now).await,
        None => state.store.task(task.id).await,
    };
    match changed {
        Ok(Some(task)) => super::publish(state, &task).await,
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "reading the task back failed"),
    }
    // A retry or an end may let another task of the app run.
    state.signals.tasks.notify_one();
}

/// Extends the lease until the call ends (this future is dropped then); ends
/// itself only when the lease was lost.
async fn heartbeat(state: &AppState, id: i64, owner: &str) {
    let every = state.config.tasks.lease / 3;
    loop {
        tokio::time::sleep(every).await;
        let until = Utc::now() + chrono_duration(state.config.tasks.lease);
        match state.store.heartbeat_task(id, owner, until).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("lease lost; abandoning the attempt");
                return;
            }
            Err(e) => tracing::warn!(error = %e, "heartbeat failed"),
        }
    }
}

/// The app-service call of a task (bodies as Olares' market sends them).
fn operation(state: &AppState, leased: &LeasedTask) -> Operation {
    let (task, req) = (&leased.task, &leased.request);
    let install = || AppServiceInstall {
        repo_url: state.config.chart_repo_public_url.to_string(),
        version: String::new(),
        source: if task.source == "upload" {
            "custom"
        } else {
            "market"
        }
        .into(),
        x_market_user: task.user.clone(),
        x_market_source: task.source.clone(),
        images: req.images.clone(),
        envs: req.envs.clone(),
        ..AppServiceInstall::default()
    };
    match task.kind {
        TaskKind::Install => Operation::Install(Box::new(install())),
        TaskKind::Clone => Operation::Install(Box::new(AppServiceInstall {
            entrances: req.entrances.clone(),
            raw_app_name: req.raw_app_name.clone(),
            request_hash: req.request_hash.clone(),
            title: req.title.clone(),
            ..install()
        })),
        TaskKind::Upgrade => Operation::Upgrade(Box::new(AppServiceInstall {
            version: task.version.clone(),
            ..install()
        })),
        TaskKind::Uninstall => Operation::Uninstall(AppServiceUninstall {
            all: req.all,
            delete_data: req.delete_data,
        }),
        TaskKind::Cancel => Operation::Cancel,
    }
}

/// The stored error of a failed call (never the token, never a header).
fn task_error(e: &AppServiceError) -> TaskError {
    match e {
        AppServiceError::Rejected {
            status,
            code,
            message,
            data,
        } => {
            let appenv = data
                .as_ref()
                .and_then(|d| d.get("type"))
                .and_then(Value::as_str)
                == Some("appenv");
            TaskError {
                code: if appenv {
                    "app_env_required"
                } else {
                    "app_service_rejected"
                }
                .into(),
                message: if message.is_empty() {
                    format!("app-service refused the operation (HTTP {status}, code {code})")
                } else {
                    message.clone()
                },
                retryable: false,
                backend_response: Some(json!({"code": code, "message": message, "data": data})),
            }
        }
        AppServiceError::NoOpId => TaskError {
            code: "app_service_rejected".into(),
            message: e.to_string(),
            retryable: false,
            backend_response: None,
        },
        AppServiceError::Call(c) => TaskError {
            // A 404 without app-service's envelope is still its refusal, not an outage.
            code: if e.is_refusal() {
                "app_service_rejected"
            } else {
                "app_service_unavailable"
            }
            .into(),
            message: c.to_string(),
            retryable: c.is_retryable(),
            backend_response: None,
        },
    }
}

/// Whether app-service lists the task's app in a state this kind of operation
/// passes through (or, for an uninstall, no longer lists it).
async fn already_under_way(state: &AppState, task: &market_model::task::Task) -> bool {
    use market_model::task::TaskKind;
    let Ok(apps) = state.app_service.all_apps().await else {
        return false;
    };
    let listed = apps
        .iter()
        .find(|a| a.name == task.app_name && a.owner == task.user)
        .map(|a| a.state.as_str());
    match (task.kind, listed) {
        (TaskKind::Install | TaskKind::Clone, Some(s)) => matches!(
            s,
            "pending" | "downloading" | "installing" | "initializing" | "running"
        ),
        (TaskKind::Upgrade, Some(s)) => s == "upgrading",
        (TaskKind::Uninstall, Some(s)) => s == "uninstalling",
        (TaskKind::Uninstall, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let first = Duration::from_secs(2);
        assert_eq!(backoff(first, 1), Duration::from_secs(2));
        assert_eq!(backoff(first, 3), Duration::from_secs(8));
        assert_eq!(backoff(first, 40), MAX_BACKOFF);
    }
}
