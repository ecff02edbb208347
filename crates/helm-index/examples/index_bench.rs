//! Helpers of `scripts/bench-index.sh`:
//!
//! - `generate OUT N FIXTURE_DIR…`: writes N packages to OUT, made from the fixture chart
//!   folders by renaming (`{app}{k}`) and re-versioning (`1.{k}.0`), so the folder holds
//!   about N/37 versions of each of 37 × apps charts.
//! - `serialize DIR ROUNDS`: indexes DIR once, then times, per round, building the index from
//!   its entries, writing it all (every chart's text cold), and one incremental update
//!   (add a version, write again). Prints `name ns` lines.

#![allow(clippy::unwrap_used)] // a benchmark helper: a failed step must stop it

use std::path::Path;
use std::time::Instant;

use helm_index::{ChartVersion, IndexFile, index_directory};
use olares_chart::{ChartFile, write_chart_archive};

fn rewrite_chart_yaml(text: &str, name: &str, version: &str) -> String {
    text.lines()
        .map(|line| {
            if line.starts_with("name:") {
                format!("name: {name}")
            } else if line.starts_with("version:") {
                format!("version: {version}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn generate(out: &Path, n: usize, dirs: &[String]) {
    std::fs::create_dir_all(out).unwrap();
    let charts: Vec<(String, Vec<ChartFile>)> = dirs
        .iter()
        .map(|d| {
            let files = helm_template::load::read_dir(Path::new(d)).unwrap();
            let name = Path::new(d)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let files = files
                .into_iter()
                .map(|f| ChartFile::new(f.name, f.data))
                .collect();
            (name, files)
        })
        .collect();
    for i in 0..n {
        let (app, files) = &charts[i % charts.len()];
        let k = i / charts.len();
        let name = format!("{app}{}", k % 37);
        let version = format!("1.{k}.0");
        let files: Vec<ChartFile> = files
            .iter()
            .map(|f| {
                if f.path == "Chart.yaml" {
                    let text = String::from_utf8_lossy(&f.data);
                    ChartFile::new("Chart.yaml", rewrite_chart_yaml(&text, &name, &version))
                } else {
                    f.clone()
                }
            })
            .collect();
        let bytes = write_chart_archive(&name, &files).unwrap();
        std::fs::write(out.join(format!("{name}-{version}.tgz")), bytes).unwrap();
    }
}

fn serialize(dir: &Path, rounds: usize) {
    let index = index_directory(dir, None).unwrap();
    let entries: Vec<ChartVersion> = index.entries().cloned().collect();
    let extra = {
        let mut e = entries[0].clone();
        e.metadata.version = "99.0.0".into();
        e
    };
    let (mut build, mut cold, mut incremental) = (Vec::new(), Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let mut fresh = IndexFile::new();
        for e in &entries {
            fresh.add(e.clone());
        }
        build.push(t.elapsed().as_nanos());
        let t = Instant::now();
        let text = fresh.to_yaml();
        cold.push(t.elapsed().as_nanos());
        bytes = text.len();
        let t = Instant::now();
        fresh.add(extra.clone());
        let text = fresh.to_yaml();
        incremental.push(t.elapsed().as_nanos());
        assert!(text.len() > bytes);
    }
    let median = |v: &mut Vec<u128>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    println!("entries {}", entries.len());
    println!("bytes {bytes}");
    println!("build_ns {}", median(&mut build));
    println!("serialize_cold_ns {}", median(&mut cold));
    println!("add_and_serialize_ns {}", median(&mut incremental));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") => generate(Path::new(&args[1]), args[2].parse().unwrap(), &args[3..]),
        Some("serialize") => serialize(Path::new(&args[1]), args[2].parse().unwrap()),
        _ => {
            eprintln!("usage: index_bench generate OUT N DIR… | serialize DIR ROUNDS");
            std::process::exit(2);
        }
    }
}
