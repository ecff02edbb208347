//! The `market` command line: `serve`, `migrate`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use service_runtime::Shutdown;

use crate::app::{App, StartupError};
use crate::config::Config;
use crate::store;

#[derive(Debug, Parser)]
#[command(
    name = "market",
    version,
    about = "The app market: catalog, tasks and the REST API"
)]
pub struct Cli {
    /// A TOML file of settings (keys as the MARKET_* variables, lower case, no prefix).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the market API and run its background loops.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
}

/// Runs a parsed command line to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref())?;
    service_runtime::telemetry::init(config.log_format);
    match cli.command {
        Command::Serve => {
            let shutdown = Shutdown::new();
            shutdown.cancel_on_signals()?;
            App::build(config, shutdown).await?.run().await?;
        }
        Command::Migrate => {
            let store = store::connect(&config.database)
                .await
                .map_err(StartupError::from)?;
            store.migrate().await.map_err(StartupError::from)?;
            tracing::info!(database = ?config.database, "migrations applied");
        }
    }
    Ok(())
}
