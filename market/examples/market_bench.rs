//! Helper of `scripts/bench-market.sh` (DESIGN.md §9, issue 8 item 8): the market over a
//! catalog of thousands of apps.
//!
//! - `market_bench generate DIR APPS`: a market source folder of APPS apps, renamed copies
//!   `{app}b{k}` of the fixture apps a market keeps (`../shared/fixtures/charts/olares`
//!   without the suspended and removed ones, round robin): `Chart.yaml` and
//!   `OlaresManifest.yaml` rewritten (chart name, `metadata.name`, `metadata.appid`), every
//!   other file hard-linked (copied across file systems). A name whose app id (first 8 hex
//!   of md5) another name already has is skipped, as the source would skip it.
//! - `market_bench seed DB SOURCE CHART_REPO TOKEN USER ROUNDS`: the market built as `main`
//!   builds it (`App::build` over the SQLite file DB, remote source SOURCE, chart-repo
//!   CHART_REPO), without serving. Through the syncer's own functions
//!   (`catalog::sync::{push_sources, sync_once}`, one round of the syncer loop): a cold
//!   sync; ROUNDS no-change rounds (the source's hash is the stored one); ROUNDS syncs after
//!   the stored hash was moved (the whole catalog fetched and compared again, no app
//!   changed). Then the `{app}b0` copy of each fixture app is rendered for USER by chart-repo
//!   (`sync-app`, the request the hydration driver sends), and every catalog app is stored
//!   ready for USER (`put_user_app_ready`, what the driver stores) with its template's
//!   payload, names and ids renamed: rendering thousands of apps would take the bench many
//!   minutes. The data watcher's rounds apply chart-repo's feed of those renders first, so
//!   a market started over DB has nothing to catch up on. Writes `apps.json` beside DB: a
//!   `POST /apps` body naming 10 apps.
//!
//! Prints `name value` lines.

#![allow(clippy::unwrap_used)] // a benchmark helper: a failed step must stop it

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::{StreamExt, stream};
use market::catalog::sync::{push_sources, sync_once};
use market::chart_repo::SyncOutcome;
use market::config::{DatabaseUrl, UserSpec};
use market::state::AppState;
use market::store::{CatalogApp, StaleApp, UserAppKey};
use market::{App, Config};
use market_model::SourceId;
use market_model::protocol::app_id;
use serde_json::{Value, json};
use service_runtime::{LogFormat, Shutdown};

/// How many apps one `POST /apps` of the bench asks for (the frontend's batch).
const ASKED: usize = 10;
/// How many renders are in flight at once while seeding.
const RENDERS_IN_FLIGHT: usize = 4;
/// How long one template render may take, retries included.
const RENDER_WITHIN: Duration = Duration::from_secs(600);
/// Syncs after a moved hash (each fetches the whole catalog).
const MAX_MOVED_ROUNDS: usize = 5;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match arg(0) {
        Some("generate") => generate(Path::new(arg(1).unwrap()), arg(2).unwrap().parse().unwrap()),
        Some("seed") if args.len() == 7 => {
            seed(Seed {
                db: PathBuf::from(&args[1]),
                source: args[2].clone(),
                chart_repo: args[3].clone(),
                token: args[4].clone(),
                user: args[5].clone(),
                rounds: args[6].parse().unwrap(),
            })
            .await;
        }
        _ => panic!(
            "usage: market_bench generate DIR APPS | seed DB SOURCE CHART_REPO TOKEN USER ROUNDS"
        ),
    }
}

/// The fixture apps a market keeps: chart folders without `.suspend` or `.remove`.
fn kept_fixture_apps() -> Vec<PathBuf> {
    let dir = test_harness::fixtures::chart("olares");
    let mut apps: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.join("Chart.yaml").is_file()
                && !p.join(".suspend").exists()
                && !p.join(".remove").exists()
        })
        .collect();
    apps.sort();
    apps
}

fn generate(out: &Path, count: usize) {
    let started = Instant::now();
    let templates = kept_fixture_apps();
    std::fs::create_dir_all(out).unwrap();
    let mut ids = HashSet::new();
    let (mut written, mut skipped, mut k) = (0, 0, 0);
    'copies: loop {
        for template in &templates {
            if written == count {
                break 'copies;
            }
            let app = template.file_name().unwrap().to_str().unwrap();
            let name = format!("{app}b{k}");
            if !ids.insert(app_id(&name)) {
                skipped += 1;
                continue;
            }
            copy_renamed(template, &out.join(&name), app, &name);
            written += 1;
        }
        k += 1;
    }
    println!("apps {written}");
    println!("templates {}", templates.len());
    println!("skipped_id_collisions {skipped}");
    println!("generate_ms {}", started.elapsed().as_millis());
}

/// One renamed copy of a fixture chart folder.
fn copy_renamed(from: &Path, to: &Path, old: &str, new: &str) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let (path, target) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&path, &target);
            continue;
        }
        match entry.file_name().to_str().unwrap() {
            "Chart.yaml" => rewrite(&path, &target, &[(&format!("name: {old}"), 0)], new),
            "OlaresManifest.yaml" => rewrite(
                &path,
                &target,
                &[
                    (&format!("  name: {old}"), 2),
                    (&format!("  appid: {old}"), 2),
                ],
                new,
            ),
            _ => link_or_copy(&path, &target),
        }
    }
}

/// Copies `from` to `to`, rewriting the first line equal to each `(line, indent)`'s line
/// to name `new` instead (`name: x` → `name: new`, same indentation).
fn rewrite(from: &Path, to: &Path, lines: &[(&str, usize)], new: &str) {
    let text = std::fs::read_to_string(from).unwrap();
    let mut out: Vec<String> = text.lines().map(str::to_owned).collect();
    for (line, indent) in lines {
        let at = out
            .iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("{} has no line {line:?}", from.display()));
        let key = line.trim_start().split(':').next().unwrap();
        out[at] = format!("{}{key}: {new}", " ".repeat(*indent));
    }
    std::fs::write(to, out.join("\n") + "\n").unwrap();
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            link_or_copy(&entry.path(), &target);
        }
    }
}

fn link_or_copy(from: &Path, to: &Path) {
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).unwrap();
    }
}

struct Seed {
    db: PathBuf,
    source: String,
    chart_repo: String,
    token: String,
    user: String,
    rounds: usize,
}

fn config(seed: &Seed) -> Config {
    let url = |s: &str| s.parse::<url::Url>().unwrap();
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: seed.db.parent().unwrap().to_owned(),
        database: DatabaseUrl::Sqlite(seed.db.clone()),
        chart_repo_url: url(&seed.chart_repo),
        chart_repo_public_url: url(&seed.chart_repo),
        chart_repo_token: Some(seed.token.clone().into()),
        // Never called: no task runs.
        app_service_url: url("http://127.0.0.1:9"),
        users: vec![UserSpec::parse(&format!("{}:admin", seed.user)).unwrap()],
        remote_source_url: Some(url(&seed.source)),
        olares_version: "latest".into(),
        log_format: LogFormat::Pretty,
        task_workers: 1,
        hydration_concurrency: RENDERS_IN_FLIGHT,
        sync_interval: Duration::from_secs(3600),
        tasks: Default::default(),
        public_mode: false,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// Median and highest of a few timings.
fn summary(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[(times.len() - 1) / 2], *times.last().unwrap())
}

async fn seed(seed: Seed) {
    let shutdown = Shutdown::new();
    let app = App::build(config(&seed), shutdown.clone()).await.unwrap();
    let state = app.state().clone();

    // The syncer loop's round is `push_sources` then `sync_once`.
    let t = Instant::now();
    push_sources(&state).await.unwrap();
    let report = sync_once(&state).await.unwrap();
    let cold = t.elapsed();
    let source = report.source.clone().expect("the remote source is active");
    let diff = report.diff.expect("a first sync stores the catalog");
    println!("catalog_apps {}", diff.added.len());
    println!("sync_cold_ms {}", ms(cold));

    let mut rounds = Vec::new();
    for _ in 0..seed.rounds {
        let t = Instant::now();
        push_sources(&state).await.unwrap();
        let report = sync_once(&state).await.unwrap();
        rounds.push(t.elapsed());
        assert_eq!(report.diff, None, "the source's hash did not move");
    }
    let (p50, max) = summary(rounds);
    println!("sync_unchanged_rounds {}", seed.rounds);
    println!("sync_unchanged_p50_ms {}", ms(p50));
    println!("sync_unchanged_max_ms {}", ms(max));

    let moved_rounds = seed.rounds.clamp(1, MAX_MOVED_ROUNDS);
    let mut moved = Vec::new();
    for i in 0..moved_rounds {
        let mut meta = state.store.catalog_meta(&source).await.unwrap().unwrap();
        meta.hash = format!("moved-{i}");
        state.store.set_catalog_meta(&source, &meta).await.unwrap();
        let t = Instant::now();
        push_sources(&state).await.unwrap();
        let report = sync_once(&state).await.unwrap();
        moved.push(t.elapsed());
        let diff = report.diff.expect("a moved hash fetches the catalog");
        assert!(diff.is_empty(), "no app changed: {diff:?}");
    }
    let (p50, max) = summary(moved);
    println!("sync_moved_rounds {moved_rounds}");
    println!("sync_moved_p50_ms {}", ms(p50));
    println!("sync_moved_max_ms {}", ms(max));

    let apps = state.store.catalog_apps(&source).await.unwrap();
    let t = Instant::now();
    let payloads = render_templates(&state, &source, &seed.user, &apps).await;
    println!("templates_rendered {}", payloads.len());
    println!("render_ms {}", t.elapsed().as_millis());
    // The data watcher's rounds, until chart-repo's feed (these renders) is applied: the
    // market binary then starts with nothing to catch up on.
    loop {
        let round = market::watcher::run_round(&state).await.unwrap();
        if !round.full && round.applied == 0 {
            break;
        }
    }

    let t = Instant::now();
    let mut sizes = Vec::new();
    for app in &apps {
        let (template, _) = split_copy(&app.name);
        let (template_name, template_id, text) = &payloads[template];
        let renamed = text
            .replace(template_name.as_str(), &app.name)
            .replace(template_id.as_str(), &app.app_id);
        sizes.push(renamed.len());
        let payload: Value = serde_json::from_str(&renamed).unwrap();
        let key = UserAppKey::new(&seed.user, &source, &app.name);
        state
            .store
            .put_user_app_ready(&key, &app.app_id, &app.version, &payload, Utc::now())
            .await
            .unwrap();
    }
    sizes.sort_unstable();
    println!("user_apps {}", apps.len());
    println!("seed_ms {}", t.elapsed().as_millis());
    println!("payload_p50_bytes {}", sizes[sizes.len() / 2]);
    println!("payload_total_bytes {}", sizes.iter().sum::<usize>());

    // Ten apps spread over the catalog (and so over the templates), by name as the
    // Olares frontend asks.
    let asked: Vec<Value> = (0..ASKED)
        .map(|i| {
            let app = &apps[i * apps.len() / ASKED];
            json!({"appid": app.name, "sourceDataName": source.as_str()})
        })
        .collect();
    let body = json!({ "apps": asked });
    let path = seed.db.with_file_name("apps.json");
    std::fs::write(&path, serde_json::to_vec(&body).unwrap()).unwrap();
    println!("apps_body {}", path.display());
    shutdown.token.cancel();
}

/// `ghostb12` → (`ghost`, 12).
fn split_copy(name: &str) -> (&str, usize) {
    let (template, k) = name.rsplit_once('b').unwrap();
    (template, k.parse().unwrap())
}

/// Renders the `{app}b0` copy of every fixture app for `user`; template app → (its name,
/// its id, the payload's JSON).
async fn render_templates(
    state: &AppState,
    source: &SourceId,
    user: &str,
    apps: &[CatalogApp],
) -> BTreeMap<String, (String, String, String)> {
    let firsts: Vec<&CatalogApp> = apps.iter().filter(|a| split_copy(&a.name).1 == 0).collect();
    stream::iter(firsts)
        .map(|app| async move {
            let stale = StaleApp {
                user: user.to_owned(),
                source: source.clone(),
                app_id: app.app_id.clone(),
                app_name: app.name.clone(),
                catalog_version: app.version.clone(),
                entry_digest: app.entry_digest.clone(),
                entry: app.entry.clone(),
            };
            let request = market::hydration::request(&stale, user).unwrap();
            let deadline = Instant::now() + RENDER_WITHIN;
            // An answer still in progress is asked again: the call joins chart-repo's
            // job and waits for it server-side.
            let payload = loop {
                match state.chart_repo.sync_app(&request).await.unwrap() {
                    SyncOutcome::Done(done) => {
                        break serde_json::to_string(&done.app_data).unwrap();
                    }
                    SyncOutcome::Failed(f) => panic!("{}: {f:?}", app.name),
                    SyncOutcome::InProgress { .. } => {
                        assert!(Instant::now() < deadline, "{} still rendering", app.name);
                    }
                }
            };
            let template = split_copy(&app.name).0.to_owned();
            (template, (app.name.clone(), app.app_id.clone(), payload))
        })
        .buffer_unordered(RENDERS_IN_FLIGHT)
        .collect()
        .await
}
