//! What every handler and loop shares: configuration and handles.

use std::sync::Arc;

use service_runtime::Metrics;

use crate::config::Config;
use crate::store::MarketStore;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn MarketStore>,
    pub metrics: Metrics,
}
