//! The catalog: every app of a folder of chart folders, read into an immutable
//! [`Snapshot`] that handlers share, and rebuilt on [`Catalog::reload`]. A folder that is not
//! a listable app is skipped with its reason (logged, and kept in [`Snapshot::skipped`]);
//! it never takes the catalog down.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};

use market_model::protocol::{AppsInfoRequest, AppsInfoResponse};

use crate::compat::OsFilter;
use crate::publish::{PublishedApp, publish};
use crate::view::View;

/// A catalog served from a folder; cheap to share (`Arc<Catalog>`), reloadable in place.
#[derive(Debug)]
pub struct Catalog {
    dir: PathBuf,
    current: RwLock<Arc<Snapshot>>,
    /// Serializes rebuilds, so two reloads cannot race their swaps out of order.
    reloading: Mutex<()>,
}

/// Why the catalog folder itself could not be read (a bad app folder is never an error).
#[derive(Debug, thiserror::Error)]
#[error("cannot read the catalog folder {dir}: {source}")]
pub struct CatalogError {
    /// The catalog folder.
    pub dir: PathBuf,
    /// Why listing it failed.
    #[source]
    pub source: std::io::Error,
}

/// A folder of the catalog that is not published, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedApp {
    /// The folder name, relative to the catalog folder.
    pub folder: String,
    /// Why it is not published.
    pub reason: SkipReason,
}

/// Why a folder is not published.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    /// `.remove` and no `Chart.yaml`: the app was removed from the catalog.
    #[error("removed: the folder holds `.remove` and no Chart.yaml")]
    Tombstone,
    #[error("not a chart: the folder has no Chart.yaml")]
    NotAChart,
    #[error("unreadable: {0}")]
    Unreadable(String),
    /// The chart or its manifest does not parse, does not render, or is inconsistent.
    #[error("invalid app: {0}")]
    InvalidApp(String),
    /// The package could not be written, or breaks a limit of the capped reader.
    #[error("cannot package: {0}")]
    Package(String),
    #[error("app {name:?} is already published from folder {first:?}")]
    DuplicateName { name: String, first: String },
    /// Two names whose MD5 starts alike: ids would clash.
    #[error("app id {id} of {name:?} is already the id of the app in folder {first:?}")]
    DuplicateId {
        id: String,
        name: String,
        first: String,
    },
}

impl Catalog {
    /// Reads every app of `dir`. Fails only when `dir` itself cannot be listed.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Catalog, CatalogError> {
        let dir = dir.into();
        let snapshot = Snapshot::build(&dir, None)?;
        Ok(Catalog {
            dir,
            current: RwLock::new(Arc::new(snapshot)),
            reloading: Mutex::new(()),
        })
    }

    /// Reads the folder again and serves the result from now on; requests under way keep
    /// the snapshot they started with. On error the current snapshot stays. Blocking: call
    /// it from `spawn_blocking` in async code.
    pub fn reload(&self) -> Result<Arc<Snapshot>, CatalogError> {
        let _one_at_a_time = self
            .reloading
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let previous = self.snapshot();
        let next = Arc::new(Snapshot::build(&self.dir, Some(&previous))?);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::clone(&next);
        Ok(next)
    }

    /// The snapshot served now.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The catalog folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// One reading of the catalog folder. Immutable, apart from a cache of per-version views.
#[derive(Debug)]
pub struct Snapshot {
    /// Sorted by name.
    apps: Vec<PublishedApp>,
    by_id: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
    skipped: Vec<SkippedApp>,
    digest: String,
    last_updated: DateTime<Utc>,
    /// Views by `version` query, built on first use.
    views: RwLock<HashMap<String, Arc<View>>>,
}

/// Views kept per snapshot; past this the cache starts over (a client inventing versions
/// cannot grow memory without bound).
const MAX_CACHED_VIEWS: usize = 64;

impl Snapshot {
    fn build(dir: &Path, previous: Option<&Snapshot>) -> Result<Snapshot, CatalogError> {
        let error = |source| CatalogError {
            dir: dir.to_owned(),
            source,
        };
        let mut folders: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
            .map_err(error)?
            .filter_map(Result::ok)
            .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
            // Like upstream: only folders, and not hidden ones (`.git`, `.github`).
            .filter(|(name, path)| !name.starts_with('.') && path.is_dir())
            .collect();
        folders.sort();
        let mut by_name: BTreeMap<String, PublishedApp> = BTreeMap::new();
        let mut ids: HashMap<String, String> = HashMap::new();
        let mut skipped = Vec::new();
        for (folder, path) in folders {
            let outcome = publish(&path, &folder).and_then(|app| unique(app, &by_name, &ids));
            match outcome {
                Ok(app) => {
                    ids.insert(app.id().to_owned(), folder);
                    by_name.insert(app.name().to_owned(), app);
                }
                Err(reason) => {
                    match reason {
                        SkipReason::Tombstone => {
                            tracing::info!(folder, %reason, "app folder skipped")
                        }
                        _ => tracing::warn!(folder, %reason, "app folder skipped"),
                    }
                    skipped.push(SkippedApp { folder, reason });
                }
            }
        }
        let apps: Vec<PublishedApp> = by_name.into_values().collect();
        let digest = catalog_digest(&apps);
        // The time the content last changed, as far as this process saw it.
        let last_updated = match previous {
            Some(p) if p.digest == digest => p.last_updated,
            _ => Utc::now().trunc_subsecs(0),
        };
        tracing::info!(
            dir = %dir.display(),
            apps = apps.len(),
            skipped = skipped.len(),
            digest,
            "catalog read"
        );
        Ok(Snapshot {
            by_id: index(&apps, |a| a.id()),
            by_name: index(&apps, |a| a.name()),
            apps,
            skipped,
            digest,
            last_updated,
            views: RwLock::new(HashMap::new()),
        })
    }

    /// Every published app, sorted by name (delisted ones included, with their labels).
    pub fn apps(&self) -> &[PublishedApp] {
        &self.apps
    }

    /// The app with this id.
    pub fn app_by_id(&self, id: &str) -> Option<&PublishedApp> {
        self.by_id.get(id).map(|&i| &self.apps[i])
    }

    /// The app with this name.
    pub fn app(&self, name: &str) -> Option<&PublishedApp> {
        self.by_name.get(name).map(|&i| &self.apps[i])
    }

    /// The folders that were not published, in folder order.
    pub fn skipped(&self) -> &[SkippedApp] {
        &self.skipped
    }

    /// SHA-256 over every published app's digest: changes whenever any content does.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// When this content was first read (kept across reloads that change nothing).
    pub fn last_updated(&self) -> DateTime<Utc> {
        self.last_updated
    }

    /// The listing for a `version` query (the request's text, `""` when absent).
    pub fn view(&self, version: &str) -> Arc<View> {
        let cached = self.views.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(view) = cached.get(version) {
            return Arc::clone(view);
        }
        drop(cached);
        // Two first requests may both build the view; they build the same one.
        let view = Arc::new(View::build(self, version, &OsFilter::from_query(version)));
        let mut views = self.views.write().unwrap_or_else(PoisonError::into_inner);
        if views.len() >= MAX_CACHED_VIEWS {
            views.clear();
        }
        views.insert(version.to_owned(), Arc::clone(&view));
        view
    }

    /// Details of the apps named in `request` (at most [`MAX_APP_IDS`], checked by the
    /// caller). Like upstream's per-id lookup, the Olares version does not hide an app here.
    ///
    /// [`MAX_APP_IDS`]: market_model::protocol::MAX_APP_IDS
    pub fn details(&self, request: &AppsInfoRequest) -> AppsInfoResponse {
        let mut response = AppsInfoResponse {
            version: request.version.clone(),
            ..AppsInfoResponse::default()
        };
        for id in &request.app_ids {
            match self.app_by_id(id) {
                Some(app) => {
                    response.apps.insert(id.clone(), app.entry().clone());
                }
                None => response.not_found.push(id.clone()),
            }
        }
        response
    }
}

/// `app`, unless its name or id is taken already.
fn unique(
    app: PublishedApp,
    by_name: &BTreeMap<String, PublishedApp>,
    ids: &HashMap<String, String>,
) -> Result<PublishedApp, SkipReason> {
    if let Some(first) = by_name.get(app.name()) {
        return Err(SkipReason::DuplicateName {
            name: app.name().to_owned(),
            first: first.folder().to_owned(),
        });
    }
    if let Some(first) = ids.get(app.id()) {
        return Err(SkipReason::DuplicateId {
            id: app.id().to_owned(),
            name: app.name().to_owned(),
            first: first.clone(),
        });
    }
    Ok(app)
}

fn index(apps: &[PublishedApp], key: impl Fn(&PublishedApp) -> &str) -> HashMap<String, usize> {
    apps.iter()
        .enumerate()
        .map(|(i, app)| (key(app).to_owned(), i))
        .collect()
}

fn catalog_digest(apps: &[PublishedApp]) -> String {
    let mut hasher = Sha256::new();
    for app in apps {
        hasher.update(app.id().as_bytes());
        hasher.update(b":");
        hasher.update(app.digest().as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}
