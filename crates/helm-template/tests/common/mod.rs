//! Shared helpers for the integration tests: a Helm-like top-level data map
//! and a minimal `include`.
#![allow(dead_code)]

use helm_template::{ArgType, FuncError, FuncMap, Map, MissingKey, Signature, Templates, Value};

pub fn values(json: &str) -> Value {
    let v: serde_json::Value = serde_json::from_str(json).expect("test json");
    let m = Map::with_type(
        Some("common.Values".into()),
        helm_template::ElemType::Interface,
    );
    if let Value::Map(src) = Value::from_json(&v) {
        for (k, v) in src.entries() {
            m.insert(k, v);
        }
    }
    let top = Map::with_type(
        Some("common.Values".into()),
        helm_template::ElemType::Interface,
    );
    top.insert("Values", Value::Map(m));
    Value::Map(top)
}

pub fn funcs() -> FuncMap {
    let mut f = FuncMap::new();
    f.insert(
        "include",
        Signature::new(&[ArgType::String, ArgType::Any]),
        |ctx, args| {
            let name = args[0].as_str().unwrap_or_default().to_string();
            ctx.execute_template(&name, args[1].clone())
                .map(Value::from)
                .map_err(FuncError::from)
        },
    );
    f.insert_simple("upper", Signature::new(&[ArgType::String]), |a| {
        Ok(Value::from(
            a[0].as_str().unwrap_or_default().to_uppercase(),
        ))
    });
    f.insert_simple("fail", Signature::new(&[ArgType::String]), |a| {
        Err(FuncError::new(a[0].as_str().unwrap_or_default()))
    });
    f.insert_simple("list", Signature::variadic(&[], ArgType::Any), |a| {
        Ok(Value::list(a.to_vec()))
    });
    f.insert_simple("int64", Signature::new(&[ArgType::Any]), |a| {
        Ok(Value::Int64(match &a[0] {
            Value::Int(i) | Value::Int64(i) => *i,
            Value::Float(f) => *f as i64,
            _ => 0,
        }))
    });
    f.insert_simple(
        "set",
        Signature::new(&[ArgType::Map, ArgType::String, ArgType::Any]),
        |a| {
            if let (Value::Map(m), Some(k)) = (&a[0], a[1].as_str()) {
                m.insert(k, a[2].clone());
            }
            Ok(a[0].clone())
        },
    );
    f.insert_simple("dict", Signature::variadic(&[], ArgType::Any), |a| {
        let m = Map::new();
        for pair in a.chunks(2) {
            let k = helm_template::fmt::to_string(&pair[0]);
            m.insert(k, pair.get(1).cloned().unwrap_or(Value::from("")));
        }
        Ok(Value::Map(m))
    });
    f
}

/// Render `tpl` as `t.yaml` (with optional helpers as `_h.tpl`) over the
/// values, with Helm's missingkey=zero and `<no value>` removal.
pub fn render_h(tpl: &str, helpers: &str, vals: &str) -> Result<String, String> {
    let mut set = Templates::new("gotpl", funcs());
    set.set_missing_key(MissingKey::Zero);
    set.parse("t.yaml", tpl).map_err(|e| e.to_string())?;
    if !helpers.is_empty() {
        set.parse("_h.tpl", helpers).map_err(|e| e.to_string())?;
    }
    let data = values(vals);
    set.execute("t.yaml", data)
        .map(|s| s.replace("<no value>", ""))
        .map_err(|e| e.to_string())
}

pub fn render(tpl: &str, vals: &str) -> Result<String, String> {
    render_h(tpl, "", vals)
}

/// Like [`render_h`] but with the Sprig library plus `include` and `required`
/// (file names as Helm's: `t/templates/t.yaml`, helpers `t/templates/_h.tpl`).
pub fn render_sprig(tpl: &str, helpers: &str, vals: &str) -> Result<String, String> {
    let mut f = helm_template::sprig_funcs();
    f.insert(
        "include",
        Signature::new(&[ArgType::String, ArgType::Any]),
        |ctx, args| {
            let name = args[0].as_str().unwrap_or_default().to_string();
            ctx.execute_template(&name, args[1].clone())
                .map(Value::from)
                .map_err(FuncError::from)
        },
    );
    f.insert_simple(
        "required",
        Signature::new(&[ArgType::String, ArgType::Any]).returns_interface(),
        |a| {
            if a[1].is_nil() || a[1].as_str() == Some("") {
                return Err(FuncError::new(helm_template::fmt::sprintf(
                    a[0].as_str().unwrap_or(""),
                    &[],
                )));
            }
            Ok(a[1].clone())
        },
    );
    let mut set = Templates::new("gotpl", f);
    set.set_missing_key(MissingKey::Zero);
    if !helpers.is_empty() {
        set.parse("t/templates/_h.tpl", helpers)
            .map_err(|e| e.to_string())?;
    }
    set.parse("t/templates/t.yaml", tpl)
        .map_err(|e| e.to_string())?;
    set.execute("t/templates/t.yaml", values(vals))
        .map(|s| s.replace("<no value>", ""))
        .map_err(|e| e.to_string())
}
