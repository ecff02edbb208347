//! The `market` command line: `serve`, `migrate`, `source serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use service_runtime::{LogFormat, Shutdown};

use crate::app::{App, StartupError};
use crate::config::Config;
use crate::source_serve::{self, SourceServeOptions};
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
    /// Print every setting as `MARKET_NAME=default`, one per line.
    Settings,
    /// Ask the running service's `/readyz` (on its configured listen address);
    /// exit 0 when ready. For container healthchecks.
    Probe,
    /// Market sources: publish a folder of charts as a remote source.
    #[command(subcommand)]
    Source(SourceCommand),
}

#[derive(Debug, Subcommand)]
pub enum SourceCommand {
    /// Publish a folder of chart directories with the market source protocol
    /// (hash, info, details, chart downloads), so anyone can run their own app store.
    /// The folder is read again on SIGHUP, and with --reload-every periodically.
    Serve(SourceServeArgs),
}

#[derive(Debug, Args)]
pub struct SourceServeArgs {
    /// The folder of chart directories (one app per sub-folder).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// Where to listen; with port 0 a free port is picked. The first line on stdout is
    /// `listening on http://ADDR`.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// Read the folder again this often (e.g. 30s, 5m); off by default (SIGHUP always works).
    #[arg(long, value_name = "DURATION", value_parser = parse_period)]
    pub reload_every: Option<Duration>,
    /// `pretty` or `json` logs (on stderr).
    #[arg(long, env = "MARKET_LOG_FORMAT", default_value = "pretty", value_parser = parse_log_format)]
    pub log_format: LogFormat,
}

fn parse_period(raw: &str) -> Result<Duration, String> {
    let period = humantime::parse_duration(raw).map_err(|e| format!("{e} (e.g. 30s, 5m)"))?;
    if period < Duration::from_secs(1) {
        return Err("must be at least 1s".into());
    }
    Ok(period)
}

fn parse_log_format(raw: &str) -> Result<LogFormat, String> {
    match raw {
        "pretty" => Ok(LogFormat::Pretty),
        "json" => Ok(LogFormat::Json),
        other => Err(format!("{other:?}: expected pretty or json")),
    }
}

/// Runs a parsed command line to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = match cli.command {
        // A source is a separate program in spirit: market's settings do not apply to it.
        Command::Source(SourceCommand::Serve(args)) => return serve_source(args).await,
        Command::Settings => {
            for (name, default) in Config::env_defaults() {
                println!("{name}={default}");
            }
            return Ok(());
        }
        command => command,
    };
    let config = Config::load(cli.config.as_deref())?;
    service_runtime::telemetry::init(config.log_format);
    match command {
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
        Command::Probe => {
            service_runtime::probe::probe(config.listen, "/readyz", Duration::from_secs(5)).await?;
        }
        Command::Source(_) | Command::Settings => {}
    }
    Ok(())
}

async fn serve_source(args: SourceServeArgs) -> anyhow::Result<()> {
    let SourceServeArgs {
        dir,
        listen,
        reload_every,
        log_format,
    } = args;
    service_runtime::telemetry::init(log_format);
    let shutdown = Shutdown::new();
    shutdown.cancel_on_signals()?;
    let options = SourceServeOptions {
        dir,
        listen,
        reload_every,
    };
    source_serve::run(options, shutdown).await
}
