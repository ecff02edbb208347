//! Helm's dependency processing: which declared subcharts are on (tags,
//! `condition`), aliases (a renamed copy of the subchart), and `import-values`
//! (child values lifted into the parent's defaults). It rewrites the chart tree
//! for one set of user values, before the final coalescing.

use serde_json::Value as Json;

use crate::chart::{Chart, Dependency};
use crate::semver;
use crate::values::{self, Table, ValuesError, ValuesTree};

/// The values view of a chart tree.
pub fn values_tree(chart: &Chart) -> ValuesTree {
    ValuesTree {
        name: chart.metadata.name.clone(),
        defaults: chart.values.clone(),
        subcharts: chart.subcharts.iter().map(values_tree).collect(),
    }
}

/// `ProcessDependencies`: enables, aliases and imports, in place.
pub fn process(chart: &mut Chart, user: &Table) -> Result<(), ValuesError> {
    enable(chart, user, "")?;
    import(chart)
}

fn matches(dep: &Dependency, sub: &Chart) -> bool {
    sub.metadata.name == dep.name && semver::satisfies(&dep.version, &sub.metadata.version)
}

/// The subchart `dep` names, renamed to its alias if it has one.
fn alias_copy(subcharts: &[Chart], dep: &Dependency) -> Option<Chart> {
    let mut copy = subcharts.iter().find(|s| matches(dep, s))?.clone();
    if !dep.alias.is_empty() {
        copy.metadata.name = dep.alias.clone();
    }
    Some(copy)
}

fn enable(chart: &mut Chart, user: &Table, prefix: &str) -> Result<(), ValuesError> {
    if chart.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let deps = &mut chart.metadata.dependencies;
    let mut kept: Vec<Chart> = chart
        .subcharts
        .iter()
        .filter(|s| !deps.iter().any(|d| matches(d, s)))
        .cloned()
        .collect();
    for dep in deps.iter_mut() {
        if let Some(copy) = alias_copy(&chart.subcharts, dep) {
            kept.push(copy);
        }
        if !dep.alias.is_empty() {
            dep.name = dep.alias.clone();
        }
        dep.enabled = true;
    }
    chart.subcharts = kept;
    let cvals = values::coalesce(&values_tree(chart), user)?;
    if let Some(Json::Object(tags)) = cvals.get("tags") {
        for dep in &mut chart.metadata.dependencies {
            let set: Vec<bool> = dep
                .tags
                .iter()
                .filter_map(|t| tags.get(t).and_then(Json::as_bool))
                .collect();
            let (any_true, any_false) = (set.contains(&true), set.contains(&false));
            dep.enabled = any_true || !any_false;
        }
    }
    for dep in &mut chart.metadata.dependencies {
        for cond in dep.condition.trim().split(',').filter(|c| !c.is_empty()) {
            if let Some(Json::Bool(on)) = path_value(&cvals, &format!("{prefix}{cond}")) {
                dep.enabled = *on;
                break;
            }
        }
    }
    let off: Vec<String> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|d| !d.enabled)
        .map(|d| d.name.clone())
        .collect();
    chart.subcharts.retain(|s| !off.contains(&s.metadata.name));
    chart.metadata.dependencies.retain(|d| d.enabled);
    for sub in &mut chart.subcharts {
        let sub_prefix = format!("{prefix}{}.", sub.metadata.name);
        enable(sub, &cvals, &sub_prefix)?;
    }
    Ok(())
}

/// A non-table value at a dotted path.
fn path_value<'a>(table: &'a Table, path: &str) -> Option<&'a Json> {
    let (parents, last) = match path.rsplit_once('.') {
        Some((parents, last)) => (Some(parents), last),
        None => (None, path),
    };
    let mut cur = table;
    if let Some(parents) = parents {
        for part in parents.split('.') {
            cur = cur.get(part)?.as_object()?;
        }
    }
    cur.get(last).filter(|v| !v.is_object())
}

fn table_at<'a>(table: &'a Table, path: &str) -> Option<&'a Table> {
    let mut cur = table;
    for part in path.split('.') {
        cur = cur.get(part)?.as_object()?;
    }
    Some(cur)
}

/// `{a: {b: data}}` for the path `a.b`; `.` is the data itself.
fn path_to_map(path: &str, data: Table) -> Table {
    if path == "." {
        return data;
    }
    path.split('.').rev().fold(data, |inner, part| {
        let mut t = Table::new();
        t.insert(part.to_owned(), Json::Object(inner));
        t
    })
}

fn import(chart: &mut Chart) -> Result<(), ValuesError> {
    for sub in &mut chart.subcharts {
        import(sub)?;
    }
    if chart.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let cvals = values::merge(&values_tree(chart), &Table::new())?;
    let mut imported = Table::new();
    for dep in &mut chart.metadata.dependencies {
        let mut rewritten = Vec::new();
        for spec in &dep.import_values {
            let (child, parent) = match spec {
                Json::Object(m) => (go_print(m.get("child")), go_print(m.get("parent"))),
                Json::String(s) => (format!("exports.{s}"), ".".to_owned()),
                _ => continue,
            };
            let mut entry = Table::new();
            entry.insert("child".into(), Json::String(child.clone()));
            entry.insert("parent".into(), Json::String(parent.clone()));
            rewritten.push(Json::Object(entry));
            if let Some(values) = table_at(&cvals, &format!("{}.{child}", dep.name)) {
                let lifted = path_to_map(&parent, values.clone());
                values::merge_tables(&mut imported, lifted);
            }
        }
        dep.import_values = rewritten;
    }
    let mut defaults = cvals;
    values::merge_tables(&mut defaults, imported);
    chart.values = defaults;
    Ok(())
}

/// `fmt.Sprintf("%v", x)` of an import-values field.
fn go_print(v: Option<&Json>) -> String {
    match v {
        None | Some(Json::Null) => "<nil>".to_owned(),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
