//! What image analysis needs from chart-repo's configuration, as one value the
//! [`Analyzer`](super::Analyzer) owns: which hosts may be contacted, mirrors, credentials,
//! the per-image deadline, limits, cache TTL and the retry policy.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::{Config, RegistryAllow, RegistryCredentials};
use crate::metrics::RegistryRequests;

use super::retry::RetryPolicy;

/// Settings of image analysis; build it from [`Config`] with `RegistryConfig::from`.
#[derive(Clone, Debug)]
pub struct RegistryConfig {
    /// Hosts that may be contacted: the mirror when one is configured, else the
    /// reference's own registry; token realms and redirect targets are checked too.
    pub allow: RegistryAllow,
    /// Registry host → the host asked instead, with the same repository path.
    pub mirrors: BTreeMap<String, String>,
    /// Contacted host → credentials, for Basic challenges and token endpoints.
    pub credentials: BTreeMap<String, RegistryCredentials>,
    /// The whole analysis of one image, waits and retries included.
    pub deadline: Duration,
    /// Requests in flight to one host.
    pub per_host_concurrency: usize,
    /// Images analysed at once by [`Analyzer::analyze_all`](super::Analyzer::analyze_all).
    pub concurrency: usize,
    /// How long a cached analysis is used without asking the registry.
    pub cache_ttl: Duration,
    pub retry: RetryPolicy,
    /// Counts every request sent, by outcome (`chart_repo_registry_requests_total`).
    pub requests: RegistryRequests,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            allow: RegistryAllow::Any,
            mirrors: BTreeMap::new(),
            credentials: BTreeMap::new(),
            deadline: Duration::from_secs(30),
            per_host_concurrency: 8,
            concurrency: 16,
            cache_ttl: Duration::from_secs(6 * 3600),
            retry: RetryPolicy::default(),
            requests: RegistryRequests::default(),
        }
    }
}

impl From<&Config> for RegistryConfig {
    fn from(config: &Config) -> Self {
        Self {
            allow: config.registry_allow.clone(),
            mirrors: config.registry_mirrors.clone(),
            credentials: config.registry_credentials.clone(),
            deadline: config.registry_deadline,
            per_host_concurrency: config.registry_concurrency,
            concurrency: 2 * config.registry_concurrency,
            cache_ttl: config.registry_cache_ttl,
            retry: RetryPolicy::default(),
            requests: RegistryRequests::default(),
        }
    }
}

impl RegistryConfig {
    /// The host actually asked for images of `registry`: its mirror, or itself.
    pub fn contacted_host<'a>(&'a self, registry: &'a str) -> &'a str {
        self.mirrors.get(registry).map_or(registry, String::as_str)
    }
}
