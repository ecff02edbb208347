//! Fuzzing olares-chart: the capped archive reader (`reader`) and the typed models of a
//! chart's files (`models`). Budget, seeds and replay: `test_harness::fuzz`; inputs start
//! from the shared fixture charts, packaged with the crate's own deterministic writer.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

#[path = "../common/mod.rs"]
mod common;
mod models;
mod reader;

use std::path::Path;

use olares_chart::{ChartFile, parse_metadata, write_chart_archive};

/// Every file under `dir`, paths relative to it, sorted.
pub fn files(dir: &Path) -> Vec<ChartFile> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            if path.is_dir() {
                stack.push((path, rel));
            } else {
                out.push(ChartFile::new(rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// A fixture chart as the writer packages it.
#[derive(Clone, Debug)]
pub struct Packaged {
    pub top: String,
    pub files: Vec<ChartFile>,
    pub tgz: Vec<u8>,
}

/// The fixture charts whose package is at most `max_bytes`, packaged under their chart name.
pub fn packaged(max_bytes: usize) -> Vec<Packaged> {
    let mut out = Vec::new();
    for dir in test_harness::fixtures::chart_dirs() {
        let files = files(&dir);
        let chart = files.iter().find(|f| f.path == "Chart.yaml").unwrap();
        let top = parse_metadata(&chart.data).unwrap().name;
        let tgz = write_chart_archive(&top, &files).unwrap();
        if tgz.len() <= max_bytes {
            out.push(Packaged { top, files, tgz });
        }
    }
    assert!(out.len() >= 10, "too few fixture charts to fuzz from");
    out
}
