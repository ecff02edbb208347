//! Go's builtin template functions (`text/template/funcs.go`): `and`, `or`,
//! `not`, `len`, `index`, `slice`, `print`, `printf`, `println`, `html`,
//! `js`, `urlquery`, `call` and the comparisons `eq ne lt le gt ge`, with
//! Go's type rules and error texts.

use crate::error::FuncError;
use crate::exec::{Param, RV};
use crate::fmt::{sprint, sprintf, sprintln};
use crate::value::{ArgType, ElemType, ObjectKind, Value};

/// A builtin function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Builtin {
    And,
    Or,
    Call,
    Html,
    Index,
    Slice,
    Js,
    Len,
    Not,
    Print,
    Printf,
    Println,
    Urlquery,
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
    Ne,
}

const R: Param = Param::Reflect;
const ANY: Param = Param::Go(ArgType::Any);

impl Builtin {
    pub(crate) fn from_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "and" => Builtin::And,
            "or" => Builtin::Or,
            "call" => Builtin::Call,
            "html" => Builtin::Html,
            "index" => Builtin::Index,
            "slice" => Builtin::Slice,
            "js" => Builtin::Js,
            "len" => Builtin::Len,
            "not" => Builtin::Not,
            "print" => Builtin::Print,
            "printf" => Builtin::Printf,
            "println" => Builtin::Println,
            "urlquery" => Builtin::Urlquery,
            "eq" => Builtin::Eq,
            "ge" => Builtin::Ge,
            "gt" => Builtin::Gt,
            "le" => Builtin::Le,
            "lt" => Builtin::Lt,
            "ne" => Builtin::Ne,
            _ => return None,
        })
    }

    /// Fixed parameters and the variadic element type.
    pub(crate) fn signature(self) -> (&'static [Param], Option<Param>) {
        match self {
            Builtin::And
            | Builtin::Or
            | Builtin::Call
            | Builtin::Index
            | Builtin::Slice
            | Builtin::Eq => (&[R], Some(R)),
            Builtin::Html | Builtin::Js | Builtin::Urlquery | Builtin::Print | Builtin::Println => {
                (&[], Some(ANY))
            }
            Builtin::Printf => (&[Param::Go(ArgType::String)], Some(ANY)),
            Builtin::Len | Builtin::Not => (&[R], None),
            Builtin::Ge | Builtin::Gt | Builtin::Le | Builtin::Lt | Builtin::Ne => (&[R, R], None),
        }
    }
}

fn err(msg: impl Into<String>) -> FuncError {
    FuncError::new(msg)
}

/// Call a builtin other than `and`/`or`/`call`. Invariant: the executor has
/// checked `args` against [`Builtin::signature`], so fixed arguments exist.
pub(crate) fn call_builtin(b: Builtin, args: &[RV]) -> Result<RV, FuncError> {
    let values = || args.iter().map(RV::value).collect::<Vec<_>>();
    Ok(match b {
        Builtin::Print => RV::Val(Value::from(sprint(&values()))),
        Builtin::Println => RV::Val(Value::from(sprintln(&values()))),
        Builtin::Printf => {
            let v = values();
            let format = v[0].as_str().unwrap_or("").to_string();
            RV::Val(Value::from(sprintf(&format, &v[1..])))
        }
        Builtin::Html => RV::Val(Value::from(html_escape(&eval_args(&values())))),
        Builtin::Js => RV::Val(Value::from(js_escape(&eval_args(&values())))),
        Builtin::Urlquery => RV::Val(Value::from(query_escape(&eval_args(&values())))),
        Builtin::Not => RV::Val(Value::Bool(!args[0].truth())),
        Builtin::Len => RV::Val(Value::Int(length(&args[0])? as i64)),
        Builtin::Index => index(&args[0], &args[1..])?,
        Builtin::Slice => slice(&args[0], &args[1..])?,
        Builtin::Eq => RV::Val(Value::Bool(eq(&args[0], &args[1..])?)),
        Builtin::Ne => RV::Val(Value::Bool(!eq(&args[0], &args[1..2])?)),
        Builtin::Lt => RV::Val(Value::Bool(lt(&args[0], &args[1])?)),
        Builtin::Le => RV::Val(Value::Bool(le(&args[0], &args[1])?)),
        Builtin::Gt => RV::Val(Value::Bool(!le(&args[0], &args[1])?)),
        Builtin::Ge => RV::Val(Value::Bool(!lt(&args[0], &args[1])?)),
        Builtin::And | Builtin::Or | Builtin::Call => RV::Invalid,
    })
}

/// `call`: the values of this crate hold no functions, so every call fails
/// the way Go's does for a nil or non-function value.
pub(crate) fn call(name: &str, args: &[RV]) -> Result<RV, FuncError> {
    match args[0].indirect_interface() {
        RV::Val(v) => Err(err(format!(
            "non-function {} of type {}",
            name,
            v.type_name()
        ))),
        _ => Err(err("call of nil")),
    }
}

/// Go's `evalArgs` for html/js/urlquery: one string as is, else `fmt.Sprint`
/// with nil shown as `<no value>`.
fn eval_args(args: &[Value]) -> String {
    if args.len() == 1
        && let Value::String(s) = &args[0]
    {
        return s.to_string();
    }
    let mapped: Vec<Value> = args
        .iter()
        .map(|a| {
            if a.is_nil() {
                Value::from("<no value>")
            } else {
                a.clone()
            }
        })
        .collect();
    sprint(&mapped)
}

/// Go's `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if (c as u32) < 0x80 => out.push(c),
            c if crate::fmt::is_print(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `indirect` for the values of this crate: (value, is nil pointer or
/// nil interface).
fn indirect(v: &RV) -> (RV, bool) {
    match v {
        RV::Iface(Value::Nil) | RV::Val(Value::Nil) => (v.clone(), true),
        RV::Iface(x) => (RV::Val(x.clone()), false),
        other => (other.clone(), false),
    }
}

fn underlying(v: &Value) -> Value {
    if let Value::Object(o) = v
        && o.kind() == ObjectKind::Named
        && let Some(u) = o.underlying()
    {
        return u;
    }
    v.clone()
}

fn length(item: &RV) -> Result<usize, FuncError> {
    let (item, is_nil) = indirect(item);
    if is_nil {
        return Err(err("len of nil pointer"));
    }
    let RV::Val(v) = item else {
        return Err(err("reflect: call of reflect.Value.Type on zero Value"));
    };
    match underlying(&v) {
        Value::String(s) => Ok(s.len()),
        Value::List(l) => Ok(l.len()),
        Value::Map(m) => Ok(m.len()),
        Value::Bytes(b) => Ok(b.len()),
        _ => Err(err(format!("len of type {}", v.type_name()))),
    }
}

fn index_arg(index: &RV, cap: usize) -> Result<usize, FuncError> {
    let x = match index {
        RV::Val(Value::Int(i) | Value::Int64(i)) => *i,
        RV::Invalid => return Err(err("cannot index slice/array with nil")),
        RV::Val(v) | RV::Iface(v) => {
            return Err(err(format!(
                "cannot index slice/array with type {}",
                v.type_name()
            )));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(err(format!("index out of range: {x}")));
    }
    Ok(x as usize)
}

fn index(item: &RV, indexes: &[RV]) -> Result<RV, FuncError> {
    let mut item = item.indirect_interface();
    if !item.is_valid() {
        return Err(err("index of untyped nil"));
    }
    for idx in indexes {
        let idx = idx.indirect_interface();
        let (it, is_nil) = indirect(&item);
        if is_nil {
            return Err(err("index of nil pointer"));
        }
        let RV::Val(v) = it else {
            return Err(err("index of untyped nil"));
        };
        item = match underlying(&v) {
            Value::List(l) => {
                let x = index_arg(&idx, l.len())?;
                match l.get(x) {
                    Some(e) if l.elem() == ElemType::Interface => RV::Iface(e.clone()),
                    Some(e) => RV::Val(e.clone()),
                    None => return Err(err("reflect: slice index out of range")),
                }
            }
            Value::Bytes(b) => {
                let x = index_arg(&idx, b.len())?;
                match b.get(x) {
                    Some(e) => RV::Val(Value::Int(i64::from(*e))),
                    None => return Err(err("reflect: slice index out of range")),
                }
            }
            Value::String(s) => {
                let x = index_arg(&idx, s.len())?;
                match s.as_bytes().get(x) {
                    Some(e) => RV::Val(Value::Int(i64::from(*e))),
                    None => return Err(err("reflect: string index out of range")),
                }
            }
            Value::Map(m) => {
                let key = match &idx {
                    RV::Val(Value::String(k)) => k.clone(),
                    RV::Invalid => return Err(err("value is nil; should be of type string")),
                    RV::Val(o) | RV::Iface(o) => {
                        return Err(err(format!(
                            "value has type {}; should be string",
                            o.type_name()
                        )));
                    }
                };
                match m.get(&key) {
                    Some(e) if m.elem() == ElemType::Interface => RV::Iface(e),
                    Some(e) => RV::Val(e),
                    None if m.elem() == ElemType::Interface => RV::Iface(Value::Nil),
                    None => RV::Val(m.elem().zero()),
                }
            }
            _ => return Err(err(format!("can't index item of type {}", v.type_name()))),
        };
    }
    Ok(item)
}

fn slice(item: &RV, indexes: &[RV]) -> Result<RV, FuncError> {
    let RV::Val(v) = item.indirect_interface() else {
        return Err(err("slice of untyped nil"));
    };
    if indexes.len() > 3 {
        return Err(err(format!("too many slice indexes: {}", indexes.len())));
    }
    let u = underlying(&v);
    let cap = match &u {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err(err("cannot 3-index slice a string"));
            }
            s.len()
        }
        Value::List(l) => l.len(),
        Value::Bytes(b) => b.len(),
        _ => return Err(err(format!("can't slice item of type {}", v.type_name()))),
    };
    let len = cap;
    let mut idx = [0usize, len, cap];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(&index.indirect_interface(), cap)?;
    }
    if idx[0] > idx[1] {
        return Err(err(format!("invalid slice index: {} > {}", idx[0], idx[1])));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(err(format!("invalid slice index: {} > {}", idx[1], idx[2])));
    }
    Ok(RV::Val(match u {
        Value::String(s) => {
            let b = &s.as_bytes()[idx[0]..idx[1]];
            Value::from(String::from_utf8_lossy(b).into_owned())
        }
        Value::List(l) => Value::List(l.slice(idx[0], idx[1])),
        Value::Bytes(b) => Value::Bytes(std::rc::Rc::from(b[idx[0]..idx[1]].to_vec())),
        other => other,
    }))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Invalid,
    Bool,
    Int,
    Float,
    String,
}

fn basic_kind(v: &RV) -> Kind {
    match v {
        RV::Val(Value::Bool(_)) => Kind::Bool,
        RV::Val(Value::Int(_) | Value::Int64(_)) => Kind::Int,
        RV::Val(Value::Float(_)) => Kind::Float,
        RV::Val(Value::String(_)) => Kind::String,
        _ => Kind::Invalid,
    }
}

/// The reflect kind used by `canCompare`.
fn reflect_kind(v: &RV) -> &'static str {
    match v {
        RV::Invalid => "invalid",
        RV::Iface(_) => "interface",
        RV::Val(x) => match x {
            Value::Nil => "invalid",
            Value::List(_) | Value::Bytes(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(o) => match o.kind() {
                ObjectKind::Struct => "struct",
                ObjectKind::Pointer => "ptr",
                ObjectKind::Named => match o.underlying() {
                    Some(Value::Map(_)) => "map",
                    Some(Value::List(_)) => "slice",
                    _ => "struct",
                },
            },
            other => other.kind_name(),
        },
    }
}

fn comparable(v: &Value) -> bool {
    !matches!(reflect_kind(&RV::Val(v.clone())), "slice" | "map")
}

fn eq(arg1: &RV, arg2: &[RV]) -> Result<bool, FuncError> {
    let arg1 = arg1.indirect_interface();
    if arg2.is_empty() {
        return Err(err("missing argument for comparison"));
    }
    let k1 = basic_kind(&arg1);
    for arg in arg2 {
        let arg = arg.indirect_interface();
        let k2 = basic_kind(&arg);
        let mut truth = false;
        if k1 != k2 {
            if arg1.is_valid() && arg.is_valid() {
                return Err(err(format!(
                    "incompatible types for comparison: {} and {}",
                    arg1.type_name(),
                    arg.type_name()
                )));
            }
        } else {
            match (&arg1, &arg) {
                (RV::Val(Value::Bool(a)), RV::Val(Value::Bool(b))) => truth = a == b,
                (RV::Val(Value::Float(a)), RV::Val(Value::Float(b))) => truth = a == b,
                (
                    RV::Val(Value::Int(a) | Value::Int64(a)),
                    RV::Val(Value::Int(b) | Value::Int64(b)),
                ) => truth = a == b,
                (RV::Val(Value::String(a)), RV::Val(Value::String(b))) => truth = a == b,
                _ => {
                    let (ka, kb) = (reflect_kind(&arg1), reflect_kind(&arg));
                    if ka != kb && ka != "invalid" && kb != "invalid" {
                        return Err(err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            sprintf("%s", &[arg1.value()]),
                            arg1.type_name(),
                            arg.type_name(),
                            sprintf("%v", &[arg.value()])
                        )));
                    }
                    let (n1, n2) = (!arg1.is_valid(), !arg.is_valid());
                    if n1 || n2 {
                        truth = n1 == n2;
                    } else {
                        let b = arg.value();
                        if !comparable(&b) {
                            return Err(err(format!(
                                "non-comparable type {}: {}",
                                sprintf("%s", std::slice::from_ref(&b)),
                                b.type_name()
                            )));
                        }
                        let a = arg1.value();
                        if !comparable(&a) {
                            return Err(err(format!(
                                "non-comparable type {}: {}",
                                sprintf("%s", std::slice::from_ref(&a)),
                                a.type_name()
                            )));
                        }
                        truth = match (&a, &b) {
                            (Value::Object(x), Value::Object(y)) => std::rc::Rc::ptr_eq(x, y),
                            _ => false,
                        };
                    }
                }
            }
        }
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(arg1: &RV, arg2: &RV) -> Result<bool, FuncError> {
    let a = arg1.indirect_interface();
    let k1 = basic_kind(&a);
    if k1 == Kind::Invalid {
        return Err(err("invalid type for comparison"));
    }
    let b = arg2.indirect_interface();
    let k2 = basic_kind(&b);
    if k2 == Kind::Invalid {
        return Err(err("invalid type for comparison"));
    }
    if k1 != k2 {
        return Err(err(format!(
            "incompatible types for comparison: {} and {}",
            a.type_name(),
            b.type_name()
        )));
    }
    Ok(match (&a, &b) {
        (RV::Val(Value::Float(x)), RV::Val(Value::Float(y))) => x < y,
        (RV::Val(Value::Int(x) | Value::Int64(x)), RV::Val(Value::Int(y) | Value::Int64(y))) => {
            x < y
        }
        (RV::Val(Value::String(x)), RV::Val(Value::String(y))) => x.as_bytes() < y.as_bytes(),
        _ => return Err(err("invalid type for comparison")),
    })
}

fn le(arg1: &RV, arg2: &RV) -> Result<bool, FuncError> {
    if lt(arg1, arg2)? {
        return Ok(true);
    }
    eq(arg1, std::slice::from_ref(arg2))
}
