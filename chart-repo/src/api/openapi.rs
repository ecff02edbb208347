//! chart-repo's OpenAPI document, generated from the control API's handlers (`utoipa`)
//! and served at `/chart-repo/api/v2/openapi.json` (outside the bearer-token check: it
//! describes the API, it holds no data). Paths are absolute: the control API lives under
//! [`PREFIX`], the Helm repository endpoints (§4.2, `helm.rs`) at the root, listed here by
//! hand so their code stays as it is.

use axum::Router;
use axum::routing::get;
use market_model::sync::{SyncAppData, SyncAppPayload, SyncStatus};
use market_model::{ImageInfo, StateChangesGone};
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn, PathItemBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, HttpMethod, ObjectBuilder, Ref, Required, ResponseBuilder, Type,
};
use utoipa::{Modify, OpenApi, ToSchema};

use super::PREFIX;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "chart-repo",
        description = "The dynamic Helm chart repository: its control API under /chart-repo/api/v2 \
            (market's side; envelope {success, message, data}, errors add a stable code) and the \
            Helm repository endpoints at the root."
    ),
    nest((path = "/chart-repo/api/v2", api = ControlApi)),
    modifiers(&BearerToken, &HelmRoutes),
    tags(
        (name = "hydration", description = "Hydrations (sync-app) and the state-change feed"),
        (name = "apps", description = "Rendered apps, uploads and download history"),
        (name = "settings", description = "Market sources known to the repository"),
        (name = "runtime", description = "Images, status and version"),
        (name = "helm", description = "The Helm repository (no token): index and packages per user and source"),
    )
)]
pub struct ApiDoc;

/// The control API's operations, paths relative to [`PREFIX`].
#[derive(OpenApi)]
#[openapi(paths(
    super::version::version,
    super::sync::sync_app,
    super::changes::state_changes,
    super::apps::remove_app,
    super::apps::apps,
    super::apps::repo_data,
    super::apps::delete_local,
    super::apps::download_history,
    super::images::image,
    super::status::status,
    super::settings::list,
    super::settings::put,
    super::settings::remove,
    super::upload::upload,
))]
struct ControlApi;

/// `GET {PREFIX}/openapi.json`.
pub fn routes() -> Router<AppState> {
    let doc = ApiDoc::openapi();
    Router::new().route(
        &format!("{PREFIX}/openapi.json"),
        get(move || std::future::ready(axum::Json(doc.clone()))),
    )
}

/// Declares `CHART_REPO_API_TOKEN` as a bearer scheme required by every control route.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "CHART_REPO_API_TOKEN, when set: every control route answers 401 `unauthorized` \
             without it. The Helm endpoints never need it."
                .into(),
        );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
        let needs_token = SecurityRequirement::new("bearer", Vec::<String>::new());
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                op.security = Some(vec![needs_token.clone()]);
            }
        }
    }
}

fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// The Helm repository endpoints (`helm.rs`), by hand: two paths share each index handler.
struct HelmRoutes;

impl Modify for HelmRoutes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let headers = || {
            [
                header_param("X-Market-User", "The user whose repository this is"),
                header_param(
                    "X-Market-Source",
                    "The market source (e.g. `market.olares`)",
                ),
            ]
        };
        let in_path = |names: &[&str]| -> Vec<_> {
            names
                .iter()
                .map(|n| {
                    ParameterBuilder::new()
                        .name(*n)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                        .build()
                })
                .collect()
        };
        let index = |params: Vec<utoipa::openapi::path::Parameter>, summary: &str| {
            helm_operation(summary, params)
                .response("200", yaml_response())
                .response(
                    "304",
                    ResponseBuilder::new()
                        .description("Not modified (`If-None-Match`, `If-Modified-Since`)"),
                )
                .response(
                    "400",
                    error_response("A missing header or an invalid source"),
                )
                .build()
        };
        let chart = |params: Vec<utoipa::openapi::path::Parameter>, summary: &str| {
            helm_operation(summary, params)
                .response("200", package_response())
                .response(
                    "206",
                    ResponseBuilder::new().description("One `bytes=` range of the package"),
                )
                .response(
                    "304",
                    ResponseBuilder::new().description("Not modified (`If-None-Match`)"),
                )
                .response(
                    "400",
                    error_response("A missing header or an invalid source"),
                )
                .response("404", error_response("The user has no such package"))
                .build()
        };
        let by_headers = "The index of the repository `X-Market-User`/`X-Market-Source` name";
        let by_path = "The index of the user's repository for one source (for `helm repo add`)";
        let mut add = |path: &str, op| {
            openapi.paths.paths.insert(
                path.to_owned(),
                PathItemBuilder::new()
                    .operation(HttpMethod::Get, op)
                    .build(),
            );
        };
        add("/index.yaml", index(headers().into(), by_headers));
        add("/static-index.yaml", index(headers().into(), by_headers));
        let mut file = headers().to_vec();
        file.extend(in_path(&["file"]));
        add(
            "/charts/{file}",
            chart(
                file,
                "A package (`{name}-{version}.tgz`) of the repository the headers name",
            ),
        );
        let mut versions = headers().to_vec();
        versions.extend(in_path(&["name"]));
        add(
            "/api/v1/charts/{name}/versions",
            helm_operation(
                "The versions of one chart in the repository the headers name",
                versions,
            )
            .response(
                "200",
                ResponseBuilder::new()
                    .description("`{chart_name, versions, total_count}` (not enveloped)")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("ChartVersions")))
                            .build(),
                    ),
            )
            .response(
                "400",
                error_response("A missing header or an invalid source"),
            )
            .response("404", error_response("No version of that chart"))
            .build(),
        );
        add(
            "/u/{user}/{source}/index.yaml",
            index(in_path(&["user", "source"]), by_path),
        );
        add(
            "/u/{user}/{source}/static-index.yaml",
            index(in_path(&["user", "source"]), by_path),
        );
        add(
            "/u/{user}/{source}/charts/{file}",
            chart(
                in_path(&["user", "source", "file"]),
                "A package of the user's repository for one source",
            ),
        );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .schemas
            .insert(
                "ChartVersions".into(),
                <ChartVersions as utoipa::PartialSchema>::schema(),
            );
    }
}

fn helm_operation(
    summary: &str,
    params: Vec<utoipa::openapi::path::Parameter>,
) -> OperationBuilder {
    OperationBuilder::new()
        .tag("helm")
        .summary(Some(summary))
        .parameters(Some(params))
        // No token: app-service and `helm` fetch these.
        .securities(Some(Vec::<SecurityRequirement>::new()))
}

fn header_param(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

fn yaml_response() -> ResponseBuilder {
    ResponseBuilder::new()
        .description("The Helm index (gzip'd when accepted); `ETag`, `Last-Modified`, `Vary`")
        .content(
            "application/x-yaml",
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        )
}

fn package_response() -> ResponseBuilder {
    ResponseBuilder::new()
        .description("The package; strong `ETag` (its digest), `Accept-Ranges: bytes`")
        .content(
            "application/gzip",
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String).format(
                    Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Binary,
                    )),
                )))
                .build(),
        )
}

fn error_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build(),
    )
}

/// `GET /api/v1/charts/{name}/versions` (not enveloped).
#[derive(Serialize, ToSchema)]
pub struct ChartVersions {
    pub chart_name: String,
    pub total_count: u64,
    /// Helm index entries, newest first.
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<Value>,
}

/// The answer of `POST /dcr/sync-app` with HTTP 200: the hydration is done, or it failed
/// for good (`success: false`, `code: render_failed`, the step and reason in `data`).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum SyncAnswer {
    Done(Box<market_model::Envelope<SyncAppData>>),
    Failed(RenderFailed),
}

/// `success: false`, `code: render_failed`.
#[derive(Serialize, ToSchema)]
pub struct RenderFailed {
    pub success: bool,
    pub message: String,
    /// `render_failed`.
    pub code: String,
    pub data: market_model::sync::SyncFailure,
}

/// The `data` of a 202 from `POST /dcr/sync-app`: the hydration is still running (or
/// backing off); asking again joins the same job.
#[derive(Serialize, ToSchema)]
pub struct SyncPending {
    pub job_id: i64,
    /// `pending` or `leased`.
    pub state: String,
    pub attempts: u32,
    /// `{step, reason, permanent, at}` of the last failed attempt.
    #[schema(value_type = Option<Object>)]
    pub last_failure: Option<Value>,
}

/// A 410 from `GET /state-changes`: `code: cursor_expired`; resync, then follow from
/// `latest_id`.
#[derive(Serialize, ToSchema)]
pub struct CursorExpired {
    pub success: bool,
    pub message: String,
    /// `cursor_expired`.
    pub code: String,
    pub data: StateChangesGone,
}

/// `DELETE /apps/{source}/{name}`.
#[derive(Serialize, ToSchema)]
pub struct RemovedApp {
    pub app_name: String,
    pub source: String,
    /// The users whose copy was removed (one `app_removed` change each).
    pub removed_for: Vec<String>,
}

/// `POST /apps`.
#[derive(Serialize, ToSchema)]
pub struct AppsAnswer {
    pub apps: Vec<SyncAppPayload>,
    /// The asked ids the user has no rendered app for (ours).
    pub not_found: Vec<String>,
}

/// `GET /images`.
#[derive(Serialize, ToSchema)]
pub struct ImageAnswer {
    pub image_info: ImageInfo,
}

/// `GET /repo/data` (not enveloped, as Olares):
/// `{user_data: {sources: {<source>: {app_info_latest: [{app_simple_info: {app_id,
/// support_arch}}]}}}}`.
#[derive(Serialize, ToSchema)]
pub struct RepoData {
    #[schema(value_type = Object)]
    pub user_data: Value,
}

/// `GET /status`.
#[derive(Serialize, ToSchema)]
pub struct Status {
    pub last_update: chrono::DateTime<chrono::Utc>,
    /// `{queue: {pending, leased, done, failed}}`, with `include` empty or naming `tasks`.
    #[schema(value_type = Option<Object>)]
    pub tasks: Option<Value>,
    /// With `user` (and `include` empty or naming `apps`): `{app_id, app_name, user_id,
    /// source_id, version, state, support_arch, last_update}` per rendered app.
    #[schema(value_type = Option<Vec<Object>>)]
    pub apps: Option<Vec<Value>>,
}

/// A success with no data (`data: null`).
#[derive(Serialize, ToSchema)]
pub struct Done {
    pub success: bool,
    pub message: String,
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
}

/// `POST /apps/upload` (multipart).
#[derive(ToSchema)]
#[allow(dead_code)] // documents the form; the handler streams it field by field
pub struct UploadForm {
    /// The chart package (`.tgz`), up to 100 MiB.
    #[schema(value_type = String, format = Binary)]
    pub chart: Vec<u8>,
    /// A local source; `upload` by default.
    pub source: Option<String>,
    /// Who the admin is; the uploader by default.
    pub admin_user: Option<String>,
}

/// `POST /apps/upload`.
#[derive(Serialize, ToSchema)]
pub struct UploadAnswer {
    pub app_data: SyncAppPayload,
    pub status: SyncStatus,
}

/// `DELETE /local-apps/delete`.
#[derive(Serialize, ToSchema)]
pub struct DeletedLocal {
    pub app_name: String,
    /// How many users' copies were removed.
    pub removed: u64,
}

/// `GET /app/version-for-download-history`.
#[derive(Serialize, ToSchema)]
pub struct DownloadHistory {
    pub version: String,
    pub source: String,
}
