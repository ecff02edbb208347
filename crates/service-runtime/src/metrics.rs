//! The Prometheus registry of one service and the HTTP request histogram.
//!
//! The registry is explicit (no global recorder), so several services or test
//! apps can live in one process.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of `<service>_http_request_duration_seconds`: the matched route
/// template (never the raw path), the method and the status code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: &'static str,
    pub route: &'static str,
    pub status: u16,
}

/// A service's metrics: cheap to clone, rendered at `GET /metrics`.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    http: Family<HttpLabels, Histogram>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn request_histogram() -> Histogram {
    // 0.5 ms to ~16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    /// A registry whose metric names start with `prefix` (`market`, `chart_repo`);
    /// `register` adds the service's own families before the registry is frozen.
    pub fn new(prefix: &str, register: impl FnOnce(&mut Registry)) -> Self {
        let mut registry = Registry::with_prefix(prefix);
        let http = Family::<HttpLabels, Histogram>::new_with_constructor(
            request_histogram as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by matched route, method and status",
            http.clone(),
        );
        register(&mut registry);
        Self {
            registry: Arc::new(registry),
            http,
        }
    }

    /// Records one answered request.
    pub fn observe_request(&self, labels: HttpLabels, seconds: f64) {
        self.http.get_or_create(&labels).observe(seconds);
    }

    /// The OpenMetrics text exposition of every registered family.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_prefixed_request_histogram() {
        let m = Metrics::new("market", |_| {});
        m.observe_request(
            HttpLabels {
                method: "GET",
                route: "/healthz",
                status: 200,
            },
            0.001,
        );
        let text = m.render();
        assert!(text.contains("market_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }
}
