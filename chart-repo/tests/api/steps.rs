//! The compliance test of the hydrator's steps (STYLE.md §6), over the real pipeline on
//! a real store: every step runs in order inside its `step` span and is timed in
//! `chart_repo_step_duration_seconds{step}`; a cancelled hydration stops before the next
//! step and writes nothing; a broken chart is refused by the step that finds it, with a
//! permanent error that says why; a current record skips every step but the last.

use std::sync::{Arc, Mutex};

use chart_repo::config::RegistryAllow;
use chart_repo::hydrator::custom_params::CustomParams;
use chart_repo::hydrator::database_update::DatabaseUpdate;
use chart_repo::hydrator::image_analysis::ImageAnalysis;
use chart_repo::hydrator::rendered_chart::RenderedChart;
use chart_repo::hydrator::source_chart::SourceChart;
use chart_repo::hydrator::{Failed, Hydration, Pipeline, StepError, StepName};
use chart_repo::index::RepoIndexes;
use chart_repo::metrics::RepoMetrics;
use chart_repo::packages::PackageStore;
use chart_repo::registry::cache::MemoryImageCache;
use chart_repo::registry::{Analyzer, RegistryConfig};
use chart_repo::store::{HydrationKey, RepoStore, SqliteStore};
use market_model::SourceId;
use market_model::protocol::ApplicationInfoEntry;
use market_model::sync::{PendingAppData, SyncAppRequest, SyncStatus};
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;
use tracing_subscriber::layer::SubscriberExt;

struct Kit {
    store: Arc<dyn RepoStore>,
    packages: PackageStore,
    pipeline: Pipeline,
    registry: Registry,
    _dir: tempfile::TempDir,
}

async fn kit() -> Kit {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("repo.db"))
        .await
        .unwrap();
    sqlite.migrate().await.unwrap();
    let store: Arc<dyn RepoStore> = Arc::new(sqlite);
    let packages = PackageStore::open(&dir.path().join("packages"))
        .await
        .unwrap();
    let indexes = Arc::new(RepoIndexes::new());
    let mut registry = Registry::with_prefix("chart_repo");
    let metrics = RepoMetrics::register(&mut registry);
    // No registry may be contacted: every image is reported, none fetched.
    let config = RegistryConfig {
        allow: RegistryAllow::Hosts(vec![]),
        ..RegistryConfig::default()
    };
    let analyzer = Arc::new(Analyzer::new(config, Arc::new(MemoryImageCache::new())).unwrap());
    let steps: Vec<Box<dyn chart_repo::hydrator::Step>> = vec![
        Box::new(SourceChart::new(
            store.clone(),
            packages.clone(),
            reqwest::Client::new(),
            olares_chart::Limits::default(),
        )),
        Box::new(RenderedChart),
        Box::new(CustomParams),
        Box::new(ImageAnalysis::new(analyzer, store.clone())),
        Box::new(DatabaseUpdate::new(
            store.clone(),
            packages.clone(),
            indexes,
        )),
    ];
    Kit {
        pipeline: Pipeline::new(steps, metrics),
        store,
        packages,
        registry,
        _dir: dir,
    }
}

/// A leased hydration of `bytes` (a package of app `name`) uploaded into `upload`.
async fn hydration(kit: &Kit, name: &str, bytes: &[u8]) -> Hydration {
    let digest = kit.packages.put_source(bytes).await.unwrap();
    let entry = ApplicationInfoEntry {
        name: name.into(),
        version: "1.0.0".into(),
        ..Default::default()
    };
    let request = SyncAppRequest {
        app_info_latest_pending_data: PendingAppData {
            raw_data: Some(entry),
            raw_package: digest,
            ..PendingAppData::default()
        },
        source_id: "upload".into(),
        user_name: "alice".into(),
        admin_user: "alice".into(),
    };
    let source = SourceId::parse("upload").unwrap();
    let mut job = Hydration::new(request.clone(), source.clone(), "olares.local").unwrap();
    let key = HydrationKey {
        user: "alice".into(),
        source,
        app: name.into(),
        version: job.version.clone(),
    };
    let now = chrono::Utc::now();
    kit.store
        .enqueue(&key, &serde_json::to_value(&request).unwrap(), now)
        .await
        .unwrap();
    let leased = kit
        .store
        .lease("test", 1, std::time::Duration::from_secs(60), now)
        .await
        .unwrap();
    job.lease = Some((leased[0].id, leased[0].lease.as_ref().unwrap().token));
    job
}

/// A fixture app packaged with its version set to 1.0.0.
fn ghost() -> Vec<u8> {
    chart_repo::package::package(&test_harness::fixtures::chart("olares/ghost"))
        .unwrap()
        .1
}

/// Records the `step` field of every span opened.
#[derive(Clone, Default)]
struct StepSpans(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StepSpans {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        struct Visit<'a>(&'a Mutex<Vec<String>>);
        impl tracing::field::Visit for Visit<'_> {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "step" {
                    self.0.lock().unwrap().push(value.to_owned());
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        if attrs.metadata().name() == "step" {
            attrs.record(&mut Visit(&self.0));
        }
    }
}

fn version_of(bytes: &[u8]) -> String {
    let archive =
        olares_chart::read_chart_archive(bytes, &olares_chart::Limits::default()).unwrap();
    olares_chart::parse_metadata(&archive.file("Chart.yaml").unwrap().data)
        .unwrap()
        .version
}

#[tokio::test]
async fn every_step_runs_in_order_in_its_span_and_is_timed() {
    let kit = kit().await;
    let bytes = ghost();
    let mut job = hydration(&kit, "ghost", &bytes).await;
    job.version = version_of(&bytes);
    let spans = StepSpans::default();
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    let guard = tracing::subscriber::set_default(subscriber);
    kit.pipeline
        .run(&mut job, &CancellationToken::new())
        .await
        .unwrap();
    drop(guard);
    assert_eq!(
        *spans.0.lock().unwrap(),
        [
            "source_chart",
            "rendered_chart",
            "custom_params",
            "image_analysis",
            "database_update"
        ]
    );
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &kit.registry).unwrap();
    for step in [
        "source_chart",
        "rendered_chart",
        "custom_params",
        "image_analysis",
        "database_update",
    ] {
        let line = format!("chart_repo_step_duration_seconds_count{{step=\"{step}\"}} 1");
        assert!(text.contains(&line), "{line} in:\n{text}");
    }
    assert_eq!(job.result.as_ref().unwrap().status, SyncStatus::New);
    // Images were found but never fetched: the allow-list is empty.
    assert!(!job.images.is_empty());
    assert!(
        job.images
            .iter()
            .all(|i| i.status == market_model::ImageStatus::RegistryError)
    );
}

#[tokio::test]
async fn a_cancelled_hydration_stops_before_the_next_step_and_writes_nothing() {
    let kit = kit().await;
    let mut job = hydration(&kit, "ghost", &ghost()).await;
    let cancel = CancellationToken::new();
    cancel.cancel();
    let err = kit.pipeline.run(&mut job, &cancel).await.unwrap_err();
    assert_eq!(
        err,
        Failed {
            step: StepName::SourceChart,
            error: StepError::Cancelled
        }
    );
    assert!(job.source_package.is_none() && job.result.is_none());
    assert!(kit.store.apps("alice", None).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_broken_chart_is_refused_by_the_step_that_finds_it() {
    let kit = kit().await;
    let files = vec![
        olares_chart::ChartFile::new(
            "Chart.yaml",
            "apiVersion: v2\nname: broken\nversion: 1.0.0\n",
        ),
        olares_chart::ChartFile::new(
            "OlaresManifest.yaml",
            "olaresManifest.version: '0.10.0'\nmetadata: {name: broken, title: Broken, version: 1.0.0}\n",
        ),
        olares_chart::ChartFile::new("templates/deploy.yaml", "kind: {{ .Values.x \n"),
    ];
    let bytes = olares_chart::write_chart_archive("broken", &files).unwrap();
    let mut job = hydration(&kit, "broken", &bytes).await;
    let err = kit
        .pipeline
        .run(&mut job, &CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(err.step, StepName::RenderedChart);
    let StepError::Permanent(reason) = &err.error else {
        panic!("{err:?} is permanent")
    };
    assert!(
        reason.contains("deploy.yaml"),
        "the reason names the template: {reason}"
    );
    assert!(kit.store.apps("alice", None).await.unwrap().is_empty());

    // Not a chart at all: the first step refuses it.
    let mut job = hydration(&kit, "junk", b"not a tgz").await;
    let err = kit
        .pipeline
        .run(&mut job, &CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(err.step, StepName::SourceChart);
    assert!(!err.error.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn a_current_record_skips_every_step_but_the_last() {
    let kit = kit().await;
    let bytes = ghost();
    let mut first = hydration(&kit, "ghost", &bytes).await;
    first.version = version_of(&bytes);
    kit.pipeline
        .run(&mut first, &CancellationToken::new())
        .await
        .unwrap();
    let record = kit
        .store
        .app("alice", &SourceId::parse("upload").unwrap(), "ghost")
        .await
        .unwrap()
        .unwrap();
    let mut again = hydration(&kit, "ghost", &bytes).await;
    again.version = first.version.clone();
    again.current = Some(record);
    kit.pipeline
        .run(&mut again, &CancellationToken::new())
        .await
        .unwrap();
    assert!(
        again.source_package.is_none() && again.rendered.is_none(),
        "steps 1-4 skipped"
    );
    assert_eq!(again.result.unwrap().status, SyncStatus::Existing);
}
