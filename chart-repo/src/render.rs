//! `chart-repo render`: renders a chart as Helm's `engine.Render` does and
//! prints the result as `helm-render` does (DESIGN.md §2), with the command
//! line of the Go oracle. `--repeat N` parses once and times N executions.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use helm_template::chart::{Chart, File};
use helm_template::values::{Table, merge_maps};
use helm_template::{Prepared, RenderOptions, load, setjson};

/// The arguments of `chart-repo render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// The chart directory or packaged `.tgz` (same as --chart).
    #[arg(value_name = "CHART")]
    pub chart_pos: Option<PathBuf>,
    /// The chart directory or packaged `.tgz`.
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// A YAML values file; several are merged, the later winning.
    #[arg(long = "values", short = 'f', value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// `KEY=JSON` (Helm's --set-json syntax) or a JSON object, applied after the files.
    #[arg(long = "set-json", value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    #[arg(
        long = "release-name",
        visible_alias = "name",
        default_value = "release-name"
    )]
    pub release_name: String,
    #[arg(long, default_value = "default")]
    pub namespace: String,
    #[arg(long = "kube-version", default_value = helm_template::objects::DEFAULT_KUBE_VERSION)]
    pub kube_version: String,
    /// A chart-root file (e.g. OlaresManifest.yaml) rendered as a template of the chart.
    #[arg(long, value_name = "FILE")]
    pub extra: Vec<String>,
    /// Parse once, execute every template N times; prints `render_ns_per_iter` on stderr.
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
    /// Fail on a missing map key (`missingkey=error`), as `helm --strict`.
    #[arg(long)]
    pub strict: bool,
}

/// Runs the command: the JSON on stdout, or an error (printed `error: …`).
pub fn run(args: RenderArgs) -> Result<(), String> {
    let path = match (&args.chart, &args.chart_pos) {
        (Some(p), None) | (None, Some(p)) => p.clone(),
        _ => return Err("give the chart directory once, as --chart DIR or as CHART_DIR".into()),
    };
    let mut chart = load::load_path(&path).map_err(|e| e.to_string())?;
    add_extras(&mut chart, &path, &args.extra)?;
    let user = user_values(&args)?;
    let options = RenderOptions {
        release_name: args.release_name.clone(),
        namespace: args.namespace.clone(),
        kube_version: args.kube_version.clone(),
        strict: args.strict,
        ..RenderOptions::default()
    };
    let prepared = Prepared::new(chart.clone(), &user, &options).map_err(|e| e.to_string())?;
    let out = prepared
        .execute(&prepared.scopes())
        .map_err(|e| e.to_string())?;
    if args.repeat > 1 {
        let mut total = Duration::ZERO;
        for _ in 0..args.repeat {
            // Scopes are built before the clock starts and freed after it
            // stops: only execution is timed, as the Go oracle times it.
            let scopes = prepared.scopes();
            let started = Instant::now();
            let again = prepared.execute(&scopes);
            total += started.elapsed();
            let again = again.map_err(|e| e.to_string())?;
            if again.len() != out.len() {
                return Err("a repeated render produced a different set of templates".into());
            }
        }
        eprintln!(
            "render_ns_per_iter: {}",
            total.as_nanos() / u128::from(args.repeat)
        );
    }
    let out = rename_extras(out, chart.name(), &args.extra);
    print!("{}", encode(&out));
    Ok(())
}

fn user_values(args: &RenderArgs) -> Result<Table, String> {
    let mut user = Table::new();
    for file in &args.values {
        let data = std::fs::read(file).map_err(|e| format!("open {}: {e}", file.display()))?;
        let values = helm_template::chart::load_values(&data)
            .map_err(|e| format!("failed to parse {}: {e}", file.display()))?;
        user = merge_maps(user, values);
    }
    for expr in &args.set_json {
        user = setjson::apply(user, expr)?;
    }
    Ok(user)
}

/// Places each extra file at `templates/<FILE>`, as `helm-render` does.
fn add_extras(chart: &mut Chart, dir: &Path, extras: &[String]) -> Result<(), String> {
    if extras.is_empty() {
        return Ok(());
    }
    if !dir.is_dir() {
        return Err("--extra needs a chart directory".into());
    }
    for extra in extras {
        let name = format!("templates/{extra}");
        if chart.templates.iter().any(|t| t.name == name) {
            return Err(format!("--extra {extra}: templates/{extra} already exists"));
        }
        let data = std::fs::read(dir.join(extra)).map_err(|e| format!("open {extra}: {e}"))?;
        chart.templates.push(File::new(name, data));
    }
    Ok(())
}

/// `<chart>/templates/<FILE>` → `<chart>/<FILE>` for each extra file.
fn rename_extras(
    mut out: BTreeMap<String, String>,
    chart: &str,
    extras: &[String],
) -> BTreeMap<String, String> {
    for extra in extras {
        if let Some(text) = out.remove(&format!("{chart}/templates/{extra}")) {
            out.insert(format!("{chart}/{extra}"), text);
        }
    }
    out
}

/// The rendered map as Go's `encoding/json` prints it with two-space indent and
/// no HTML escaping (keys already sorted).
pub fn encode(out: &BTreeMap<String, String>) -> String {
    if out.is_empty() {
        return "{}\n".into();
    }
    let mut s = String::from("{\n");
    let last = out.len() - 1;
    for (i, (key, text)) in out.iter().enumerate() {
        s.push_str("  ");
        json_string(&mut s, key);
        s.push_str(": ");
        json_string(&mut s, text);
        s.push_str(if i < last { ",\n" } else { "\n" });
    }
    s.push_str("}\n");
    s
}

fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c < ' ' || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_go_without_html_escaping() {
        let mut out = BTreeMap::new();
        out.insert(
            "t/templates/b.yaml".to_owned(),
            "<a> & \"q\"\n\u{1}\u{2028}é".to_owned(),
        );
        out.insert("t/templates/a.yaml".to_owned(), String::new());
        assert_eq!(
            encode(&out),
            "{\n  \"t/templates/a.yaml\": \"\",\n  \"t/templates/b.yaml\": \"<a> & \\\"q\\\"\\n\\u0001\\u2028é\"\n}\n"
        );
        assert_eq!(encode(&BTreeMap::new()), "{}\n");
    }
}
