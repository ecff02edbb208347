//! What one user sees of the catalog: the visible sources (the active remote
//! and every local source), each with its listing and the user's rendered apps
//! (the `SyncAppPayload`s chart-repo returned), shaped as Olares' market
//! answers `/market/*` and `POST /apps` (DESIGN.md §5.1; the differences are in
//! `docs/api.md`, "market API").
//!
//! Everything here reads the store and builds values; the handlers in `api/`
//! only extract, call one of these and answer. A user never sees another
//! user's rendered apps: every read is keyed by the caller.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use market_model::{MarketSource, SourceType};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::store::{CatalogMeta, MarketStore, StoreError, UserApp, UserAppHead, UserAppStatus};

/// Olares' `AppDataType` of a rendered app.
pub const APP_INFO_LATEST: &str = "app-info-latest";

/// One visible source with its catalog metadata and the user's apps in it.
pub struct SourceView {
    pub source: MarketSource,
    pub meta: Option<CatalogMeta>,
    /// The user's apps of this source (any status), by name.
    pub apps: Vec<UserApp>,
    /// app-service's reported states of the user's apps from this source
    /// (Olares' `AppStateLatestData` shape), by app name.
    pub app_states: Vec<Value>,
}

/// The user's view of every visible source, by priority then id.
pub struct UserView {
    pub user: String,
    pub sources: Vec<SourceView>,
}

/// One reported app state as Olares' `AppStateLatestData`.
fn app_state_latest(record: &crate::store::AppStateRecord) -> Value {
    let d = &record.doc;
    serde_json::json!({
        "type": "app-state-latest",
        "version": "",
        "status": {
            "name": record.app_name, "rawAppName": d["rawAppName"], "state": record.state,
            "progress": d["progress"], "opType": d["opType"], "reason": d["reason"],
            "message": d["message"], "statusTime": d["createTime"],
            "updateTime": record.updated_at.to_rfc3339(),
            "entranceStatuses": d["entranceStatuses"],
        }
    })
}

/// The user's app states of one source, as `/market/data` shows them.
fn states_of<'a>(
    states: &'a [crate::store::AppStateRecord],
    source: &'a MarketSource,
) -> impl Iterator<Item = Value> + 'a {
    states
        .iter()
        .filter(|s| s.doc["marketSource"].as_str() == Some(source.id.as_str()))
        .map(app_state_latest)
}

impl UserView {
    /// Reads the visible sources, their catalog metadata and the user's apps.
    pub async fn load(store: &dyn MarketStore, user: &str) -> Result<Self, StoreError> {
        let mut apps_by_source: BTreeMap<String, Vec<UserApp>> = BTreeMap::new();
        for app in store.user_apps(user, None).await? {
            apps_by_source
                .entry(app.source.to_string())
                .or_default()
                .push(app);
        }
        let states = store.app_states(user).await?;
        let mut sources = Vec::new();
        for source in store.sources().await? {
            if !is_visible(&source) {
                continue;
            }
            let meta = store.catalog_meta(&source.id).await?;
            let apps = apps_by_source
                .remove(source.id.as_str())
                .unwrap_or_default();
            let app_states = states_of(&states, &source).collect();
            sources.push(SourceView {
                source,
                meta,
                apps,
                app_states,
            });
        }
        Ok(Self {
            user: user.to_owned(),
            sources,
        })
    }

    /// A digest of everything `/market/data` shows this user: each visible
    /// source's catalog hash, each of the user's apps (version, status,
    /// last change) and app states. Equal hashes mean an equal `/market/data` (but for its
    /// `timestamp`).
    pub fn hash(&self) -> String {
        let mut digest = ViewDigest::default();
        for view in &self.sources {
            digest.source(&view.source, view.meta.as_ref().map(|m| m.hash.as_str()));
            for app in &view.apps {
                digest.app(&UserAppHead::from(app));
            }
            for state in &view.app_states {
                digest.state(state);
            }
        }
        digest.finish()
    }

    /// The ready apps of one source (those with a rendered payload).
    fn rendered(view: &SourceView) -> impl Iterator<Item = (&UserApp, &Value)> {
        view.apps
            .iter()
            .filter_map(|a| a.payload.as_ref().map(|p| (a, p)))
    }

    /// `GET /market/data`.
    pub fn market_data(&self, now: DateTime<Utc>) -> MarketData {
        let hash = self.hash();
        let sources = self
            .sources
            .iter()
            .map(|view| {
                let data = SourceData {
                    kind: view.source.kind.as_str().to_owned(),
                    app_state_latest: view.app_states.clone(),
                    app_info_latest: Self::rendered(view)
                        .map(|(app, p)| app_info_latest(app, p, true))
                        .collect(),
                    others: view.meta.as_ref().map(others),
                    app_hydration: view
                        .apps
                        .iter()
                        .filter(|a| a.status != UserAppStatus::Ready)
                        .map(HydrationState::of)
                        .collect(),
                };
                (view.source.id.to_string(), data)
            })
            .collect();
        MarketData {
            user_data: UserData { sources, hash },
            user_id: self.user.clone(),
            timestamp: now.timestamp(),
        }
    }

    /// `GET /market/state` (`with_apps: false`) and `/market/statesimple`.
    pub fn market_state(&self, with_apps: bool, now: DateTime<Utc>) -> MarketState {
        let hash = self.hash();
        let sources = self
            .sources
            .iter()
            .map(|view| {
                let apps = with_apps.then(|| {
                    Self::rendered(view)
                        .map(|(app, p)| app_info_latest(app, p, false))
                        .collect()
                });
                let data = SourceState {
                    kind: view.source.kind.as_str().to_owned(),
                    app_info_latest: apps,
                    app_state_latest: view.app_states.clone(),
                };
                (view.source.id.to_string(), data)
            })
            .collect();
        MarketState {
            user_data: UserStateData { sources, hash },
            user_id: self.user.clone(),
            timestamp: now.timestamp(),
        }
    }

    /// `POST /apps` over a loaded view: each asked app the user has rendered, in the
    /// order asked; the others in `not_found`. `appid` is the app name (as Olares'
    /// clients send it) or the 8-hex app id. The handler calls [`app_details`], which
    /// reads only the asked apps and answers the same (`tests/api/store_views.rs`).
    pub fn app_details(&self, asked: &[AppQuery]) -> AppsInfo {
        answer_apps(asked, |source| {
            self.sources
                .iter()
                .find(|v| v.source.id.as_str() == source)
                .into_iter()
                .flat_map(|v| v.apps.iter())
        })
    }

    /// `POST /apps/version-history`: the versions of `app_name` as the user's
    /// rendered app (or, before it is rendered, the catalog entry) lists them.
    pub fn version_history(&self, app_name: &str) -> Vec<VersionRecord> {
        for view in &self.sources {
            for (app, payload) in Self::rendered(view) {
                if app.app_name != app_name {
                    continue;
                }
                let list = payload
                    .get("version_history")
                    .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
                    .or_else(|| payload.pointer("/raw_data/versionHistory"));
                if let Some(Value::Array(items)) = list {
                    return items
                        .iter()
                        .filter_map(|v| serde_json::from_value(v.clone()).ok())
                        .collect();
                }
            }
        }
        Vec::new()
    }
}

/// What [`UserView::hash`] digests, fed in the view's order: each visible source (its
/// id, type and catalog hash), then each of the user's apps of it.
#[derive(Default)]
struct ViewDigest(Sha256);

impl ViewDigest {
    fn source(&mut self, source: &MarketSource, catalog_hash: Option<&str>) {
        let hash = catalog_hash.unwrap_or("");
        self.0.update(format!(
            "s\t{}\t{}\t{hash}\n",
            source.id,
            source.kind.as_str()
        ));
    }

    fn app(&mut self, app: &UserAppHead) {
        self.0.update(format!(
            "a\t{}\t{}\t{}\t{}\n",
            app.app_name,
            app.version,
            app.status.as_str(),
            app.updated_at.timestamp_millis()
        ));
    }

    /// One app state as `/market/data` shows it (`app_state_latest`).
    fn state(&mut self, state: &Value) {
        self.0.update(format!("t\t{state}\n"));
    }

    fn finish(self) -> String {
        hex::encode(self.0.finalize())
    }
}

/// [`UserView::hash`] without loading payloads or listings: the visible sources, their
/// catalog hashes, the heads of the user's apps and their app states.
pub async fn user_hash(store: &dyn MarketStore, user: &str) -> Result<String, StoreError> {
    let mut heads_by_source: BTreeMap<String, Vec<UserAppHead>> = BTreeMap::new();
    for head in store.user_app_heads(user).await? {
        heads_by_source
            .entry(head.source.to_string())
            .or_default()
            .push(head);
    }
    let states = store.app_states(user).await?;
    let mut digest = ViewDigest::default();
    for source in store.sources().await? {
        if !is_visible(&source) {
            continue;
        }
        let catalog_hash = store.catalog_hash(&source.id).await?;
        digest.source(&source, catalog_hash.as_deref());
        for head in heads_by_source
            .remove(source.id.as_str())
            .unwrap_or_default()
        {
            digest.app(&head);
        }
        for state in states_of(&states, &source) {
            digest.state(&state);
        }
    }
    Ok(digest.finish())
}

/// Each user's hash ([`user_hash`]), kept while the store's
/// [`view_revision`](MarketStore::view_revision) stays the same: `GET /market/hash`
/// (polled by every open frontend) and `/market/data`'s 304s then cost one small read.
#[derive(Debug, Default)]
pub struct HashCache {
    /// User → (the revision read before the hash was computed, the hash).
    by_user: Mutex<HashMap<String, (i64, String)>>,
}

impl HashCache {
    /// The user's hash, as [`user_hash`] computes it now.
    pub async fn hash(&self, store: &dyn MarketStore, user: &str) -> Result<String, StoreError> {
        // Read before the hash's inputs: any change committed after this read moves the
        // revision past it, so a hash kept under it is never served after such a change
        // (one committed between the two reads only makes the kept hash newer).
        let revision = store.view_revision().await?;
        if let Some(hash) = self.kept(user, revision) {
            return Ok(hash);
        }
        let hash = user_hash(store, user).await?;
        if let Ok(mut by_user) = self.by_user.lock() {
            let newer = by_user.get(user).is_some_and(|(r, _)| *r > revision);
            if !newer {
                by_user.insert(user.to_owned(), (revision, hash.clone()));
            }
        }
        Ok(hash)
    }

    fn kept(&self, user: &str, revision: i64) -> Option<String> {
        let by_user = self.by_user.lock().ok()?;
        let (kept_at, hash) = by_user.get(user)?;
        (*kept_at == revision).then(|| hash.clone())
    }
}

/// One user's `/market/data` answer, serialized, with the revision it was built at.
#[derive(Clone, Debug)]
pub struct DataBody {
    revision: i64,
    /// The caller's hash: the answer's `ETag` (unquoted).
    pub hash: String,
    pub body: axum::body::Bytes,
}

/// Each user's `/market/data` answer, kept while the store's
/// [`view_revision`](MarketStore::view_revision) stays the same: one build (every
/// rendered payload read and cut down) serves every 200 until something the user sees
/// changes. Concurrent requests of one user wait for one build instead of each running
/// their own; at most [`DataCache::MAX_BYTES`] of answers are kept, the least recently
/// used dropped first. The answer's `timestamp` is the time of its build.
#[derive(Debug, Default)]
pub struct DataCache {
    by_user: Mutex<HashMap<String, DataSlot>>,
    /// Counts requests: a slot's `last_used` is the count at its latest one.
    clock: std::sync::atomic::AtomicU64,
}

#[derive(Debug, Clone, Default)]
struct DataSlot {
    /// Held while the user's answer is built.
    build: std::sync::Arc<tokio::sync::Mutex<Option<DataBody>>>,
    last_used: u64,
    size: usize,
}

impl DataCache {
    /// The most answer bytes kept over all users.
    pub const MAX_BYTES: usize = 128 * 1024 * 1024;

    /// The user's `/market/data` answer as of now, built when the kept one is stale.
    pub async fn body(
        &self,
        store: &dyn MarketStore,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<DataBody, StoreError> {
        // Read before the answer's inputs (as in [`HashCache::hash`]).
        let revision = store.view_revision().await?;
        let slot = self.slot(user);
        let mut kept = slot.lock().await;
        if let Some(body) = kept.as_ref().filter(|b| b.revision == revision) {
            return Ok(body.clone());
        }
        let view = UserView::load(store, user).await?;
        let hash = view.hash();
        let body = serde_json::to_vec(&market_model::Envelope::ok(view.market_data(now)))
            .map_err(|e| StoreError::Corrupt(format!("serializing /market/data: {e}")))?;
        drop(view);
        let built = DataBody {
            revision,
            hash,
            body: body.into(),
        };
        *kept = Some(built.clone());
        drop(kept);
        self.account(user, built.body.len());
        Ok(built)
    }

    fn slot(&self, user: &str) -> std::sync::Arc<tokio::sync::Mutex<Option<DataBody>>> {
        let tick = self
            .clock
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        let slot = by_user.entry(user.to_owned()).or_default();
        slot.last_used = tick;
        slot.build.clone()
    }

    /// Records the size of a user's new answer and drops the least recently used
    /// others' while the total is over [`Self::MAX_BYTES`].
    fn account(&self, user: &str, size: usize) {
        let mut by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = by_user.get_mut(user) {
            slot.size = size;
        }
        let mut total: usize = by_user.values().map(|s| s.size).sum();
        while total > Self::MAX_BYTES {
            let Some(oldest) = by_user
                .iter()
                .filter(|(name, s)| name.as_str() != user && s.size > 0)
                .min_by_key(|(_, s)| s.last_used)
                .map(|(name, _)| name.clone())
            else {
                break;
            };
            if let Some(slot) = by_user.remove(&oldest) {
                total -= slot.size;
            }
        }
    }
}

/// `POST /apps`: each asked app the user has rendered, in the order asked; the others
/// in `not_found`. `appid` is the app name (as Olares' clients send it) or the 8-hex app
/// id; only visible sources count. Reads the asked apps only, not the user's whole view.
pub async fn app_details(
    store: &dyn MarketStore,
    user: &str,
    asked: &[AppQuery],
) -> Result<AppsInfo, StoreError> {
    let mut keys_by_source: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for q in asked {
        keys_by_source
            .entry(q.source_data_name.as_str())
            .or_default()
            .push(q.appid.clone());
    }
    let mut apps_by_source: HashMap<String, Vec<UserApp>> = HashMap::new();
    for source in store.sources().await? {
        let Some(keys) = keys_by_source.remove(source.id.as_str()) else {
            continue;
        };
        if is_visible(&source) {
            let apps = store.user_apps_matching(user, &source.id, &keys).await?;
            apps_by_source.insert(source.id.to_string(), apps);
        }
    }
    Ok(answer_apps(asked, |source| {
        apps_by_source.get(source).into_iter().flatten()
    }))
}

/// The `POST /apps` answer: for each asked app, in order, the user's rendered app of that
/// source by name, else by app id; the others in `not_found`. `apps_of(source)` gives
/// the user's apps of one source (rendered or not).
fn answer_apps<'a, I>(asked: &[AppQuery], apps_of: impl Fn(&str) -> I) -> AppsInfo
where
    I: Iterator<Item = &'a UserApp>,
{
    let mut apps = Vec::new();
    let mut not_found = Vec::new();
    for q in asked {
        let rendered = || {
            apps_of(q.source_data_name.as_str()).filter_map(|a| a.payload.as_ref().map(|p| (a, p)))
        };
        let found = rendered()
            .find(|(a, _)| a.app_name == q.appid)
            .or_else(|| rendered().find(|(a, _)| a.app_id == q.appid));
        match found {
            Some((app, payload)) => apps.push(app_detail(app, payload)),
            None => not_found.push(q.clone()),
        }
    }
    AppsInfo {
        total_count: apps.len(),
        apps,
        not_found,
    }
}

/// The active remote source and every local source (inactive remotes are not
/// part of what users see).
pub fn is_visible(source: &MarketSource) -> bool {
    source.kind == SourceType::Local || source.is_active
}

/// Olares' `Others`: the source's hash, version and listing (topics,
/// recommends, pages, tops, latest, tags…).
fn others(meta: &CatalogMeta) -> Value {
    let mut out = match &meta.listing {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    out.insert("hash".into(), Value::String(meta.hash.clone()));
    out.insert("version".into(), Value::String(meta.version.clone()));
    Value::Object(out)
}

/// Olares' map form of `AppSimpleInfo`: empty optional fields left out,
/// `support_arch` always present, `app_labels` from the catalog entry.
fn simple_info(app: &UserApp, payload: &Value) -> Value {
    let mut out = Map::new();
    let info = payload.get("app_simple_info").and_then(Value::as_object);
    let text = |k: &str| info.and_then(|i| i.get(k)).and_then(Value::as_str);
    out.insert(
        "app_id".into(),
        text("app_id").unwrap_or(&app.app_id).into(),
    );
    out.insert(
        "app_name".into(),
        text("app_name").unwrap_or(&app.app_name).into(),
    );
    out.insert(
        "app_version".into(),
        text("app_version").unwrap_or(&app.version).into(),
    );
    if let Some(info) = info {
        for key in ["app_icon", "app_title", "app_description", "categories"] {
            if let Some(v) = info.get(key).filter(|v| !is_empty(v)) {
                out.insert(key.into(), v.clone());
            }
        }
    }
    let arch = info
        .and_then(|i| i.get("support_arch"))
        .filter(|v| !is_empty(v))
        .or_else(|| payload.pointer("/raw_data/supportArch"))
        .cloned()
        .unwrap_or_else(|| Value::Array(Vec::new()));
    out.insert("support_arch".into(), arch);
    if let Some(labels) = payload
        .pointer("/raw_data/appLabels")
        .filter(|v| !is_empty(v))
    {
        out.insert("app_labels".into(), labels.clone());
    }
    Value::Object(out)
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn payload_version(app: &UserApp, payload: &Value) -> String {
    payload
        .get("version")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or(&app.version)
        .to_owned()
}

fn app_info_latest(app: &UserApp, payload: &Value, full: bool) -> AppInfoLatest {
    AppInfoLatest {
        kind: APP_INFO_LATEST.to_owned(),
        timestamp: payload
            .get("timestamp")
            .and_then(Value::as_i64)
            .unwrap_or_else(|| app.updated_at.timestamp()),
        version: payload_version(app, payload),
        app_simple_info: simple_info(app, payload),
        image_analysis: if full {
            payload
                .get("image_analysis")
                .filter(|v| !v.is_null())
                .cloned()
        } else {
            None
        },
        arch_warnings: if full {
            payload
                .get("arch_warnings")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default()
        } else {
            Vec::new()
        },
    }
}

fn app_detail(app: &UserApp, payload: &Value) -> AppDetail {
    let entry = payload
        .pointer("/app_info/app_entry")
        .filter(|v| v.is_object())
        .or_else(|| payload.get("raw_data").filter(|v| v.is_object()))
        .cloned()
        .unwrap_or(Value::Null);
    let manifest = payload.get("raw_data_ex");
    let field = |k: &str| {
        manifest
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    AppDetail {
        app_info: AppInfo {
            app_entry: entry,
            image_analysis: payload
                .get("image_analysis")
                .filter(|v| !v.is_null())
                .cloned(),
        },
        app_simple_info: simple_info(app, payload),
        manifest_version: field("olaresManifest.version"),
        manifest_type: field("olaresManifest.type"),
        api_version: field("apiVersion"),
        timestamp: payload
            .get("timestamp")
            .and_then(Value::as_i64)
            .unwrap_or_else(|| app.updated_at.timestamp()),
        kind: APP_INFO_LATEST.to_owned(),
        version: payload_version(app, payload),
        raw_package: payload
            .get("raw_package")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        rendered_package: payload
            .get("rendered_package")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    }
}

/// `GET /market/hash`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MarketHash {
    /// Changes whenever anything `/market/data` shows this user changes.
    pub hash: String,
}

/// `GET /market/data`: Olares' `MarketDataResponse`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MarketData {
    pub user_data: UserData,
    pub user_id: String,
    /// Unix seconds.
    pub timestamp: i64,
}

/// Olares' `FilteredUserData`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UserData {
    /// By source id.
    pub sources: BTreeMap<String, SourceData>,
    /// The caller's hash (as `/market/hash`).
    pub hash: String,
}

/// Olares' `FilteredSourceData`, plus `app_hydration` (ours).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SourceData {
    /// `remote` or `local`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Installed apps' states (empty until app-service events are tracked).
    pub app_state_latest: Vec<Value>,
    /// The caller's rendered apps.
    pub app_info_latest: Vec<AppInfoLatest>,
    /// The source's hash, version and listing (topics, recommends, pages, tops,
    /// latest, tags); absent before its first sync.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub others: Option<Value>,
    /// Ours: the caller's apps not rendered (yet): pending, or failed with the reason.
    pub app_hydration: Vec<HydrationState>,
}

/// Olares' `FilteredAppInfoLatestData`, plus the image analysis (ours).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AppInfoLatest {
    /// Always `app-info-latest`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds of the render.
    pub timestamp: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// `{app_id, app_name, app_version, app_icon?, app_title?, app_description?,
    /// categories?, support_arch, app_labels?}`.
    pub app_simple_info: Value,
    /// Ours (`/market/data` only): Olares' `ImageAnalysisResult` shape with our `ImageInfo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_analysis: Option<Value>,
    /// Ours (`/market/data` only): declared architectures the images lack.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub arch_warnings: Vec<String>,
}

/// Ours: where one of the caller's apps is in its hydration.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HydrationState {
    pub app_id: String,
    pub app_name: String,
    pub version: String,
    /// `pending` or `failed`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<HydrationFailure>,
    /// Failed attempts at this version.
    pub attempts: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Ours: why the latest hydration failed.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HydrationFailure {
    pub step: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

impl HydrationState {
    fn of(app: &UserApp) -> Self {
        Self {
            app_id: app.app_id.clone(),
            app_name: app.app_name.clone(),
            version: app.version.clone(),
            status: app.status.as_str().to_owned(),
            failure: app.failure.as_ref().map(|f| HydrationFailure {
                step: f.step.clone(),
                reason: f.reason.clone(),
                at: f.at,
            }),
            attempts: app.attempts,
            next_attempt_at: app.next_attempt_at,
        }
    }
}

/// `GET /market/state` and `/market/statesimple`: Olares' `MarketStateResponse`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MarketState {
    pub user_data: UserStateData,
    pub user_id: String,
    pub timestamp: i64,
}

/// Olares' `FilteredUserDataForState`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UserStateData {
    pub sources: BTreeMap<String, SourceState>,
    pub hash: String,
}

/// Olares' `FilteredSourceDataForState`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SourceState {
    #[serde(rename = "type")]
    pub kind: String,
    /// `/market/statesimple` only: the rendered apps' simple info.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_info_latest: Option<Vec<AppInfoLatest>>,
    pub app_state_latest: Vec<Value>,
}

/// One app asked for by `POST /apps` (Olares' `AppQueryInfo`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppQuery {
    /// The app name (or the 8-hex app id).
    pub appid: String,
    /// The source id.
    #[serde(rename = "sourceDataName")]
    pub source_data_name: String,
}

/// `POST /apps` answer (Olares' `AppsInfoResponse`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AppsInfo {
    pub apps: Vec<AppDetail>,
    pub total_count: usize,
    /// The asked apps the caller has no rendered copy of (always present; may be empty).
    pub not_found: Vec<AppQuery>,
}

/// One app of `POST /apps`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AppDetail {
    pub app_info: AppInfo,
    pub app_simple_info: Value,
    pub manifest_version: String,
    pub manifest_type: String,
    pub api_version: String,
    pub timestamp: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub version: String,
    /// Ours: `sources/{sha256}.tgz` (relative to the user's chart repository).
    pub raw_package: String,
    /// Ours: `charts/{name}-{version}.tgz` (relative to the user's chart repository).
    pub rendered_package: String,
}

/// Olares' `AppInfo`.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AppInfo {
    /// The `ApplicationInfoEntry` as rendered for the caller.
    pub app_entry: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_analysis: Option<Value>,
}

/// One version of `POST /apps/version-history` (Olares' `VersionInfo`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct VersionRecord {
    #[serde(rename = "appName")]
    pub app_name: String,
    pub version: String,
    #[serde(rename = "versionName")]
    pub version_name: String,
    /// RFC 3339.
    #[serde(rename = "mergedAt")]
    pub merged_at: String,
    #[serde(rename = "upgradeDescription")]
    pub upgrade_description: String,
}
