//! The container images of a rendered chart, read from its parsed YAML documents (never a
//! regex over text): the `image` of every `containers`, `initContainers` and
//! `ephemeralContainers` entry of every pod spec, where a pod spec is the `spec` of a `Pod`,
//! or `spec.template.spec` or `spec.jobTemplate.spec.template.spec` of any other kind
//! (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, and custom kinds of the same
//! shape). `NOTES.txt` is not a manifest and is skipped. References are returned as written.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// A rendered template that is not YAML.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{template}: {reason}")]
pub struct ExtractError {
    pub template: String,
    pub reason: String,
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

fn pod_specs(doc: &Value) -> Vec<&Value> {
    let mut specs = Vec::new();
    if doc.get("kind").and_then(Value::as_str) == Some("Pod") {
        specs.extend(doc.get("spec"));
    }
    let spec = doc.get("spec");
    specs.extend(
        spec.and_then(|s| s.get("template"))
            .and_then(|t| t.get("spec")),
    );
    specs.extend(
        spec.and_then(|s| s.get("jobTemplate"))
            .and_then(|j| j.get("spec"))
            .and_then(|s| s.get("template"))
            .and_then(|t| t.get("spec")),
    );
    specs
}

fn collect(doc: &Value, out: &mut BTreeSet<String>) {
    for spec in pod_specs(doc) {
        for list in CONTAINER_LISTS {
            let containers = spec.get(list).and_then(Value::as_array);
            for container in containers.into_iter().flatten() {
                if let Some(image) = container.get("image").and_then(Value::as_str) {
                    out.insert(image.to_owned());
                }
            }
        }
    }
    // A `List` carries its objects under `items`.
    if doc.get("kind").and_then(Value::as_str) == Some("List") {
        for item in doc
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect(item, out);
        }
    }
}

/// The distinct images of the pod specs in `rendered` (template name → rendered text),
/// sorted. A template that does not parse as YAML is an error naming it.
pub fn pod_images(rendered: &BTreeMap<String, String>) -> Result<Vec<String>, ExtractError> {
    let mut out = BTreeSet::new();
    for (name, text) in rendered {
        if name.ends_with("NOTES.txt") || text.trim().is_empty() {
            continue;
        }
        let docs = helm_yaml::read::parse_all(text).map_err(|e| ExtractError {
            template: name.clone(),
            reason: e.to_string(),
        })?;
        for doc in &docs {
            collect(doc, &mut out);
        }
    }
    Ok(out.into_iter().collect())
}

/// The manifest's own image list, `options.images` (Olares pre-pulls them), as written.
pub fn manifest_images(manifest: &Value) -> Vec<String> {
    let images = manifest
        .get("options")
        .and_then(|o| o.get("images"))
        .and_then(Value::as_array);
    let set: BTreeSet<String> = images
        .into_iter()
        .flatten()
        .filter_map(|i| i.as_str().map(str::to_owned))
        .collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str, text: &str) -> BTreeMap<String, String> {
        BTreeMap::from([(name.to_owned(), text.to_owned())])
    }

    #[test]
    fn finds_every_container_kind_in_every_pod_spec_shape() {
        let text = "\
kind: Deployment
spec:
  template:
    spec:
      initContainers: [{name: i, image: busybox}]
      containers: [{name: c, image: 'nginx:1.27'}]
---
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: c, image: 'registry.local:5000/team/job@sha256:0123456789012345678901234567890123456789012345678901234567890123'}]
---
kind: Pod
spec:
  ephemeralContainers: [{name: d, image: debug}]
---
kind: ConfigMap
data:
  image: not-a-container
---
# a comment only
";
        assert_eq!(
            pod_images(&one("app/templates/all.yaml", text)).unwrap(),
            [
                "busybox",
                "debug",
                "nginx:1.27",
                "registry.local:5000/team/job@sha256:0123456789012345678901234567890123456789012345678901234567890123",
            ]
        );
    }

    #[test]
    fn skips_notes_and_names_a_template_that_is_not_yaml() {
        assert!(
            pod_images(&one("app/templates/NOTES.txt", "image: [unclosed"))
                .unwrap()
                .is_empty()
        );
        let err = pod_images(&one("app/templates/bad.yaml", "a: [unclosed")).unwrap_err();
        assert_eq!(err.template, "app/templates/bad.yaml");
    }
}
