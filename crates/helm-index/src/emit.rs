//! `index.yaml` text exactly as Helm writes it: each struct marshalled to JSON with Helm's
//! tags and `omitempty` rules, then to YAML by sigs.k8s.io/yaml (goyaml v2, keys in its
//! natural order). `helm_yaml::to_yaml` does the second step.
//!
//! Every chart's versions sit at the same depth of the document, so a chart's block of text
//! does not depend on its neighbours: it is rendered once inside a stand-in document and
//! cached until that chart changes. The document is the concatenation of the blocks.

use helm_yaml::Flavor;
use olares_chart::chart_yaml::{Dependency, Maintainer, Metadata};
use serde_json::{Map, Value};

use crate::model::{ChartVersion, IndexFile};
use crate::time::format_go_time;

fn put_str(m: &mut Map<String, Value>, key: &str, v: &str) {
    if !v.is_empty() {
        m.insert(key.into(), Value::String(v.into()));
    }
}

fn put_strs(m: &mut Map<String, Value>, key: &str, v: &[String]) {
    if !v.is_empty() {
        m.insert(key.into(), v.iter().cloned().map(Value::String).collect());
    }
}

fn maintainer_json(m: &Maintainer) -> Value {
    let mut o = Map::new();
    put_str(&mut o, "name", &m.name);
    put_str(&mut o, "email", &m.email);
    put_str(&mut o, "url", &m.url);
    Value::Object(o)
}

fn dependency_json(d: &Dependency) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), Value::String(d.name.clone()));
    put_str(&mut o, "version", &d.version);
    o.insert("repository".into(), Value::String(d.repository.clone()));
    put_str(&mut o, "condition", &d.condition);
    put_strs(&mut o, "tags", &d.tags);
    if d.enabled {
        o.insert("enabled".into(), Value::Bool(true));
    }
    if !d.import_values.is_empty() {
        o.insert(
            "import-values".into(),
            Value::Array(d.import_values.clone()),
        );
    }
    put_str(&mut o, "alias", &d.alias);
    Value::Object(o)
}

/// Helm's `chart.Metadata` as JSON (every field `omitempty`).
pub(crate) fn metadata_json(md: &Metadata, o: &mut Map<String, Value>) {
    put_str(o, "name", &md.name);
    put_str(o, "home", &md.home);
    put_strs(o, "sources", &md.sources);
    put_str(o, "version", &md.version);
    put_str(o, "description", &md.description);
    put_strs(o, "keywords", &md.keywords);
    if !md.maintainers.is_empty() {
        o.insert(
            "maintainers".into(),
            md.maintainers.iter().map(maintainer_json).collect(),
        );
    }
    put_str(o, "icon", &md.icon);
    put_str(o, "apiVersion", &md.api_version);
    put_str(o, "condition", &md.condition);
    put_str(o, "tags", &md.tags);
    put_str(o, "appVersion", &md.app_version);
    if md.deprecated {
        o.insert("deprecated".into(), Value::Bool(true));
    }
    if let Some(annotations) = md.annotations.as_ref().filter(|a| !a.is_empty()) {
        let map: Map<String, Value> = annotations
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        o.insert("annotations".into(), Value::Object(map));
    }
    put_str(o, "kubeVersion", &md.kube_version);
    if !md.dependencies.is_empty() {
        o.insert(
            "dependencies".into(),
            md.dependencies.iter().map(dependency_json).collect(),
        );
    }
    put_str(o, "type", &md.kind);
}

/// Helm's `repo.ChartVersion` as JSON.
pub(crate) fn entry_json(cv: &ChartVersion) -> Value {
    let mut o = Map::new();
    metadata_json(&cv.metadata, &mut o);
    o.insert(
        "urls".into(),
        if cv.urls.is_empty() {
            Value::Null
        } else {
            cv.urls.iter().cloned().map(Value::String).collect()
        },
    );
    o.insert("created".into(), Value::String(format_go_time(&cv.created)));
    if cv.removed {
        o.insert("removed".into(), Value::Bool(true));
    }
    put_str(&mut o, "digest", &cv.digest);
    put_str(&mut o, "checksum", &cv.legacy.checksum);
    put_str(&mut o, "engine", &cv.legacy.engine);
    put_str(&mut o, "tillerVersion", &cv.legacy.tiller_version);
    put_str(&mut o, "url", &cv.legacy.url);
    Value::Object(o)
}

fn yaml(v: &Value) -> String {
    // Index entries hold only strings, booleans and import-values read from YAML; a value
    // goyaml cannot print (a control character) prints as Helm's toYaml would fail: empty.
    helm_yaml::to_yaml(v).unwrap_or_default()
}

/// A chart's lines of the document: `  name:\n  - …` down to its last version.
fn chart_block(name: &str, versions: &[ChartVersion]) -> String {
    let list: Vec<Value> = versions.iter().map(entry_json).collect();
    let mut entries = Map::new();
    entries.insert(name.to_owned(), Value::Array(list));
    let mut doc = Map::new();
    doc.insert("entries".into(), Value::Object(entries));
    let text = yaml(&Value::Object(doc));
    // Drop the stand-in's first line, `entries:`.
    let mut block = text
        .split_once('\n')
        .map(|(_, rest)| rest.to_owned())
        .unwrap_or_default();
    block.push('\n');
    block
}

fn top_level(key: &str, v: Value) -> String {
    let mut doc = Map::new();
    doc.insert(key.to_owned(), v);
    let mut s = yaml(&Value::Object(doc));
    s.push('\n');
    s
}

impl IndexFile {
    /// The document as `helm repo index` writes it.
    pub fn to_yaml(&self) -> String {
        let order = self.order.get_or_init(|| {
            let mut names: Vec<&str> = self.charts.keys().map(String::as_str).collect();
            helm_yaml::sort_keys(&mut names, Flavor::V2);
            names.into_iter().map(str::to_owned).collect()
        });
        let mut out = String::new();
        if !self.annotations.is_empty() {
            let map: Map<String, Value> = self
                .annotations
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            out.push_str(&top_level("annotations", Value::Object(map)));
        }
        out.push_str(&top_level(
            "apiVersion",
            Value::String(self.api_version.clone()),
        ));
        if order.is_empty() {
            out.push_str("entries: {}\n");
        } else {
            out.push_str("entries:\n");
            for name in order {
                if let Some(chart) = self.charts.get(name) {
                    out.push_str(
                        chart
                            .text
                            .get_or_init(|| chart_block(name, &chart.versions)),
                    );
                }
            }
        }
        out.push_str(&top_level(
            "generated",
            Value::String(format_go_time(&self.generated)),
        ));
        if !self.public_keys.is_empty() {
            out.push_str(&top_level(
                "publicKeys",
                self.public_keys
                    .iter()
                    .cloned()
                    .map(Value::String)
                    .collect(),
            ));
        }
        out
    }
}
