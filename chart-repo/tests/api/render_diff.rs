//! `chart-repo render` against real Helm (`helm-render`) over every fixture
//! chart: the same bytes, or — for templates calling random or clock functions —
//! the same tokens once those Helm itself varies between two renders are masked.
//! Olares apps render with the Olares values for the admin and for a normal
//! user, with their `OlaresManifest.yaml` rendered as a template too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use test_harness::{HelmPeer, fixtures};

type Rendered = BTreeMap<String, String>;

/// One render to compare: a chart folder and the arguments both tools get.
struct Case {
    label: String,
    chart: PathBuf,
    args: Vec<String>,
}

fn ours(case: &Case) -> Result<(String, Rendered), String> {
    let out = Command::new(env!("CARGO_BIN_EXE_chart-repo"))
        .arg("render")
        .arg(&case.chart)
        .args(&case.args)
        .output()
        .map_err(|e| e.to_string())?;
    parse(out)
}

fn helm(peer: &HelmPeer, case: &Case) -> Result<(String, Rendered), String> {
    let mut args = vec![case.chart.display().to_string()];
    args.extend(case.args.iter().cloned());
    parse(peer.render(args))
}

fn parse(out: std::process::Output) -> Result<(String, Rendered), String> {
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    let raw = String::from_utf8_lossy(&out.stdout).into_owned();
    let map = serde_json::from_str(&raw).map_err(|e| format!("not JSON: {e}"))?;
    Ok((raw, map))
}

/// compare-fixtures' tokens: words of base64/identifier characters, runs of
/// white space, or single characters.
fn tokens(s: &str) -> Vec<&str> {
    let word = |c: char| c.is_ascii_alphanumeric() || "+/=_.-".contains(c);
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let len = if word(c) {
            rest.find(|x: char| !word(x)).unwrap_or(rest.len())
        } else if c.is_whitespace() {
            rest.find(|x: char| !x.is_whitespace())
                .unwrap_or(rest.len())
        } else {
            c.len_utf8()
        };
        out.push(&rest[..len]);
        rest = &rest[len..];
    }
    out
}

/// Equal once the tokens that differ between Helm's two renders are masked.
fn masked_equal(ours: &str, helm1: &str, helm2: &str) -> Result<(), String> {
    let (o, a, b) = (tokens(ours), tokens(helm1), tokens(helm2));
    if o.len() != a.len() || a.len() != b.len() {
        return Err(format!("token counts {}/{}/{}", o.len(), a.len(), b.len()));
    }
    match o
        .iter()
        .zip(&a)
        .zip(&b)
        .position(|((x, y), z)| y == z && x != y)
    {
        Some(i) => Err(format!("token {i}: ours {:?} helm {:?}", o[i], a[i])),
        None => Ok(()),
    }
}

fn first_diff(key: &str, ours: &str, helm: &str) -> String {
    let (o, h): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), helm.lines().collect());
    let line = (0..o.len().max(h.len()))
        .find(|&i| o.get(i) != h.get(i))
        .unwrap_or(0);
    let cut = |s: Option<&&str>| s.map_or("<EOF>".to_owned(), |s| s.chars().take(150).collect());
    format!(
        "{key}:{}: ours {:?} | helm {:?}",
        line + 1,
        cut(o.get(line)),
        cut(h.get(line))
    )
}

/// `Ok(note)` when the renders agree, `Err(reason)` when they do not.
fn compare(peer: &HelmPeer, case: &Case) -> Result<&'static str, String> {
    let (ours1, helm1) = (ours(case), helm(peer, case));
    let ((o_raw, o1), (h_raw, h1)) = match (ours1, helm1) {
        (Ok(o), Ok(h)) => (o, h),
        (Err(o), Err(h)) if o == h => return Ok("both fail alike"),
        (o, h) => return Err(format!("ours: {:?}\n      helm: {:?}", o.err(), h.err())),
    };
    if o_raw == h_raw {
        return Ok("identical");
    }
    let (_, o2) = ours(case)?;
    let (_, h2) = helm(peer, case)?;
    let mut diffs = Vec::new();
    for key in o1
        .keys()
        .chain(h1.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        match (o1.get(key), h1.get(key)) {
            (Some(o), Some(h)) if o == h => {}
            (Some(o), Some(h)) => {
                let nondeterministic = h1.get(key) != h2.get(key) || o1.get(key) != o2.get(key);
                if !nondeterministic {
                    diffs.push(first_diff(key, o, h));
                } else if let Err(why) = masked_equal(o, h, h2.get(key).map_or("", String::as_str))
                {
                    diffs.push(format!("{key}: nondeterministic and differs ({why})"));
                }
            }
            (o, _) => diffs.push(format!(
                "{key}: only in {}",
                if o.is_some() { "ours" } else { "helm" }
            )),
        }
    }
    if diffs.is_empty() {
        Ok("identical-normalized")
    } else {
        Err(diffs.join("\n      "))
    }
}

/// Chart folders under `root` (a `Chart.yaml`, not inside a `charts/` folder).
fn chart_dirs(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let mut dirs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        if dir.file_name().is_some_and(|n| n == "charts") {
            continue;
        }
        if dir.join("Chart.yaml").is_file() {
            out.push(dir.clone());
        }
        chart_dirs(&dir, out);
    }
}

fn cases() -> Vec<Case> {
    let charts = fixtures::fixtures_dir().join("charts");
    let values = fixtures::fixtures_dir()
        .join("values/olares-user.yaml")
        .display()
        .to_string();
    let mut cases = Vec::new();
    let mut dirs = Vec::new();
    chart_dirs(&charts.join("helm"), &mut dirs);
    for chart in dirs.drain(..) {
        let label = chart
            .strip_prefix(&charts)
            .unwrap_or(&chart)
            .display()
            .to_string();
        cases.push(Case {
            label,
            chart,
            args: Vec::new(),
        });
    }
    chart_dirs(&charts.join("olares"), &mut dirs);
    for chart in dirs {
        let label = chart
            .strip_prefix(&charts)
            .unwrap_or(&chart)
            .display()
            .to_string();
        let mut args = vec!["--values".to_owned(), values.clone()];
        if chart.join("OlaresManifest.yaml").is_file() {
            args.extend(["--extra".to_owned(), "OlaresManifest.yaml".to_owned()]);
        }
        let mut user = args.clone();
        user.extend(["--set-json".to_owned(), "admin=\"bob\"".to_owned()]);
        cases.push(Case {
            label: format!("{label} (admin)"),
            chart: chart.clone(),
            args,
        });
        cases.push(Case {
            label: format!("{label} (user)"),
            chart,
            args: user,
        });
    }
    cases
}

#[test]
fn render_matches_helm_on_every_fixture() {
    let peer = HelmPeer::locate();
    let cases = cases();
    assert!(
        cases.len() >= 60,
        "expected the fixture charts, found {} cases",
        cases.len()
    );
    let results = Mutex::new(Vec::new());
    let next = Mutex::new(0usize);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(case) = cases.get(i) else { break };
                    let result = compare(&peer, case);
                    results.lock().unwrap().push((case.label.clone(), result));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let failed: Vec<_> = results.iter().filter(|(_, r)| r.is_err()).collect();
    let mut table = String::new();
    for (label, result) in &results {
        match result {
            Ok(note) => table.push_str(&format!("{note:22} {label}\n")),
            Err(why) => table.push_str(&format!("{:22} {label}\n      {why}\n", "DIFFERS")),
        }
    }
    table.push_str(&format!(
        "{} passed, {} failed\n",
        results.len() - failed.len(),
        failed.len()
    ));
    println!("{table}");
    assert!(
        failed.is_empty(),
        "chart-repo render differs from Helm:\n{table}"
    );
}
