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
    /// Print every setting as `CHART_REPO_NAME=default`, one per line.
    Settings,
    /// Ask the running service's `/readyz` (on its configured listen address);
    /// exit 0 when ready. For container healthchecks.
    Probe,
    /// Render a chart as Helm does and print the result as JSON.
    Render(crate::render::RenderArgs),
    /// Package a chart directory into `{name}-{version}.tgz`, as `helm package`.
    Package(crate::package::PackageArgs),
    /// Write `index.yaml` for a folder of packages, as `helm repo index`.
    Index(crate::index::IndexArgs),
}

/// The long flags of `render` that the Go oracle (Go's `flag` package) also
/// accepts with a single dash, e.g. `-values f.yaml` or `-repeat=10`.
const RENDER_FLAGS: &[&str] = &[
    "chart",
    "values",
    "set-json",
    "release-name",
    "name",
    "namespace",
    "kube-version",
    "extra",
    "repeat",
    "strict",
];

/// Parses the command line, accepting Go-style single-dash long flags after
/// `render` so the oracle's command lines work unchanged.
pub fn parse_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Cli {
    let mut seen_render = false;
    let args = args.into_iter().map(|arg| {
        let Some(text) = arg.to_str() else { return arg };
        if text == "render" {
            seen_render = true;
        }
        let flag = text.strip_prefix('-').filter(|rest| !rest.starts_with('-'));
        match flag {
            Some(rest)
                if seen_render
                    && RENDER_FLAGS.contains(&rest.split('=').next().unwrap_or(rest)) =>
            {
                format!("--{rest}").into()
            }
            _ => arg,
        }
    });
    Cli::parse_from(args)
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
        Command::Settings => {
            for (name, default) in Config::env_defaults() {
                println!("{name}={default}");
            }
        }
        Command::Probe => {
            let config = Config::load(cli.config.as_deref())?;
            service_runtime::probe::probe(
                config.listen,
                "/readyz",
                std::time::Duration::from_secs(5),
            )
            .await?;
        }
        Command::Render(args) => crate::render::run(args).map_err(anyhow::Error::msg)?,
        Command::Package(args) => {
            let path = crate::package::run(&args).map_err(anyhow::Error::msg)?;
            println!(
                "Successfully packaged chart and saved it to: {}",
                path.display()
            );
        }
        Command::Index(args) => {
            crate::index::run(&args).map_err(anyhow::Error::msg)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_args(args: &[&str]) -> crate::render::RenderArgs {
        let mut all = vec!["chart-repo", "render"];
        all.extend_from_slice(args);
        match parse_args(all.into_iter().map(Into::into)).command {
            Command::Render(r) => r,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn accepts_the_oracles_single_dash_flags() {
        let r = render_args(&[
            "-chart",
            "c",
            "-values",
            "a.yaml",
            "-f",
            "b.yaml",
            "-repeat=3",
            "-strict",
            "-name",
            "n",
        ]);
        assert_eq!(r.chart.as_deref(), Some(std::path::Path::new("c")));
        assert_eq!(r.values.len(), 2);
        assert_eq!(
            (r.repeat, r.strict, r.release_name.as_str()),
            (3, true, "n")
        );
    }

    #[test]
    fn accepts_double_dash_flags_and_a_positional_chart() {
        let r = render_args(&[
            "dir",
            "--set-json",
            "a=1",
            "--kube-version",
            "v1.30.0",
            "--extra",
            "OlaresManifest.yaml",
        ]);
        assert_eq!(r.chart_pos.as_deref(), Some(std::path::Path::new("dir")));
        assert_eq!(
            (r.set_json.len(), r.kube_version.as_str(), r.extra.len()),
            (1, "v1.30.0", 1)
        );
    }
}
