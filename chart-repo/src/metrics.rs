//! chart-repo's own metric families (STYLE.md §9): names `chart_repo_<noun>_<unit>`,
//! labels from enums only. Registered once into the service's registry.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::hydrator::StepName;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// How one hydration ended, as counted in `chart_repo_hydrations_total{outcome}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HydrationOutcome {
    New,
    Updated,
    Existing,
    Retrying,
    Failed,
}

impl HydrationOutcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Updated => "updated",
            Self::Existing => "existing",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
        }
    }
}

/// How one request to a registry ended, as counted in
/// `chart_repo_registry_requests_total{outcome}` (every attempt and redirect).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistryOutcome {
    /// 2xx or a redirect.
    Ok,
    /// 401/403: a challenge to answer, or credentials refused.
    Unauthorized,
    NotFound,
    /// 429.
    RateLimited,
    /// Any other 4xx.
    ClientError,
    /// 5xx.
    ServerError,
    /// No answer: connection refused, reset, timed out.
    Unreachable,
}

impl RegistryOutcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Unauthorized => "unauthorized",
            Self::NotFound => "not_found",
            Self::RateLimited => "rate_limited",
            Self::ClientError => "client_error",
            Self::ServerError => "server_error",
            Self::Unreachable => "unreachable",
        }
    }

    /// The outcome of an answer with `status`.
    pub fn of_status(status: u16) -> Self {
        match status {
            200..=399 => Self::Ok,
            401 | 403 => Self::Unauthorized,
            404 => Self::NotFound,
            429 => Self::RateLimited,
            500.. => Self::ServerError,
            _ => Self::ClientError,
        }
    }
}

/// The registry request counter, handed to image analysis. The default one is
/// registered nowhere (tests and tools that build an analyzer by hand).
#[derive(Clone, Debug, Default)]
pub struct RegistryRequests(Family<OutcomeLabels, Counter>);

impl RegistryRequests {
    pub fn count(&self, outcome: RegistryOutcome) {
        self.0
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .inc();
    }
}

/// Handles on chart-repo's families; cheap to clone.
#[derive(Clone, Debug)]
pub struct RepoMetrics {
    steps: Family<StepLabels, Histogram, fn() -> Histogram>,
    hydrations: Family<OutcomeLabels, Counter>,
    enqueued: Counter,
    leased: Counter,
    registry_requests: RegistryRequests,
}

fn step_histogram() -> Histogram {
    // 0.1 ms to ~13 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 18))
}

impl RepoMetrics {
    /// Creates the families and registers them (called from `Metrics::new`'s closure).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            steps: Family::new_with_constructor(step_histogram as fn() -> Histogram),
            hydrations: Family::default(),
            enqueued: Counter::default(),
            leased: Counter::default(),
            registry_requests: RegistryRequests::default(),
        };
        registry.register(
            "step_duration_seconds",
            "Time one hydrator step took, by step",
            metrics.steps.clone(),
        );
        registry.register(
            "hydrations",
            "Hydrations finished, by outcome",
            metrics.hydrations.clone(),
        );
        registry.register(
            "queue_pushed",
            "Hydrations enqueued (queue depth = pushed - popped)",
            metrics.enqueued.clone(),
        );
        registry.register(
            "queue_popped",
            "Hydrations leased by a worker",
            metrics.leased.clone(),
        );
        registry.register(
            "registry_requests",
            "Requests sent to OCI registries by image analysis, by outcome",
            metrics.registry_requests.0.clone(),
        );
        metrics
    }

    /// The registry request counter, for [`RegistryConfig`](crate::registry::RegistryConfig).
    pub fn registry_requests(&self) -> RegistryRequests {
        self.registry_requests.clone()
    }

    pub fn observe_step(&self, step: StepName, seconds: f64) {
        self.steps
            .get_or_create(&StepLabels {
                step: step.as_str(),
            })
            .observe(seconds);
    }

    pub fn count_hydration(&self, outcome: HydrationOutcome) {
        self.hydrations
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .inc();
    }

    pub fn count_enqueued(&self) {
        self.enqueued.inc();
    }

    pub fn count_leased(&self, n: u64) {
        self.leased.inc_by(n);
    }
}
