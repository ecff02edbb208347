//! The `chart-repo` command line: `serve`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use service_runtime::Shutdown;

use crate::app::App;
use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "chart-repo",
    version,
    about = "A dynamic Helm chart repository"
)]
pub struct Cli {
    /// A TOML file of settings (keys as the CHART_REPO_* variables, lower case, no prefix).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the chart repository, its control API and the hydrator workers.
    Serve,
    /// Render a chart as Helm does and print the result as JSON.
    Render(crate::render::RenderArgs),
}

/// Runs a parsed command line to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => {
            let config = Config::load(cli.config.as_deref())?;
            service_runtime::telemetry::init(config.log_format);
            let shutdown = Shutdown::new();
            shutdown.cancel_on_signals()?;
            App::build(config, shutdown).await?.run().await?;
        }
        Command::Render(args) => crate::render::run(args).map_err(anyhow::Error::msg)?,
    }
    Ok(())
}
