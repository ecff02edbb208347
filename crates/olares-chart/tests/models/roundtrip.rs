//! Property: a model serialized to YAML the way Helm's `toYaml` writes it and parsed back is
//! the same model, for `Chart.yaml` metadata and for manifests with unknown fields.

use std::collections::BTreeMap;

use olares_chart::manifest::{
    AppDependency, AppEnv, AppScope, Database, Entrance, EnvOption, Extra, Link, Middleware,
    PostgresConfig, SubChart, ValueFrom,
};
use olares_chart::{
    Dependency, Maintainer, ManifestVersion, Metadata, OlaresManifest, parse_metadata,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Text a manifest field may hold, including text YAML would read as something else.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,16}",
        "[a-zA-Zà-ü中文 .:#'\"\\-]{0,12}",
        prop::sample::select(vec![
            "",
            "yes",
            "No",
            "on",
            "~",
            "null",
            "1.10",
            "0x1F",
            "1e3",
            "-",
            "a: b",
            "#c",
            "2024-01-02",
            " lead",
            "trail ",
            "two\nlines",
            "tab\tx",
            "{{ x }}",
            "[1]",
        ])
        .prop_map(str::to_owned),
    ]
}

/// Text that Helm's sanitizing of `Chart.yaml` leaves alone (printable, spaces only).
fn plain_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,16}",
        prop::sample::select(vec!["yes", "1.10", "null", "0777"]).prop_map(str::to_owned)
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1_000_000i64..1_000_000).prop_map(|i| json!(i)),
        (-1000i64..1000).prop_map(|i| json!(i as f64 + 0.25)),
        text().prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map("[a-z]{1,5}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Keys no model knows (every known key starts otherwise).
fn extra() -> impl Strategy<Value = Extra> {
    btree_map("x[A-Za-z0-9_]{0,6}", json_value(), 0..3).prop_map(|m| m.into_iter().collect())
}

fn entrance() -> impl Strategy<Value = Entrance> {
    (
        text(),
        text(),
        any::<i32>(),
        text(),
        prop::sample::select(vec!["", "public", "private", "internal"]),
        any::<bool>(),
        extra(),
    )
        .prop_map(
            |(name, host, port, title, auth, invisible, extra)| Entrance {
                name,
                host,
                port,
                title,
                auth_level: auth.to_owned(),
                invisible,
                extra,
                ..Entrance::default()
            },
        )
}

fn env() -> impl Strategy<Value = AppEnv> {
    (
        text(),
        text(),
        any::<bool>(),
        vec((text(), text()), 0..3),
        option::of(text()),
        extra(),
    )
        .prop_map(
            |(env_name, default, required, options, from, extra)| AppEnv {
                env_name,
                default,
                required,
                options: options
                    .into_iter()
                    .map(|(title, value)| EnvOption {
                        title,
                        value,
                        ..EnvOption::default()
                    })
                    .collect(),
                value_from: from.map(|env_name| ValueFrom {
                    env_name,
                    ..ValueFrom::default()
                }),
                extra,
                ..AppEnv::default()
            },
        )
}

fn manifest() -> impl Strategy<Value = OlaresManifest> {
    let head = (
        prop::sample::select(vec!["0.7.0", "0.10.0", "0.12.0", "0.13.2"]),
        text(),
        text(),
        (
            text(),
            text(),
            text(),
            vec(text(), 0..3),
            prop::sample::select(vec![0.0f32, 4.5, 0.1]),
        ),
        vec(entrance(), 0..3),
    );
    let spec = (
        text(),
        text(),
        vec(
            prop::sample::select(vec!["amd64", "arm64"]).prop_map(str::to_owned),
            0..3,
        ),
        any::<bool>(),
        vec((text(), text()), 0..2),
        vec((text(), any::<bool>()), 0..2),
        extra(),
    );
    let rest = (
        vec((text(), text(), text(), any::<bool>()), 0..3),
        option::of(-1_000_000i64..1_000_000),
        vec(0i64..65536, 0..3),
        any::<bool>(),
        vec(env(), 0..3),
        option::of((text(), vec((text(), any::<bool>()), 0..3))),
        option::of(btree_map("[a-z]{1,8}", any::<i32>(), 0..3)),
        extra(),
    );
    (head, spec, rest).prop_map(|(head, spec, rest)| {
        let (version, kind, api, (name, title, description, categories, rating), entrances) = head;
        let (version_name, full, arch, run_as_user, license, subs, spec_extra) = spec;
        let (deps, timeout, ports, cluster_scoped, envs, postgres, replicas, extra) = rest;
        let mut m =
            OlaresManifest::parse(format!("olaresManifest.version: '{version}'\n").as_bytes())
                .unwrap();
        m.manifest_type = kind;
        m.api_version = api;
        m.metadata.name = name;
        m.metadata.title = title;
        m.metadata.description = description;
        m.metadata.categories = categories;
        m.metadata.rating = rating;
        m.entrances = entrances;
        m.spec.version_name = version_name;
        m.spec.full_description = full;
        m.spec.support_arch = arch;
        m.spec.run_as_user = run_as_user;
        m.spec.license = license
            .into_iter()
            .map(|(text, url)| Link {
                text,
                url,
                ..Link::default()
            })
            .collect();
        m.spec.sub_charts = subs
            .into_iter()
            .map(|(name, shared)| SubChart {
                name,
                shared,
                ..SubChart::default()
            })
            .collect();
        m.spec.extra = spec_extra;
        m.options.dependencies = deps
            .into_iter()
            .map(|(name, version, kind, mandatory)| AppDependency {
                name,
                version,
                kind,
                mandatory,
                ..AppDependency::default()
            })
            .collect();
        m.options.api_timeout = timeout;
        m.options.allowed_outbound_ports = ports;
        m.options.app_scope = AppScope {
            cluster_scoped,
            ..AppScope::default()
        };
        m.envs = envs;
        m.middleware = postgres.map(|(username, databases)| Middleware {
            postgres: Some(PostgresConfig {
                username,
                databases: databases
                    .into_iter()
                    .map(|(name, distributed)| Database {
                        name,
                        distributed,
                        ..Database::default()
                    })
                    .collect(),
                ..PostgresConfig::default()
            }),
            ..Middleware::default()
        });
        m.workload_replicas = replicas;
        m.extra = extra;
        m
    })
}

fn metadata() -> impl Strategy<Value = Metadata> {
    let semver = "(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]{0,2})(-[a-z0-9]{1,5})?";
    let dependency = (
        semver,
        plain_text(),
        plain_text(),
        vec("[a-z]{1,6}", 0..3),
        any::<bool>(),
        "[a-z0-9_-]{0,6}",
        option::of("[a-z]{1,6}"),
    );
    (
        (
            "[a-z][a-z0-9-]{0,15}",
            semver,
            prop::sample::select(vec!["v1", "v2"]),
            prop::sample::select(vec!["", "application", "library"]),
        ),
        (
            plain_text(),
            plain_text(),
            plain_text(),
            plain_text(),
            vec(plain_text(), 0..3),
            vec(plain_text(), 0..3),
        ),
        vec((plain_text(), plain_text(), plain_text()), 0..3),
        option::of(btree_map("[a-z./]{1,12}", plain_text(), 0..3)),
        vec(dependency, 0..3),
        any::<bool>(),
    )
        .prop_map(
            |((name, version, api, kind), texts, maintainers, annotations, deps, deprecated)| {
                let (description, home, icon, app_version, keywords, sources) = texts;
                Metadata {
                    name,
                    version,
                    api_version: api.to_owned(),
                    kind: kind.to_owned(),
                    description,
                    home,
                    icon,
                    app_version,
                    keywords,
                    sources,
                    maintainers: maintainers
                        .into_iter()
                        .map(|(name, email, url)| Maintainer { name, email, url })
                        .collect(),
                    annotations: annotations.map(|a| a.into_iter().collect()),
                    dependencies: deps
                        .into_iter()
                        .enumerate()
                        .map(
                            |(
                                i,
                                (version, repository, condition, tags, enabled, alias, import),
                            )| Dependency {
                                name: format!("dep{i}"),
                                version,
                                repository,
                                condition,
                                tags,
                                enabled,
                                alias: if alias.is_empty() {
                                    alias
                                } else {
                                    format!("{alias}{i}")
                                },
                                import_values: import.into_iter().map(Value::String).collect(),
                            },
                        )
                        .collect(),
                    deprecated,
                    ..Metadata::default()
                }
            },
        )
}

fn to_yaml<T: serde::Serialize>(model: &T) -> String {
    helm_yaml::to_yaml(&serde_json::to_value(model).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn manifests_survive_a_yaml_round_trip(m in manifest()) {
        let yaml = to_yaml(&m);
        let back = OlaresManifest::parse(yaml.as_bytes());
        prop_assert!(back.is_ok(), "{yaml}\n{back:?}");
        prop_assert_eq!(back.unwrap(), m);
    }

    #[test]
    fn chart_metadata_survives_a_yaml_round_trip(md in metadata()) {
        let yaml = to_yaml(&md);
        let back = parse_metadata(yaml.as_bytes());
        prop_assert!(back.is_ok(), "{yaml}\n{back:?}");
        prop_assert_eq!(back.unwrap(), md);
    }

    #[test]
    fn manifest_versions_keep_their_text(major in 0u64..3, minor in 0u64..20, patch in option::of(0u64..20)) {
        let text = match patch {
            Some(p) => format!("{major}.{minor}.{p}"),
            None => format!("{major}.{minor}"),
        };
        match ManifestVersion::parse(&text) {
            Ok(v) => {
                prop_assert!((major, minor) >= (0, 7));
                prop_assert_eq!(v.as_str(), text.as_str());
                prop_assert_eq!(v.is_newer_than_supported(), (major, minor) > (0, 12));
            }
            Err(_) => prop_assert!((major, minor) < (0, 7)),
        }
    }
}

#[test]
fn workload_replicas_and_maps_keep_their_keys() {
    let m = OlaresManifest::parse(
        b"olaresManifest.version: 0.12.0\nworkloadReplicas: {api: 2, web: 1}\n",
    )
    .unwrap();
    assert_eq!(
        m.workload_replicas,
        Some(BTreeMap::from([
            ("api".to_owned(), 2),
            ("web".to_owned(), 1)
        ]))
    );
}
