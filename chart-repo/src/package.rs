//! `chart-repo package DIR [-d OUT]`: writes `{name}-{version}.tgz` as
//! `helm package` does (the chart's files under one folder named after the
//! chart, `.helmignore` honoured), with deterministic bytes so the SHA-256 of
//! the same input is stable.

use std::path::{Path, PathBuf};

use helm_template::chart::Chart;
use helm_template::load;
use olares_chart::{ChartFile, write_chart_archive};

/// The arguments of `chart-repo package`.
#[derive(Debug, clap::Args)]
pub struct PackageArgs {
    /// The chart directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Where to write the package (default: the current folder).
    #[arg(
        short = 'd',
        long = "destination",
        value_name = "OUT",
        default_value = "."
    )]
    pub destination: PathBuf,
}

/// Packages the chart and returns the written path.
pub fn run(args: &PackageArgs) -> Result<PathBuf, String> {
    let bytes_and_name = package(&args.dir)?;
    let (name, bytes) = bytes_and_name;
    std::fs::create_dir_all(&args.destination)
        .map_err(|e| format!("cannot create {}: {e}", args.destination.display()))?;
    let path = args.destination.join(name);
    std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// The package file name and bytes of a chart directory.
pub fn package(dir: &Path) -> Result<(String, Vec<u8>), String> {
    let files = load::read_dir(dir).map_err(|e| e.to_string())?;
    // Loading checks the chart as Helm would before it packages it.
    let chart = Chart::from_files(files.clone()).map_err(|e| e.to_string())?;
    let (name, version) = (&chart.metadata.name, &chart.metadata.version);
    let entries: Vec<ChartFile> = files
        .into_iter()
        .map(|f| ChartFile {
            path: f.name,
            data: f.data,
        })
        .collect();
    let bytes = write_chart_archive(name, &entries).map_err(|e| e.to_string())?;
    Ok((format!("{name}-{version}.tgz"), bytes))
}
