//! The simulated app managers: one record per (owner, app), the operations that change
//! them, and the walks that move an accepted operation through its states.
//!
//! An operation is checked and its first state set before the answer, as app-service does
//! (`pkg/apiserver/handler_installer_*.go`, `handler_suspend.go`); the rest of the walk runs
//! in a tracked task, one state per `step`. A later operation takes over the record (a new
//! opID), which ends the earlier walk at its next step: that is how cancel stops an install.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};

use super::Shared;
use super::chart::{ChartRequest, FetchedChart, fetch_chart};
use super::env_check;
use super::faults::{ChartSeen, FailedState, Fault};
use super::state::{AppState, OpType};
use super::wire::{
    Application, ApplicationSpec, ApplicationStatus, EntranceStatus, EnvOverride, InstallRequest,
    ObjectMeta, OpData, OpResponse, StateEvent, UninstallRequest, UpgradeRequest,
};

/// Why an operation was refused; `server.rs` maps each to app-service's answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpError {
    #[error("no authentication info error")]
    Unauthorized,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("appenv check failed")]
    AppEnv(super::wire::AppEnvCheckResult),
}

/// Who asked, from the request headers.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) owner: String,
    pub(crate) market_user: String,
    pub(crate) market_source: String,
    /// The call log entry of this request.
    pub(crate) call: usize,
}

/// One app manager.
#[derive(Clone, Debug)]
struct Record {
    owner: String,
    name: String,
    /// The original app of a clone; the name itself otherwise.
    raw_app_name: String,
    state: AppState,
    op_type: OpType,
    op_id: String,
    progress: String,
    reason: String,
    message: String,
    title: String,
    icon: String,
    source: String,
    market_source: String,
    version: String,
    entrances: Vec<olares_chart::manifest::Entrance>,
    created: DateTime<Utc>,
    status_time: DateTime<Utc>,
}

/// Every app manager, by (owner, app).
#[derive(Default)]
pub(crate) struct Apps {
    records: BTreeMap<(String, String), Record>,
}

impl Apps {
    pub(crate) fn state_of(&self, owner: &str, app: &str) -> Option<AppState> {
        self.records
            .get(&(owner.to_owned(), app.to_owned()))
            .map(|r| r.state)
    }

    /// `/all/apps`: the listed states, newest first, optionally only `states`.
    pub(crate) fn listed(&self, states: Option<&[String]>) -> Vec<Application> {
        let mut records: Vec<&Record> = self
            .records
            .values()
            .filter(|r| match states {
                Some(wanted) => wanted.iter().any(|s| *s == r.state.as_str()),
                None => r.state.listed(),
            })
            .collect();
        records.sort_by_key(|r| std::cmp::Reverse(r.created));
        records.into_iter().map(application).collect()
    }
}

static NEXT_OP: AtomicU64 = AtomicU64::new(0);

/// app-service's opID is the Unix time in seconds, which repeats within a second; the
/// simulator appends a sequence number so every opID it answers is distinct.
fn new_op_id() -> String {
    let seq = NEXT_OP.fetch_add(1, Ordering::Relaxed);
    format!("{}{:04}", Utc::now().timestamp(), seq % 10_000)
}

fn go_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// `FmtAppMgrName(app, owner, "")`: `{app}-{owner}-{app}`.
fn manager_name(app: &str, owner: &str) -> String {
    format!("{app}-{owner}-{app}")
}

fn not_found(app: &str, owner: &str) -> OpError {
    OpError::NotFound(format!(
        "applicationmanagers.app.bytetrade.io \"{}\" not found",
        manager_name(app, owner)
    ))
}

fn not_allowed(op: OpType, state: Option<AppState>) -> OpError {
    let state = state.map(AppState::as_str).unwrap_or_default();
    OpError::BadRequest(format!(
        "{} operation is not allowed for {state} state",
        op.as_str()
    ))
}

fn accepted(app: &str, op_id: String) -> OpResponse {
    OpResponse {
        code: 200,
        data: OpData {
            uid: app.to_owned(),
            op_id,
        },
    }
}

fn check_source(source: &str, allowed: &[&str]) -> Result<(), OpError> {
    if allowed.contains(&source) {
        return Ok(());
    }
    Err(OpError::BadRequest(format!(
        "unsupported chart source: {source}"
    )))
}

/// `POST /apps/{app}/install`.
pub(crate) async fn install(
    shared: &Arc<Shared>,
    caller: &Caller,
    app: &str,
    req: InstallRequest,
    fault: Option<Fault>,
) -> Result<OpResponse, OpError> {
    check_source(&req.source, &["market", "custom", "devbox"])?;
    // A clone (`rawAppName` set) installs the original's chart at the version the owner
    // has installed (`getOriginChartVersion`), and only when the app allows it.
    let raw_app_name = if req.raw_app_name.is_empty() {
        app.to_owned()
    } else {
        req.raw_app_name.clone()
    };
    let version = if req.raw_app_name.is_empty() {
        req.version.clone()
    } else {
        shared
            .lock()
            .apps
            .records
            .get(&(caller.owner.clone(), raw_app_name.clone()))
            .map(|r| r.version.clone())
            .ok_or_else(|| OpError::BadRequest(format!("rawApp {raw_app_name} not found")))?
    };
    let chart = download(shared, caller, &raw_app_name, &req.repo_url, &version).await?;
    let multiple = chart.manifest.options.allow_multiple_install;
    if !multiple && !req.raw_app_name.is_empty() {
        return Err(OpError::BadRequest(format!("app {app} can not be clone")));
    }
    validate_envs(shared, app, &chart, req.envs.as_deref().unwrap_or_default())?;
    let op_id = new_op_id();
    {
        let mut st = shared.lock();
        let key = (caller.owner.clone(), app.to_owned());
        let current = st.apps.records.get(&key).map(|r| r.state);
        if !AppState::allows(current, OpType::Install) {
            return Err(not_allowed(OpType::Install, current));
        }
        let now = Utc::now();
        let record = Record {
            owner: caller.owner.clone(),
            name: app.to_owned(),
            state: AppState::Pending,
            op_type: OpType::Install,
            op_id: op_id.clone(),
            progress: "0.00".into(),
            reason: String::new(),
            message: "waiting for install".into(),
            raw_app_name,
            title: if req.title.is_empty() {
                chart.manifest.metadata.title.clone()
            } else {
                req.title.clone()
            },
            icon: chart.manifest.metadata.icon.clone(),
            source: req.source.clone(),
            market_source: caller.market_source.clone(),
            version: chart.version.clone(),
            entrances: chart.manifest.entrances.clone(),
            created: now,
            status_time: now,
        };
        shared.events.push(event(&record));
        st.apps.records.insert(key.clone(), record);
    }
    let mut steps = vec![Step::to(AppState::Downloading)];
    match fault {
        Some(Fault::FailState {
            state: FailedState::DownloadFailed,
        }) => steps.push(Step::failed(AppState::DownloadFailed)),
        Some(Fault::FailState {
            state: FailedState::InstallFailed,
        }) => steps.extend([
            Step::to(AppState::Installing),
            Step::failed(AppState::InstallFailed),
        ]),
        Some(Fault::CrashMidInstall) => steps.extend([Step::to(AppState::Installing), Step::Crash]),
        // Stays in `downloading` until taken over.
        Some(Fault::Stall) => {}
        _ => steps.extend(
            [
                AppState::Installing,
                AppState::Initializing,
                AppState::Running,
            ]
            .map(Step::to),
        ),
    }
    walk(
        shared,
        caller.owner.clone(),
        app.to_owned(),
        op_id.clone(),
        steps,
    );
    Ok(accepted(app, op_id))
}

/// `POST /apps/{app}/upgrade`: the new chart downloaded and checked like an install.
pub(crate) async fn upgrade(
    shared: &Arc<Shared>,
    caller: &Caller,
    app: &str,
    req: UpgradeRequest,
) -> Result<OpResponse, OpError> {
    check_source(&req.source, &["market", "custom", "devbox", "system"])?;
    let recorded_source = {
        let st = shared.lock();
        let r = st
            .apps
            .records
            .get(&(caller.owner.clone(), app.to_owned()))
            .ok_or_else(|| not_found(app, &caller.owner))?;
        r.source.clone()
    };
    if recorded_source != req.source {
        return Err(OpError::BadRequest("unmatched chart source".into()));
    }
    let chart = download(shared, caller, app, &req.repo_url, &req.version).await?;
    validate_envs(shared, app, &chart, req.envs.as_deref().unwrap_or_default())?;
    let op_id = begin(
        shared,
        caller,
        app,
        OpType::Upgrade,
        AppState::Upgrading,
        |r| {
            r.version = chart.version.clone();
            r.title = chart.manifest.metadata.title.clone();
            r.entrances = chart.manifest.entrances.clone();
        },
    )?;
    let steps = [AppState::Initializing, AppState::Running].map(Step::to);
    walk(
        shared,
        caller.owner.clone(),
        app.to_owned(),
        op_id.clone(),
        steps.to_vec(),
    );
    Ok(accepted(app, op_id))
}

/// `POST /apps/{app}/uninstall`.
pub(crate) fn uninstall(
    shared: &Arc<Shared>,
    caller: &Caller,
    app: &str,
    _req: UninstallRequest,
) -> Result<OpResponse, OpError> {
    let op_id = begin(
        shared,
        caller,
        app,
        OpType::Uninstall,
        AppState::Uninstalling,
        |r| {
            r.progress = "0.00".into();
        },
    )?;
    walk(
        shared,
        caller.owner.clone(),
        app.to_owned(),
        op_id.clone(),
        vec![Step::to(AppState::Uninstalled)],
    );
    Ok(accepted(app, op_id))
}

/// `POST /apps/{app}/cancel?type=operate|timeout`.
pub(crate) fn cancel(
    shared: &Arc<Shared>,
    caller: &Caller,
    app: &str,
    cancel_type: &str,
) -> Result<OpResponse, OpError> {
    let current = shared.lock().apps.state_of(&caller.owner, app);
    let Some((canceling, rest)) = current.and_then(AppState::cancel_path) else {
        return match current {
            None => Err(not_found(app, &caller.owner)),
            state => Err(not_allowed(OpType::Cancel, state)),
        };
    };
    let message = cancel_type.to_owned();
    let op_id = begin(shared, caller, app, OpType::Cancel, canceling, |r| {
        r.progress = "0.00".into();
        r.message = message;
    })?;
    let steps = rest.into_iter().map(Step::to).collect();
    walk(
        shared,
        caller.owner.clone(),
        app.to_owned(),
        op_id.clone(),
        steps,
    );
    Ok(accepted(app, op_id))
}

/// `POST /apps/{app}/suspend` (Olares' `stop`).
pub(crate) fn suspend(
    shared: &Arc<Shared>,
    caller: &Caller,
    app: &str,
) -> Result<OpResponse, OpError> {
    let op_id = begin(
        shared,
        caller,
        app,
        OpType::Suspend,
        AppState::Stopping,
        |r| {
            r.reason = "StopByUser".into();
            r.message = format!("app {} was stop by user {}", r.name, r.owner);
        },
    )?;
    walk(
        shared,
        caller.owner.clone(),
        app.to_owned(),
        op_id.clone(),
        vec![Step::to(AppState::Stopped)],
    );
    Ok(accepted(app, op_id))
}

/// `POST /apps/{app}/resume`.
pub(crate) fn resume(
    shared: &Arc<Shared>,
    caller: &Caller,
    app: &str,
) -> Result<OpResponse, OpError> {
    let op_id = begin(
        shared,
        caller,
        app,
        OpType::Resume,
        AppState::Resuming,
        |r| {
            r.message = format!("app {} was resume by user {}", r.name, r.owner);
        },
    )?;
    let steps = [AppState::Initializing, AppState::Running].map(Step::to);
    walk(
        shared,
        caller.owner.clone(),
        app.to_owned(),
        op_id.clone(),
        steps.to_vec(),
    );
    Ok(accepted(app, op_id))
}

/// Checks `op` is allowed for the existing record, moves it to `first` under a new opID
/// (after `edit`) and queues the event.
fn begin(
    shared: &Shared,
    caller: &Caller,
    app: &str,
    op: OpType,
    first: AppState,
    edit: impl FnOnce(&mut Record),
) -> Result<String, OpError> {
    let mut st = shared.lock();
    let record = st
        .apps
        .records
        .get_mut(&(caller.owner.clone(), app.to_owned()))
        .ok_or_else(|| not_found(app, &caller.owner))?;
    if !AppState::allows(Some(record.state), op) {
        return Err(not_allowed(op, Some(record.state)));
    }
    let op_id = new_op_id();
    record.op_type = op;
    record.op_id = op_id.clone();
    record.state = first;
    record.status_time = Utc::now();
    record.progress.clear();
    record.reason.clear();
    record.message.clear();
    if !caller.market_source.is_empty() {
        record.market_source = caller.market_source.clone();
    }
    edit(record);
    shared.events.push(event(record));
    Ok(op_id)
}

async fn download(
    shared: &Shared,
    caller: &Caller,
    app: &str,
    repo_url: &str,
    version: &str,
) -> Result<FetchedChart, OpError> {
    if repo_url.is_empty() {
        return Err(OpError::BadRequest("repoUrl is empty".into()));
    }
    let req = ChartRequest {
        repo_url,
        app,
        version,
        market_user: &caller.market_user,
        market_source: &caller.market_source,
    };
    let chart = fetch_chart(&shared.http, &req)
        .await
        .map_err(|e| OpError::BadRequest(format!("failed to get app config: {e}")))?;
    if let Some(call) = shared.lock().calls.get_mut(caller.call) {
        call.chart = Some(ChartSeen {
            version: chart.version.clone(),
            package_url: chart.package_url.clone(),
            digest: chart.digest.clone(),
        });
    }
    Ok(chart)
}

fn validate_envs(
    shared: &Shared,
    app: &str,
    chart: &FetchedChart,
    overrides: &[EnvOverride],
) -> Result<(), OpError> {
    let envs = env_check::apply_overrides(app, &chart.manifest.envs, overrides)
        .map_err(|e| OpError::BadRequest(e.to_string()))?;
    match env_check::check(&envs, &shared.config.known_envs) {
        Some(result) => Err(OpError::AppEnv(result)),
        None => Ok(()),
    }
}

/// One step of a walk.
#[derive(Clone, Copy, Debug)]
enum Step {
    To { state: AppState, failed: bool },
    Crash,
}

impl Step {
    fn to(state: AppState) -> Self {
        Self::To {
            state,
            failed: false,
        }
    }

    fn failed(state: AppState) -> Self {
        Self::To {
            state,
            failed: true,
        }
    }
}

/// Runs `steps` one `step` apart for the record's operation `op_id`; stops early when a
/// later operation took the record over or the simulator stops.
fn walk(shared: &Arc<Shared>, owner: String, app: String, op_id: String, steps: Vec<Step>) {
    let shared_for_task = Arc::clone(shared);
    shared.tracker.spawn(async move {
        let shared = shared_for_task;
        for step in steps {
            tokio::select! {
                () = shared.stop.cancelled() => return,
                () = tokio::time::sleep(shared.config.step) => {}
            }
            let (state, failed) = match step {
                Step::Crash => {
                    shared.crash();
                    return;
                }
                Step::To { state, failed } => (state, failed),
            };
            let mut st = shared.lock();
            let Some(record) = st.apps.records.get_mut(&(owner.clone(), app.clone())) else {
                return;
            };
            if record.op_id != op_id {
                return;
            }
            record.state = state;
            record.status_time = Utc::now();
            record.progress = match state {
                AppState::Downloading => "100.00".into(),
                _ => String::new(),
            };
            if failed {
                record.reason = state.as_str();
                record.message = format!("simulated {}", state.as_str());
            }
            shared.events.push(event(record));
        }
    });
}

fn entrance_statuses(r: &Record) -> Vec<EntranceStatus> {
    let state = match r.state {
        AppState::Running => "running",
        AppState::Stopped | AppState::Stopping => "stopped",
        _ => "notReady",
    };
    r.entrances
        .iter()
        .map(|e| EntranceStatus {
            name: e.name.clone(),
            state: state.into(),
            status_time: go_time(r.status_time),
            reason: String::new(),
        })
        .collect()
}

fn event(r: &Record) -> StateEvent {
    let now = Utc::now();
    StateEvent {
        event_id: format!("{}-{}-{}", r.owner, r.name, now.timestamp_millis()),
        create_time: go_time(now),
        name: r.name.clone(),
        raw_app_name: r.raw_app_name.clone(),
        kind: "app".into(),
        op_type: r.op_type,
        op_id: r.op_id.clone(),
        state: r.state,
        progress: r.progress.clone(),
        user: r.owner.clone(),
        market_source: r.market_source.clone(),
        reason: r.reason.clone(),
        message: r.message.clone(),
        title: r.title.clone(),
        entrance_statuses: entrance_statuses(r),
    }
}

/// `md5(name)[:8]`, app-service's appid of a non-system app.
fn appid(name: &str) -> String {
    use md5::Digest as _;
    hex::encode(md5::Md5::digest(name.as_bytes()))[..8].to_owned()
}

fn application(r: &Record) -> Application {
    let entrances = r
        .entrances
        .iter()
        .filter_map(|e| serde_json::to_value(e).ok())
        .collect();
    Application {
        metadata: ObjectMeta {
            name: manager_name(&r.name, &r.owner),
            creation_timestamp: r.created.to_rfc3339_opts(SecondsFormat::Secs, true),
        },
        spec: ApplicationSpec {
            name: r.name.clone(),
            raw_app_name: r.raw_app_name.clone(),
            appid: appid(&r.name),
            is_sys_app: false,
            namespace: format!("{}-{}", r.name, r.owner),
            owner: r.owner.clone(),
            entrances,
            icon: r.icon.clone(),
            settings: [
                ("title".to_owned(), r.title.clone()),
                ("version".to_owned(), r.version.clone()),
                ("market_source".to_owned(), r.market_source.clone()),
            ]
            .into_iter()
            .collect(),
        },
        status: ApplicationStatus {
            state: r.state,
            progress: String::new(),
            update_time: go_time(r.status_time),
            status_time: go_time(r.status_time),
            entrance_statuses: entrance_statuses(r),
        },
    }
}
