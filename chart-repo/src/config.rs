//! chart-repo configuration: DESIGN.md §2 settings, loaded once and parsed into
//! typed values. A bad setting is refused here, by its environment name.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use service_runtime::config::de;
use service_runtime::{ConfigError, LayeredConfig, LogFormat};
use url::Url;

use crate::packages::{S3Credentials, S3Settings};

/// The layers of chart-repo's configuration (`CHART_REPO_*`).
pub const LAYERS: LayeredConfig = LayeredConfig {
    env_prefix: "CHART_REPO_",
};

#[derive(Serialize, Deserialize)]
struct RawConfig {
    #[serde(deserialize_with = "de::string")]
    listen: String,
    #[serde(deserialize_with = "de::string")]
    data_dir: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    store_url: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    packages: Option<String>,
    /// For `s3://` packages: the service's URL (default AWS's for the region).
    #[serde(default, deserialize_with = "de::opt_string")]
    s3_endpoint: Option<String>,
    #[serde(deserialize_with = "de::string")]
    s3_region: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    s3_access_key_id: Option<String>,
    /// Secret, so never printed.
    #[serde(default, deserialize_with = "de::opt_string")]
    s3_secret_access_key: Option<String>,
    #[serde(deserialize_with = "de::string")]
    zone_suffix: String,
    #[serde(deserialize_with = "de::list")]
    registry_allow: Vec<String>,
    #[serde(default, deserialize_with = "de::list")]
    registry_mirrors: Vec<String>,
    /// `host=user:password,…`; secret, so never printed (see the manual `Debug`).
    #[serde(default, deserialize_with = "de::opt_string")]
    registry_credentials: Option<String>,
    #[serde(deserialize_with = "de::string")]
    registry_deadline: String,
    registry_concurrency: usize,
    #[serde(deserialize_with = "de::string")]
    registry_cache_ttl: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    api_token: Option<String>,
    log_format: LogFormat,
    #[serde(default)]
    workers: Option<usize>,
    #[serde(deserialize_with = "de::string")]
    hydration_lease: String,
    #[serde(deserialize_with = "de::string")]
    retry_backoff: String,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8082".into(),
            data_dir: "./data/chart-repo".into(),
            store_url: None,
            packages: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_access_key_id: None,
            s3_secret_access_key: None,
            zone_suffix: "olares.local".into(),
            registry_allow: vec!["*".into()],
            registry_mirrors: Vec::new(),
            registry_credentials: None,
            registry_deadline: "30s".into(),
            registry_concurrency: 8,
            registry_cache_ttl: "6h".into(),
            api_token: None,
            log_format: LogFormat::Pretty,
            workers: None,
            hydration_lease: "30s".into(),
            retry_backoff: "2s".into(),
        }
    }
}

/// Where chart-repo keeps its records, queue and state changes.
#[derive(Clone)]
pub enum StoreUrl {
    /// The embedded profile: one SQLite file.
    Sqlite(PathBuf),
    /// The production profile. Secret: the URL may carry a password.
    Redis(SecretString),
}

impl std::fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            Self::Redis(_) => f.write_str("redis://[redacted]"),
        }
    }
}

impl StoreUrl {
    /// Parses `sqlite://PATH`, `redis://…` or `rediss://…`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if let Some(path) = raw.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(
                    "sqlite:// needs a file path, e.g. sqlite://./data/chart-repo/chart-repo.db"
                        .into(),
                );
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        let url = Url::parse(raw).map_err(|e| format!("not a URL ({e})"))?;
        match url.scheme() {
            "redis" | "rediss" if url.host_str().is_some_and(|h| !h.is_empty()) => {
                Ok(Self::Redis(SecretString::from(raw.to_owned())))
            }
            "redis" | "rediss" => Err("a redis URL needs a host".into()),
            other => Err(format!(
                "unknown store scheme {other:?} (expected sqlite:// or redis://)"
            )),
        }
    }

    /// The URL to hand to the driver.
    pub fn expose(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Redis(url) => url.expose_secret().to_owned(),
        }
    }
}

/// Where chart packages (source and rendered) are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PackageStore {
    Dir(PathBuf),
    /// A bucket several replicas share.
    S3(S3Settings),
}

/// The `CHART_REPO_S3_*` settings, used with `s3://` packages.
#[derive(Default)]
struct S3Raw {
    endpoint: Option<String>,
    region: String,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
}

impl PackageStore {
    /// Parses `dir:PATH` or `s3://BUCKET[/PREFIX]` (with the S3 settings); an error names
    /// the setting at fault.
    fn parse(raw: &str, s3: S3Raw) -> Result<Self, (&'static str, String)> {
        if let Some(path) = raw.strip_prefix("dir:") {
            if path.is_empty() {
                return Err((
                    "packages",
                    "dir: needs a folder, e.g. dir:./data/chart-repo/packages".into(),
                ));
            }
            return Ok(Self::Dir(PathBuf::from(path)));
        }
        let Some(rest) = raw.strip_prefix("s3://") else {
            return Err((
                "packages",
                format!("{raw:?}: expected dir:PATH or s3://BUCKET/PREFIX"),
            ));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if !is_bucket_name(bucket) {
            return Err((
                "packages",
                format!(
                    "{bucket:?} is not an S3 bucket name (3 to 63 lower-case letters, digits, dots, hyphens)"
                ),
            ));
        }
        let prefix = prefix.trim_end_matches('/');
        if !prefix.is_empty()
            && !prefix.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            })
        {
            return Err((
                "packages",
                format!("{prefix:?} is not a key prefix like charts/prod"),
            ));
        }
        let region = s3.region.trim().to_owned();
        if !is_dns_label(&region) {
            return Err((
                "s3_region",
                format!("{region:?} is not a region like us-east-1"),
            ));
        }
        let endpoint = s3
            .endpoint
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let endpoint = Url::parse(&endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .filter(|u| u.query().is_none() && u.username().is_empty())
            .ok_or_else(|| {
                (
                    "s3_endpoint",
                    format!("{endpoint:?} is not a URL like http://127.0.0.1:9000"),
                )
            })?;
        let credentials = match (s3.access_key_id, s3.secret_access_key) {
            (Some(access_key_id), Some(secret)) => Some(S3Credentials {
                access_key_id,
                secret_access_key: SecretString::from(secret),
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err((
                    "s3_secret_access_key",
                    "is needed with CHART_REPO_S3_ACCESS_KEY_ID".into(),
                ));
            }
            (None, Some(_)) => {
                return Err((
                    "s3_access_key_id",
                    "is needed with CHART_REPO_S3_SECRET_ACCESS_KEY".into(),
                ));
            }
        };
        Ok(Self::S3(S3Settings {
            endpoint,
            bucket: bucket.to_owned(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
            region,
            credentials,
        }))
    }
}

/// An S3 bucket name as every S3 service accepts it.
fn is_bucket_name(s: &str) -> bool {
    (3..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// Which registry hosts image analysis may contact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryAllow {
    Any,
    /// Exactly these hosts; empty means none.
    Hosts(Vec<String>),
}

impl RegistryAllow {
    fn parse(items: Vec<String>) -> Self {
        if items.iter().any(|h| h == "*") {
            Self::Any
        } else {
            Self::Hosts(items)
        }
    }

    pub fn allows(&self, host: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Hosts(hosts) => hosts.iter().any(|h| h == host),
        }
    }
}

/// A username and password for one registry host (Basic auth, and for its token endpoint).
#[derive(Clone)]
pub struct RegistryCredentials {
    pub username: String,
    pub password: SecretString,
}

impl std::fmt::Debug for RegistryCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:[redacted]", self.username)
    }
}

/// chart-repo's configuration, every value parsed.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub store: StoreUrl,
    pub packages: PackageStore,
    pub zone_suffix: String,
    pub registry_allow: RegistryAllow,
    /// Registry host → the host to ask instead.
    pub registry_mirrors: BTreeMap<String, String>,
    /// Registry host (the one contacted: the mirror when there is one) → credentials.
    pub registry_credentials: BTreeMap<String, RegistryCredentials>,
    /// How long the analysis of one image may take in all.
    pub registry_deadline: Duration,
    /// At most this many requests in flight to one registry host.
    pub registry_concurrency: usize,
    /// How long an analysed image is trusted without asking its registry again.
    pub registry_cache_ttl: Duration,
    pub api_token: Option<SecretString>,
    pub log_format: LogFormat,
    pub workers: usize,
    /// How long a hydration's lease lasts without a heartbeat (`CHART_REPO_HYDRATION_LEASE`):
    /// after a crash, its job runs again this long later.
    pub hydration_lease: std::time::Duration,
    /// The wait before a failed hydration's first retry (`CHART_REPO_RETRY_BACKOFF`),
    /// doubling with each further attempt up to 10 minutes, ±20 %.
    pub retry_backoff: std::time::Duration,
}

impl Config {
    /// Every setting this service reads, as its environment variable (`CHART_REPO_*`)
    /// with its default (empty when unset by default), sorted by name. From the
    /// settings' own field names, so deployment files can be checked for drift.
    pub fn env_defaults() -> Vec<(String, String)> {
        LAYERS.env_defaults(&RawConfig::default())
    }

    /// Loads defaults, then the TOML file, then `CHART_REPO_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let raw: RawConfig = LAYERS.load(&RawConfig::default(), file)?;
        Self::parse(raw)
    }

    /// The defaults with `data_dir` set and a free loopback port (tests, benches).
    pub fn embedded(data_dir: &Path) -> Result<Self, ConfigError> {
        Self::parse(RawConfig {
            listen: "127.0.0.1:0".into(),
            data_dir: data_dir.display().to_string(),
            ..RawConfig::default()
        })
    }

    fn parse(raw: RawConfig) -> Result<Self, ConfigError> {
        let RawConfig {
            listen,
            data_dir,
            store_url,
            packages,
            s3_endpoint,
            s3_region,
            s3_access_key_id,
            s3_secret_access_key,
            zone_suffix,
            registry_allow,
            registry_mirrors,
            registry_credentials,
            registry_deadline,
            registry_concurrency,
            registry_cache_ttl,
            api_token,
            log_format,
            workers,
            hydration_lease,
            retry_backoff,
        } = raw;
        let bad = |key: &str, reason: String| ConfigError::new(LAYERS.env_name(key), reason);
        let listen = listen.parse().map_err(|_| {
            bad(
                "listen",
                format!("{listen:?} is not an address like 127.0.0.1:8082"),
            )
        })?;
        let data_dir = PathBuf::from(data_dir);
        let store = match store_url {
            Some(raw) => StoreUrl::parse(&raw).map_err(|r| bad("store_url", r))?,
            None => StoreUrl::Sqlite(data_dir.join("chart-repo.db")),
        };
        let packages = match packages {
            Some(raw) => {
                let s3 = S3Raw {
                    endpoint: s3_endpoint,
                    region: s3_region,
                    access_key_id: s3_access_key_id,
                    secret_access_key: s3_secret_access_key,
                };
                PackageStore::parse(&raw, s3).map_err(|(key, r)| bad(key, r))?
            }
            None => PackageStore::Dir(data_dir.join("packages")),
        };
        if zone_suffix.is_empty() || !zone_suffix.split('.').all(is_dns_label) {
            return Err(bad(
                "zone_suffix",
                format!("{zone_suffix:?} is not a domain name"),
            ));
        }
        let registry_mirrors = registry_mirrors
            .iter()
            .map(|entry| parse_mirror(entry))
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map_err(|r| bad("registry_mirrors", r))?;
        let registry_credentials = registry_credentials
            .as_deref()
            .map(parse_credentials)
            .transpose()
            .map_err(|r| bad("registry_credentials", r))?
            .unwrap_or_default();
        let duration = |key: &str, raw: &str| {
            humantime::parse_duration(raw)
                .map_err(|e| bad(key, format!("{raw:?} is not a duration like 30s ({e})")))
        };
        let registry_deadline = duration("registry_deadline", &registry_deadline)?;
        if registry_deadline.is_zero() {
            return Err(bad("registry_deadline", "must be more than 0s".into()));
        }
        let registry_cache_ttl = duration("registry_cache_ttl", &registry_cache_ttl)?;
        if registry_concurrency == 0 {
            return Err(bad("registry_concurrency", "must be at least 1".into()));
        }
        let workers = match workers {
            Some(0) => return Err(bad("workers", "must be at least 1".into())),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(2, usize::from),
        };
        let hydration_lease = humantime::parse_duration(&hydration_lease)
            .ok()
            .filter(|d| *d >= std::time::Duration::from_secs(1))
            .ok_or_else(|| {
                bad(
                    "hydration_lease",
                    format!("{hydration_lease:?} is not a duration of 1s or more, like 30s"),
                )
            })?;
        let retry_backoff = humantime::parse_duration(&retry_backoff)
            .ok()
            .filter(|d| *d >= std::time::Duration::from_millis(100))
            .ok_or_else(|| {
                bad(
                    "retry_backoff",
                    format!("{retry_backoff:?} is not a duration of 100ms or more, like 2s"),
                )
            })?;
        Ok(Self {
            hydration_lease,
            retry_backoff,
            listen,
            data_dir,
            store,
            packages,
            zone_suffix,
            registry_allow: RegistryAllow::parse(registry_allow),
            registry_mirrors,
            registry_credentials,
            registry_deadline,
            registry_concurrency,
            registry_cache_ttl,
            api_token: api_token.map(SecretString::from),
            log_format,
            workers,
        })
    }
}

fn is_dns_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// A registry host, optionally with a port: `docker.io`, `127.0.0.1:5000`.
fn is_registry_host(s: &str) -> bool {
    let (host, port) = match s.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (s, None),
    };
    port.is_none_or(|p| p.parse::<u16>().is_ok())
        && !host.is_empty()
        && host.split('.').all(is_dns_label)
}

/// Parses `host=user:password,…` (a password may hold `:` and `=`, not `,`). Errors never
/// quote the value: it is a secret.
fn parse_credentials(raw: &str) -> Result<BTreeMap<String, RegistryCredentials>, String> {
    let mut out = BTreeMap::new();
    for (i, entry) in raw.split(',').map(str::trim).enumerate() {
        if entry.is_empty() {
            continue;
        }
        let Some((host, user_pass)) = entry.split_once('=') else {
            return Err(format!("entry {} is not HOST=USER:PASSWORD", i + 1));
        };
        let host = host.trim();
        if !is_registry_host(host) {
            return Err(format!("entry {}: {host:?} is not a registry host", i + 1));
        }
        let Some((username, password)) = user_pass.split_once(':') else {
            return Err(format!(
                "entry {} ({host}) is not HOST=USER:PASSWORD",
                i + 1
            ));
        };
        if username.is_empty() {
            return Err(format!("entry {} ({host}) has an empty user", i + 1));
        }
        let credentials = RegistryCredentials {
            username: username.to_owned(),
            password: SecretString::from(password.to_owned()),
        };
        out.insert(host.to_owned(), credentials);
    }
    Ok(out)
}

/// Parses `docker.io=127.0.0.1:5000`.
fn parse_mirror(entry: &str) -> Result<(String, String), String> {
    let (from, to) = entry.split_once('=').ok_or_else(|| {
        format!("{entry:?}: expected REGISTRY=MIRROR, e.g. docker.io=127.0.0.1:5000")
    })?;
    let (from, to) = (from.trim(), to.trim());
    for host in [from, to] {
        if !is_registry_host(host) {
            return Err(format!("{host:?} is not a registry host"));
        }
    }
    Ok((from.to_owned(), to.to_owned()))
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
        assert_eq!(c.listen.to_string(), "127.0.0.1:8082");
        assert!(matches!(&c.store, StoreUrl::Sqlite(p) if p.ends_with("chart-repo.db")));
        assert_eq!(
            c.packages,
            PackageStore::Dir(PathBuf::from("./data/chart-repo/packages"))
        );
        assert_eq!(c.registry_allow, RegistryAllow::Any);
        assert!(c.workers >= 1);
    }

    #[test]
    fn queue_timings_parse_and_refuse_what_is_too_short() {
        let c = with(|_| {}).unwrap();
        assert_eq!(c.retry_backoff, std::time::Duration::from_secs(2));
        assert_eq!(c.hydration_lease, std::time::Duration::from_secs(30));
        let c = with(|r| r.retry_backoff = "250ms".into()).unwrap();
        assert_eq!(c.retry_backoff, std::time::Duration::from_millis(250));
        let err = with(|r| r.retry_backoff = "10ms".into()).unwrap_err();
        assert_eq!(err.setting, "CHART_REPO_RETRY_BACKOFF");
        let err = with(|r| r.hydration_lease = "soon".into()).unwrap_err();
        assert_eq!(err.setting, "CHART_REPO_HYDRATION_LEASE");
    }

    #[test]
    fn unknown_store_scheme_is_named() {
        let err = with(|r| r.store_url = Some("memcached://x".into())).unwrap_err();
        assert_eq!(err.setting, "CHART_REPO_STORE_URL");
        assert!(
            err.reason.contains("unknown store scheme"),
            "{}",
            err.reason
        );
    }

    #[test]
    fn registry_settings_parse() {
        let c = with(|r| {
            r.registry_allow = vec!["127.0.0.1:5000".into()];
            r.registry_mirrors = vec!["docker.io=127.0.0.1:5000".into()];
        })
        .unwrap();
        assert!(c.registry_allow.allows("127.0.0.1:5000"));
        assert!(!c.registry_allow.allows("docker.io"));
        assert_eq!(c.registry_mirrors["docker.io"], "127.0.0.1:5000");
        let none = with(|r| r.registry_allow = vec![]).unwrap();
        assert!(!none.registry_allow.allows("docker.io"));
        let err = with(|r| r.registry_mirrors = vec!["docker.io".into()]).unwrap_err();
        assert_eq!(err.setting, "CHART_REPO_REGISTRY_MIRRORS");
    }

    #[test]
    fn registry_credentials_parse_and_stay_secret() {
        let c = with(|r| {
            r.registry_credentials = Some("127.0.0.1:5000=alice:s3:cr=t, ghcr.io=bob:pw".into());
            r.registry_deadline = "5s".into();
            r.registry_cache_ttl = "1h".into();
        })
        .unwrap();
        let alice = &c.registry_credentials["127.0.0.1:5000"];
        assert_eq!(alice.username, "alice");
        assert_eq!(alice.password.expose_secret(), "s3:cr=t");
        assert_eq!(c.registry_credentials["ghcr.io"].username, "bob");
        assert_eq!(c.registry_deadline, Duration::from_secs(5));
        assert_eq!(c.registry_cache_ttl, Duration::from_secs(3600));
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("s3:cr=t") && !shown.contains("pw"),
            "{shown}"
        );
        let err =
            with(|r| r.registry_credentials = Some("ghcr.io=secret-token".into())).unwrap_err();
        assert_eq!(err.setting, "CHART_REPO_REGISTRY_CREDENTIALS");
        assert!(!err.reason.contains("secret-token"), "{}", err.reason);
        let err = with(|r| r.registry_deadline = "soon".into()).unwrap_err();
        assert_eq!(err.setting, "CHART_REPO_REGISTRY_DEADLINE");
        let err = with(|r| r.registry_concurrency = 0).unwrap_err();
        assert_eq!(err.setting, "CHART_REPO_REGISTRY_CONCURRENCY");
    }

    #[test]
    fn s3_packages_parse_with_their_settings_and_keep_the_secret() {
        let c = with(|r| {
            r.packages = Some("s3://charts/prod/olares/".into());
            r.s3_endpoint = Some("http://127.0.0.1:9000".into());
            r.s3_access_key_id = Some("AKID".into());
            r.s3_secret_access_key = Some("s3cr3t".into());
        })
        .unwrap();
        let PackageStore::S3(s3) = &c.packages else {
            panic!("{:?}", c.packages)
        };
        assert_eq!(
            (s3.bucket.as_str(), s3.prefix.as_str()),
            ("charts", "prod/olares/")
        );
        assert_eq!(s3.endpoint.as_str(), "http://127.0.0.1:9000/");
        assert_eq!(s3.region, "us-east-1");
        assert_eq!(
            s3.credentials
                .as_ref()
                .unwrap()
                .secret_access_key
                .expose_secret(),
            "s3cr3t"
        );
        assert!(!format!("{c:?}").contains("s3cr3t"));
        let aws = with(|r| {
            r.packages = Some("s3://charts".into());
            r.s3_region = "eu-west-1".into();
        })
        .unwrap();
        let PackageStore::S3(aws) = &aws.packages else {
            panic!()
        };
        assert_eq!(aws.endpoint.as_str(), "https://s3.eu-west-1.amazonaws.com/");
        assert!(aws.prefix.is_empty() && aws.credentials.is_none());
    }

    #[test]
    fn bad_s3_settings_name_their_variable() {
        let s3 = |f: fn(&mut RawConfig)| {
            with(|r| {
                r.packages = Some("s3://charts/p".into());
                f(r);
            })
            .unwrap_err()
            .setting
        };
        assert_eq!(
            s3(|r| r.packages = Some("s3://Bad_Bucket".into())),
            "CHART_REPO_PACKAGES"
        );
        assert_eq!(
            s3(|r| r.packages = Some("s3://charts/../x".into())),
            "CHART_REPO_PACKAGES"
        );
        assert_eq!(
            s3(|r| r.packages = Some("ftp://x".into())),
            "CHART_REPO_PACKAGES"
        );
        assert_eq!(
            s3(|r| r.s3_endpoint = Some("localhost:9000".into())),
            "CHART_REPO_S3_ENDPOINT"
        );
        assert_eq!(
            s3(|r| r.s3_region = "eu west".into()),
            "CHART_REPO_S3_REGION"
        );
        assert_eq!(
            s3(|r| r.s3_access_key_id = Some("AKID".into())),
            "CHART_REPO_S3_SECRET_ACCESS_KEY"
        );
        assert_eq!(
            s3(|r| r.s3_secret_access_key = Some("x".into())),
            "CHART_REPO_S3_ACCESS_KEY_ID"
        );
    }
}
