//! The middleware stack every service wraps its router in: request ids, a trace
//! span per request, request metrics, a timeout, and JSON answers for unknown
//! routes and methods.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use market_model::ErrorBody;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::metrics::{HttpLabels, Metrics};

/// Wraps `router` with the shared layers. `timeout` bounds each request.
pub fn stack(router: Router, metrics: Metrics, timeout: Duration) -> Router {
    stack_with(
        router,
        metrics,
        &StackConfig {
            timeout,
            quiet_routes: &[],
        },
    )
}

/// How [`stack_with`] wraps a router.
#[derive(Clone, Copy, Debug)]
pub struct StackConfig {
    /// Bounds each request.
    pub timeout: Duration,
    /// Route templates whose `request` span is at DEBUG rather than INFO: hot read-only
    /// routes (a Helm repository's index and packages) where building and formatting a
    /// span per request is a visible share of the cost. Their metrics, request id and
    /// timeout are as for every route.
    pub quiet_routes: &'static [&'static str],
}

/// [`stack`] with the settings spelled out.
pub fn stack_with(router: Router, metrics: Metrics, config: &StackConfig) -> Router {
    let quiet_routes = config.quiet_routes;
    // One `layer` call: axum boxes (and clones, per request) a route's service once per
    // call, so the five layers go in as one stack.
    let layers = tower::ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(CounterRequestId))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(move |req: &Request| request_span(req, quiet_routes)),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.timeout,
        ))
        .layer(middleware::from_fn_with_state(metrics, record_request));
    router
        .fallback(route_not_found)
        // axum's own 405 has an empty body; ours is the envelope (its `Allow` header kept).
        .method_not_allowed_fallback(method_not_allowed)
        .layer(layers)
}

/// Ids for requests that come without an `x-request-id`: a random per-process prefix and
/// a counter (`5f0c9e2b7d41a3c8-1a`). Unique within the process and across restarts
/// like a UUID v4, without a call into the system's random source per request.
#[derive(Clone, Copy, Debug)]
struct CounterRequestId;

impl MakeRequestId for CounterRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        static PREFIX: OnceLock<u64> = OnceLock::new();
        static NEXT: AtomicU64 = AtomicU64::new(0);
        // `RandomState` is seeded from the system's random source once per process.
        let prefix = *PREFIX.get_or_init(|| RandomState::new().hash_one(0u8));
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{prefix:016x}-{n:x}"))
            .ok()
            .map(RequestId::new)
    }
}

/// A JSON error reply in the envelope with a stable code.
pub fn error_response(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (status, axum::Json(ErrorBody::new(code, message))).into_response()
}

async fn route_not_found(method: Method, uri: axum::http::Uri) -> Response {
    error_response(
        StatusCode::NOT_FOUND,
        "route_not_found",
        format!("no route for {method} {}", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> Response {
    error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}

fn request_span(req: &Request, quiet_routes: &[&str]) -> tracing::Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str);
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let method = method_label(req.method());
    if quiet_routes.contains(&route) {
        tracing::debug_span!("request", method = %method, route, request_id = id)
    } else {
        tracing::info_span!("request", method = %method, route, request_id = id)
    }
}

async fn record_request(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| route_label(p.as_str()));
    let response = next.run(req).await;
    let labels = HttpLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    metrics.observe_request(labels, started.elapsed().as_secs_f64());
    response
}

/// The matched route as a `'static` label, so recording a request allocates nothing. Each
/// route template is interned once: they come from the router, never from clients, so the
/// set is as small as the route table.
fn route_label(route: &str) -> &'static str {
    static ROUTES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(RwLock::default);
    if let Some(known) = routes
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(route)
    {
        return known;
    }
    // A poisoned set is still a set of valid strings.
    let mut routes = routes.write().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = routes.get(route) {
        return known;
    }
    let leaked: &'static str = Box::leak(route.to_owned().into_boxed_str());
    routes.insert(leaked);
    leaked
}

/// Methods as a closed set, so a client cannot mint label values.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::body::Body;
    use axum::http::{Request, header};
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    async fn answer(router: Router, method: Method, path: &str) -> (Response, serde_json::Value) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let response = router.oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 16).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (Response::from_parts(parts, Body::empty()), json)
    }

    fn app() -> Router {
        let nested = Router::new().route("/thing", get(|| async { "ok" }));
        let router = Router::new().nest("/api", nested);
        stack(router, Metrics::new("test", |_| {}), Duration::from_secs(5))
    }

    #[tokio::test]
    async fn an_unknown_route_is_a_404_in_the_envelope() {
        let (response, body) = answer(app(), Method::GET, "/nope").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(body["success"], false);
        assert_eq!(body["code"], "route_not_found");
    }

    /// schemathesis found axum's 405 with an empty body (a TRACE of any route).
    #[tokio::test]
    async fn a_wrong_method_is_a_405_in_the_envelope_with_allow() {
        let (response, body) = answer(app(), Method::TRACE, "/api/thing").await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["success"], false);
        assert_eq!(body["code"], "method_not_allowed");
        assert!(
            body["message"].as_str().unwrap().contains("TRACE"),
            "{body}"
        );
        let allow = response.headers()[header::ALLOW].to_str().unwrap();
        assert!(allow.contains("GET"), "{allow}");
    }
}
