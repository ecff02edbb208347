//! What every handler and worker shares: configuration and handles.

use std::sync::Arc;

use service_runtime::Metrics;

use crate::config::Config;
use crate::store::RepoStore;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn RepoStore>,
    pub metrics: Metrics,
}
