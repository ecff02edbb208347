//! Go's dynamic values as Helm templates see them: nil, `bool`, `int`, `int64`,
//! `float64`, `string`, `[]uint8`, slices, shared mutable maps and Helm's typed
//! objects (structs and named types with methods).
//!
//! Maps are reference types exactly as in Go: cloning a [`Value::Map`] clones the
//! handle, and mutation through one handle (Sprig's `set`, `unset`, `merge`) is
//! seen through every other. Lists are immutable once built (no Sprig or builtin
//! function mutates a slice in place), so they are shared behind an `Rc` too.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::error::FuncError;

/// The Go element type of a slice or map value (the `T` in `[]T` or
/// `map[string]T`). Only used for type names, zero values and assignability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ElemType {
    /// `interface {}`
    Interface,
    /// `string`
    String,
    /// `int`
    Int,
    /// `int64`
    Int64,
    /// `float64`
    Float64,
    /// `bool`
    Bool,
    /// `[]uint8`
    Bytes,
}

impl ElemType {
    /// The Go spelling of the type.
    pub fn go_name(self) -> &'static str {
        match self {
            ElemType::Interface => "interface {}",
            ElemType::String => "string",
            ElemType::Int => "int",
            ElemType::Int64 => "int64",
            ElemType::Float64 => "float64",
            ElemType::Bool => "bool",
            ElemType::Bytes => "[]uint8",
        }
    }

    /// The Go zero value of the type (nil for interfaces and slices).
    pub fn zero(self) -> Value {
        match self {
            ElemType::Interface => Value::Nil,
            ElemType::String => Value::from(""),
            ElemType::Int => Value::Int(0),
            ElemType::Int64 => Value::Int64(0),
            ElemType::Float64 => Value::Float(0.0),
            ElemType::Bool => Value::Bool(false),
            ElemType::Bytes => Value::Bytes(Rc::from(Vec::new())),
        }
    }
}

/// A Go dynamic value.
#[derive(Clone)]
pub enum Value {
    /// The nil interface (`<nil>`); also a missing map entry under
    /// `missingkey=zero`.
    Nil,
    /// `bool`
    Bool(bool),
    /// Go `int` (64-bit): template integer literals, `len`, `atoi`, `int`.
    Int(i64),
    /// Go `int64`: Sprig arithmetic (`add`, `mul`, `int64`, …).
    Int64(i64),
    /// `float64`: every number loaded from YAML/JSON, float literals.
    Float(f64),
    /// `string`
    String(Rc<str>),
    /// `[]uint8` (e.g. `.Files.GetBytes`).
    Bytes(Rc<[u8]>),
    /// A slice `[]T`.
    List(List),
    /// A map `map[string]T`, shared and mutable.
    Map(Map),
    /// A Helm object: a struct or a named type with methods.
    Object(Rc<dyn Object>),
}

impl Value {
    /// The Go type name as `%T` prints it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".to_string(),
            Value::Bool(_) => "bool".to_string(),
            Value::Int(_) => "int".to_string(),
            Value::Int64(_) => "int64".to_string(),
            Value::Float(_) => "float64".to_string(),
            Value::String(_) => "string".to_string(),
            Value::Bytes(_) => "[]uint8".to_string(),
            Value::List(l) => format!("[]{}", l.elem().go_name()),
            Value::Map(m) => m.type_name(),
            Value::Object(o) => o.type_name(),
        }
    }

    /// The reflect kind name as Sprig's `kindOf` prints it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) | Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(o) => match o.kind() {
                ObjectKind::Struct => "struct",
                ObjectKind::Pointer => "ptr",
                ObjectKind::Named => match o.underlying() {
                    Some(u) => u.kind_name(),
                    None => "struct",
                },
            },
        }
    }

    /// Go template truth: false for nil, `false`, zero numbers, empty
    /// strings, slices and maps; true for everything else (structs included).
    pub fn is_true(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Object(o) => match o.underlying() {
                Some(u) => u.is_true(),
                None => true,
            },
        }
    }

    /// True for the nil interface.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The string if this is a Go `string`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The map if this is a map.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The list if this is a slice.
    pub fn as_list(&self) -> Option<&List> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// A Go `string` value.
    pub fn string(s: impl Into<Rc<str>>) -> Value {
        Value::String(s.into())
    }

    /// A `[]interface {}` value.
    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List::new(items))
    }

    /// A `[]string` value.
    pub fn string_list<I, S>(items: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: Into<Rc<str>>,
    {
        Value::List(List::with_elem(
            items.into_iter().map(|s| Value::String(s.into())).collect(),
            ElemType::String,
        ))
    }

    /// A value loaded from JSON the way Go's `encoding/json` decodes into
    /// `interface{}`: every number becomes `float64`.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::from(s.as_str()),
            serde_json::Value::Array(a) => Value::list(a.iter().map(Value::from_json).collect()),
            serde_json::Value::Object(o) => {
                let m = Map::new();
                for (k, v) in o {
                    m.insert(k.clone(), Value::from_json(v));
                }
                Value::Map(m)
            }
        }
    }

    /// A deep copy: maps and lists are copied recursively, so the result shares
    /// no mutable state with `self` (Sprig's `deepCopy`).
    pub fn deep_copy(&self) -> Value {
        self.deep_copy_depth(0)
    }

    fn deep_copy_depth(&self, depth: usize) -> Value {
        if depth > MAX_NESTING {
            return Value::Nil;
        }
        match self {
            Value::List(l) => Value::List(List::with_elem(
                l.iter().map(|v| v.deep_copy_depth(depth + 1)).collect(),
                l.elem(),
            )),
            Value::Map(m) => {
                let out = Map::with_type(m.named_type(), m.elem());
                for (k, v) in m.entries() {
                    out.insert(k, v.deep_copy_depth(depth + 1));
                }
                Value::Map(out)
            }
            other => other.clone(),
        }
    }
}

/// Nesting beyond which recursive walks (printing, copying, comparing) stop,
/// so that a map containing itself cannot overflow the stack.
pub const MAX_NESTING: usize = 1000;

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({})",
            self.type_name(),
            crate::fmt::sprint(std::slice::from_ref(self))
        )
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(Rc::from(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(Rc::from(s))
    }
}

impl From<Rc<str>> for Value {
    fn from(s: Rc<str>) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::list(v)
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Map(m)
    }
}

impl From<List> for Value {
    fn from(l: List) -> Value {
        Value::List(l)
    }
}

/// An immutable Go slice (`[]T`).
#[derive(Clone)]
pub struct List {
    items: Rc<Vec<Value>>,
    elem: ElemType,
}

impl List {
    /// A `[]interface {}`.
    pub fn new(items: Vec<Value>) -> List {
        List {
            items: Rc::new(items),
            elem: ElemType::Interface,
        }
    }

    /// A slice with the given element type; the caller guarantees the items
    /// have that type.
    pub fn with_elem(items: Vec<Value>, elem: ElemType) -> List {
        List {
            items: Rc::new(items),
            elem,
        }
    }

    /// The element type.
    pub fn elem(&self) -> ElemType {
        self.elem
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Element `i`.
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.items.get(i)
    }

    /// Iterate over the elements.
    pub fn iter(&self) -> std::slice::Iter<'_, Value> {
        self.items.iter()
    }

    /// The elements as a slice.
    pub fn as_slice(&self) -> &[Value] {
        &self.items
    }

    /// A new list holding `self[lo..hi]` with the same element type.
    pub fn slice(&self, lo: usize, hi: usize) -> List {
        List::with_elem(self.items[lo..hi].to_vec(), self.elem)
    }
}

struct MapInner {
    entries: RefCell<Entries>,
    /// A named type (e.g. `common.Values`) or None for `map[string]T`.
    named: Option<Rc<str>>,
    elem: ElemType,
}

/// A map key: shared, so snapshots and copies of a map do not copy its keys.
pub type Key = Rc<str>;

/// Maps of at most this many entries are searched linearly; larger ones
/// get a hash index.
const LINEAR_MAX: usize = 8;

/// A map's entries: a vector, sorted by key whenever it is walked, with a
/// hash index for lookups once it is large. Lookups (field chains) are far
/// more frequent than walks (`range`, printing), and Go walks maps in sorted
/// key order, so the order is restored lazily: a map built in key order
/// (values files, `dict`, copies) never needs sorting.
#[derive(Default)]
struct Entries {
    items: Vec<(Key, Value)>,
    /// Key to position in `items`, kept only above [`LINEAR_MAX`] entries.
    index: Option<std::collections::HashMap<Key, usize, foldhash::fast::RandomState>>,
    /// False when `items` may be out of key order.
    unsorted: bool,
}

/// `a == b`, without a call to `memcmp` for the short keys maps mostly have.
fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 16 {
        return a == b;
    }
    a.iter().zip(b).all(|(x, y)| x == y)
}

impl Entries {
    fn position(&self, key: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(key).copied(),
            None => self.items.iter().position(|(k, _)| same_key(k, key)),
        }
    }

    fn reindex(&mut self) {
        if self.items.len() <= LINEAR_MAX {
            self.index = None;
            return;
        }
        let index = self.index.get_or_insert_with(Default::default);
        index.clear();
        index.extend(
            self.items
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (k.clone(), i)),
        );
    }

    fn insert<K: AsRef<str> + Into<Key>>(&mut self, key: K, value: Value) -> Option<Value> {
        if let Some(i) = self.position(key.as_ref()) {
            return Some(std::mem::replace(&mut self.items[i].1, value));
        }
        let key: Key = key.into();
        if let Some((last, _)) = self.items.last()
            && **last > *key
        {
            self.unsorted = true;
        }
        let i = self.items.len();
        match &mut self.index {
            Some(index) => {
                index.insert(key.clone(), i);
                self.items.push((key, value));
            }
            None => {
                self.items.push((key, value));
                if self.items.len() > LINEAR_MAX {
                    self.reindex();
                }
            }
        }
        None
    }

    fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.position(key)?;
        // `Vec::remove` keeps the order (sorted or not); positions after `i`
        // shift, so the index is rebuilt.
        let (_, v) = self.items.remove(i);
        if self.index.is_some() {
            self.reindex();
        }
        Some(v)
    }

    /// The entries in bytewise key order.
    fn sorted(&mut self) -> &[(Key, Value)] {
        if self.unsorted {
            // Keys are unique, so an unstable sort is deterministic.
            self.items.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            self.unsorted = false;
            if self.index.is_some() {
                self.reindex();
            }
        }
        &self.items
    }
}

/// A Go map with string keys: a shared, mutable reference. Iteration order is
/// bytewise key order (Go sorts keys when printing and ranging).
#[derive(Clone)]
pub struct Map {
    inner: Rc<MapInner>,
}

impl Default for Map {
    fn default() -> Self {
        Map::new()
    }
}

impl Map {
    /// An empty `map[string]interface {}`.
    pub fn new() -> Map {
        Map::with_type(None, ElemType::Interface)
    }

    /// An empty map of a named type (`named`, e.g. `common.Values`) or of
    /// `map[string]ELEM`.
    pub fn with_type(named: Option<Rc<str>>, elem: ElemType) -> Map {
        Map {
            inner: Rc::new(MapInner {
                entries: RefCell::new(Entries::default()),
                named,
                elem,
            }),
        }
    }

    /// A `map[string]interface {}` holding the pairs.
    pub fn from_pairs<I, K>(pairs: I) -> Map
    where
        I: IntoIterator<Item = (K, Value)>,
        K: AsRef<str> + Into<Key>,
    {
        let pairs = pairs.into_iter();
        let m = Map::new();
        {
            let mut entries = m.inner.entries.borrow_mut();
            entries.items.reserve(pairs.size_hint().0);
            for (k, v) in pairs {
                entries.insert(k, v);
            }
        }
        m
    }

    /// The Go type name (`map[string]interface {}` or the named type).
    pub fn type_name(&self) -> String {
        match &self.inner.named {
            Some(n) => n.to_string(),
            None => format!("map[string]{}", self.inner.elem.go_name()),
        }
    }

    /// The named type, if any.
    pub fn named_type(&self) -> Option<Rc<str>> {
        self.inner.named.clone()
    }

    /// The element type.
    pub fn elem(&self) -> ElemType {
        self.inner.elem
    }

    /// True when both handles refer to the same map.
    pub fn ptr_eq(&self, other: &Map) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// The value stored under `key`.
    pub fn get(&self, key: &str) -> Option<Value> {
        let entries = self.inner.entries.borrow();
        entries.position(key).map(|i| entries.items[i].1.clone())
    }

    /// True if `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.inner.entries.borrow().position(key).is_some()
    }

    /// Store `value` under `key`, returning the previous value.
    pub fn insert<K: AsRef<str> + Into<Key>>(&self, key: K, value: Value) -> Option<Value> {
        self.inner.entries.borrow_mut().insert(key, value)
    }

    /// Remove `key`, returning its value.
    pub fn remove(&self, key: &str) -> Option<Value> {
        self.inner.entries.borrow_mut().remove(key)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.inner.entries.borrow().items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.inner.entries.borrow().items.is_empty()
    }

    /// The keys in bytewise order (a snapshot).
    pub fn keys(&self) -> Vec<Key> {
        self.inner
            .entries
            .borrow_mut()
            .sorted()
            .iter()
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The entries in bytewise key order (a snapshot: the map may be mutated
    /// while the caller walks it).
    pub fn entries(&self) -> Vec<(Key, Value)> {
        self.inner.entries.borrow_mut().sorted().to_vec()
    }

    /// Remove every entry.
    pub fn clear(&self) {
        let mut entries = self.inner.entries.borrow_mut();
        entries.items.clear();
        entries.index = None;
        entries.unsorted = false;
    }
}

/// How an [`Object`] behaves for reflection-like operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// A struct value (`T`): printed `{a b}`.
    Struct,
    /// A pointer to a struct (`*T`): printed `&{a b}` at top level.
    Pointer,
    /// A named non-struct type (e.g. `chartutil.Files`, a map; or
    /// `chartutil.VersionSet`, a slice) whose [`Object::underlying`] value is
    /// used for printing, `range`, `index`, `len` and truth.
    Named,
}

/// The Go types of parameters of functions and methods, used to check and
/// convert arguments as Go's `reflect.Call` requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    /// `interface {}`: anything, nil included.
    Any,
    /// `string`
    String,
    /// `int`
    Int,
    /// `int64`
    Int64,
    /// `float64`
    Float64,
    /// `bool`
    Bool,
    /// `[]interface {}`
    List,
    /// `map[string]interface {}` (named map types with that underlying type
    /// are assignable too).
    Map,
    /// `[]string`
    StringList,
}

impl ArgType {
    /// The Go spelling of the type, as used in error messages.
    pub fn go_name(self) -> &'static str {
        match self {
            ArgType::Any => "interface {}",
            ArgType::String => "string",
            ArgType::Int => "int",
            ArgType::Int64 => "int64",
            ArgType::Float64 => "float64",
            ArgType::Bool => "bool",
            ArgType::List => "[]interface {}",
            ArgType::Map => "map[string]interface {}",
            ArgType::StringList => "[]string",
        }
    }
}

/// Whether a function's declared Go result type is `interface{}` (then a nil
/// result is a nil interface and field access on it is a "nil pointer" error,
/// and type names in errors read `interface {}`) or a concrete type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RetType {
    /// A concrete type (`string`, `bool`, `[]interface {}`, …).
    #[default]
    Concrete,
    /// `interface {}`.
    Interface,
}

/// The Go signature of a function or method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The fixed parameters.
    pub params: Vec<ArgType>,
    /// The element type of a final `...T` parameter.
    pub variadic: Option<ArgType>,
    /// The declared result type.
    pub ret: RetType,
}

impl Signature {
    /// A signature with fixed parameters and a concrete result.
    pub fn new(params: &[ArgType]) -> Signature {
        Signature {
            params: params.to_vec(),
            variadic: None,
            ret: RetType::Concrete,
        }
    }

    /// A signature with fixed parameters followed by `...variadic`.
    pub fn variadic(params: &[ArgType], variadic: ArgType) -> Signature {
        Signature {
            params: params.to_vec(),
            variadic: Some(variadic),
            ret: RetType::Concrete,
        }
    }

    /// The same signature with an `interface{}` result.
    pub fn returns_interface(mut self) -> Signature {
        self.ret = RetType::Interface;
        self
    }
}

/// A Helm object: a Go struct, pointer to struct, or a named type with methods
/// (`.Capabilities`, `.Capabilities.KubeVersion`, `.Files`, …).
pub trait Object {
    /// The Go type name (`%T`, error messages), e.g. `*common.Capabilities`.
    fn type_name(&self) -> String;

    /// Struct, pointer to struct, or named non-struct type.
    fn kind(&self) -> ObjectKind;

    /// For [`ObjectKind::Named`]: the underlying map/slice/string value.
    fn underlying(&self) -> Option<Value> {
        None
    }

    /// The exported struct fields in declaration order (name, value), used for
    /// field access and `%v`/`%+v` printing. Named types have none.
    fn fields(&self) -> Vec<(String, Value)> {
        Vec::new()
    }

    /// One field by name; the default looks it up in [`Object::fields`].
    fn field(&self, name: &str) -> Option<Value> {
        self.fields()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// True if the named field has the static type `interface {}`.
    fn field_is_interface(&self, _name: &str) -> bool {
        false
    }

    /// The signature of the named method, if the type has one.
    fn method(&self, _name: &str) -> Option<Signature> {
        None
    }

    /// Call the named method (only called when [`Object::method`] returned a
    /// signature; arguments are already checked against it).
    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, FuncError> {
        Err(FuncError::new(format!("no method {name}")))
    }

    /// The result of a `String()` method, for types whose pointer implements
    /// `fmt.Stringer`. Template actions print addressable values with it
    /// (`{{ .Capabilities.KubeVersion }}` ⇒ `v1.36.0`) while `printf "%v"`
    /// does not.
    fn addressable_string(&self) -> Option<String> {
        None
    }

    /// The result of a `String()` method on the value itself (`fmt.Stringer`),
    /// used by every print.
    fn stringer(&self) -> Option<String> {
        None
    }

    /// For structs `encoding/json` marshals field by field: the JSON fields in
    /// declaration order (Go does not sort them). `None` uses
    /// [`Object::to_json_value`].
    fn json_fields(&self) -> Option<Vec<(String, Value)>> {
        None
    }

    /// The plain value `encoding/json` would marshal (for `toJson`/`toYaml`).
    fn to_json_value(&self) -> Value {
        match self.underlying() {
            Some(u) => u,
            None => Value::Map(Map::from_pairs(self.fields())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(m: &Map) -> Vec<String> {
        m.keys().iter().map(|k| k.to_string()).collect()
    }

    #[test]
    fn maps_walk_in_key_order_whatever_the_insertion_order() {
        for n in [3usize, LINEAR_MAX, LINEAR_MAX + 1, 40] {
            let m = Map::new();
            // Reverse order, then every key again (replacing), then removals.
            for i in (0..n).rev() {
                assert!(m.insert(format!("k{i:03}"), Value::Int(i as i64)).is_none());
            }
            for i in 0..n {
                let old = m.insert(format!("k{i:03}"), Value::Int(100 + i as i64));
                assert!(matches!(old, Some(Value::Int(x)) if x == i as i64));
            }
            let want: Vec<String> = (0..n).map(|i| format!("k{i:03}")).collect();
            assert_eq!(keys(&m), want);
            assert_eq!(m.len(), n);
            for i in 0..n {
                assert!(
                    matches!(m.get(&format!("k{i:03}")), Some(Value::Int(x)) if x == 100 + i as i64)
                );
            }
            assert!(m.get("k").is_none());
            assert!(m.remove("k000").is_some());
            assert!(m.remove("k000").is_none());
            m.insert("a", Value::Nil);
            assert_eq!(keys(&m)[0], "a");
            assert_eq!(keys(&m)[1..], want[1..]);
            for (i, k) in want[1..].iter().enumerate() {
                assert!(matches!(m.get(k), Some(Value::Int(x)) if x == 101 + i as i64));
            }
            assert!(m.contains_key("a") && !m.contains_key("k000"));
            m.clear();
            assert!(m.is_empty() && m.get("a").is_none());
        }
    }
}
