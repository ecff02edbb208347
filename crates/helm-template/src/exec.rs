//! The executor: Go's `text/template/exec.go` semantics over this crate's
//! values — truth, field and map-key evaluation (`missingkey`), methods of
//! Helm objects, variables and scoping, `if`/`with`/`range`/`template`,
//! `break`/`continue`, argument checking with Go's `reflect` rules, and
//! errors with Go's `NAME:LINE:COL` locations and canonical node contexts.
//!
//! Go's `reflect.Value` distinctions that change behaviour are kept by [`RV`]:
//! an *invalid* value (nil data, a nil pipeline result) versus a value whose
//! static type is `interface {}` (a map or slice element, a function result
//! of type `interface{}`) versus a concrete value.

use std::any::Any;
use std::cell::Cell;
use std::rc::Rc;

use smallvec::SmallVec;

use crate::builtins::{self, Builtin};
use crate::error::{Error, ExecError, ExecErrorKind, FuncError};
use crate::parse::{
    Arg, BranchNode, CommandNode, ListNode, Node, NumberNode, PipeNode, Pos, TemplateNode, Tree,
    VariableNode,
};
use crate::template::{Context, Function, Limits, MissingKey, Templates};
use crate::value::{ArgType, ElemType, List, Map, Object, ObjectKind, RetType, Value};

/// The caller-owned data functions can reach.
pub(crate) type UserData = dyn Any + 'static;

const STACK_RED_ZONE: usize = 256 * 1024;
const STACK_GROW: usize = 8 * 1024 * 1024;

/// Counters shared by an execution and every execution nested in it.
pub(crate) struct Shared {
    output: Cell<usize>,
    steps: Cell<u64>,
    pub(crate) limits: Limits,
}

impl Shared {
    pub(crate) fn new(limits: Limits) -> Shared {
        Shared {
            output: Cell::new(0),
            steps: Cell::new(0),
            limits,
        }
    }

    pub(crate) fn check_size(&self, n: usize) -> Result<(), FuncError> {
        if self.output.get().saturating_add(n) > self.limits.max_output_bytes {
            return Err(FuncError::new(format!(
                "template output exceeds the limit of {} bytes",
                self.limits.max_output_bytes
            )));
        }
        Ok(())
    }
}

/// A Go `reflect.Value` as the executor needs it.
#[derive(Clone, Debug)]
pub(crate) enum RV {
    /// The zero `reflect.Value` (nil data, nil pipeline result).
    Invalid,
    /// A value of static type `interface {}` (possibly a nil interface).
    Iface(Value),
    /// A concrete value.
    Val(Value),
}

impl RV {
    pub(crate) fn from_value(v: Value) -> RV {
        if v.is_nil() { RV::Invalid } else { RV::Val(v) }
    }

    /// The value as a function argument of type `interface{}` receives it.
    pub(crate) fn value(&self) -> Value {
        match self {
            RV::Invalid => Value::Nil,
            RV::Iface(v) | RV::Val(v) => v.clone(),
        }
    }

    /// [`RV::value`], taking the value.
    pub(crate) fn into_value(self) -> Value {
        match self {
            RV::Invalid => Value::Nil,
            RV::Iface(v) | RV::Val(v) => v,
        }
    }

    pub(crate) fn is_valid(&self) -> bool {
        !matches!(self, RV::Invalid)
    }

    /// Go's `indirectInterface`: the concrete value inside an interface, or
    /// invalid for a nil interface.
    pub(crate) fn indirect_interface(&self) -> RV {
        match self {
            RV::Iface(Value::Nil) | RV::Val(Value::Nil) | RV::Invalid => RV::Invalid,
            RV::Iface(v) | RV::Val(v) => RV::Val(v.clone()),
        }
    }

    /// The pipeline's unwrapping of `interface{}` results.
    fn lovely(self) -> RV {
        match self {
            RV::Iface(v) | RV::Val(v) => RV::from_value(v),
            RV::Invalid => RV::Invalid,
        }
    }

    /// Go's static type name.
    pub(crate) fn type_name(&self) -> String {
        match self {
            RV::Invalid => "<nil>".to_string(),
            RV::Iface(_) => "interface {}".to_string(),
            RV::Val(v) => v.type_name(),
        }
    }

    /// Go template truth.
    pub(crate) fn truth(&self) -> bool {
        match self.indirect_interface() {
            RV::Val(v) => v.is_true(),
            _ => false,
        }
    }
}

/// A parameter type: a Go type, or `reflect.Value` (builtins only: the raw
/// value is passed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Param {
    Go(ArgType),
    Reflect,
}

impl Param {
    fn go_name(self) -> &'static str {
        match self {
            Param::Go(t) => t.go_name(),
            Param::Reflect => "reflect.Value",
        }
    }

    fn can_be_nil(self) -> bool {
        matches!(
            self,
            Param::Reflect
                | Param::Go(ArgType::Any | ArgType::List | ArgType::Map | ArgType::StringList)
        )
    }

    fn zero(self) -> RV {
        match self {
            Param::Reflect => RV::Invalid,
            Param::Go(ArgType::Any) => RV::Iface(Value::Nil),
            Param::Go(ArgType::List) => RV::Val(Value::list(Vec::new())),
            Param::Go(ArgType::StringList) => {
                RV::Val(Value::List(List::with_elem(Vec::new(), ElemType::String)))
            }
            Param::Go(ArgType::Map) => RV::Val(Value::Map(Map::new())),
            Param::Go(ArgType::String) => RV::Val(Value::from("")),
            Param::Go(ArgType::Int) => RV::Val(Value::Int(0)),
            Param::Go(ArgType::Int64) => RV::Val(Value::Int64(0)),
            Param::Go(ArgType::Float64) => RV::Val(Value::Float(0.0)),
            Param::Go(ArgType::Bool) => RV::Val(Value::Bool(false)),
        }
    }
}

#[derive(Clone, Copy)]
enum Params<'s> {
    Go(&'s [ArgType]),
    Builtin(&'static [Param]),
}

impl Params<'_> {
    fn len(&self) -> usize {
        match self {
            Params::Go(p) => p.len(),
            Params::Builtin(p) => p.len(),
        }
    }

    fn get(&self, i: usize) -> Param {
        match self {
            Params::Go(p) => Param::Go(p[i]),
            Params::Builtin(p) => p[i],
        }
    }
}

#[derive(Clone, Copy)]
struct SigView<'s> {
    fixed: Params<'s>,
    variadic: Option<Param>,
    ret_iface: bool,
}

enum Callee<'a> {
    Builtin(Builtin),
    Func(&'a Function),
    Method(Rc<dyn Object>),
}

/// The node being evaluated, for error locations and contexts.
#[derive(Clone, Copy)]
enum NodeRef<'a> {
    Node(&'a Node),
    List(&'a ListNode),
    Pipe(&'a PipeNode),
    Cmd(&'a CommandNode),
    Arg(&'a Arg),
    Template(&'a TemplateNode),
}

impl NodeRef<'_> {
    fn pos(&self) -> Pos {
        match self {
            NodeRef::Node(n) => n.pos(),
            NodeRef::List(l) => l.pos,
            NodeRef::Pipe(p) => p.pos,
            NodeRef::Cmd(c) => c.pos,
            NodeRef::Arg(a) => a.pos(),
            NodeRef::Template(t) => t.pos,
        }
    }

    fn context(&self) -> String {
        match self {
            NodeRef::Node(n) => n.to_string(),
            NodeRef::List(l) => l.to_string(),
            NodeRef::Pipe(p) => p.to_string(),
            NodeRef::Cmd(c) => c.to_string(),
            NodeRef::Arg(a) => a.to_string(),
            NodeRef::Template(t) => t.to_string(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

type EResult<T> = Result<T, ExecError>;

/// True for Go's builtin function names.
pub(crate) fn is_builtin(name: &str) -> bool {
    Builtin::from_name(name).is_some()
}

/// Execute the template `name` of `set`, appending to `out`. Returns false
/// when nothing written contained `<`, so the output has no `<no value>`.
pub(crate) fn execute(
    set: &Templates,
    name: &str,
    data: Value,
    shared: &Shared,
    user: &mut UserData,
    nesting: usize,
    out: &mut String,
) -> Result<bool, Error> {
    let Some(tree) = set.lookup(name) else {
        return Err(Error::NoTemplate {
            name: name.to_string(),
            root: set.name().to_string(),
        });
    };
    let tree: &Tree = tree;
    // Most of a chart template's output is its own text: reserving it up
    // front saves the string's repeated doubling.
    if out.is_empty() {
        out.reserve(tree.text_hint + tree.text_hint / 4 + 64);
    }
    let dot = RV::from_value(data);
    let mut st = State {
        set,
        tree,
        node: None,
        vars: vec![("$", dot.clone())],
        depth: 0,
        nesting,
        shared,
        user,
        out,
        wrote_lt: false,
        missing_key: set.options().missing_key,
    };
    if nesting >= shared.limits.max_depth {
        return Err(Error::Exec(st.errorf(format!(
            "exceeded maximum template depth ({})",
            shared.limits.max_depth
        ))));
    }
    stacker::maybe_grow(STACK_RED_ZONE, STACK_GROW, || {
        st.walk_list(&dot, &tree.root)
    })
    .map(|_| st.wrote_lt)
    .map_err(Error::Exec)
}

struct State<'a, 'u> {
    set: &'a Templates,
    tree: &'a Tree,
    node: Option<NodeRef<'a>>,
    vars: Vec<(&'a str, RV)>,
    depth: usize,
    nesting: usize,
    shared: &'a Shared,
    user: &'u mut UserData,
    out: &'u mut String,
    /// True once a `<` has been written.
    wrote_lt: bool,
    missing_key: MissingKey,
}

impl<'a> State<'a, '_> {
    // ----- bookkeeping -----

    fn at(&mut self, n: NodeRef<'a>) {
        self.node = Some(n);
    }

    fn err(&self, kind: ExecErrorKind) -> ExecError {
        let (location, context) = match &self.node {
            Some(n) => (Some(self.tree.location(n.pos())), Some(n.context())),
            None => (None, None),
        };
        ExecError {
            name: self.tree.name.clone(),
            location,
            context,
            kind,
        }
    }

    fn errorf(&self, msg: impl Into<String>) -> ExecError {
        self.err(ExecErrorKind::Message(msg.into()))
    }

    fn step(&mut self) -> EResult<()> {
        let s = self.shared.steps.get() + 1;
        self.shared.steps.set(s);
        if s > self.shared.limits.max_steps {
            return Err(self.errorf(format!(
                "template execution exceeds the limit of {} steps",
                self.shared.limits.max_steps
            )));
        }
        Ok(())
    }

    fn write(&mut self, s: &str) -> EResult<()> {
        let lt = self.wrote_lt || memchr::memchr(b'<', s.as_bytes()).is_some();
        self.write_text(s, lt)
    }

    /// Writes `s`; `lt` says whether it (or anything before) has a `<`.
    fn write_text(&mut self, s: &str, lt: bool) -> EResult<()> {
        self.wrote_lt |= lt;
        let total = crate::template::cell_add(&self.shared.output, s.len());
        if total > self.shared.limits.max_output_bytes {
            return Err(self.errorf(format!(
                "template output exceeds the limit of {} bytes",
                self.shared.limits.max_output_bytes
            )));
        }
        self.out.push_str(s);
        Ok(())
    }

    fn set_var(&mut self, name: &str, value: RV) -> EResult<()> {
        for v in self.vars.iter_mut().rev() {
            if v.0 == name {
                v.1 = value;
                return Ok(());
            }
        }
        Err(self.errorf(format!("undefined variable: {name}")))
    }

    fn set_top_var(&mut self, n: usize, value: RV) {
        // Invariant: called only for variables the range pipeline just pushed.
        let len = self.vars.len();
        self.vars[len - n].1 = value;
    }

    fn var_value(&self, name: &str) -> EResult<RV> {
        for v in self.vars.iter().rev() {
            if v.0 == name {
                return Ok(v.1.clone());
            }
        }
        Err(self.errorf(format!("undefined variable: {name}")))
    }

    // ----- walking -----

    fn walk_list(&mut self, dot: &RV, list: &'a ListNode) -> EResult<Flow> {
        self.at(NodeRef::List(list));
        for n in &list.nodes {
            let f = self.walk(dot, n)?;
            if f != Flow::Normal {
                return Ok(f);
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &RV, node: &'a Node) -> EResult<Flow> {
        self.step()?;
        self.at(NodeRef::Node(node));
        match node {
            Node::Action(a) => {
                let val = self.eval_pipeline(dot, &a.pipe)?;
                if a.pipe.decl.is_empty() {
                    self.print_value(node, val)?;
                }
            }
            Node::Break { .. } => return Ok(Flow::Break),
            Node::Continue { .. } => return Ok(Flow::Continue),
            Node::Comment { .. } => {}
            // Control structures nest (up to `parse::MAX_CONTROL_DEPTH`), a few KiB of
            // stack per level in a debug build: found by fuzzing, 999 nested `{{ if }}`
            // overflowed a 2 MiB thread. Grow the stack on the heap as templates do.
            Node::If(b) => {
                return stacker::maybe_grow(STACK_RED_ZONE, STACK_GROW, || {
                    self.walk_if_or_with(false, dot, b)
                });
            }
            Node::With(b) => {
                return stacker::maybe_grow(STACK_RED_ZONE, STACK_GROW, || {
                    self.walk_if_or_with(true, dot, b)
                });
            }
            Node::Range(b) => {
                return stacker::maybe_grow(STACK_RED_ZONE, STACK_GROW, || {
                    self.walk_range(dot, node, b)
                });
            }
            Node::Template(t) => self.walk_template(dot, t)?,
            Node::Text { text, has_lt, .. } => self.write_text(text, *has_lt)?,
        }
        Ok(Flow::Normal)
    }

    fn walk_if_or_with(&mut self, with: bool, dot: &RV, b: &'a BranchNode) -> EResult<Flow> {
        let mark = self.vars.len();
        let val = self.eval_pipeline(dot, &b.pipe)?;
        let r = if val.truth() {
            if with {
                self.walk_list(&val, &b.list)?
            } else {
                self.walk_list(dot, &b.list)?
            }
        } else if let Some(e) = &b.else_list {
            self.walk_list(dot, e)?
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        Ok(r)
    }

    fn one_iteration(
        &mut self,
        r: &'a BranchNode,
        mark: usize,
        index: RV,
        elem: RV,
    ) -> EResult<Flow> {
        self.step()?;
        let decl = &r.pipe.decl;
        if !decl.is_empty() {
            if r.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(&decl[0].ident[0], index.clone())?;
                } else {
                    self.set_var(&decl[0].ident[0], elem.clone())?;
                }
            } else {
                self.set_top_var(1, elem.clone());
            }
        }
        if decl.len() > 1 {
            if r.pipe.is_assign {
                self.set_var(&decl[1].ident[0], elem.clone())?;
            } else {
                self.set_top_var(2, index);
            }
        }
        let f = self.walk_list(&elem, &r.list)?;
        self.vars.truncate(mark);
        Ok(f)
    }

    fn walk_range(&mut self, dot: &RV, node: &'a Node, r: &'a BranchNode) -> EResult<Flow> {
        self.at(NodeRef::Node(node));
        let outer = self.vars.len();
        let val = self.eval_pipeline(dot, &r.pipe)?.indirect_interface();
        let mark = self.vars.len();
        let mut ran = false;
        let v = match &val {
            RV::Val(Value::Object(o)) if o.kind() == ObjectKind::Named => {
                o.underlying().map(RV::Val).unwrap_or(val.clone())
            }
            _ => val.clone(),
        };
        match &v {
            RV::Val(Value::List(l)) => {
                for (i, e) in l.iter().enumerate() {
                    ran = true;
                    let elem = if l.elem() == ElemType::Interface {
                        RV::Iface(e.clone())
                    } else {
                        RV::Val(e.clone())
                    };
                    if self.one_iteration(r, mark, RV::Val(Value::Int(i as i64)), elem)?
                        == Flow::Break
                    {
                        break;
                    }
                }
            }
            RV::Val(Value::Bytes(b)) => {
                for (i, e) in b.iter().enumerate() {
                    ran = true;
                    let elem = RV::Val(Value::Int(i64::from(*e)));
                    if self.one_iteration(r, mark, RV::Val(Value::Int(i as i64)), elem)?
                        == Flow::Break
                    {
                        break;
                    }
                }
            }
            RV::Val(Value::Map(m)) => {
                let iface = m.elem() == ElemType::Interface;
                for (k, e) in m.entries() {
                    ran = true;
                    let elem = if iface { RV::Iface(e) } else { RV::Val(e) };
                    if self.one_iteration(r, mark, RV::Val(Value::from(k)), elem)? == Flow::Break {
                        break;
                    }
                }
            }
            RV::Val(n @ (Value::Int(_) | Value::Int64(_))) => {
                if r.pipe.decl.len() > 1 {
                    return Err(self.errorf(format!(
                        "can't use {} to iterate over more than one variable",
                        crate::fmt::to_string(n)
                    )));
                }
                let (count, int64) = match n {
                    Value::Int(i) => (*i, false),
                    Value::Int64(i) => (*i, true),
                    _ => (0, false),
                };
                for i in 0..count.max(0) {
                    ran = true;
                    let e = if int64 {
                        Value::Int64(i)
                    } else {
                        Value::Int(i)
                    };
                    if self.one_iteration(r, mark, RV::Invalid, RV::Val(e))? == Flow::Break {
                        break;
                    }
                }
            }
            RV::Invalid => {}
            RV::Val(other) | RV::Iface(other) => {
                return Err(self.errorf(format!(
                    "range can't iterate over {}",
                    crate::fmt::to_string(other)
                )));
            }
        }
        if !ran && let Some(e) = &r.else_list {
            // Go's walkRange recovers a {{break}} raised anywhere inside it,
            // its else list included.
            let f = self.walk_list(dot, e)?;
            self.vars.truncate(outer);
            return Ok(if f == Flow::Break { Flow::Normal } else { f });
        }
        self.vars.truncate(outer);
        Ok(Flow::Normal)
    }

    fn walk_template(&mut self, dot: &RV, t: &'a TemplateNode) -> EResult<()> {
        self.at(NodeRef::Template(t));
        let Some(tmpl) = self.set.lookup(&t.name) else {
            return Err(self.errorf(format!(
                "template {} not defined",
                crate::fmt::quote(&t.name)
            )));
        };
        let tmpl: &'a Tree = tmpl;
        if self.depth == self.shared.limits.max_depth {
            return Err(self.errorf(format!(
                "exceeded maximum template depth ({})",
                self.shared.limits.max_depth
            )));
        }
        let new_dot = match &t.pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => RV::Invalid,
        };
        let saved_tree = std::mem::replace(&mut self.tree, tmpl);
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$", new_dot.clone())]);
        let saved_node = self.node;
        self.depth += 1;
        let r = stacker::maybe_grow(STACK_RED_ZONE, STACK_GROW, || {
            self.walk_list(&new_dot, &tmpl.root)
        });
        self.depth -= 1;
        r?;
        self.tree = saved_tree;
        self.vars = saved_vars;
        self.node = saved_node;
        Ok(())
    }

    fn print_value(&mut self, node: &'a Node, v: RV) -> EResult<()> {
        self.at(NodeRef::Node(node));
        // Strings (most printed values) and nil need no formatting buffer.
        match &v {
            RV::Iface(Value::String(s)) | RV::Val(Value::String(s)) => self.write(s),
            RV::Invalid | RV::Iface(Value::Nil) | RV::Val(Value::Nil) => self.write("<no value>"),
            _ => {
                let s = printable(&v);
                self.write(&s)
            }
        }
    }

    // ----- evaluation -----

    fn eval_pipeline(&mut self, dot: &RV, pipe: &'a PipeNode) -> EResult<RV> {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROW, || {
            self.eval_pipeline_inner(dot, pipe)
        })
    }

    fn eval_pipeline_inner(&mut self, dot: &RV, pipe: &'a PipeNode) -> EResult<RV> {
        self.at(NodeRef::Pipe(pipe));
        let mut value: Option<RV> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            value = Some(v.lovely());
        }
        let value = value.unwrap_or(RV::Invalid);
        for var in &pipe.decl {
            if pipe.is_assign {
                self.set_var(&var.ident[0], value.clone())?;
            } else {
                self.vars.push((var.ident[0].as_str(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<RV>) -> EResult<()> {
        if args.len() > 1 || fin.is_some() {
            return Err(self.errorf(format!("can't give argument to non-function {}", args[0])));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &RV, cmd: &'a CommandNode, fin: Option<RV>) -> EResult<RV> {
        self.step()?;
        // Invariant: the parser never builds an empty command ("empty command").
        let first = &cmd.args[0];
        match first {
            Arg::Field { ident, .. } => {
                return self.eval_field_node(dot, first, ident, Some(&cmd.args), fin);
            }
            Arg::Chain { node, fields, .. } => {
                return self.eval_chain_node(dot, first, node, fields, Some(&cmd.args), fin);
            }
            Arg::Identifier { name, .. } => {
                return self.eval_function(
                    dot,
                    first,
                    name,
                    NodeRef::Cmd(cmd),
                    Some(&cmd.args),
                    fin,
                );
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, p);
            }
            Arg::Variable(v) => {
                return self.eval_variable_node(dot, first, v, Some(&cmd.args), fin);
            }
            _ => {}
        }
        self.at(NodeRef::Arg(first));
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool(_, b) => Ok(RV::Val(Value::Bool(*b))),
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Err(self.errorf("nil is not a command")),
            Arg::Number(n) => self.ideal_constant(first, n),
            Arg::String { text, .. } => Ok(RV::Val(Value::from(text.as_str()))),
            _ => Err(self.errorf(format!(
                "can't evaluate command {}",
                crate::fmt::quote(&first.to_string())
            ))),
        }
    }

    fn ideal_constant(&mut self, arg: &'a Arg, n: &NumberNode) -> EResult<RV> {
        self.at(NodeRef::Arg(arg));
        let t = &n.text;
        let is_hex_int = t.len() > 2
            && t.starts_with('0')
            && matches!(t.as_bytes()[1], b'x' | b'X')
            && !t.contains(['p', 'P']);
        let is_rune = t.starts_with('\'');
        if n.is_complex {
            return Err(self.errorf(format!("complex constant {t} is not supported")));
        }
        if n.is_float && !is_hex_int && !is_rune && t.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(RV::Val(Value::Float(n.float64)));
        }
        if n.is_int {
            return Ok(RV::Val(Value::Int(n.int64)));
        }
        if n.is_uint {
            return Err(self.errorf(format!("{t} overflows int")));
        }
        Ok(RV::Invalid)
    }

    fn eval_field_node(
        &mut self,
        dot: &RV,
        field: &'a Arg,
        ident: &'a [String],
        args: Option<&'a [Arg]>,
        fin: Option<RV>,
    ) -> EResult<RV> {
        self.at(NodeRef::Arg(field));
        self.eval_field_chain(dot, dot.clone(), NodeRef::Arg(field), ident, args, fin)
    }

    fn eval_chain_node(
        &mut self,
        dot: &RV,
        chain: &'a Arg,
        node: &'a Arg,
        fields: &'a [String],
        args: Option<&'a [Arg]>,
        fin: Option<RV>,
    ) -> EResult<RV> {
        self.at(NodeRef::Arg(chain));
        if fields.is_empty() {
            return Err(self.errorf("internal error: no fields in evalChainNode"));
        }
        if let Arg::Nil(_) = node {
            return Err(self.errorf(format!("indirection through explicit nil in {chain}")));
        }
        let pipe = self.eval_arg(dot, None, node)?;
        self.eval_field_chain(dot, pipe, NodeRef::Arg(chain), fields, args, fin)
    }

    fn eval_variable_node(
        &mut self,
        dot: &RV,
        arg: &'a Arg,
        var: &'a VariableNode,
        args: Option<&'a [Arg]>,
        fin: Option<RV>,
    ) -> EResult<RV> {
        self.at(NodeRef::Arg(arg));
        let value = self.var_value(&var.ident[0])?;
        if var.ident.len() == 1 {
            if let Some(a) = args {
                self.not_a_function(a, &fin)?;
            } else if fin.is_some() {
                return Err(self.errorf(format!("can't give argument to non-function {var}")));
            }
            return Ok(value);
        }
        self.eval_field_chain(dot, value, NodeRef::Arg(arg), &var.ident[1..], args, fin)
    }

    fn eval_field_chain(
        &mut self,
        dot: &RV,
        mut receiver: RV,
        node: NodeRef<'a>,
        ident: &'a [String],
        args: Option<&'a [Arg]>,
        fin: Option<RV>,
    ) -> EResult<RV> {
        let n = ident.len();
        for name in &ident[..n - 1] {
            receiver = self.eval_field(dot, name, node, None, None, receiver)?;
        }
        self.eval_field(dot, &ident[n - 1], node, args, fin, receiver)
    }

    fn map_lookup(&self, m: &Map, name: &str) -> EResult<RV> {
        match m.get(name) {
            Some(v) => Ok(if m.elem() == ElemType::Interface {
                RV::Iface(v)
            } else {
                RV::Val(v)
            }),
            None => match self.missing_key {
                MissingKey::Invalid => Ok(RV::Invalid),
                MissingKey::Zero => Ok(if m.elem() == ElemType::Interface {
                    RV::Iface(Value::Nil)
                } else {
                    RV::Val(m.elem().zero())
                }),
                MissingKey::Error => Err(self.errorf(format!(
                    "map has no entry for key {}",
                    crate::fmt::quote(name)
                ))),
            },
        }
    }

    fn eval_field(
        &mut self,
        dot: &RV,
        name: &str,
        node: NodeRef<'a>,
        args: Option<&'a [Arg]>,
        fin: Option<RV>,
        receiver: RV,
    ) -> EResult<RV> {
        // The static type name is only needed for the error at the end; the
        // receiver is an interface there exactly when it arrived as one.
        let was_iface = matches!(receiver, RV::Iface(_));
        let v = match receiver {
            RV::Invalid => {
                if self.missing_key == MissingKey::Error {
                    return Err(self.errorf(format!(
                        "nil data; no entry for key {}",
                        crate::fmt::quote(name)
                    )));
                }
                return Ok(RV::Invalid);
            }
            RV::Iface(Value::Nil) | RV::Val(Value::Nil) => {
                return Err(self.errorf(format!("nil pointer evaluating interface {{}}.{name}")));
            }
            RV::Iface(v) | RV::Val(v) => v,
        };
        if let Value::Object(o) = &v
            && let Some(sig) = o.method(name)
        {
            let sigv = SigView {
                fixed: Params::Go(&sig.params),
                variadic: sig.variadic.map(Param::Go),
                ret_iface: sig.ret == RetType::Interface,
            };
            return self.eval_call(dot, Callee::Method(o.clone()), sigv, node, name, args, fin);
        }
        let has_args = args.is_some_and(|a| a.len() > 1) || fin.is_some();
        match &v {
            Value::Object(o) => match o.kind() {
                ObjectKind::Struct | ObjectKind::Pointer => {
                    if let Some(fv) = o.field(name) {
                        if has_args {
                            return Err(self.errorf(format!(
                                "{name} has arguments but cannot be invoked as function"
                            )));
                        }
                        return Ok(if o.field_is_interface(name) {
                            RV::Iface(fv)
                        } else {
                            RV::Val(fv)
                        });
                    }
                }
                ObjectKind::Named => {
                    if let Some(Value::Map(m)) = o.underlying() {
                        if has_args {
                            return Err(
                                self.errorf(format!("{name} is not a method but has arguments"))
                            );
                        }
                        return self.map_lookup(&m, name);
                    }
                }
            },
            Value::Map(m) => {
                if has_args {
                    return Err(self.errorf(format!("{name} is not a method but has arguments")));
                }
                return self.map_lookup(m, name);
            }
            _ => {}
        }
        let typ = if was_iface {
            "interface {}".to_string()
        } else {
            v.type_name()
        };
        Err(self.errorf(format!("can't evaluate field {name} in type {typ}")))
    }

    fn eval_function(
        &mut self,
        dot: &RV,
        ident: &'a Arg,
        name: &'a str,
        node: NodeRef<'a>,
        args: Option<&'a [Arg]>,
        fin: Option<RV>,
    ) -> EResult<RV> {
        self.at(NodeRef::Arg(ident));
        if let Some(f) = self.set.funcs().get(name) {
            let f: &'a Function = f;
            let sigv = SigView {
                fixed: Params::Go(&f.sig.params),
                variadic: f.sig.variadic.map(Param::Go),
                ret_iface: f.sig.ret == RetType::Interface,
            };
            return self.eval_call(dot, Callee::Func(f), sigv, node, name, args, fin);
        }
        if let Some(b) = Builtin::from_name(name) {
            let (fixed, variadic) = b.signature();
            let sigv = SigView {
                fixed: Params::Builtin(fixed),
                variadic,
                ret_iface: false,
            };
            return self.eval_call(dot, Callee::Builtin(b), sigv, node, name, args, fin);
        }
        Err(self.errorf(format!(
            "{} is not a defined function",
            crate::fmt::quote(name)
        )))
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_call(
        &mut self,
        dot: &RV,
        callee: Callee<'a>,
        sig: SigView<'_>,
        node: NodeRef<'a>,
        name: &str,
        args: Option<&'a [Arg]>,
        fin: Option<RV>,
    ) -> EResult<RV> {
        let args: &'a [Arg] = match args {
            Some(a) => &a[1..],
            None => &[],
        };
        let num_in = args.len() + usize::from(fin.is_some());
        let mut num_fixed = args.len();
        if sig.variadic.is_some() {
            num_fixed = sig.fixed.len();
            if num_in < num_fixed {
                return Err(self.errorf(format!(
                    "wrong number of args for {name}: want at least {} got {}",
                    sig.fixed.len(),
                    args.len()
                )));
            }
        } else if num_in != sig.fixed.len() {
            return Err(self.errorf(format!(
                "wrong number of args for {name}: want {} got {}",
                sig.fixed.len(),
                num_in
            )));
        }

        // Builtin and/or short-circuit and return the deciding value.
        if let Callee::Builtin(b @ (Builtin::And | Builtin::Or)) = callee {
            let is_or = b == Builtin::Or;
            let mut v = RV::Invalid;
            for a in args {
                v = self.eval_arg(dot, Some(Param::Reflect), a)?;
                if v.truth() == is_or {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = self.validate_type(f, Some(Param::Reflect))?;
            }
            return Ok(v);
        }

        let mut argv: SmallVec<[RV; 4]> = SmallVec::with_capacity(num_in);
        let mut i = 0;
        while i < num_fixed && i < args.len() {
            argv.push(self.eval_arg(dot, Some(sig.fixed.get(i)), &args[i])?);
            i += 1;
        }
        if let Some(vt) = sig.variadic {
            while i < args.len() {
                argv.push(self.eval_arg(dot, Some(vt), &args[i])?);
                i += 1;
            }
        }
        if let Some(f) = fin {
            let t = match sig.variadic {
                Some(vt) => {
                    if num_in - 1 < num_fixed {
                        sig.fixed.get(num_in - 1)
                    } else {
                        vt
                    }
                }
                None => sig.fixed.get(sig.fixed.len() - 1),
            };
            argv.push(self.validate_type(f, Some(t))?);
        }

        let result = match callee {
            Callee::Builtin(Builtin::Call) => {
                let callee_name = args.first().map(|a| a.to_string()).unwrap_or_default();
                builtins::call(&callee_name, &argv)
            }
            Callee::Builtin(b) => builtins::call_builtin(b, &argv),
            Callee::Func(f) => {
                let values: SmallVec<[Value; 4]> = argv.into_iter().map(RV::into_value).collect();
                let mut ctx = Context {
                    set: self.set,
                    shared: self.shared,
                    user: &mut *self.user,
                    nesting: self.nesting,
                    template_name: &self.tree.name,
                };
                (f.f)(&mut ctx, &values).map(|v| {
                    if sig.ret_iface {
                        RV::Iface(v)
                    } else {
                        RV::Val(v)
                    }
                })
            }
            Callee::Method(o) => {
                let values: SmallVec<[Value; 4]> = argv.into_iter().map(RV::into_value).collect();
                o.call_method(name, &values).map(|v| {
                    if sig.ret_iface {
                        RV::Iface(v)
                    } else {
                        RV::Val(v)
                    }
                })
            }
        };
        // A single result larger than the whole output budget (`print $s $s`
        // doubling in a loop) fails here, before it can exhaust memory.
        let result = result.and_then(|v| {
            let len = match &v {
                RV::Iface(Value::String(s)) | RV::Val(Value::String(s)) => s.len(),
                RV::Iface(Value::Bytes(b)) | RV::Val(Value::Bytes(b)) => b.len(),
                _ => 0,
            };
            if len > self.shared.limits.max_output_bytes {
                return Err(FuncError::new(format!(
                    "a value of {len} bytes exceeds the template output limit of {} bytes",
                    self.shared.limits.max_output_bytes
                )));
            }
            Ok(v)
        });
        match result {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at(node);
                Err(self.err(ExecErrorKind::Call {
                    func: name.to_string(),
                    err: Box::new(e),
                }))
            }
        }
    }

    /// Go's `validateType`; `typ` None is the nil type (no conversion).
    fn validate_type(&mut self, value: RV, typ: Option<Param>) -> EResult<RV> {
        let Some(typ) = typ else {
            return Ok(value);
        };
        if !value.is_valid() {
            if typ.can_be_nil() {
                return Ok(typ.zero());
            }
            return Err(self.errorf(format!("invalid value; expected {}", typ.go_name())));
        }
        let Param::Go(t) = typ else {
            return Ok(value);
        };
        if t == ArgType::Any {
            return Ok(value);
        }
        let (v, static_type) = match &value {
            RV::Iface(v) => (v, "interface {}".to_string()),
            RV::Val(v) => (v, v.type_name()),
            RV::Invalid => return Ok(value),
        };
        if let RV::Iface(Value::Nil) = value {
            return Err(self.errorf(format!(
                "wrong type for value; expected {}; got {}",
                t.go_name(),
                static_type
            )));
        }
        match assign(v, t) {
            Some(c) => Ok(RV::Val(c)),
            None => Err(self.errorf(format!(
                "wrong type for value; expected {}; got {}",
                t.go_name(),
                v.type_name()
            ))),
        }
    }

    fn eval_arg(&mut self, dot: &RV, typ: Option<Param>, n: &'a Arg) -> EResult<RV> {
        self.at(NodeRef::Arg(n));
        match n {
            Arg::Dot(_) => return self.validate_type(dot.clone(), typ),
            Arg::Nil(_) => {
                return match typ {
                    Some(t) if t.can_be_nil() => Ok(t.zero()),
                    Some(t) => Err(self.errorf(format!("cannot assign nil to {}", t.go_name()))),
                    None => Ok(RV::Invalid),
                };
            }
            Arg::Field { ident, .. } => {
                let v = self.eval_field_node(dot, n, ident, Some(std::slice::from_ref(n)), None)?;
                return self.validate_type(v, typ);
            }
            Arg::Variable(var) => {
                let v = self.eval_variable_node(dot, n, var, None, None)?;
                return self.validate_type(v, typ);
            }
            Arg::Pipe(p) => {
                let v = self.eval_pipeline(dot, p)?;
                return self.validate_type(v, typ);
            }
            Arg::Identifier { name, .. } => {
                let v = self.eval_function(dot, n, name, NodeRef::Arg(n), None, None)?;
                return self.validate_type(v, typ);
            }
            Arg::Chain { node, fields, .. } => {
                let v = self.eval_chain_node(dot, n, node, fields, None, None)?;
                return self.validate_type(v, typ);
            }
            _ => {}
        }
        let Some(typ) = typ else {
            return Err(self.errorf(format!("can't handle {n} for arg of type <nil>")));
        };
        match typ {
            Param::Go(ArgType::Bool) => match n {
                Arg::Bool(_, b) => Ok(RV::Val(Value::Bool(*b))),
                _ => Err(self.errorf(format!("expected bool; found {n}"))),
            },
            Param::Go(ArgType::Float64) => match n {
                Arg::Number(num) if num.is_float => Ok(RV::Val(Value::Float(num.float64))),
                _ => Err(self.errorf(format!("expected float; found {n}"))),
            },
            Param::Go(t @ (ArgType::Int | ArgType::Int64)) => match n {
                Arg::Number(num) if num.is_int => Ok(RV::Val(if t == ArgType::Int {
                    Value::Int(num.int64)
                } else {
                    Value::Int64(num.int64)
                })),
                _ => Err(self.errorf(format!("expected integer; found {n}"))),
            },
            Param::Go(ArgType::Any) | Param::Reflect => self.eval_empty_interface(dot, n),
            Param::Go(ArgType::String) => match n {
                Arg::String { text, .. } => Ok(RV::Val(Value::from(text.as_str()))),
                _ => Err(self.errorf(format!("expected string; found {n}"))),
            },
            Param::Go(t) => {
                Err(self.errorf(format!("can't handle {n} for arg of type {}", t.go_name())))
            }
        }
    }

    fn eval_empty_interface(&mut self, dot: &RV, n: &'a Arg) -> EResult<RV> {
        self.at(NodeRef::Arg(n));
        match n {
            Arg::Bool(_, b) => Ok(RV::Val(Value::Bool(*b))),
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Number(num) => self.ideal_constant(n, num),
            Arg::String { text, .. } => Ok(RV::Val(Value::from(text.as_str()))),
            Arg::Nil(_) => Err(self.errorf("evalEmptyInterface: nil (can't happen)")),
            _ => Err(self.errorf(format!(
                "can't handle assignment of {n} to empty interface argument"
            ))),
        }
    }
}

/// Go's assignability of a concrete value to a parameter type, returning the
/// value as the parameter receives it.
fn assign(v: &Value, t: ArgType) -> Option<Value> {
    let ok = match (t, v) {
        (ArgType::Any, _) => true,
        (ArgType::String, Value::String(_)) => true,
        (ArgType::Int, Value::Int(_)) => true,
        (ArgType::Int64, Value::Int64(_)) => true,
        (ArgType::Float64, Value::Float(_)) => true,
        (ArgType::Bool, Value::Bool(_)) => true,
        (ArgType::List, Value::List(l)) => l.elem() == ElemType::Interface,
        (ArgType::StringList, Value::List(l)) => l.elem() == ElemType::String,
        (ArgType::Map, Value::Map(m)) => m.elem() == ElemType::Interface,
        (_, Value::Object(o)) if o.kind() == ObjectKind::Named => {
            return o.underlying().and_then(|u| {
                if matches!(u, Value::Object(_)) {
                    None
                } else {
                    assign(&u, t)
                }
            });
        }
        _ => false,
    };
    if ok { Some(v.clone()) } else { None }
}

/// The text `{{ value }}` prints (Go's `printableValue` + `fmt.Fprint`).
pub(crate) fn printable(v: &RV) -> String {
    match v {
        RV::Invalid | RV::Iface(Value::Nil) | RV::Val(Value::Nil) => "<no value>".to_string(),
        RV::Iface(v) | RV::Val(v) => {
            if let Value::Object(o) = v
                && let Some(s) = o.addressable_string()
            {
                return s;
            }
            crate::fmt::to_string(v)
        }
    }
}
