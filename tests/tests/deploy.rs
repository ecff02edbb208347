//! The operators' files (`docker-compose.yml`, `deploy/Dockerfile.*`,
//! `deploy/helm/`) checked against the binaries they deploy: no container engine
//! runs here, so what can drift is checked instead — every environment variable
//! is one the service reads (`market settings` / `chart-repo settings` list
//! them), ports, healthchecks and volume paths agree, the healthcheck command
//! really follows readiness, and the Kubernetes chart renders identically with
//! real Helm and with `chart-repo render` into objects that pass Kubernetes'
//! JSON schemas.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e::service_binary;
use serde_json::Value;
use test_harness::RunningBinary;
use test_harness::fixtures::repo_root;
use test_harness::helm::HelmPeer;

/// The two services as deployed: (compose service = binary, env prefix, port).
const SERVICES: [(&str, &str, u16); 2] = [
    ("market", "MARKET_", 8080),
    ("chart-repo", "CHART_REPO_", 8082),
];

/// `<binary> settings`: every setting's environment name and default.
fn settings(binary: &str) -> BTreeMap<String, String> {
    let out = Command::new(service_binary(binary))
        .arg("settings")
        .output()
        .unwrap();
    assert!(out.status.success(), "{binary} settings: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let settings: BTreeMap<String, String> = text
        .lines()
        .map(|line| {
            let (name, default) = line.split_once('=').unwrap();
            (name.to_owned(), default.to_owned())
        })
        .collect();
    assert!(settings.len() > 10, "{binary} settings: {text}");
    settings
}

fn read_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    helm_yaml::read::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn compose() -> Value {
    read_yaml(&repo_root().join("docker-compose.yml"))
}

fn str_list(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn compose_sets_only_settings_the_services_read() {
    let compose = compose();
    for (service, prefix, _) in SERVICES {
        let known = settings(service);
        let env = compose["services"][service]["environment"]
            .as_object()
            .unwrap_or_else(|| panic!("services.{service}.environment is not a map"));
        for name in env.keys() {
            assert!(
                known.contains_key(name),
                "docker-compose.yml sets {name} for {service}, which reads no such setting; \
                 it reads: {:?}",
                known.keys().collect::<Vec<_>>()
            );
        }
        // The production profile and the container's own layout, not defaults.
        for required in ["LISTEN", "DATA_DIR", "LOG_FORMAT"] {
            assert!(
                env.contains_key(&format!("{prefix}{required}")),
                "{service}: {prefix}{required}"
            );
        }
    }
    let market = &compose["services"]["market"]["environment"];
    let repo = &compose["services"]["chart-repo"]["environment"];
    assert!(
        market["MARKET_DATABASE_URL"]
            .as_str()
            .unwrap()
            .starts_with("postgres://")
    );
    assert!(
        market["MARKET_DATABASE_URL"]
            .as_str()
            .unwrap()
            .contains("@postgres:5432/")
    );
    assert!(
        repo["CHART_REPO_STORE_URL"]
            .as_str()
            .unwrap()
            .starts_with("redis://redis:6379")
    );
    // market reaches chart-repo by its service name and listen port.
    assert_eq!(market["MARKET_CHART_REPO_URL"], "http://chart-repo:8082");
    // The token chart-repo requires is the one market sends.
    assert_eq!(
        market["MARKET_CHART_REPO_TOKEN"],
        repo["CHART_REPO_API_TOKEN"]
    );
}

#[test]
fn compose_ports_volumes_and_healthchecks_agree_with_the_services() {
    let compose = compose();
    let services = compose["services"].as_object().unwrap();
    for name in ["market", "chart-repo", "postgres", "redis", "registry"] {
        assert!(
            services.contains_key(name),
            "docker-compose.yml has no {name} service"
        );
    }
    let declared: BTreeSet<&String> = compose["volumes"].as_object().unwrap().keys().collect();
    for (service, prefix, port) in SERVICES {
        let spec = &services[service];
        let env = &spec["environment"];
        let listen = env[format!("{prefix}LISTEN")].as_str().unwrap();
        assert_eq!(
            listen,
            format!("0.0.0.0:{port}"),
            "{service} must listen on all interfaces"
        );
        assert_eq!(
            str_list(&spec["ports"]),
            [format!("{port}:{port}")],
            "{service} ports"
        );
        let data_dir = env[format!("{prefix}DATA_DIR")].as_str().unwrap();
        let mounts = str_list(&spec["volumes"]);
        assert!(
            mounts.iter().any(|m| m.ends_with(&format!(":{data_dir}"))),
            "{service}: the data dir {data_dir} is not on a volume ({mounts:?})"
        );
        assert_eq!(
            str_list(&spec["healthcheck"]["test"]),
            ["CMD", service, "probe"],
            "{service} healthcheck"
        );
        assert_eq!(
            spec["build"]["dockerfile"],
            format!("deploy/Dockerfile.{service}"),
            "{service} build"
        );
        for (dependency, condition) in spec["depends_on"].as_object().unwrap() {
            assert_eq!(
                condition["condition"], "service_healthy",
                "{service} → {dependency}"
            );
            assert!(
                services[dependency.as_str()].get("healthcheck").is_some(),
                "{service} waits for {dependency} to be healthy, which has no healthcheck"
            );
        }
    }
    // Every named volume any service mounts is declared.
    for (service, spec) in services {
        for mount in spec.get("volumes").map(str_list).unwrap_or_default() {
            let source = mount.split(':').next().unwrap();
            if !source.starts_with('.') && !source.starts_with('/') {
                assert!(
                    declared.contains(&source.to_owned()),
                    "{service} mounts undeclared volume {source}"
                );
            }
        }
    }
    // The queue and the state-change feed must survive a Redis restart.
    let redis = str_list(&services["redis"]["command"]).join(" ");
    assert!(
        redis.contains("--appendonly yes"),
        "redis without persistence: {redis}"
    );
    assert_eq!(services["postgres"]["environment"]["POSTGRES_DB"], "market");
}

#[test]
fn dockerfiles_build_one_binary_each_and_run_it_as_a_non_root_user() {
    for (service, prefix, port) in SERVICES {
        let path = repo_root().join(format!("deploy/Dockerfile.{service}"));
        let text = std::fs::read_to_string(&path).unwrap();
        let has = |line: &str| text.lines().any(|l| l.trim() == line);
        assert!(
            text.contains(&format!("cargo build --release --locked -p {service}")),
            "{service}"
        );
        assert!(has(&format!("EXPOSE {port}")), "{service}: EXPOSE {port}");
        assert!(
            has(&format!("ENTRYPOINT [\"{service}\"]")),
            "{service}: ENTRYPOINT"
        );
        assert!(has("CMD [\"serve\"]"), "{service}: CMD");
        assert!(
            text.contains(&format!("CMD [\"{service}\", \"probe\"]")),
            "{service}: HEALTHCHECK"
        );
        assert!(
            text.contains(&format!("{prefix}LISTEN=0.0.0.0:{port}")),
            "{service}: listen"
        );
        assert!(
            text.contains(&format!("{prefix}DATA_DIR=/data")),
            "{service}: data dir"
        );
        let stages = text.lines().filter(|l| l.starts_with("FROM ")).count();
        assert_eq!(
            stages, 2,
            "{service}: a build stage and a slim runtime stage"
        );
        let user = text
            .lines()
            .rfind(|l| l.starts_with("USER "))
            .unwrap_or_else(|| panic!("{service}: no USER"));
        let uid = user.trim_start_matches("USER ").split(':').next().unwrap();
        assert_ne!(uid.parse::<u32>().unwrap(), 0, "{service} runs as root");
        // Every setting the image sets is one the service reads.
        let known = settings(service);
        for name in text
            .split_whitespace()
            .filter_map(|w| w.split_once('='))
            .map(|(n, _)| n)
        {
            if name.starts_with(prefix) {
                assert!(
                    known.contains_key(name),
                    "{service}: the image sets unknown {name}"
                );
            }
        }
    }
}

#[test]
fn the_probe_command_follows_readiness() {
    let data = tempfile::tempdir().unwrap();
    let repo_dir = data.path().join("chart-repo");
    let mut repo = RunningBinary::start(
        &service_binary("chart-repo"),
        &["serve"],
        &[
            ("CHART_REPO_LISTEN", "127.0.0.1:0"),
            ("CHART_REPO_DATA_DIR", repo_dir.to_str().unwrap()),
            ("CHART_REPO_REGISTRY_ALLOW", ""),
        ],
    );
    let addr = repo.url.trim_start_matches("http://").to_owned();
    let probe = |binary: &str, prefix: &str, addr: &str| {
        Command::new(service_binary(binary))
            .arg("probe")
            .env(format!("{prefix}LISTEN"), addr)
            .env(format!("{prefix}LOG_FORMAT"), "json")
            .output()
            .unwrap()
    };
    let ready = test_harness::eventually::wait_until(
        std::time::Duration::from_secs(30),
        "chart-repo probe to succeed",
        || {
            let out = probe("chart-repo", "CHART_REPO_", &addr);
            Ok::<_, String>(out.status.success().then_some(out))
        },
    );
    assert!(ready.is_ok(), "{ready:?}");

    let mut market = RunningBinary::start(
        &service_binary("market"),
        &["serve"],
        &[
            ("MARKET_LISTEN", "127.0.0.1:0"),
            (
                "MARKET_DATA_DIR",
                data.path().join("market").to_str().unwrap(),
            ),
            ("MARKET_CHART_REPO_URL", &repo.url),
        ],
    );
    let market_addr = market.url.trim_start_matches("http://").to_owned();
    let ready = test_harness::eventually::wait_until(
        std::time::Duration::from_secs(30),
        "market probe to succeed",
        || {
            let out = probe("market", "MARKET_", &market_addr);
            Ok::<_, String>(out.status.success().then_some(out))
        },
    );
    assert!(ready.is_ok(), "{ready:?}");

    // Stopped: the probe fails with one line naming the address.
    for (binary, prefix, running, addr) in [
        ("market", "MARKET_", &mut market, &market_addr),
        ("chart-repo", "CHART_REPO_", &mut repo, &addr),
    ] {
        running
            .stop_with(
                nix::sys::signal::Signal::SIGTERM,
                std::time::Duration::from_secs(20),
            )
            .unwrap();
        let out = probe(binary, prefix, addr);
        assert!(
            !out.status.success(),
            "{binary} probe succeeded with nothing listening"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(addr.as_str()) && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}

/// The chart and the values files it is tested with.
fn chart_dir() -> PathBuf {
    repo_root().join("deploy/helm/olares-market")
}

fn value_sets() -> Vec<(&'static str, Vec<String>)> {
    let production = repo_root().join("deploy/helm/values-production.yaml");
    vec![
        ("defaults", vec![]),
        (
            "production",
            vec!["--values".into(), production.display().to_string()],
        ),
    ]
}

/// Renders the chart with real Helm and with `chart-repo render`; asserts the
/// bytes agree and returns the parsed output (template key → text).
fn render_both(args: &[String]) -> BTreeMap<String, String> {
    let mut full = vec!["--chart".to_owned(), chart_dir().display().to_string()];
    full.extend_from_slice(args);
    let helm = HelmPeer::locate().render(&full);
    assert!(
        helm.status.success(),
        "helm-render: {}",
        String::from_utf8_lossy(&helm.stderr)
    );
    let ours = Command::new(service_binary("chart-repo"))
        .arg("render")
        .args(&full)
        .output()
        .unwrap();
    assert!(
        ours.status.success(),
        "chart-repo render: {}",
        String::from_utf8_lossy(&ours.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&helm.stdout),
        "chart-repo render and Helm disagree on deploy/helm with {args:?}"
    );
    serde_json::from_slice(&helm.stdout).unwrap()
}

/// Every Kubernetes object the rendered chart contains.
fn objects(rendered: &BTreeMap<String, String>) -> Vec<Value> {
    rendered
        .iter()
        .filter(|(key, _)| !key.ends_with("NOTES.txt"))
        .flat_map(|(key, text)| {
            helm_yaml::read::parse_all(text)
                .unwrap_or_else(|e| panic!("{key}: {e}\n{text}"))
                .into_iter()
                .filter(|doc| !doc.is_null())
        })
        .collect()
}

#[test]
fn the_helm_chart_renders_identically_with_helm_and_chart_repo() {
    for (name, args) in value_sets() {
        let rendered = render_both(&args);
        let kinds: BTreeSet<String> = objects(&rendered)
            .iter()
            .map(|o| o["kind"].as_str().unwrap().to_owned())
            .collect();
        for kind in ["ConfigMap", "Deployment", "Service", "ServiceAccount"] {
            assert!(kinds.contains(kind), "{name}: no {kind} in {kinds:?}");
        }
        assert_eq!(
            kinds.contains("ServiceMonitor"),
            name == "production",
            "{name}: ServiceMonitor only when enabled"
        );
    }
}

/// `kubernetes-validate` (PyPI; it bundles Kubernetes' JSON schemas), installed
/// by scripts/install-test-deps.sh.
fn kube_validate() -> PathBuf {
    let venv = std::env::var_os("KUBE_VALIDATE_VENV").map_or_else(
        || {
            let home =
                std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
            home.join(".cache/olares-market/kube-venv")
        },
        PathBuf::from,
    );
    let bin = venv.join("bin/kubernetes-validate");
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/install-test-deps.sh (make test does)",
        bin.display()
    );
    bin
}

/// Validates `objects` strictly (unknown fields refused) against Kubernetes 1.30.
fn validate(objects: &[Value], dir: &Path) -> std::process::Output {
    let path = dir.join("objects.yaml");
    let text: Vec<String> = objects
        .iter()
        .map(|o| serde_json::to_string(o).unwrap())
        .collect();
    std::fs::write(&path, text.join("\n---\n")).unwrap();
    Command::new(kube_validate())
        .args(["--strict", "--kubernetes-version", "1.30.0", "--no-warn"])
        .arg(&path)
        .output()
        .unwrap()
}

#[test]
fn the_helm_charts_objects_pass_kubernetes_schemas() {
    let dir = tempfile::tempdir().unwrap();
    for (name, args) in value_sets() {
        let all = objects(&render_both(&args));
        let (monitors, core): (Vec<Value>, Vec<Value>) =
            all.into_iter().partition(|o| o["kind"] == "ServiceMonitor");
        let out = validate(&core, dir.path());
        let report = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{name}: {report}");
        assert_eq!(
            report.matches(" passed for resource ").count(),
            core.len(),
            "{name}: {report}"
        );
        // The ServiceMonitor is a CRD with no schema in the package: its required
        // fields by hand.
        for monitor in monitors {
            assert_eq!(monitor["apiVersion"], "monitoring.coreos.com/v1");
            assert!(monitor["spec"]["selector"]["matchLabels"].is_object());
            let endpoint = &monitor["spec"]["endpoints"][0];
            assert_eq!(endpoint["port"], "http");
            assert_eq!(endpoint["path"], "/metrics");
        }
    }
    // The check can fail: a misspelt field is refused.
    let mut broken = objects(&render_both(&[]))
        .into_iter()
        .find(|o| o["kind"] == "Deployment")
        .unwrap();
    broken["spec"]["replica"] = Value::from(2);
    let out = validate(&[broken], dir.path());
    assert!(
        !out.status.success(),
        "a Deployment with spec.replica passed validation"
    );
}

#[test]
fn the_helm_chart_sets_only_settings_the_services_read() {
    let known: BTreeMap<String, String> = SERVICES
        .iter()
        .flat_map(|(service, _, _)| settings(service))
        .collect();
    for (name, args) in value_sets() {
        let all = objects(&render_both(&args));
        let mut names = BTreeSet::new();
        for object in &all {
            match object["kind"].as_str().unwrap() {
                "ConfigMap" => names.extend(object["data"].as_object().unwrap().keys().cloned()),
                "Deployment" => {
                    let container = &object["spec"]["template"]["spec"]["containers"][0];
                    for env in container["env"].as_array().into_iter().flatten() {
                        names.insert(env["name"].as_str().unwrap().to_owned());
                    }
                    // Probes on the endpoints both services answer.
                    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
                    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
                    let security = &object["spec"]["template"]["spec"]["securityContext"];
                    assert_eq!(security["runAsNonRoot"], true);
                }
                _ => {}
            }
        }
        for env in &names {
            assert!(
                known.contains_key(env),
                "{name}: the chart sets unknown setting {env}"
            );
        }
        for (service, prefix, _) in SERVICES {
            assert!(
                names.contains(&format!("{prefix}LISTEN")),
                "{name}: {service} listen"
            );
        }
        if name == "production" {
            for secret in [
                "MARKET_DATABASE_URL",
                "CHART_REPO_STORE_URL",
                "CHART_REPO_API_TOKEN",
                "MARKET_CHART_REPO_TOKEN",
            ] {
                assert!(
                    names.contains(secret),
                    "production: {secret} not set from its Secret"
                );
            }
        }
    }
}
