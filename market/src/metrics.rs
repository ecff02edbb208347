//! market's own metric families (STYLE.md §9): `market_<noun>_<unit>[_total]`,
//! labels from closed sets only (task kinds and statuses, hydration outcomes),
//! never user or app names.

use market_model::task::{TaskKind, TaskStatus};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TaskLabels {
    kind: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// How one call of the hydration driver to chart-repo's `sync-app` ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HydrationOutcome {
    /// Rendered and recorded for the user.
    Ready,
    /// Still running at chart-repo; the data watcher finishes it.
    InProgress,
    /// Failed; tried again later.
    Retrying,
    /// Failed for good (until the chart changes).
    Failed,
}

impl HydrationOutcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::InProgress => "in_progress",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
        }
    }
}

/// Handles on market's families; cheap to clone. The default one is registered
/// nowhere.
#[derive(Clone, Debug, Default)]
pub struct MarketMetrics {
    tasks: Family<TaskLabels, Counter>,
    hydrations: Family<OutcomeLabels, Counter>,
}

impl MarketMetrics {
    /// Creates the families and registers them (from `Metrics::new`'s closure).
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "tasks",
            "Tasks submitted (status pending) and finished (completed, failed, canceled), by kind",
            metrics.tasks.clone(),
        );
        registry.register(
            "hydrations",
            "Calls of the hydration driver to chart-repo's sync-app, by outcome",
            metrics.hydrations.clone(),
        );
        metrics
    }

    pub fn count_task(&self, kind: TaskKind, status: TaskStatus) {
        self.tasks
            .get_or_create(&TaskLabels {
                kind: kind.as_str(),
                status: status.as_str(),
            })
            .inc();
    }

    pub fn count_hydration(&self, outcome: HydrationOutcome) {
        self.hydrations
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .inc();
    }
}
