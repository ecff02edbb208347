//! The values Olares passes when it renders an app for one user (DESIGN.md §4.3 step 2):
//! a fixed part (`olares-values.yaml`, with the user, the admin and the zone filled in),
//! then what the app's manifest asks for — a domain per entrance, the middleware maps,
//! the env defaults — and the per-user overrides of the CustomParams step.
//!
//! Never: rendering (see `render.rs`) or reading charts.

use md5::{Digest, Md5};
use olares_chart::manifest::OlaresManifest;
use olares_chart::manifest::{DatabaseConfig, Middleware, Named};
use serde_json::{Map, Value, json};

use market_model::sync::{CustomValue, ModifyType};

/// The fixed part, as Olares fills it in for every app.
const FIXED: &str = include_str!("olares-values.yaml");

/// Who an app is rendered for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Viewer {
    /// The user the render is for (`bfl.username`).
    pub user: String,
    /// The cluster's admin (`admin`); the viewer is admin when the names are equal.
    pub admin: String,
    /// The suffix of every user's zone: the zone is `{user}.{zone_suffix}`.
    pub zone_suffix: String,
}

impl Viewer {
    pub fn zone(&self) -> String {
        format!("{}.{}", self.user, self.zone_suffix)
    }

    pub fn is_admin(&self) -> bool {
        self.user == self.admin
    }
}

/// The values for `app` (its name) as `viewer` sees it. `manifest` is the app's manifest,
/// read from a first render when it is a template (the entrances and middleware do not
/// depend on the values that they produce).
pub fn olares_values(
    app: &str,
    manifest: Option<&OlaresManifest>,
    viewer: &Viewer,
) -> Result<Map<String, Value>, String> {
    let text = FIXED
        .replace("@USER@", &viewer.user)
        .replace("@ADMIN@", &viewer.admin)
        .replace("@ZONE@", &viewer.zone());
    let mut values = olares_chart::values::load_values(text.as_bytes())
        .map_err(|e| format!("olares-values.yaml: {e}"))?;
    values.insert("isAdmin".into(), Value::Bool(viewer.is_admin()));
    let Some(manifest) = manifest else {
        return Ok(values);
    };
    values.insert(
        "domain".into(),
        Value::Object(domains(app, manifest, viewer)),
    );
    if let Some(middleware) = &manifest.middleware {
        add_middleware(&mut values, middleware, &viewer.user);
    }
    let envs: Map<String, Value> = manifest
        .envs
        .iter()
        .map(|env| {
            let value = if env.value.is_empty() {
                &env.default
            } else {
                &env.value
            };
            (env.env_name.clone(), Value::String(value.clone()))
        })
        .collect();
    values.insert("olaresEnv".into(), Value::Object(envs));
    Ok(values)
}

/// `domain.<entrance>` = `{first 8 hex of md5(app + entrance + user)}.{zone}`, for every
/// entrance and shared entrance.
fn domains(app: &str, manifest: &OlaresManifest, viewer: &Viewer) -> Map<String, Value> {
    let zone = viewer.zone();
    manifest
        .entrances
        .iter()
        .chain(&manifest.shared_entrances)
        .map(|entrance| {
            let digest = Md5::digest(format!("{app}{}{}", entrance.name, viewer.user));
            let prefix: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
            (
                entrance.name.clone(),
                Value::String(format!("{prefix}.{zone}")),
            )
        })
        .collect()
}

/// The middleware maps: the physical name the platform gives each logical database,
/// bucket, vhost or index the manifest asks for.
fn add_middleware(values: &mut Map<String, Value>, middleware: &Middleware, user: &str) {
    if let Some(pg) = &middleware.postgres {
        let dbs = pg.databases.iter().map(|d| {
            (
                d.name.clone(),
                json!(format!("user_space_{user}_{}", d.name)),
            )
        });
        set(values, "postgres", "databases", dbs.collect());
    }
    if let Some(redis) = &middleware.redis
        && !redis.namespace.is_empty()
    {
        set_value(
            values,
            "redis",
            "namespace",
            json!(format!("{user}_{}", redis.namespace)),
        );
    }
    let databases = |config: &DatabaseConfig| -> Map<String, Value> {
        let each = config.databases.iter();
        each.map(|d| (d.name.clone(), json!(format!("{user}_{}", d.name))))
            .collect()
    };
    for (key, config) in [
        ("mongodb", &middleware.mongodb),
        ("mysql", &middleware.mysql),
        ("mariadb", &middleware.mariadb),
        ("clickhouse", &middleware.click_house),
    ] {
        if let Some(config) = config {
            set(values, key, "databases", databases(config));
        }
    }
    let named = |items: &[Named], sep: char| -> Map<String, Value> {
        let each = items.iter();
        each.map(|n| (n.name.clone(), json!(format!("{user}{sep}{}", n.name))))
            .collect()
    };
    if let Some(minio) = &middleware.minio {
        set(values, "minio", "buckets", named(&minio.buckets, '-'));
    }
    if let Some(rabbit) = &middleware.rabbitmq {
        set(values, "rabbitmq", "vhosts", named(&rabbit.vhosts, '_'));
    }
    if let Some(es) = &middleware.elasticsearch {
        set(values, "elasticsearch", "indexes", named(&es.indexes, '_'));
    }
}

fn set(values: &mut Map<String, Value>, section: &str, key: &str, map: Map<String, Value>) {
    set_value(values, section, key, Value::Object(map));
}

fn set_value(values: &mut Map<String, Value>, section: &str, key: &str, value: Value) {
    let entry = values
        .entry(section)
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    if let Value::Object(map) = entry {
        map.insert(key.to_owned(), value);
    }
}

/// Applies the CustomParams overrides: `env` sets `olaresEnv.<key>`; the other kinds set
/// the dotted values path `modify_key`. A value that parses as YAML scalar keeps its type
/// (`"2"` → 2, `"true"` → true), as `helm --set` does.
pub fn apply_overrides(
    values: &mut Map<String, Value>,
    overrides: &[CustomValue],
) -> Result<(), String> {
    for o in overrides {
        if o.modify_key.is_empty() {
            return Err(format!(
                "values[]: {:?} override without modify_key",
                o.modify_type
            ));
        }
        let path: Vec<&str> = match o.modify_type {
            ModifyType::Env => vec!["olaresEnv", o.modify_key.as_str()],
            ModifyType::UserPermission | ModifyType::ResourceLimit => {
                o.modify_key.split('.').collect()
            }
        };
        if path.iter().any(|p| p.is_empty()) {
            return Err(format!("values[]: {:?} is not a dotted path", o.modify_key));
        }
        let value = match o.modify_type {
            ModifyType::Env => Value::String(o.modify_value.clone()),
            _ => scalar(&o.modify_value),
        };
        insert_path(values, &path, value);
    }
    Ok(())
}

fn scalar(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "null" => Value::Null,
        _ => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::String(text.to_owned())),
    }
}

fn insert_path(values: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut map = values;
    for key in parents {
        let entry = map.entry(*key).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else {
            return;
        };
        map = next;
    }
    map.insert((*last).to_owned(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Viewer {
        Viewer {
            user: "alice".into(),
            admin: "alice".into(),
            zone_suffix: "olares.com".into(),
        }
    }

    #[test]
    fn the_fixed_part_names_the_user_and_admin() {
        let bob = Viewer {
            user: "bob".into(),
            ..alice()
        };
        let v = olares_values("ghost", None, &bob).unwrap();
        assert_eq!(v["bfl"]["username"], "bob");
        assert_eq!(v["admin"], "alice");
        assert_eq!(v["isAdmin"], false);
        assert_eq!(v["user"]["zone"], "bob.olares.com");
        assert_eq!(
            v["userspace"]["appData"],
            "/olares/rootfs/userspace/pvc-userspace-bob/Data"
        );
        assert_eq!(
            olares_values("ghost", None, &alice()).unwrap()["isAdmin"],
            true
        );
    }

    #[test]
    fn the_manifest_gives_domains_middleware_and_envs() {
        let manifest = OlaresManifest::parse(
            br"olaresManifest.version: '0.10.0'
metadata: {name: plane, title: Plane, version: 1.0.0}
entrances:
  - {name: plane, host: plane, port: 80, title: Plane}
middleware:
  postgres: {username: plane, databases: [{name: plane, distributed: true}]}
  minio: {username: plane, buckets: [{name: plane}]}
  rabbitmq: {username: plane, vhosts: [{name: plane}]}
  mysql: {username: g, databases: [{name: ghost}]}
envs:
  - {envName: SMTP_PORT, default: '587'}
",
        )
        .unwrap();
        let v = olares_values("plane", Some(&manifest), &alice()).unwrap();
        let digest = Md5::digest(b"planeplanealice");
        let prefix: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(v["domain"]["plane"], format!("{prefix}.alice.olares.com"));
        assert_eq!(
            v["postgres"]["databases"]["plane"],
            "user_space_alice_plane"
        );
        assert_eq!(v["postgres"]["host"], "citus-headless.os-platform");
        assert_eq!(v["minio"]["buckets"]["plane"], "alice-plane");
        assert_eq!(v["rabbitmq"]["vhosts"]["plane"], "alice_plane");
        assert_eq!(v["mysql"]["databases"]["ghost"], "alice_ghost");
        assert_eq!(v["olaresEnv"]["SMTP_PORT"], "587");
    }

    #[test]
    fn overrides_set_envs_and_dotted_paths() {
        let mut v = olares_values("ghost", None, &alice()).unwrap();
        let o = |t, k: &str, val: &str| CustomValue {
            file_name: "values.yaml".into(),
            modify_type: t,
            modify_key: k.into(),
            modify_value: val.into(),
        };
        apply_overrides(
            &mut v,
            &[
                o(ModifyType::Env, "KEY", "42"),
                o(ModifyType::ResourceLimit, "resources.limits.cpu", "2"),
            ],
        )
        .unwrap();
        assert_eq!(v["olaresEnv"]["KEY"], "42");
        assert_eq!(v["resources"]["limits"]["cpu"], 2);
        let err =
            apply_overrides(&mut v, &[o(ModifyType::UserPermission, "a..b", "x")]).unwrap_err();
        assert!(err.contains("dotted path"), "{err}");
    }
}
