//! An [`ApplicationInfoEntry`] from an Olares app chart, field by field as upstream's
//! `AppConfiguration.ToAppInfo` and `appInfoParseQuantity` derive it (see the crate docs),
//! and the merge of the admin's and another user's view of a templated manifest
//! (upstream's `mergeAppInfos`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use market_model::protocol::{
    ApplicationInfoEntry, I18nEntrance, I18nEntry, I18nMetadata, I18nSpec, SubChartRef, Text,
    app_id,
};
use olares_chart::OlaresApp;
use olares_chart::i18n::I18nManifest;

use crate::quantity::{bytes, cores};

/// A JSON object.
type Object = Map<String, Value>;

/// The entry of `app`, packaged as `chart_name`, with `labels`. Times and the revision are
/// left at zero: the catalog fills them.
pub(crate) fn build(app: &OlaresApp, chart_name: &str, labels: &[&str]) -> ApplicationInfoEntry {
    let manifest = &app.manifest;
    let meta = &manifest.metadata;
    let spec = &manifest.spec;
    let id = app_id(&meta.name);
    ApplicationInfoEntry {
        app_id: id.clone(),
        id,
        name: meta.name.clone(),
        cfg_type: manifest.manifest_type.clone(),
        chart_name: chart_name.to_owned(),
        icon: meta.icon.clone(),
        description: Text::Plain(meta.description.clone()),
        title: Text::Plain(meta.title.clone()),
        version: meta.version.clone(),
        api_version: manifest.api_version.clone(),
        categories: meta.categories.clone(),
        version_name: spec.version_name.clone(),
        full_description: Text::Plain(spec.full_description.clone()),
        upgrade_description: Text::Plain(spec.upgrade_description.clone()),
        promote_image: spec.promote_image.clone(),
        promote_video: spec.promote_video.clone(),
        sub_category: spec.sub_category.clone(),
        locale: spec.locale.clone(),
        developer: spec.developer.clone(),
        required_memory: quantity(&spec.required_memory, bytes),
        required_disk: quantity(&spec.required_disk, bytes),
        support_client: object(&spec.support_client),
        support_arch: spec.support_arch.clone(),
        required_gpu: quantity(&spec.required_gpu, bytes),
        required_cpu: quantity(&spec.required_cpu, cores),
        limited_memory: quantity(&spec.limited_memory, bytes),
        limited_disk: quantity(&spec.limited_disk, bytes),
        limited_cpu: quantity(&spec.limited_cpu, cores),
        limited_gpu: quantity(&spec.limited_gpu, bytes),
        rating: meta.rating,
        target: meta.target.clone(),
        permission: object(&manifest.permission),
        entrances: objects(&manifest.entrances),
        ports: objects(&manifest.ports),
        tailscale: object(&manifest.tailscale),
        middleware: manifest.middleware.as_ref().map(object),
        options: object(&manifest.options),
        sub_charts: spec
            .sub_charts
            .iter()
            .map(|s| SubChartRef {
                name: s.name.clone(),
                shared: s.shared,
            })
            .collect(),
        envs: objects(&manifest.envs),
        submitter: spec.submitter.clone(),
        doc: spec.doc.clone(),
        website: spec.website.clone(),
        featured_image: spec.featured_image.clone(),
        source_code: spec.source_code.clone(),
        license: objects(&spec.license),
        legal: objects(&spec.legal),
        i18n: i18n(app),
        model_size: spec
            .extra
            .get("modelSize")
            .map(scalar_text)
            .unwrap_or_default(),
        namespace: spec.namespace.clone(),
        only_admin: spec.only_admin,
        app_labels: labels.iter().map(|l| (*l).to_owned()).collect(),
        count: Value::Null,
        tags: meta.tags.clone(),
        ..ApplicationInfoEntry::default()
    }
}

/// The admin's view with what only the other user sees added, as upstream merges them:
/// resource needs that differ become `"<admin>||<user>"`; the longer dependency list wins;
/// a cluster-scoped `appScope` wins; policies and entrances are unioned by name.
pub(crate) fn merge_views(
    admin: ApplicationInfoEntry,
    user: &ApplicationInfoEntry,
) -> ApplicationInfoEntry {
    let mut merged = admin;
    for (field, other) in [
        (&mut merged.required_memory, &user.required_memory),
        (&mut merged.required_disk, &user.required_disk),
        (&mut merged.required_cpu, &user.required_cpu),
        (&mut merged.required_gpu, &user.required_gpu),
    ] {
        if field != other {
            *field = format!("{field}||{other}");
        }
    }
    let list_len = |o: &Object, key: &str| o.get(key).and_then(Value::as_array).map_or(0, Vec::len);
    if list_len(&merged.options, "dependencies") < list_len(&user.options, "dependencies") {
        copy_key(&mut merged.options, &user.options, "dependencies");
    }
    let cluster_scoped = |o: &Object| {
        o.get("appScope")
            .and_then(|s| s.get("clusterScoped"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    if !cluster_scoped(&merged.options) && cluster_scoped(&user.options) {
        copy_key(&mut merged.options, &user.options, "appScope");
    }
    union_policies(&mut merged.options, &user.options);
    union_by(&mut merged.entrances, &user.entrances, "name");
    merged
}

fn copy_key(into: &mut Object, from: &Object, key: &str) {
    if let Some(value) = from.get(key) {
        into.insert(key.to_owned(), value.clone());
    }
}

fn union_policies(into: &mut Object, from: &Object) {
    let theirs = from.get("policies").and_then(Value::as_array);
    let Some(theirs) = theirs else { return };
    let mut ours: Vec<Object> = into
        .get("policies")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|p| p.as_object().cloned()).collect())
        .unwrap_or_default();
    let before = ours.len();
    let theirs: Vec<Object> = theirs
        .iter()
        .filter_map(|p| p.as_object().cloned())
        .collect();
    union_by(&mut ours, &theirs, "entranceName");
    if ours.len() != before {
        into.insert(
            "policies".to_owned(),
            Value::Array(ours.into_iter().map(Value::Object).collect()),
        );
    }
}

/// Appends the items of `from` whose `key` no item of `into` has.
fn union_by(into: &mut Vec<Object>, from: &[Object], key: &str) {
    let name = |o: &Object| o.get(key).map(scalar_text).unwrap_or_default();
    let known: BTreeSet<String> = into.iter().map(name).collect();
    into.extend(from.iter().filter(|o| !known.contains(&name(o))).cloned());
}

/// Texts by locale, for each locale of `spec.locale` that has a file (upstream reads
/// `i18n/<locale>/OlaresManifest.yaml` for the listed locales only).
fn i18n(app: &OlaresApp) -> BTreeMap<String, I18nEntry> {
    app.manifest
        .spec
        .locale
        .iter()
        .filter_map(|locale| Some((locale.clone(), i18n_entry(app.i18n.get(locale)?))))
        .collect()
}

fn i18n_entry(texts: &I18nManifest) -> I18nEntry {
    let entrances = texts
        .extra
        .get("entrances")
        .and_then(|v| serde_json::from_value::<Vec<I18nEntrance>>(v.clone()).ok())
        .unwrap_or_default();
    I18nEntry {
        metadata: I18nMetadata {
            title: texts.metadata.title.clone(),
            description: texts.metadata.description.clone(),
        },
        entrances,
        spec: I18nSpec {
            full_description: texts.spec.full_description.clone(),
            upgrade_description: texts.spec.upgrade_description.clone(),
        },
    }
}

fn quantity(text: &str, convert: fn(&str) -> String) -> String {
    if text.is_empty() {
        String::new()
    } else {
        convert(text)
    }
}

/// A typed manifest section as the JSON object Olares' JSON names make of it.
fn object<T: Serialize>(value: &T) -> Object {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Object::new(),
    }
}

fn objects<T: Serialize>(values: &[T]) -> Vec<Object> {
    values.iter().map(object).collect()
}

/// A scalar as Go prints it into a string field; anything else is empty.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(value: Value) -> ApplicationInfoEntry {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn merging_views_joins_needs_and_unions_lists() {
        let admin = entry(json!({
            "requiredMemory": "21474836480", "requiredCPU": "4", "requiredDisk": "1",
            "entrances": [{"name": "a"}, {"name": "b"}],
            "options": {"dependencies": [{"name": "olares"}],
                        "appScope": {"clusterScoped": true},
                        "policies": [{"entranceName": "a"}]}
        }));
        let user = entry(json!({
            "requiredMemory": "67108864", "requiredCPU": "0.01", "requiredDisk": "1",
            "entrances": [{"name": "a"}, {"name": "c"}],
            "options": {"dependencies": [{"name": "olares"}, {"name": "shared"}],
                        "appScope": {"clusterScoped": false},
                        "policies": [{"entranceName": "a"}, {"entranceName": "c"}]}
        }));
        let merged = merge_views(admin, &user);
        assert_eq!(merged.required_memory, "21474836480||67108864");
        assert_eq!(merged.required_cpu, "4||0.01");
        assert_eq!(merged.required_disk, "1");
        assert_eq!(merged.required_gpu, "");
        let names: Vec<_> = merged.entrances.iter().map(|e| e["name"].clone()).collect();
        assert_eq!(names, [json!("a"), json!("b"), json!("c")]);
        assert_eq!(merged.options["dependencies"].as_array().unwrap().len(), 2);
        assert_eq!(merged.options["appScope"]["clusterScoped"], true);
        assert_eq!(merged.options["policies"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn identical_views_merge_to_the_same_entry() {
        let one = entry(json!({"requiredMemory": "1", "entrances": [{"name": "a"}],
                               "options": {"policies": [{"entranceName": "a"}]}}));
        assert_eq!(merge_views(one.clone(), &one), one);
    }
}
