//! Helm's `engine.Render`: every template of a chart and its subcharts in one
//! template set, parsed deepest path first (a parent's `define` wins), each
//! non-partial template executed with its chart's scope, `<no value>` removed,
//! and errors reshaped as Helm reshapes them.
//!
//! Also Helm's own functions (`include`, `tpl`, `required`, `fail`, `lookup`,
//! `fromYaml`, …) and the render entry point used by `chart-repo render`.
//! Rendering is parse once, execute many: [`Prepared`] holds the parsed set.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use serde_json::Value as Json;

use crate::chart::{Chart, Metadata};
use crate::error::{Error, ExecErrorKind, FuncError};
use crate::objects::{Capabilities, Files};
use crate::template::{FuncMap, Limits, MissingKey, Options, Templates};
use crate::value::{ArgType, ElemType, Key, List, Map, Signature, Value};
use crate::values::{self, Table, ValuesError};
use crate::{deps, emit, sprig, yaml};

/// How deep one name may be `include`d in itself (Helm's `recursionMaxNums`).
pub const MAX_INCLUDE_DEPTH: usize = 1000;
/// The name of the template set; `tpl` parses its text under this name.
const ROOT: &str = "gotpl";
const WARN_START: &str = "HELM_ERR_START";
const WARN_END: &str = "HELM_ERR_END";

/// Limits of one render: far above what real charts need (the largest
/// fixture stays under 1 MiB of output and a few hundred thousand steps), low
/// enough that a hostile chart fails within seconds.
pub const RENDER_LIMITS: Limits = Limits {
    max_output_bytes: 64 << 20,
    max_steps: 20_000_000,
    max_depth: 10_000,
};

/// The release a render is for (`helm template` defaults).
#[derive(Clone, Debug)]
pub struct RenderOptions {
    pub release_name: String,
    pub namespace: String,
    pub kube_version: String,
    /// `missingkey=error`, as `helm --strict`.
    pub strict: bool,
    pub limits: Limits,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            release_name: "release-name".into(),
            namespace: "default".into(),
            kube_version: crate::objects::DEFAULT_KUBE_VERSION.into(),
            strict: false,
            limits: RENDER_LIMITS,
        }
    }
}

/// Why a chart did not render; `Display` is Helm's message.
#[derive(Clone, Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Values(#[from] ValuesError),
    #[error("{0}")]
    Template(String),
    #[error("{0}")]
    Options(String),
}

/// Renders `chart` with user values as `helm template` does: dependencies
/// processed, values coalesced, every template executed.
pub fn render(
    chart: Chart,
    user: &Table,
    options: &RenderOptions,
) -> Result<BTreeMap<String, String>, RenderError> {
    let prepared = Prepared::new(chart, user, options)?;
    prepared.execute(&prepared.scopes())
}

/// Renders one extra file (`templates/{name}`) as a template of `chart`, beside only the
/// chart's partials (`_*` files, which define named templates it may `include`): the other
/// templates are left out, so one that fails without full values cannot fail this render.
/// Olares renders `OlaresManifest.yaml` this way. Returns the rendered file.
pub fn render_beside_partials(
    chart: &Chart,
    name: &str,
    data: &[u8],
    user: &Table,
    options: &RenderOptions,
) -> Result<String, RenderError> {
    fn keep_partials(chart: &mut Chart) {
        chart.templates.retain(|t| {
            let base = t.name.rsplit('/').next().unwrap_or(&t.name);
            base.starts_with('_')
        });
        for sub in &mut chart.subcharts {
            keep_partials(sub);
        }
    }
    let mut partials = chart.clone();
    keep_partials(&mut partials);
    let template = format!("templates/{name}");
    partials
        .templates
        .push(crate::chart::File::new(template.clone(), data));
    let chart_name = partials.name().to_owned();
    let mut out = render(partials, user, options)?;
    out.remove(&format!("{chart_name}/{template}"))
        .ok_or_else(|| RenderError::Template(format!("rendering gave no {name}")))
}

/// A chart ready to execute: dependencies processed, values coalesced and the
/// template set parsed. Executing does not change it.
pub struct Prepared {
    set: Templates,
    /// Template names in execution order, with the index of their chart scope.
    entries: Vec<(Rc<str>, usize)>,
    charts: Vec<ScopeSpec>,
    values: Table,
    /// Parsed from `options.kube_version` once, in [`Prepared::new`].
    capabilities: Capabilities,
    options: RenderOptions,
}

/// What a chart's scope is made of, apart from the values.
struct ScopeSpec {
    metadata: Metadata,
    is_root: bool,
    files: Vec<(String, Rc<[u8]>)>,
    /// The path of keys from the top values to this chart's values.
    values_path: Vec<String>,
    subcharts: Vec<usize>,
    base_path: Rc<str>,
}

/// The scopes of one execution, built over a fresh copy of the values.
pub struct Scopes(Vec<Map>);

impl Prepared {
    pub fn new(
        mut chart: Chart,
        user: &Table,
        options: &RenderOptions,
    ) -> Result<Prepared, RenderError> {
        let capabilities =
            Capabilities::new(&options.kube_version).map_err(RenderError::Options)?;
        deps::process(&mut chart, user)?;
        let values = values::coalesce(&deps::values_tree(&chart), user)?;
        crate::schema::validate(&chart, &values).map_err(RenderError::Template)?;
        let mut charts = Vec::new();
        let mut sources = Vec::new();
        collect(
            &chart,
            &mut charts,
            &mut sources,
            Vec::new(),
            chart.name().to_owned(),
            true,
        );
        // Deepest path first, then reverse lexical order: Helm's parse and
        // execution order.
        sources.sort_by(|a: &(String, usize, String), b| {
            let (da, db) = (a.0.matches('/').count(), b.0.matches('/').count());
            db.cmp(&da).then_with(|| b.0.cmp(&a.0))
        });
        let mut set = Templates::new(ROOT, helm_funcs());
        let missing_key = if options.strict {
            MissingKey::Error
        } else {
            MissingKey::Zero
        };
        set.set_options(Options {
            missing_key,
            limits: options.limits,
        });
        for (name, _, text) in &sources {
            set.parse(name, text)
                .map_err(|e| RenderError::Template(parse_error_text(&Error::Parse(e))))?;
        }
        let entries = sources
            .into_iter()
            .filter(|(name, _, _)| !name.rsplit('/').next().unwrap_or(name).starts_with('_'))
            .map(|(name, scope, _)| (Rc::from(name), scope))
            .collect();
        Ok(Prepared {
            set,
            entries,
            charts,
            values,
            capabilities,
            options: options.clone(),
        })
    }

    /// Fresh scopes: templates may change `.Values`, so each execution gets its own copy.
    pub fn scopes(&self) -> Scopes {
        let capabilities = Value::Object(Rc::new(self.capabilities.clone()));
        let release = Value::Map(Map::from_pairs([
            ("Name", Value::string(self.options.release_name.as_str())),
            ("Namespace", Value::string(self.options.namespace.as_str())),
            ("IsUpgrade", Value::Bool(false)),
            ("IsInstall", Value::Bool(true)),
            ("Revision", Value::Int(1)),
            ("Service", Value::string("Helm")),
        ]));
        let top_values = values_map(&self.values);
        let mut scopes: Vec<Option<Map>> = (0..self.charts.len()).map(|_| None).collect();
        // Subcharts come after their parent in `charts`; build bottom-up so a
        // parent's `.Subcharts` can point at its children's scopes.
        for index in (0..self.charts.len()).rev() {
            let spec = &self.charts[index];
            let values = if spec.is_root {
                Value::Map(top_values.clone())
            } else {
                lookup_path(&top_values, &spec.values_path).unwrap_or_else(|| {
                    Value::Map(Map::with_type(
                        Some(Rc::from("common.Values")),
                        ElemType::Interface,
                    ))
                })
            };
            let subcharts = Map::new();
            for &child in &spec.subcharts {
                if let Some(scope) = &scopes[child] {
                    subcharts.insert(
                        self.charts[child].metadata.name.clone(),
                        Value::Map(scope.clone()),
                    );
                }
            }
            let scope = Map::with_type(Some(Rc::from("common.Values")), ElemType::Interface);
            scope.insert("Chart", chart_value(&spec.metadata, spec.is_root));
            scope.insert(
                "Files",
                Value::Object(Rc::new(Files::new(
                    spec.files.clone(),
                    emit::yaml_of_strings,
                ))),
            );
            scope.insert("Release", release.clone());
            scope.insert("Capabilities", capabilities.clone());
            scope.insert("Values", values);
            scope.insert("Subcharts", Value::Map(subcharts));
            scopes[index] = Some(scope);
        }
        Scopes(scopes.into_iter().map(Option::unwrap_or_default).collect())
    }

    /// Executes every non-partial template against `scopes`.
    pub fn execute(&self, scopes: &Scopes) -> Result<BTreeMap<String, String>, RenderError> {
        let mut out = BTreeMap::new();
        let mut state = RenderState::default();
        // `.Template` of each template: a new map each time (templates may
        // change it), of strings shared with `self`.
        let name_key: Key = Rc::from("Name");
        let base_key: Key = Rc::from("BasePath");
        for (name, scope_index) in &self.entries {
            let scope = &scopes.0[*scope_index];
            let base = &self.charts[*scope_index].base_path;
            scope.insert(
                "Template",
                Value::Map(Map::from_pairs([
                    (name_key.clone(), Value::String(name.clone())),
                    (base_key.clone(), Value::String(base.clone())),
                ])),
            );
            let (text, lt) = self
                .set
                .execute_lt(name, Value::Map(scope.clone()), &mut state)
                .map_err(|e| RenderError::Template(exec_error_text(&e)))?;
            out.insert(
                name.to_string(),
                if lt { remove_no_value(text) } else { text },
            );
        }
        Ok(out)
    }
}

/// Walks the chart tree: one scope spec per chart, one source per template.
fn collect(
    chart: &Chart,
    charts: &mut Vec<ScopeSpec>,
    sources: &mut Vec<(String, usize, String)>,
    values_path: Vec<String>,
    full_path: String,
    is_root: bool,
) -> usize {
    let index = charts.len();
    charts.push(ScopeSpec {
        metadata: chart.metadata.clone(),
        is_root,
        files: chart
            .files
            .iter()
            .map(|f| (f.name.clone(), Rc::from(f.data.as_slice())))
            .collect(),
        values_path: values_path.clone(),
        subcharts: Vec::new(),
        base_path: Rc::from(format!("{full_path}/templates")),
    });
    for sub in &chart.subcharts {
        let mut path = values_path.clone();
        path.push(sub.name().to_owned());
        let child = collect(
            sub,
            charts,
            sources,
            path,
            format!("{full_path}/charts/{}", sub.name()),
            false,
        );
        charts[index].subcharts.push(child);
    }
    for t in &chart.templates {
        let base = t.name.rsplit('/').next().unwrap_or(&t.name);
        if chart.is_library() && !base.starts_with('_') {
            continue;
        }
        sources.push((
            format!("{full_path}/{}", t.name),
            index,
            String::from_utf8_lossy(&t.data).into_owned(),
        ));
    }
    index
}

fn lookup_path(top: &Map, path: &[String]) -> Option<Value> {
    let mut cur = Value::Map(top.clone());
    for key in path {
        cur = match &cur {
            Value::Map(m) => m.get(key)?,
            _ => return None,
        };
    }
    matches!(cur, Value::Map(_)).then_some(cur)
}

/// The top values as a `common.Values` map.
fn values_map(values: &Table) -> Map {
    let map = Map::with_type(Some(Rc::from("common.Values")), ElemType::Interface);
    for (k, v) in values {
        map.insert(k.clone(), Value::from_json(v));
    }
    map
}

/// `.Chart`: every metadata field by its Go name, plus `IsRoot`.
fn chart_value(md: &Metadata, is_root: bool) -> Value {
    let strings = |items: &[String]| {
        Value::List(List::new(
            items.iter().map(|s| Value::string(s.as_str())).collect(),
        ))
    };
    let maintainers = md
        .maintainers
        .iter()
        .map(|m| {
            Value::Map(Map::from_pairs([
                ("Name", Value::string(m.name.as_str())),
                ("Email", Value::string(m.email.as_str())),
                ("URL", Value::string(m.url.as_str())),
            ]))
        })
        .collect();
    let dependencies = md
        .dependencies
        .iter()
        .map(|d| {
            Value::Map(Map::from_pairs([
                ("Name", Value::string(d.name.as_str())),
                ("Version", Value::string(d.version.as_str())),
                ("Repository", Value::string(d.repository.as_str())),
                ("Condition", Value::string(d.condition.as_str())),
                ("Tags", strings(&d.tags)),
                ("Enabled", Value::Bool(d.enabled)),
                (
                    "ImportValues",
                    Value::List(List::new(
                        d.import_values.iter().map(Value::from_json).collect(),
                    )),
                ),
                ("Alias", Value::string(d.alias.as_str())),
            ]))
        })
        .collect();
    // A nil map[string]string prints `map[]`; the value model has no nil maps,
    // so an absent field is an empty one (FIXME(issue 4): `toYaml .Chart`
    // shows `{}` where Helm shows `null`).
    let annotations = Map::with_type(None, ElemType::String);
    for (k, v) in md.annotations.iter().flatten() {
        annotations.insert(k.clone(), Value::string(v.as_str()));
    }
    let annotations = Value::Map(annotations);
    Value::Map(Map::from_pairs([
        ("Name", Value::string(md.name.as_str())),
        ("Home", Value::string(md.home.as_str())),
        ("Sources", strings(&md.sources)),
        ("Version", Value::string(md.version.as_str())),
        ("Description", Value::string(md.description.as_str())),
        ("Keywords", strings(&md.keywords)),
        ("Maintainers", Value::List(List::new(maintainers))),
        ("Icon", Value::string(md.icon.as_str())),
        ("APIVersion", Value::string(md.api_version.as_str())),
        ("Condition", Value::string(md.condition.as_str())),
        ("Tags", Value::string(md.tags.as_str())),
        ("AppVersion", Value::string(md.app_version.as_str())),
        ("Deprecated", Value::Bool(md.deprecated)),
        ("Annotations", annotations),
        ("KubeVersion", Value::string(md.kube_version.as_str())),
        ("Dependencies", Value::List(List::new(dependencies))),
        ("Type", Value::string(md.kind.as_str())),
        ("IsRoot", Value::Bool(is_root)),
    ]))
}

/// Per-execution state the functions share.
#[derive(Default)]
struct RenderState {
    /// How deep each name is currently `include`d.
    included: HashMap<String, usize, foldhash::fast::RandomState>,
}

fn warn(msg: &str) -> FuncError {
    FuncError::new(format!("{WARN_START}{msg}{WARN_END}"))
}

/// Sprig plus Helm's functions, as Helm's `funcMap()` and engine build them.
fn helm_funcs() -> FuncMap {
    use ArgType::{Any, String as S};
    let mut f = sprig::sprig_funcs();
    crate::sprig_extra::register(&mut f);
    f.remove("env");
    f.remove("expandenv");
    f.insert("include", Signature::new(&[S, Any]), |cx, args| {
        let name = args[0].as_str().unwrap_or_default();
        if let Some(s) = cx.user::<RenderState>() {
            let depth = match s.included.get_mut(name) {
                Some(n) => n,
                None => s.included.entry(name.to_owned()).or_insert(0),
            };
            if *depth > MAX_INCLUDE_DEPTH {
                return Err(FuncError::new(format!(
                    "rendering template has a nested reference name: {name}: unable to execute template"
                )));
            }
            *depth += 1;
        }
        let result = cx.execute_template(name, args[1].clone());
        if let Some(n) = cx
            .user::<RenderState>()
            .and_then(|s| s.included.get_mut(name))
        {
            *n = n.saturating_sub(1);
        }
        result.map(Value::string).map_err(FuncError::from)
    });
    f.insert("tpl", Signature::new(&[S, Any]), |cx, args| {
        let text = args[0].as_str().unwrap_or_default().to_owned();
        let mut set = cx.templates().clone();
        set.parse(ROOT, &text).map_err(|e| {
            FuncError::new(format!(
                "cannot parse template {}: {}",
                crate::fmt::quote(&text),
                Error::Parse(e)
            ))
        })?;
        let out = cx.execute_in(&set, ROOT, args[1].clone()).map_err(|e| {
            FuncError::new(format!(
                "error during tpl function execution for {}: {e}",
                crate::fmt::quote(&text)
            ))
        })?;
        Ok(Value::string(remove_no_value(out)))
    });
    f.insert_simple(
        "required",
        Signature::new(&[S, Any]).returns_interface(),
        |args| {
            let missing = matches!(&args[1], Value::Nil) || args[1].as_str() == Some("");
            if missing {
                Err(warn(args[0].as_str().unwrap_or_default()))
            } else {
                Ok(args[1].clone())
            }
        },
    );
    f.insert_simple("fail", Signature::new(&[S]), |args| {
        Err(warn(args[0].as_str().unwrap_or_default()))
    });
    f.insert_simple("lookup", Signature::new(&[S, S, S, S]), |_| {
        Ok(Value::Map(Map::new()))
    });
    f.insert_simple("getHostByName", Signature::new(&[S]), |_| {
        Ok(Value::string(""))
    });
    f.insert_simple("fromYaml", Signature::new(&[S]), |args| {
        Ok(match yaml::parse(args[0].as_str().unwrap_or_default()) {
            Ok(Json::Object(m)) => Value::from_json(&Json::Object(m)),
            Ok(Json::Null) => Value::Map(Map::new()),
            Ok(_) => error_map(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go value of type map[string]interface {}",
            ),
            Err(e) => error_map(&format!("error converting YAML to JSON: {e}")),
        })
    });
    f.insert_simple("fromYamlArray", Signature::new(&[S]), |args| {
        Ok(match yaml::parse(args[0].as_str().unwrap_or_default()) {
            Ok(Json::Array(items)) => Value::List(List::new(items.iter().map(Value::from_json).collect())),
            Ok(Json::Null) => Value::List(List::new(Vec::new())),
            Ok(_) => Value::List(List::new(vec![Value::string(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into Go value of type []interface {}",
            )])),
            Err(e) => Value::List(List::new(vec![Value::string(format!("error converting YAML to JSON: {e}"))])),
        })
    });
    emit::register(&mut f);
    f
}

/// Helm's `strings.ReplaceAll(out, "<no value>", "")`, without copying the
/// (usual) output that has none.
fn remove_no_value(text: String) -> String {
    const NO_VALUE: &str = "<no value>";
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(NO_VALUE));
    let mut hits = FINDER.find_iter(text.as_bytes()).peekable();
    if hits.peek().is_none() {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for at in hits {
        // Match bounds are ASCII bytes, so char boundaries.
        out.push_str(text.get(last..at).unwrap_or_default());
        last = at + NO_VALUE.len();
    }
    out.push_str(text.get(last..).unwrap_or_default());
    out
}

fn error_map(message: &str) -> Value {
    Value::Map(Map::from_pairs([("Error", Value::string(message))]))
}

/// Helm's `cleanupParseError`: the location and the text after the last `": "`.
fn parse_error_text(e: &Error) -> String {
    let text = e.to_string();
    let tokens: Vec<&str> = text.split(": ").collect();
    if tokens.len() == 1 {
        return format!("parse error in ({text})");
    }
    format!(
        "parse error at ({}): {}",
        tokens[1],
        tokens[tokens.len() - 1]
    )
}

/// Helm's exec error reshaping: `required`/`fail` become `execution error at
/// (LOC): msg`; a chain made only of template errors becomes the multi-line
/// trace; anything else keeps Go's one-line text.
fn exec_error_text(e: &Error) -> String {
    let text = e.to_string();
    if let (Some(start), Some(end)) = (text.find(WARN_START), text.find(WARN_END)) {
        let message = &text[start + WARN_START.len()..end];
        let location = match e {
            Error::Exec(x) => x.location.clone().unwrap_or_else(|| x.name.clone()),
            _ => String::new(),
        };
        return format!("execution error at ({location}): {message}");
    }
    match trace(e) {
        Some(lines) => lines,
        None => text,
    }
}

/// The multi-line form, or `None` when some error in the chain is not a
/// template error.
fn trace(e: &Error) -> Option<String> {
    match e {
        Error::Exec(x) => {
            let (Some(location), Some(context)) = (&x.location, &x.context) else {
                return None;
            };
            let head = format!(
                "{location}\n  executing {} at <{context}>:\n    ",
                crate::fmt::quote(&x.name)
            );
            match &x.kind {
                ExecErrorKind::Message(m) => Some(format!("{head}{m}")),
                ExecErrorKind::Call { func, err } => {
                    let inner = err.source_error()?;
                    let rest = match inner {
                        Error::Exec(_) => trace(inner)?,
                        other if other.to_string().starts_with("template: ") => other.to_string(),
                        _ => return None,
                    };
                    Some(format!("{head}error calling {func}:\n{rest}"))
                }
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_no_value_drops_every_occurrence() {
        assert_eq!(remove_no_value("a: 1\n".into()), "a: 1\n");
        assert_eq!(remove_no_value("<no value>".into()), "");
        assert_eq!(
            remove_no_value("x: <no value>\ny: <no value><no value>é<no valu".into()),
            "x: \ny: é<no valu"
        );
    }
}
