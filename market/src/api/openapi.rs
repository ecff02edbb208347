//! The OpenAPI document, generated from the handlers (`utoipa`), served at
//! `/app-store/api/v2/openapi.json`, with Swagger UI at `/docs` (its assets
//! vendored into the binary: no download at build or run time).

use axum::Router;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_swagger_ui::SwaggerUi;

use super::PREFIX;

/// The success envelope every JSON reply uses (`market_model::Envelope`).
#[derive(Serialize, ToSchema)]
pub struct Envelope<T> {
    pub success: bool,
    pub message: String,
    pub data: T,
}

/// The error envelope (`market_model::ErrorBody`): `code` is stable.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub success: bool,
    pub message: String,
    /// `bad_request`, `unauthorized`, `read_only`, `not_found`, `conflict`,
    /// `store_unavailable`, `internal`, `app_not_found`, `task_not_found`,
    /// `task_not_cancelable`, `task_failed`, `task_canceled`, `app_env_required`,
    /// `app_service_unavailable`, `app_service_rejected`.
    pub code: String,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "market", description = "The app market's API (Olares-compatible), under /app-store/api/v2."),
    servers((url = "/app-store/api/v2")),
    paths(
        super::version::version,
        super::market::hash,
        super::market::data,
        super::market::state,
        super::market::state_simple,
        super::apps::apps,
        super::apps::version_history,
        super::runtime::runtime_state,
        super::logs::logs,
        super::events::events,
        super::tasks::install,
        super::tasks::clone,
        super::tasks::cancel,
        super::tasks::upgrade,
        super::tasks::uninstall,
        super::tasks::stop,
        super::tasks::resume,
        super::tasks::list,
        super::tasks::one,
        super::tasks::app_state_event,
        super::local_apps::upload,
        super::local_apps::delete_local,
        super::settings::list,
        super::settings::put,
        super::settings::remove,
        super::settings::get_settings,
        super::settings::put_settings,
    ),
    components(schemas(ErrorBody)),
    modifiers(&BflUser),
    tags(
        (name = "catalog", description = "The caller's catalog: listing, rendered apps, state"),
        (name = "runtime", description = "Runtime state, history and live events"),
        (name = "tasks", description = "App operations (tasks run against app-service) and app state"),
        (name = "settings", description = "Market sources and market settings"),
        (name = "meta", description = "Version"),
    )
)]
pub struct ApiDoc;

/// Declares the `X-Bfl-User` header as the API's security scheme.
struct BflUser;

impl Modify for BflUser {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bfl_user",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                super::identity::USER_HEADER,
                "The caller, set by the trusted ingress; 401 without it (except in public mode).",
            ))),
        );
    }
}

/// `GET {PREFIX}/openapi.json` and the Swagger UI at `/docs`.
pub fn routes() -> Router {
    Router::from(SwaggerUi::new("/docs").url(format!("{PREFIX}/openapi.json"), ApiDoc::openapi()))
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
}

/// `POST /apps/upload`: the caller's rendered app.
#[derive(ToSchema)]
#[allow(dead_code)] // documents `chart_repo::Uploaded`
pub struct Uploaded {
    /// chart-repo's `SyncAppPayload`, as `/market/data` shows it.
    #[schema(value_type = Object)]
    pub app_data: serde_json::Value,
    /// `new`, `updated` or `existing`.
    pub status: String,
}

/// `DELETE /local-apps/delete`.
#[derive(ToSchema)]
#[allow(dead_code)] // documents `chart_repo::DeletedLocal`
pub struct DeletedLocal {
    pub app_name: String,
    /// How many copies were removed (the caller's: 0 or 1).
    pub removed: u64,
}

/// `GET /version` (`market_model::VersionInfo`).
#[derive(Serialize, ToSchema)]
pub struct Version {
    pub version: String,
    pub build_time: String,
    pub git_commit: String,
    /// Unix seconds at the time of the answer.
    pub timestamp: i64,
}
