//! Market configuration: DESIGN.md §2 settings, loaded once and parsed into
//! typed values. A bad setting is refused here, by its environment name.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use service_runtime::config::de;
use service_runtime::{ConfigError, LayeredConfig, LogFormat};
use url::Url;

/// The layers of market's configuration (`MARKET_*`).
pub const LAYERS: LayeredConfig = LayeredConfig {
    env_prefix: "MARKET_",
};

/// The settings as layered, before parsing.
#[derive(Debug, Serialize, Deserialize)]
struct RawConfig {
    #[serde(deserialize_with = "de::string")]
    listen: String,
    #[serde(deserialize_with = "de::string")]
    data_dir: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    database_url: Option<String>,
    #[serde(deserialize_with = "de::string")]
    chart_repo_url: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    chart_repo_public_url: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    chart_repo_token: Option<String>,
    #[serde(deserialize_with = "de::string")]
    app_service_url: String,
    #[serde(deserialize_with = "de::list")]
    users: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    remote_source_url: Option<String>,
    #[serde(deserialize_with = "de::string")]
    olares_version: String,
    log_format: LogFormat,
    task_workers: usize,
    hydration_concurrency: usize,
    #[serde(deserialize_with = "de::string")]
    sync_interval: String,
    #[serde(deserialize_with = "de::string")]
    app_service_timeout: String,
    #[serde(deserialize_with = "de::string")]
    app_state_poll_interval: String,
    #[serde(deserialize_with = "de::string")]
    task_sync_wait: String,
    #[serde(deserialize_with = "de::string")]
    task_retry_backoff: String,
    #[serde(deserialize_with = "de::string")]
    task_lease: String,
    public_mode: bool,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: "./data/market".into(),
            database_url: None,
            chart_repo_url: "http://127.0.0.1:8082".into(),
            chart_repo_public_url: None,
            chart_repo_token: None,
            app_service_url: "http://127.0.0.1:6755".into(),
            users: vec!["admin:admin".into()],
            remote_source_url: None,
            olares_version: "latest".into(),
            log_format: LogFormat::Pretty,
            task_workers: 8,
            hydration_concurrency: 4,
            sync_interval: "5m".into(),
            app_service_timeout: "30s".into(),
            app_state_poll_interval: "30s".into(),
            task_sync_wait: "60s".into(),
            task_retry_backoff: "2s".into(),
            task_lease: "30s".into(),
            public_mode: false,
        }
    }
}

/// Where the market keeps its data.
#[derive(Clone)]
pub enum DatabaseUrl {
    /// The embedded profile: one SQLite file.
    Sqlite(PathBuf),
    /// The production profile. Kept secret: the URL may carry a password.
    Postgres(SecretString),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Postgres(_) => f.write_str("postgres://[redacted]"),
        }
    }
}

impl DatabaseUrl {
    /// Parses `sqlite://PATH` or `postgres://…` (also `postgresql://`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "sqlite:// needs a file path, e.g. sqlite://./data/market/market.db".into(),
                );
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        let url = Url::parse(raw).map_err(|e| format!("not a URL ({e})"))?;
        match url.scheme() {
            "postgres" | "postgresql" => {
                if url.host_str().is_none_or(str::is_empty) {
                    return Err("a postgres URL needs a host".into());
                }
                Ok(Self::Postgres(SecretString::from(raw.to_owned())))
            }
            other => Err(format!(
                "unknown store scheme {other:?} (expected sqlite:// or postgres://)"
            )),
        }
    }

    /// The URL to hand to the driver.
    pub fn expose(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => url.expose_secret().to_owned(),
        }
    }
}

/// A user known at start (`MARKET_USERS`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSpec {
    pub name: String,
    pub admin: bool,
}

impl UserSpec {
    /// Parses `name` or `name:admin`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let (name, role) = match raw.split_once(':') {
            Some((name, role)) => (name, Some(role)),
            None => (raw, None),
        };
        let admin = match role {
            None => false,
            Some("admin") => true,
            Some(other) => {
                return Err(format!(
                    "user {name:?}: unknown role {other:?} (only \"admin\")"
                ));
            }
        };
        let valid = !name.is_empty()
            && name.len() <= 63
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-');
        if !valid {
            return Err(format!(
                "user name {name:?}: use lower-case letters, digits and '-'"
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            admin,
        })
    }
}

/// The market's configuration, every value parsed.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    pub chart_repo_url: Url,
    pub chart_repo_public_url: Url,
    /// `MARKET_CHART_REPO_TOKEN`: sent as `Authorization: Bearer` to chart-repo's
    /// control API (set it to chart-repo's `CHART_REPO_API_TOKEN`). Redacted in `Debug`.
    pub chart_repo_token: Option<SecretString>,
    pub app_service_url: Url,
    pub users: Vec<UserSpec>,
    /// `MARKET_REMOTE_SOURCE_URL`: the `market.olares` source's base URL (a path prefix
    /// such as `https://host/market` is kept).
    pub remote_source_url: Option<Url>,
    /// `MARKET_OLARES_VERSION` (default `latest`): the Olares version the catalog is
    /// asked for (the source lists the apps compatible with it; `latest`: every app).
    pub olares_version: String,
    pub log_format: LogFormat,
    pub task_workers: usize,
    pub hydration_concurrency: usize,
    pub sync_interval: Duration,
    /// Tasks and app-service: see [`TaskSettings`].
    pub tasks: TaskSettings,
    pub public_mode: bool,
}

/// How tasks talk to app-service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskSettings {
    /// `MARKET_APP_SERVICE_TIMEOUT` (default 30s): one app-service call.
    pub app_service_timeout: Duration,
    /// `MARKET_APP_STATE_POLL_INTERVAL` (default 30s): how often `/all/apps` is
    /// polled to correct drift and finish tasks whose event was missed.
    pub app_state_poll_interval: Duration,
    /// `MARKET_TASK_SYNC_WAIT` (default 60s): how long `"sync": true` waits
    /// before answering 202 with the task id.
    pub sync_wait: Duration,
    /// `MARKET_TASK_RETRY_BACKOFF` (default 2s): the first wait after a
    /// retryable failure, doubling up to 5 min.
    pub retry_backoff: Duration,
    /// `MARKET_TASK_LEASE` (default 30s): how long a worker holds a task
    /// between heartbeats; a task whose holder died is taken over after it.
    pub lease: Duration,
}

impl Default for TaskSettings {
    fn default() -> Self {
        Self {
            app_service_timeout: Duration::from_secs(30),
            app_state_poll_interval: Duration::from_secs(30),
            sync_wait: Duration::from_secs(60),
            retry_backoff: Duration::from_secs(2),
            lease: Duration::from_secs(30),
        }
    }
}

impl Config {
    /// Every setting this service reads, as its environment variable (`MARKET_*`)
    /// with its default (empty when unset by default), sorted by name. From the
    /// settings' own field names, so deployment files can be checked for drift.
    pub fn env_defaults() -> Vec<(String, String)> {
        LAYERS.env_defaults(&RawConfig::default())
    }

    /// Loads defaults, then the TOML file, then `MARKET_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let raw: RawConfig = LAYERS.load(&RawConfig::default(), file)?;
        Self::parse(raw)
    }

    fn parse(raw: RawConfig) -> Result<Self, ConfigError> {
        let RawConfig {
            listen,
            data_dir,
            database_url,
            chart_repo_url,
            chart_repo_public_url,
            chart_repo_token,
            app_service_url,
            users,
            remote_source_url,
            olares_version,
            log_format,
            task_workers,
            hydration_concurrency,
            sync_interval,
            app_service_timeout,
            app_state_poll_interval,
            task_sync_wait,
            task_retry_backoff,
            task_lease,
            public_mode,
        } = raw;
        let bad = |key: &str, reason: String| ConfigError::new(LAYERS.env_name(key), reason);
        let url = |key: &str, value: &str| http_url(value).map_err(|reason| bad(key, reason));
        if olares_version.trim().is_empty() {
            return Err(bad(
                "olares_version",
                "must not be empty (e.g. 1.12.3, or latest for every app)".into(),
            ));
        }

        let listen = listen.parse().map_err(|_| {
            bad(
                "listen",
                format!("{listen:?} is not an address like 127.0.0.1:8080"),
            )
        })?;
        let data_dir = PathBuf::from(data_dir);
        let database = match database_url {
            Some(raw) => DatabaseUrl::parse(&raw).map_err(|reason| bad("database_url", reason))?,
            None => DatabaseUrl::Sqlite(data_dir.join("market.db")),
        };
        let chart_repo_url = url("chart_repo_url", &chart_repo_url)?;
        let chart_repo_public_url = match chart_repo_public_url {
            Some(raw) => url("chart_repo_public_url", &raw)?,
            None => chart_repo_url.clone(),
        };
        let app_service_url = url("app_service_url", &app_service_url)?;
        let chart_repo_token = match chart_repo_token {
            None => None,
            Some(t) if t.is_empty() => None,
            Some(t) if t.trim() != t || t.chars().any(char::is_control) => {
                return Err(bad(
                    "chart_repo_token",
                    "must not contain spaces at either end or control characters".into(),
                ));
            }
            Some(t) => Some(SecretString::from(t)),
        };
        let remote_source_url = remote_source_url
            .map(|raw| url("remote_source_url", &raw))
            .transpose()?;
        let users = users
            .iter()
            .map(|u| UserSpec::parse(u))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|reason| bad("users", reason))?;
        match users.iter().filter(|u| u.admin).count() {
            1 => {}
            0 => {
                return Err(bad(
                    "users",
                    "mark exactly one user as admin, e.g. alice:admin,bob".into(),
                ));
            }
            _ => return Err(bad("users", "more than one user is marked :admin".into())),
        }
        if task_workers == 0 {
            return Err(bad("task_workers", "must be at least 1".into()));
        }
        if hydration_concurrency == 0 {
            return Err(bad("hydration_concurrency", "must be at least 1".into()));
        }
        let sync_interval = humantime::parse_duration(&sync_interval).map_err(|e| {
            bad(
                "sync_interval",
                format!("{sync_interval:?}: {e} (e.g. 5m, 30s)"),
            )
        })?;
        let duration = |key: &str, raw: &str| {
            humantime::parse_duration(raw)
                .map_err(|e| bad(key, format!("{raw:?}: {e} (e.g. 30s, 2m)")))
                .and_then(|d| {
                    if d.is_zero() {
                        Err(bad(key, "must be more than zero".into()))
                    } else {
                        Ok(d)
                    }
                })
        };
        let tasks = TaskSettings {
            app_service_timeout: duration("app_service_timeout", &app_service_timeout)?,
            app_state_poll_interval: duration("app_state_poll_interval", &app_state_poll_interval)?,
            sync_wait: duration("task_sync_wait", &task_sync_wait)?,
            retry_backoff: duration("task_retry_backoff", &task_retry_backoff)?,
            lease: duration("task_lease", &task_lease)?,
        };
        Ok(Self {
            listen,
            data_dir,
            database,
            chart_repo_url,
            chart_repo_public_url,
            chart_repo_token,
            app_service_url,
            users,
            remote_source_url,
            olares_version,
            log_format,
            task_workers,
            hydration_concurrency,
            sync_interval,
            tasks,
            public_mode,
        })
    }

    /// The configured admin (exactly one exists, checked at parse).
    pub fn admin(&self) -> &str {
        self.users
            .iter()
            .find(|u| u.admin)
            .map_or("admin", |u| u.name.as_str())
    }
}

/// Parses an http(s) URL.
fn http_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("{raw:?} is not a URL ({e})"))?;
    match url.scheme() {
        "http" | "https" if url.host_str().is_some() => Ok(url),
        _ => Err(format!("{raw:?} is not an http:// or https:// URL")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(f: impl FnOnce(&mut RawConfig)) -> Result<Config, ConfigError> {
        let mut raw = RawConfig::default();
        f(&mut raw);
        Config::parse(raw)
    }

    #[test]
    fn defaults_are_the_embedded_profile() {
        let c = with(|_| {}).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(matches!(&c.database, DatabaseUrl::Sqlite(p) if p.ends_with("market.db")));
        assert_eq!(c.chart_repo_public_url, c.chart_repo_url);
        assert_eq!(c.admin(), "admin");
        assert_eq!(c.sync_interval, Duration::from_secs(300));
    }

    #[test]
    fn unknown_store_scheme_is_named() {
        let err = with(|r| r.database_url = Some("mysql://h/db".into())).unwrap_err();
        assert_eq!(err.setting, "MARKET_DATABASE_URL");
        assert!(
            err.reason.contains("unknown store scheme \"mysql\""),
            "{}",
            err.reason
        );
    }

    #[test]
    fn unparseable_url_is_named() {
        let err = with(|r| r.chart_repo_url = "http//nope".into()).unwrap_err();
        assert_eq!(err.setting, "MARKET_CHART_REPO_URL");
    }

    #[test]
    fn users_need_exactly_one_admin() {
        let c = with(|r| r.users = vec!["alice:admin".into(), "bob".into()]).unwrap();
        assert_eq!(c.admin(), "alice");
        assert_eq!(
            with(|r| r.users = vec!["bob".into()]).unwrap_err().setting,
            "MARKET_USERS"
        );
        assert!(with(|r| r.users = vec!["a:admin".into(), "b:admin".into()]).is_err());
        assert!(with(|r| r.users = vec!["Alice:admin".into()]).is_err());
    }

    #[test]
    fn remote_source_url_is_a_url_with_its_prefix() {
        let c = with(|r| r.remote_source_url = Some("https://h.example/market".into())).unwrap();
        let url = c.remote_source_url.unwrap();
        assert_eq!(url.path(), "/market");
        let err = with(|r| r.remote_source_url = Some("ftp://h/x".into())).unwrap_err();
        assert_eq!(err.setting, "MARKET_REMOTE_SOURCE_URL");
        assert!(with(|_| {}).unwrap().remote_source_url.is_none());
    }

    #[test]
    fn chart_repo_token_is_optional_and_redacted() {
        assert!(with(|_| {}).unwrap().chart_repo_token.is_none());
        assert!(
            with(|r| r.chart_repo_token = Some(String::new()))
                .unwrap()
                .chart_repo_token
                .is_none()
        );
        let c = with(|r| r.chart_repo_token = Some("t0ken".into())).unwrap();
        assert_eq!(
            c.chart_repo_token.as_ref().unwrap().expose_secret(),
            "t0ken"
        );
        assert!(!format!("{c:?}").contains("t0ken"));
        let err = with(|r| r.chart_repo_token = Some(" t ".into())).unwrap_err();
        assert_eq!(err.setting, "MARKET_CHART_REPO_TOKEN");
    }

    #[test]
    fn postgres_url_is_redacted_in_debug() {
        let db = DatabaseUrl::parse("postgres://u:secret@127.0.0.1:5432/market").unwrap();
        assert!(!format!("{db:?}").contains("secret"));
        assert!(db.expose().contains("secret"));
    }
}
