//! The template set (Go's `*template.Template` with its shared namespace),
//! the function registry, execution options and limits, and the context a
//! function receives (so `include`/`tpl` can execute templates of the set).

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use crate::error::{Error, FuncError, ParseError};
use crate::exec::{self, Shared};
use crate::parse::{self, ParseOptions, Tree};
use crate::value::{ArgType, RetType, Signature, Value};

/// The Rust function behind a template function. The executor checks and
/// converts the arguments against the function's [`Signature`] first, so an
/// implementation may index its fixed parameters directly.
pub type FuncImpl = dyn Fn(&mut Context<'_>, &[Value]) -> Result<Value, FuncError> + Send + Sync;

/// A template function: its Go signature (used to check and convert
/// arguments with Go's rules and error texts) and its implementation.
#[derive(Clone)]
pub struct Function {
    /// The Go signature.
    pub sig: Signature,
    /// The implementation.
    pub f: Arc<FuncImpl>,
}

/// String-keyed maps looked up on every call or template execution.
type FastMap<V> = HashMap<String, V, foldhash::fast::RandomState>;

/// A set of named functions (Go's `FuncMap`).
#[derive(Clone, Default)]
pub struct FuncMap {
    map: FastMap<Function>,
}

impl FuncMap {
    /// An empty map.
    pub fn new() -> FuncMap {
        FuncMap::default()
    }

    /// Register `name` with a signature and implementation (replacing any
    /// previous function of that name).
    pub fn insert<F>(&mut self, name: &str, sig: Signature, f: F)
    where
        F: Fn(&mut Context<'_>, &[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    {
        self.map.insert(
            name.to_string(),
            Function {
                sig,
                f: Arc::new(f),
            },
        );
    }

    /// Register a function that does not need the context.
    pub fn insert_simple<F>(&mut self, name: &str, sig: Signature, f: F)
    where
        F: Fn(&[Value]) -> Result<Value, FuncError> + Send + Sync + 'static,
    {
        self.insert(name, sig, move |_, args| f(args));
    }

    /// Add every function of `other`, replacing same-named ones.
    pub fn extend(&mut self, other: FuncMap) {
        self.map.extend(other.map);
    }

    /// Look a function up.
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.map.get(name)
    }

    /// True if the map has `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// Remove a function.
    pub fn remove(&mut self, name: &str) -> Option<Function> {
        self.map.remove(name)
    }

    /// The registered names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }
}

/// What a missing map key evaluates to (Go's `missingkey` option).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// Go's default: the invalid value (prints `<no value>`; a field of it is
    /// silently empty).
    #[default]
    Invalid,
    /// `missingkey=zero` (Helm's default): the element type's zero value, a
    /// nil interface for `map[string]interface{}` (prints `<no value>`; a field
    /// of it is a "nil pointer evaluating" error).
    Zero,
    /// `missingkey=error` (Helm's strict mode): `map has no entry for key`.
    Error,
}

/// Resource limits for one execution (nested `include`/`tpl` executions
/// share them). A hostile template fails with an error instead of hanging
/// or exhausting memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Total bytes written by the execution (nested executions included).
    pub max_output_bytes: usize,
    /// Evaluation steps (nodes walked and commands evaluated).
    pub max_steps: u64,
    /// Nesting of `{{template}}` calls (Go: 100000) and of nested executions.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_output_bytes: 256 << 20,
            max_steps: 200_000_000,
            max_depth: 100_000,
        }
    }
}

/// Execution options.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// The `missingkey` option.
    pub missing_key: MissingKey,
    /// Resource limits.
    pub limits: Limits,
}

/// A set of named templates sharing one namespace and one function map
/// (Go's `*template.Template` and its associated templates).
#[derive(Clone)]
pub struct Templates {
    name: String,
    trees: FastMap<Arc<Tree>>,
    funcs: Arc<FuncMap>,
    options: Options,
}

impl Templates {
    /// A new empty set whose root template is called `name` (Helm: `gotpl`).
    pub fn new(name: &str, funcs: FuncMap) -> Templates {
        Templates {
            name: name.to_string(),
            trees: FastMap::default(),
            funcs: Arc::new(funcs),
            options: Options::default(),
        }
    }

    /// The root name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The execution options.
    pub fn options(&self) -> Options {
        self.options
    }

    /// Replace the execution options.
    pub fn set_options(&mut self, options: Options) {
        self.options = options;
    }

    /// Set the `missingkey` option.
    pub fn set_missing_key(&mut self, mk: MissingKey) {
        self.options.missing_key = mk;
    }

    /// The function map.
    pub fn funcs(&self) -> &FuncMap {
        &self.funcs
    }

    /// Replace the function map (affects later parses and executions).
    pub fn set_funcs(&mut self, funcs: FuncMap) {
        self.funcs = Arc::new(funcs);
    }

    /// True if `name` is a registered or builtin function.
    pub fn has_function(&self, name: &str) -> bool {
        self.funcs.contains(name) || exec::is_builtin(name)
    }

    /// Parse `text` as the template `name` and add it and its `define`s and
    /// `block`s to the set. As in Go, a later non-empty definition of a name
    /// replaces the earlier one, and an empty one never replaces an existing
    /// one. On error the set is unchanged.
    pub fn parse(&mut self, name: &str, text: &str) -> Result<(), ParseError> {
        self.parse_with(name, text, ParseOptions::default())
    }

    /// [`Templates::parse`] with parse options.
    pub fn parse_with(
        &mut self,
        name: &str,
        text: &str,
        opts: ParseOptions,
    ) -> Result<(), ParseError> {
        let funcs = self.funcs.clone();
        let has = move |n: &str| funcs.contains(n) || exec::is_builtin(n);
        let trees = parse::parse(name, text, &has, opts)?;
        for tree in trees {
            self.add_tree(tree);
        }
        Ok(())
    }

    /// Add a parsed tree under its name with Go's `AddParseTree` rule.
    pub fn add_tree(&mut self, tree: Tree) {
        if self.trees.contains_key(&tree.name) && tree.is_empty() {
            return;
        }
        self.trees.insert(tree.name.clone(), Arc::new(tree));
    }

    /// The template called `name`.
    pub fn lookup(&self, name: &str) -> Option<&Arc<Tree>> {
        self.trees.get(name)
    }

    /// The names of all templates in the set (unordered).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.trees.keys().map(String::as_str)
    }

    /// Execute the template `name` with `data` as dot (Go's
    /// `ExecuteTemplate`), returning the output.
    pub fn execute(&self, name: &str, data: Value) -> Result<String, Error> {
        let mut unit = ();
        self.execute_with(name, data, &mut unit)
    }

    /// [`Templates::execute`] with a caller-owned value that functions can
    /// reach through [`Context::user`] (e.g. Helm's include recursion counts).
    pub fn execute_with(
        &self,
        name: &str,
        data: Value,
        user: &mut dyn Any,
    ) -> Result<String, Error> {
        self.execute_lt(name, data, user).map(|(out, _)| out)
    }

    /// [`Templates::execute_with`], also returning false when the output
    /// certainly has no `<` (so no `<no value>`).
    pub(crate) fn execute_lt(
        &self,
        name: &str,
        data: Value,
        user: &mut dyn Any,
    ) -> Result<(String, bool), Error> {
        let shared = Shared::new(self.options.limits);
        let mut out = String::new();
        let lt = exec::execute(self, name, data, &shared, user, 0, &mut out)?;
        Ok((out, lt))
    }
}

/// What a function sees of the running execution.
pub struct Context<'c> {
    pub(crate) set: &'c Templates,
    pub(crate) shared: &'c Shared,
    pub(crate) user: &'c mut dyn Any,
    pub(crate) nesting: usize,
    pub(crate) template_name: &'c str,
}

impl<'c> Context<'c> {
    /// The template set being executed.
    pub fn templates(&self) -> &Templates {
        self.set
    }

    /// The name of the template whose action called the function.
    pub fn template_name(&self) -> &str {
        self.template_name
    }

    /// How many executions are nested around this call (0 at top level).
    pub fn nesting(&self) -> usize {
        self.nesting
    }

    /// The caller-owned value passed to [`Templates::execute_with`], if it has
    /// type `T`.
    pub fn user<T: 'static>(&mut self) -> Option<&mut T> {
        self.user.downcast_mut::<T>()
    }

    /// Execute template `name` of the current set into a string (Go's
    /// `ExecuteTemplate` from inside a function, as Helm's `include` does),
    /// sharing this execution's limits.
    pub fn execute_template(&mut self, name: &str, data: Value) -> Result<String, Error> {
        let set = self.set;
        self.execute_in(set, name, data)
    }

    /// Execute template `name` of another set (e.g. a clone with an extra
    /// template, as Helm's `tpl` does), sharing this execution's limits.
    pub fn execute_in(
        &mut self,
        set: &Templates,
        name: &str,
        data: Value,
    ) -> Result<String, Error> {
        let mut out = String::new();
        exec::execute(
            set,
            name,
            data,
            self.shared,
            &mut *self.user,
            self.nesting + 1,
            &mut out,
        )?;
        Ok(out)
    }

    /// Fail if producing `n` more bytes would exceed the output limit (for
    /// functions that build large strings, e.g. `repeat`).
    pub fn check_size(&self, n: usize) -> Result<(), FuncError> {
        self.shared.check_size(n)
    }
}

/// Convenience: a signature with fixed parameters.
pub fn sig(params: &[ArgType]) -> Signature {
    Signature::new(params)
}

/// Convenience: a variadic signature.
pub fn sig_variadic(params: &[ArgType], variadic: ArgType) -> Signature {
    Signature::variadic(params, variadic)
}

/// Convenience: the result type marker.
pub fn returns_interface(s: Signature) -> Signature {
    Signature {
        ret: RetType::Interface,
        ..s
    }
}

pub(crate) fn cell_add(c: &Cell<usize>, n: usize) -> usize {
    let v = c.get().saturating_add(n);
    c.set(v);
    v
}
