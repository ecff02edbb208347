//! `app-service-sim`: the app-service simulator as a process (see `e2e::app_service_sim`).
//! Prints `listening on http://ADDR` as its first stdout line, logs to stderr, and stops
//! on SIGINT/SIGTERM. With `crash_mid_install` in force it exits abruptly (status 70).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use e2e::app_service_sim::{CrashAction, FailedState, Fault, Faults, SimConfig, Simulator};

/// An honestly named stand-in for Olares' app-service, for tests.
#[derive(Debug, Parser)]
#[command(name = "app-service-sim", version)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:6755")]
    listen: SocketAddr,
    /// Market's base URL, for state events (`POST {URL}/app-store/api/v2/app-state-events`).
    #[arg(long = "market-url", alias = "market")]
    market_url: Option<url::Url>,
    /// Time spent in each state of a walk, e.g. `50ms`.
    #[arg(long, default_value = "50ms", value_parser = parse_duration)]
    step: Duration,
    /// The admin user's name.
    #[arg(long, default_value = "admin")]
    admin: String,
    /// A system/user env a manifest's `valueFrom` may name: `NAME=VALUE` (repeatable).
    #[arg(long = "env", value_parser = parse_env)]
    envs: Vec<(String, String)>,
    /// Never answer (`APP` or `*` for every app; repeatable).
    #[arg(long, value_name = "APP")]
    hang: Vec<String>,
    /// Answer 500 (`APP` or `*`; repeatable).
    #[arg(long, value_name = "APP")]
    fail500: Vec<String>,
    /// Accept an install, then exit before `running` (`APP` or `*`; repeatable).
    #[arg(long = "crash-mid-install", value_name = "APP")]
    crash_mid_install: Vec<String>,
    /// Accept an install, then stay in `downloading` until canceled (`APP` or `*`; repeatable).
    #[arg(long, value_name = "APP")]
    stall: Vec<String>,
    /// End installs in `installFailed` or `downloadFailed`: `[APP=]STATE` (repeatable).
    #[arg(long = "fail-state", value_name = "[APP=]STATE")]
    fail_state: Vec<String>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let (number, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, "ms"), |i| s.split_at(i));
    let n: u64 = number.parse().map_err(|_| format!("bad duration {s:?}"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        _ => Err(format!("bad duration {s:?}: use ms or s")),
    }
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("expected NAME=VALUE, got {s:?}"))
}

fn faults(args: &Args) -> Result<Faults, String> {
    let mut faults = Faults::default();
    let mut set = |target: &str, fault: Fault| {
        let app = (target != "*").then_some(target);
        faults.set(app, Some(fault));
    };
    for app in &args.hang {
        set(app, Fault::Hang);
    }
    for app in &args.fail500 {
        set(app, Fault::Fail500);
    }
    for app in &args.crash_mid_install {
        set(app, Fault::CrashMidInstall);
    }
    for app in &args.stall {
        set(app, Fault::Stall);
    }
    for spec in &args.fail_state {
        let (app, state) = spec.split_once('=').unwrap_or(("*", spec));
        let state = match state {
            "installFailed" => FailedState::InstallFailed,
            "downloadFailed" => FailedState::DownloadFailed,
            other => {
                return Err(format!(
                    "--fail-state {other:?}: use installFailed or downloadFailed"
                ));
            }
        };
        set(app, Fault::FailState { state });
    }
    Ok(faults)
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let faults = faults(&args).map_err(anyhow::Error::msg)?;
    let config = SimConfig {
        listen: args.listen,
        market_url: args.market_url.clone(),
        step: args.step,
        admin: args.admin.clone(),
        known_envs: SimConfig::default()
            .known_envs
            .into_iter()
            .chain(args.envs.iter().cloned())
            .collect::<BTreeMap<_, _>>(),
        faults,
        on_crash: CrashAction::ExitProcess,
    };
    let sim = Simulator::start(config)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    println!("listening on {}", sim.url());
    tokio::select! {
        () = shutdown_signal() => {}
        () = sim.stopped() => {}
    }
    sim.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
