//! The parse tree and parser: Go's `text/template/parse` (`parse.go`,
//! `node.go`) for Go 1.26 — the same grammar, node positions, canonical node
//! strings (used in execution error contexts) and parse error texts.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use crate::error::ParseError;
use crate::fmt::quote;
use crate::lex::{Item, ItemType, LexOptions, lex};

/// Byte offset in the source text.
pub type Pos = usize;

/// Maximum nesting of parenthesized pipelines. Go allows 10000; this crate
/// uses a smaller limit so that deeply nested input cannot overflow the
/// (smaller) Rust stack; the error text is Go's.
pub const MAX_STACK_DEPTH: usize = 1000;
/// Maximum nesting of control structures (`if`, `with`, `range`, `block`, and
/// each `else if`/`else with` of a chain, which nests in the tree). Go has no
/// such limit (its stack grows to 1 GB); found by fuzzing: 1000 nested
/// `{{ if }}` overflowed a 2 MiB thread in a debug build, and a tree nested
/// tens of thousands deep overflows any stack when it is dropped or printed.
/// No real chart nests more than a few dozen.
pub const MAX_CONTROL_DEPTH: usize = 1000;
const MAX_PIPELINE_CMDS: usize = 100_000;

/// One parsed template (a file, a `define` or a `block`).
#[derive(Debug, Clone)]
pub struct Tree {
    /// The template's name.
    pub name: String,
    /// The name of the top-level template being parsed (the file), used in
    /// error locations.
    pub parse_name: String,
    /// The body.
    pub root: ListNode,
    /// The whole source text the tree was parsed from (for error locations).
    pub text: Arc<str>,
    /// The bytes of text the body writes if every branch runs once: a
    /// capacity hint for the output.
    pub text_hint: usize,
}

impl Tree {
    /// `NAME:LINE:COL` of a position, as Go's `ErrorContext` computes it
    /// (column = 0-based byte offset in the line).
    pub fn location(&self, pos: Pos) -> String {
        let pos = pos.min(self.text.len());
        let text = &self.text.as_bytes()[..pos];
        let (line, col) = match text.iter().rposition(|&b| b == b'\n') {
            None => (1, pos),
            Some(nl) => (
                1 + text.iter().filter(|&&b| b == b'\n').count(),
                pos - (nl + 1),
            ),
        };
        format!("{}:{}:{}", self.parse_name, line, col)
    }

    /// True if the tree is empty of everything but space and comments.
    pub fn is_empty(&self) -> bool {
        self.root.is_empty_tree()
    }
}

/// The bytes of text a list writes if every branch runs once (range bodies
/// counted once), bounded: a capacity hint for the output.
pub(crate) fn text_hint(list: &ListNode, depth: usize) -> usize {
    const MAX_HINT: usize = 1 << 20;
    if depth > 8 {
        return 0;
    }
    let mut n = 0usize;
    for node in &list.nodes {
        n = n.saturating_add(match node {
            Node::Text { text, .. } => text.len(),
            Node::If(b) | Node::With(b) | Node::Range(b) => text_hint(&b.list, depth + 1),
            _ => 0,
        });
    }
    n.min(MAX_HINT)
}

/// A sequence of nodes.
#[derive(Debug, Clone, Default)]
pub struct ListNode {
    /// Position.
    pub pos: Pos,
    /// The nodes in order.
    pub nodes: Vec<Node>,
}

impl ListNode {
    fn is_empty_tree(&self) -> bool {
        self.nodes.iter().all(|n| match n {
            Node::Text { text, .. } => text.trim().is_empty(),
            Node::Comment { .. } => true,
            _ => false,
        })
    }
}

impl fmt::Display for ListNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.nodes {
            n.fmt(f)?;
        }
        Ok(())
    }
}

/// A statement-level node.
#[derive(Debug, Clone)]
pub enum Node {
    /// Plain text.
    Text {
        /// Position.
        pos: Pos,
        /// The text.
        text: String,
        /// True if the text contains `<` (a `<no value>` in the output
        /// can only start in text or values that have one).
        has_lt: bool,
    },
    /// A comment (only with comment parsing on).
    Comment {
        /// Position.
        pos: Pos,
        /// The comment text with its delimiters.
        text: String,
    },
    /// `{{pipeline}}`
    Action(ActionNode),
    /// `{{if}}`
    If(BranchNode),
    /// `{{range}}`
    Range(BranchNode),
    /// `{{with}}`
    With(BranchNode),
    /// `{{template "name" pipeline}}`
    Template(TemplateNode),
    /// `{{break}}`
    Break {
        /// Position.
        pos: Pos,
    },
    /// `{{continue}}`
    Continue {
        /// Position.
        pos: Pos,
    },
}

impl Node {
    /// The node's byte position.
    pub fn pos(&self) -> Pos {
        match self {
            Node::Text { pos, .. } | Node::Comment { pos, .. } => *pos,
            Node::Action(a) => a.pos,
            Node::If(b) | Node::Range(b) | Node::With(b) => b.pos,
            Node::Template(t) => t.pos,
            Node::Break { pos } | Node::Continue { pos } => *pos,
        }
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text { text, .. } => f.write_str(text),
            Node::Comment { text, .. } => write!(f, "{{{{{text}}}}}"),
            Node::Action(a) => write!(f, "{{{{{}}}}}", a.pipe),
            Node::If(b) => b.write("if", f),
            Node::Range(b) => b.write("range", f),
            Node::With(b) => b.write("with", f),
            Node::Template(t) => t.fmt(f),
            Node::Break { .. } => f.write_str("{{break}}"),
            Node::Continue { .. } => f.write_str("{{continue}}"),
        }
    }
}

/// `{{pipeline}}`
#[derive(Debug, Clone)]
pub struct ActionNode {
    /// Position (of the first token of the pipeline).
    pub pos: Pos,
    /// Line.
    pub line: usize,
    /// The pipeline.
    pub pipe: PipeNode,
}

/// `if`, `range` and `with`.
#[derive(Debug, Clone)]
pub struct BranchNode {
    /// Position (of the pipeline).
    pub pos: Pos,
    /// Line.
    pub line: usize,
    /// The pipeline.
    pub pipe: PipeNode,
    /// Executed when the value is non-empty.
    pub list: ListNode,
    /// Executed otherwise.
    pub else_list: Option<ListNode>,
}

impl BranchNode {
    fn write(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{{} {}}}}}{}", name, self.pipe, self.list)?;
        if let Some(e) = &self.else_list {
            write!(f, "{{{{else}}}}{e}")?;
        }
        f.write_str("{{end}}")
    }
}

/// `{{template "name" pipeline}}`
#[derive(Debug, Clone)]
pub struct TemplateNode {
    /// Position (of the name).
    pub pos: Pos,
    /// Line.
    pub line: usize,
    /// The template name.
    pub name: String,
    /// The data pipeline, if any.
    pub pipe: Option<PipeNode>,
}

impl fmt::Display for TemplateNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{template {}", quote(&self.name))?;
        if let Some(p) = &self.pipe {
            write!(f, " {p}")?;
        }
        f.write_str("}}")
    }
}

/// A pipeline with optional variable declarations.
#[derive(Debug, Clone)]
pub struct PipeNode {
    /// Position.
    pub pos: Pos,
    /// Line.
    pub line: usize,
    /// `=` rather than `:=`.
    pub is_assign: bool,
    /// Declared or assigned variables.
    pub decl: Vec<VariableNode>,
    /// The commands.
    pub cmds: Vec<CommandNode>,
}

impl fmt::Display for PipeNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                v.fmt(f)?;
            }
            f.write_str(" := ")?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            c.fmt(f)?;
        }
        Ok(())
    }
}

/// A command: operands separated by spaces.
#[derive(Debug, Clone)]
pub struct CommandNode {
    /// Position.
    pub pos: Pos,
    /// The operands.
    pub args: Vec<Arg>,
}

impl fmt::Display for CommandNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if let Arg::Pipe(p) = a {
                write!(f, "({p})")?;
            } else {
                a.fmt(f)?;
            }
        }
        Ok(())
    }
}

/// `$x` or `$x.a.b`.
#[derive(Debug, Clone)]
pub struct VariableNode {
    /// Position.
    pub pos: Pos,
    /// The variable name (with `$`) followed by field names.
    pub ident: Vec<String>,
}

impl fmt::Display for VariableNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ident.join("."))
    }
}

/// A numeric constant, kept under every type that represents it.
#[derive(Debug, Clone, Default)]
pub struct NumberNode {
    /// Position.
    pub pos: Pos,
    /// Has an integral value.
    pub is_int: bool,
    /// Has a non-negative integral value.
    pub is_uint: bool,
    /// Has a floating-point value.
    pub is_float: bool,
    /// Is complex.
    pub is_complex: bool,
    /// The signed value.
    pub int64: i64,
    /// The unsigned value.
    pub uint64: u64,
    /// The float value.
    pub float64: f64,
    /// The complex value (real, imaginary).
    pub complex: (f64, f64),
    /// The original text.
    pub text: String,
}

/// An operand.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A function name.
    Identifier {
        /// Position.
        pos: Pos,
        /// The name.
        name: String,
    },
    /// A variable with optional fields.
    Variable(VariableNode),
    /// `.a.b`
    Field {
        /// Position.
        pos: Pos,
        /// The field names.
        ident: Vec<String>,
    },
    /// `(pipe).a.b` or `term.a`.
    Chain {
        /// Position.
        pos: Pos,
        /// The term.
        node: Box<Arg>,
        /// The field names.
        fields: Vec<String>,
    },
    /// `.`
    Dot(Pos),
    /// `nil`
    Nil(Pos),
    /// `true` / `false`
    Bool(Pos, bool),
    /// A number.
    Number(Box<NumberNode>),
    /// A string constant.
    String {
        /// Position.
        pos: Pos,
        /// The original text with quotes.
        quoted: String,
        /// The unquoted text.
        text: String,
    },
    /// A parenthesized pipeline.
    Pipe(Box<PipeNode>),
}

impl Arg {
    /// The operand's position.
    pub fn pos(&self) -> Pos {
        match self {
            Arg::Identifier { pos, .. }
            | Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Dot(pos)
            | Arg::Nil(pos)
            | Arg::Bool(pos, _)
            | Arg::String { pos, .. } => *pos,
            Arg::Variable(v) => v.pos,
            Arg::Number(n) => n.pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Variable(v) => v.fmt(f),
            Arg::Field { ident, .. } => {
                for i in ident {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(p) = node.as_ref() {
                    write!(f, "({p})")?;
                } else {
                    node.fmt(f)?;
                }
                for i in fields {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => f.write_str(if *b { "true" } else { "false" }),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Pipe(p) => p.fmt(f),
        }
    }
}

// ---------------------------------------------------------------------------
// Parser

enum Parsed {
    Node(Node),
    End,
    Else(Pos),
}

impl Parsed {
    fn describe(&self) -> String {
        match self {
            Parsed::Node(n) => n.to_string(),
            Parsed::End => "{{end}}".to_string(),
            Parsed::Else(_) => "{{else}}".to_string(),
        }
    }
}

#[derive(Default)]
struct TreeState {
    vars: Vec<String>,
    range_depth: usize,
    stack_depth: usize,
    control_depth: usize,
    action_line: usize,
}

struct Parser<'a> {
    items: Vec<Item>,
    idx: usize,
    furthest: usize,
    parse_name: String,
    text: Arc<str>,
    has_func: &'a dyn Fn(&str) -> bool,
    check_funcs: bool,
    trees: Vec<Tree>,
    st: TreeState,
}

type PResult<T> = Result<T, ParseError>;

/// Options for parsing.
#[derive(Clone, Copy, Debug, Default)]
pub struct ParseOptions {
    /// Keep comments in the tree.
    pub parse_comments: bool,
    /// Do not check that functions are defined.
    pub skip_func_check: bool,
}

/// Parse `text` as the template `name`, returning every tree it defines (the
/// top-level one last) in Go's `treeSet` semantics: a second non-empty
/// definition of a name in the same text is an error, an empty one is
/// ignored. `has_func` tells whether a function name exists (builtins
/// included).
pub fn parse(
    name: &str,
    text: &str,
    has_func: &dyn Fn(&str) -> bool,
    opts: ParseOptions,
) -> Result<Vec<Tree>, ParseError> {
    let lex_opts = LexOptions {
        emit_comment: opts.parse_comments,
        break_ok: !has_func("break"),
        continue_ok: !has_func("continue"),
    };
    let items = lex(text, lex_opts);
    let mut p = Parser {
        items,
        idx: 0,
        furthest: 0,
        parse_name: name.to_string(),
        text: Arc::from(text),
        has_func,
        check_funcs: !opts.skip_func_check,
        trees: Vec::new(),
        st: TreeState {
            vars: vec!["$".to_string()],
            ..Default::default()
        },
    };
    let root = p.parse_top()?;
    let tree = Tree {
        name: name.to_string(),
        parse_name: name.to_string(),
        text_hint: text_hint(&root, 0),
        root,
        text: p.text.clone(),
    };
    p.add(tree)?;
    Ok(p.trees)
}

fn go_unquote(s: &str) -> Result<String, ()> {
    let b = s.as_bytes();
    if b.len() < 2 {
        return Err(());
    }
    let q = b[0];
    if b[b.len() - 1] != q {
        return Err(());
    }
    let inner = &s[1..s.len() - 1];
    match q {
        b'`' => {
            if inner.contains('`') {
                return Err(());
            }
            Ok(inner.replace('\r', ""))
        }
        b'"' => {
            let mut out: Vec<u8> = Vec::with_capacity(inner.len());
            let mut rest = inner;
            while !rest.is_empty() {
                let (bytes, tail) = unquote_char(rest, b'"')?;
                out.extend_from_slice(&bytes);
                rest = tail;
            }
            Ok(String::from_utf8_lossy(&out).into_owned())
        }
        _ => Err(()),
    }
}

/// Go's `strconv.UnquoteChar`: decode one (possibly escaped) character at the
/// start of `s`, returning its bytes and the rest.
fn unquote_char(s: &str, quote: u8) -> Result<(Vec<u8>, &str), ()> {
    let c = s.chars().next().ok_or(())?;
    if c as u32 == u32::from(quote) && (quote == b'\'' || quote == b'"') {
        return Err(());
    }
    if c != '\\' {
        let mut buf = [0u8; 4];
        return Ok((
            c.encode_utf8(&mut buf).as_bytes().to_vec(),
            &s[c.len_utf8()..],
        ));
    }
    let b = s.as_bytes();
    if b.len() <= 1 {
        return Err(());
    }
    let e = b[1];
    // Found by fuzzing: `"\é"` sliced `&s[2..]` inside `é` and panicked. Every escape is
    // ASCII; anything else after `\` is Go's ErrSyntax.
    if !e.is_ascii() {
        return Err(());
    }
    let rest = &s[2..];
    let simple = |ch: u8| Ok((vec![ch], rest));
    match e {
        b'a' => simple(7),
        b'b' => simple(8),
        b'f' => simple(12),
        b'n' => simple(b'\n'),
        b'r' => simple(b'\r'),
        b't' => simple(b'\t'),
        b'v' => simple(11),
        b'\\' => simple(b'\\'),
        b'\'' | b'"' => {
            if e != quote {
                return Err(());
            }
            simple(e)
        }
        b'x' | b'u' | b'U' => {
            let n = match e {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            if rest.len() < n || !rest.is_char_boundary(n) {
                return Err(());
            }
            let v = u32::from_str_radix(&rest[..n], 16).map_err(|_| ())?;
            if !rest[..n].bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(());
            }
            if e == b'x' {
                return Ok((vec![v as u8], &rest[n..]));
            }
            let ch = char::from_u32(v).ok_or(())?;
            let mut buf = [0u8; 4];
            Ok((ch.encode_utf8(&mut buf).as_bytes().to_vec(), &rest[n..]))
        }
        b'0'..=b'7' => {
            let digits = &s[1..];
            if digits.len() < 3 || !digits.is_char_boundary(3) {
                return Err(());
            }
            let d = &digits[..3];
            if !d.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
                return Err(());
            }
            let v = u32::from_str_radix(d, 8).map_err(|_| ())?;
            if v > 255 {
                return Err(());
            }
            Ok((vec![v as u8], &digits[3..]))
        }
        _ => Err(()),
    }
}

/// Go's `underscoreOK`: underscores only between digits or after a base
/// prefix.
fn underscore_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    if !b.is_empty() && (b[0] == b'-' || b[0] == b'+') {
        i = 1;
    }
    let mut hex = false;
    if b.len() - i >= 2 && b[i] == b'0' && matches!(b[i + 1] | 0x20, b'b' | b'o' | b'x') {
        hex = b[i + 1] | 0x20 == b'x';
        i += 2;
        saw = b'0';
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

pub(crate) enum IntErr {
    Syntax,
    Range,
}

/// Go's `strconv.ParseUint(s, 0, 64)` magnitude parsing (no sign).
fn parse_uint_base0(s: &str) -> Result<u64, IntErr> {
    if s.is_empty() {
        return Err(IntErr::Syntax);
    }
    let b = s.as_bytes();
    let (base, digits) = if b[0] == b'0' && b.len() >= 2 {
        match b[1] | 0x20 {
            b'x' => (16, &s[2..]),
            b'o' => (8, &s[2..]),
            b'b' => (2, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    if s.contains('_') && !underscore_ok(s) {
        return Err(IntErr::Syntax);
    }
    let mut n: u64 = 0;
    let mut any = false;
    for c in digits.bytes() {
        if c == b'_' {
            continue;
        }
        let d = match c {
            b'0'..=b'9' => u64::from(c - b'0'),
            b'a'..=b'z' => u64::from(c - b'a') + 10,
            b'A'..=b'Z' => u64::from(c - b'A') + 10,
            _ => return Err(IntErr::Syntax),
        };
        if d >= base {
            return Err(IntErr::Syntax);
        }
        any = true;
        n = n
            .checked_mul(base)
            .and_then(|n| n.checked_add(d))
            .ok_or(IntErr::Range)?;
    }
    if !any && base != 8 {
        return Err(IntErr::Syntax);
    }
    Ok(n)
}

pub(crate) fn parse_int_base0(s: &str) -> Result<i64, IntErr> {
    let (neg, mag) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint_base0(mag)?;
    if neg {
        if u > 1u64 << 63 {
            return Err(IntErr::Range);
        }
        Ok((u as i64).wrapping_neg())
    } else {
        i64::try_from(u).map_err(|_| IntErr::Range)
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the syntax the lexer lets through.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match clean.as_bytes().first() {
        Some(b'-') => (true, &clean[1..]),
        Some(b'+') => (false, &clean[1..]),
        _ => (false, clean.as_str()),
    };
    let v = if body.len() > 2 && (body.starts_with("0x") || body.starts_with("0X")) {
        parse_hex_float(&body[2..])?
    } else {
        if !body
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return None;
        }
        let v: f64 = body.parse().ok()?;
        if v.is_infinite() {
            return None;
        }
        v
    };
    Some(if neg { -v } else { v })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = s.split_once(['p', 'P'])?;
    let exp: i32 = exp.parse().ok()?;
    let (ip, fp) = mant.split_once('.').unwrap_or((mant, ""));
    if ip.is_empty() && fp.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in ip.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in fp.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    let r = v * 2f64.powi(exp);
    if r.is_infinite() { None } else { Some(r) }
}

/// Build a number node as Go's `newNumber` does.
fn new_number(pos: Pos, text: &str, typ: ItemType) -> Result<NumberNode, String> {
    let mut n = NumberNode {
        pos,
        text: text.to_string(),
        ..Default::default()
    };
    match typ {
        ItemType::CharConstant => {
            let inner = &text[1..];
            let (bytes, tail) =
                unquote_char(inner, b'\'').map_err(|_| "invalid syntax".to_string())?;
            if tail != "'" {
                return Err(format!("malformed character constant: {text}"));
            }
            let ch = String::from_utf8_lossy(&bytes)
                .chars()
                .next()
                .map(|c| c as u32)
                .unwrap_or(0);
            let r = if bytes.len() == 1 {
                u32::from(bytes[0])
            } else {
                ch
            };
            n.int64 = i64::from(r);
            n.is_int = true;
            n.uint64 = u64::from(r);
            n.is_uint = true;
            n.float64 = f64::from(r);
            n.is_float = true;
            return Ok(n);
        }
        ItemType::Complex => {
            // "a+bi" or "a-bi".
            let split = text[1..]
                .rfind(['+', '-'])
                .map(|i| i + 1)
                .ok_or_else(|| "expected integer".to_string())?;
            let re = parse_float(&text[..split]).ok_or_else(|| "expected integer".to_string())?;
            let im = parse_float(&text[split..text.len() - 1])
                .ok_or_else(|| "expected integer".to_string())?;
            n.is_complex = true;
            n.complex = (re, im);
            simplify_complex(&mut n);
            return Ok(n);
        }
        _ => {}
    }
    if let Some(t) = text.strip_suffix('i')
        && let Some(f) = parse_float(t)
    {
        n.is_complex = true;
        n.complex = (0.0, f);
        simplify_complex(&mut n);
        return Ok(n);
    }
    let u = parse_uint_base0(text);
    if let Ok(u) = u {
        n.is_uint = true;
        n.uint64 = u;
    }
    if let Ok(i) = parse_int_base0(text) {
        n.is_int = true;
        n.int64 = i;
        if i == 0 {
            n.is_uint = true;
            n.uint64 = 0;
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float64 = n.int64 as f64;
    } else if n.is_uint {
        n.is_float = true;
        n.float64 = n.uint64 as f64;
    } else if let Some(f) = parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", quote(text)));
        }
        n.is_float = true;
        n.float64 = f;
        if !n.is_int && (f as i64) as f64 == f && f.abs() < 9.3e18 {
            n.is_int = true;
            n.int64 = f as i64;
        }
        if !n.is_uint && f >= 0.0 && (f as u64) as f64 == f && f < 1.85e19 {
            n.is_uint = true;
            n.uint64 = f as u64;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {}", quote(text)));
    }
    Ok(n)
}

fn simplify_complex(n: &mut NumberNode) {
    n.is_float = n.complex.1 == 0.0;
    if n.is_float {
        let f = n.complex.0;
        n.float64 = f;
        n.is_int = (f as i64) as f64 == f && f.abs() < 9.3e18;
        if n.is_int {
            n.int64 = f as i64;
        }
        n.is_uint = f >= 0.0 && (f as u64) as f64 == f && f < 1.85e19;
        if n.is_uint {
            n.uint64 = f as u64;
        }
    }
}

impl<'a> Parser<'a> {
    // ----- token stream -----

    fn next(&mut self) -> Item {
        let i = self.idx.min(self.items.len() - 1);
        self.idx = i + 1;
        if i > self.furthest {
            self.furthest = i;
        }
        self.items[i].clone()
    }

    fn backup(&mut self) {
        self.idx -= 1;
    }

    fn peek(&mut self) -> Item {
        let it = self.next();
        self.backup();
        it
    }

    fn next_non_space(&mut self) -> Item {
        loop {
            let t = self.next();
            if t.typ != ItemType::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item {
        let t = self.next_non_space();
        self.backup();
        t
    }

    // ----- errors -----

    fn errorf(&self, msg: impl Into<String>) -> ParseError {
        ParseError {
            name: self.parse_name.clone(),
            line: self.items[self.furthest].line,
            message: msg.into(),
        }
    }

    fn unexpected(&self, token: &Item, context: &str) -> ParseError {
        if token.typ == ItemType::Error {
            let mut extra = String::new();
            if self.st.action_line != 0 && self.st.action_line != token.line {
                extra = format!(
                    " in action started at {}:{}",
                    self.parse_name, self.st.action_line
                );
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{token}{extra}"));
        }
        self.errorf(format!("unexpected {token} in {context}"))
    }

    fn expect(&mut self, expected: ItemType, context: &str) -> PResult<Item> {
        let t = self.next_non_space();
        if t.typ != expected {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    fn expect_one_of(&mut self, e1: ItemType, e2: ItemType, context: &str) -> PResult<Item> {
        let t = self.next_non_space();
        if t.typ != e1 && t.typ != e2 {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    // ----- tree set -----

    fn add(&mut self, tree: Tree) -> PResult<()> {
        if let Some(i) = self.trees.iter().position(|t| t.name == tree.name) {
            if self.trees[i].is_empty() {
                self.trees[i] = tree;
                return Ok(());
            }
            if !tree.is_empty() {
                return Err(self.errorf(format!(
                    "template: multiple definition of template {}",
                    quote(&tree.name)
                )));
            }
            return Ok(());
        }
        self.trees.push(tree);
        Ok(())
    }

    fn new_tree_state(&mut self) -> TreeState {
        std::mem::replace(
            &mut self.st,
            TreeState {
                vars: vec!["$".to_string()],
                ..Default::default()
            },
        )
    }

    // ----- grammar -----

    fn parse_top(&mut self) -> PResult<ListNode> {
        let mut root = ListNode {
            pos: self.peek().pos,
            nodes: Vec::new(),
        };
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let save = self.idx;
                self.next();
                if self.next_non_space().typ == ItemType::Define {
                    let saved = self.new_tree_state();
                    let r = self.parse_definition();
                    self.st = saved;
                    r?;
                    continue;
                }
                self.idx = save;
            }
            match self.text_or_action()? {
                p @ (Parsed::End | Parsed::Else(_)) => {
                    return Err(self.errorf(format!("unexpected {}", p.describe())));
                }
                Parsed::Node(n) => root.nodes.push(n),
            }
        }
        Ok(root)
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let name = self.expect_one_of(ItemType::String, ItemType::RawString, CONTEXT)?;
        let name = go_unquote(&name.val).map_err(|_| self.errorf("invalid syntax"))?;
        self.expect(ItemType::RightDelim, CONTEXT)?;
        let (root, end) = self.item_list()?;
        if !matches!(end, Parsed::End) {
            return Err(self.errorf(format!("unexpected {} in {}", end.describe(), CONTEXT)));
        }
        let tree = Tree {
            name,
            parse_name: self.parse_name.clone(),
            text_hint: text_hint(&root, 0),
            root,
            text: self.text.clone(),
        };
        self.add(tree)
    }

    fn item_list(&mut self) -> PResult<(ListNode, Parsed)> {
        let mut list = ListNode {
            pos: self.peek_non_space().pos,
            nodes: Vec::new(),
        };
        while self.peek_non_space().typ != ItemType::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => list.nodes.push(n),
                other => return Ok((list, other)),
            }
        }
        Err(self.errorf("unexpected EOF"))
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Text => Ok(Parsed::Node(Node::Text {
                pos: token.pos,
                has_lt: memchr::memchr(b'<', token.val.as_bytes()).is_some(),
                text: token.val,
            })),
            ItemType::LeftDelim => {
                self.st.action_line = token.line;
                let r = self.action();
                self.st.action_line = 0;
                r
            }
            ItemType::Comment => Ok(Parsed::Node(Node::Comment {
                pos: token.pos,
                text: token.val,
            })),
            _ => Err(self.unexpected(&token, "input")),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Block => return self.block_control().map(Parsed::Node),
            ItemType::Break | ItemType::Continue => {
                let ctx = if token.typ == ItemType::Break {
                    "{{break}}"
                } else {
                    "{{continue}}"
                };
                let t = self.next_non_space();
                if t.typ != ItemType::RightDelim {
                    return Err(self.unexpected(&t, ctx));
                }
                if self.st.range_depth == 0 {
                    return Err(self.errorf(format!("{ctx} outside {{{{range}}}}")));
                }
                return Ok(Parsed::Node(if token.typ == ItemType::Break {
                    Node::Break { pos: token.pos }
                } else {
                    Node::Continue { pos: token.pos }
                }));
            }
            ItemType::Else => return self.else_control(),
            ItemType::End => {
                let t = self.expect(ItemType::RightDelim, "end")?;
                let _ = t;
                return Ok(Parsed::End);
            }
            ItemType::If => return self.if_control().map(Parsed::Node),
            ItemType::Range => return self.range_control().map(Parsed::Node),
            ItemType::Template => return self.template_control().map(Parsed::Node),
            ItemType::With => return self.with_control().map(Parsed::Node),
            _ => {}
        }
        self.backup();
        let token = self.peek();
        let pipe = self.pipeline("command", ItemType::RightDelim)?;
        Ok(Parsed::Node(Node::Action(ActionNode {
            pos: token.pos,
            line: token.line,
            pipe,
        })))
    }

    fn pipeline(&mut self, context: &str, end: ItemType) -> PResult<PipeNode> {
        let token = self.peek_non_space();
        let mut pipe = PipeNode {
            pos: token.pos,
            line: token.line,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        'decls: loop {
            let v = self.peek_non_space();
            if v.typ != ItemType::Variable {
                break;
            }
            let save = self.idx;
            self.next_non_space();
            let after = self.peek();
            let next = self.peek_non_space();
            if next.typ == ItemType::Assign || next.typ == ItemType::Declare {
                pipe.is_assign = next.typ == ItemType::Assign;
                self.next_non_space();
                pipe.decl.push(VariableNode {
                    pos: v.pos,
                    ident: v.val.split('.').map(String::from).collect(),
                });
                self.st.vars.push(v.val.clone());
                break;
            } else if next.typ == ItemType::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push(VariableNode {
                    pos: v.pos,
                    ident: v.val.split('.').map(String::from).collect(),
                });
                self.st.vars.push(v.val.clone());
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().typ {
                        ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => {
                            continue 'decls;
                        }
                        _ => return Err(self.errorf("range can only initialize variables")),
                    }
                }
                return Err(self.errorf(format!("too many declarations in {context}")));
            } else {
                let _ = after;
                self.idx = save;
                break;
            }
        }
        loop {
            let token = self.next_non_space();
            match token.typ {
                t if t == end => {
                    self.check_pipeline(&pipe, context)?;
                    return Ok(pipe);
                }
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                    if pipe.cmds.len() > MAX_PIPELINE_CMDS {
                        return Err(self.errorf("pipeline too long"));
                    }
                }
                _ => return Err(self.unexpected(&token, context)),
            }
        }
    }

    fn check_pipeline(&self, pipe: &PipeNode, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return Err(self.errorf(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args[0],
                Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(_) | Arg::String { .. }
            ) {
                return Err(self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn parse_control(&mut self, context: &str) -> PResult<BranchNode> {
        if self.st.control_depth >= MAX_CONTROL_DEPTH {
            return Err(self.errorf("max control structure depth exceeded"));
        }
        self.st.control_depth += 1;
        let mark = self.st.vars.len();
        // Each level takes several frames (a few KiB in a debug build): grow the
        // stack on the heap rather than depend on the caller's thread.
        let r = stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || {
            self.parse_control_inner(context)
        });
        self.st.vars.truncate(mark);
        self.st.control_depth -= 1;
        r
    }

    fn parse_control_inner(&mut self, context: &str) -> PResult<BranchNode> {
        let pipe = self.pipeline(context, ItemType::RightDelim)?;
        if context == "range" {
            self.st.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.st.range_depth -= 1;
        }
        let (list, next) = r?;
        let mut else_list = None;
        match next {
            Parsed::End => {}
            Parsed::Else(epos) => {
                if context == "if" && self.peek().typ == ItemType::If {
                    self.next();
                    let n = self.if_control()?;
                    else_list = Some(ListNode {
                        pos: epos,
                        nodes: vec![n],
                    });
                } else if context == "with" && self.peek().typ == ItemType::With {
                    self.next();
                    let n = self.with_control()?;
                    else_list = Some(ListNode {
                        pos: epos,
                        nodes: vec![n],
                    });
                } else {
                    let (el, next) = self.item_list()?;
                    if !matches!(next, Parsed::End) {
                        return Err(self.errorf(format!("expected end; found {}", next.describe())));
                    }
                    else_list = Some(el);
                }
            }
            Parsed::Node(_) => {}
        }
        Ok(BranchNode {
            pos: pipe.pos,
            line: pipe.line,
            pipe,
            list,
            else_list,
        })
    }

    fn if_control(&mut self) -> PResult<Node> {
        self.parse_control("if").map(Node::If)
    }

    fn range_control(&mut self) -> PResult<Node> {
        self.parse_control("range").map(Node::Range)
    }

    fn with_control(&mut self) -> PResult<Node> {
        self.parse_control("with").map(Node::With)
    }

    fn else_control(&mut self) -> PResult<Parsed> {
        let peek = self.peek_non_space();
        if peek.typ == ItemType::If || peek.typ == ItemType::With {
            return Ok(Parsed::Else(peek.pos));
        }
        let t = self.expect(ItemType::RightDelim, "else")?;
        Ok(Parsed::Else(t.pos))
    }

    fn parse_template_name(&self, token: &Item, context: &str) -> PResult<String> {
        match token.typ {
            ItemType::String | ItemType::RawString => {
                go_unquote(&token.val).map_err(|_| self.errorf("invalid syntax"))
            }
            _ => Err(self.unexpected(token, context)),
        }
    }

    fn block_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemType::RightDelim)?;
        // A block's body is a new tree, but parsing it nests like any control structure.
        if self.st.control_depth >= MAX_CONTROL_DEPTH {
            return Err(self.errorf("max control structure depth exceeded"));
        }
        let depth = self.st.control_depth + 1;
        let saved = self.new_tree_state();
        self.st.control_depth = depth;
        let r = stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || self.item_list());
        self.st = saved;
        let (root, end) = r?;
        if !matches!(end, Parsed::End) {
            return Err(self.errorf(format!("unexpected {} in {}", end.describe(), CONTEXT)));
        }
        let tree = Tree {
            name: name.clone(),
            parse_name: self.parse_name.clone(),
            text_hint: text_hint(&root, 0),
            root,
            text: self.text.clone(),
        };
        self.add(tree)?;
        Ok(Node::Template(TemplateNode {
            pos: token.pos,
            line: token.line,
            name,
            pipe: Some(pipe),
        }))
    }

    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, CONTEXT)?;
        let mut pipe = None;
        if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            pipe = Some(self.pipeline(CONTEXT, ItemType::RightDelim)?);
        }
        Ok(Node::Template(TemplateNode {
            pos: token.pos,
            line: token.line,
            name,
            pipe,
        }))
    }

    fn command(&mut self) -> PResult<CommandNode> {
        let mut cmd = CommandNode {
            pos: self.peek_non_space().pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let token = self.next();
            match token.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                _ => return Err(self.unexpected(&token, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.errorf("empty command"));
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ == ItemType::Field {
            let chain_pos = self.peek().pos;
            let mut fields = Vec::new();
            while self.peek().typ == ItemType::Field {
                let f = self.next();
                fields.push(f.val[1..].to_string());
            }
            return Ok(Some(match node {
                Arg::Field { mut ident, .. } => {
                    ident.extend(fields);
                    Arg::Field {
                        pos: chain_pos,
                        ident,
                    }
                }
                Arg::Variable(mut v) => {
                    v.ident.extend(fields);
                    v.pos = chain_pos;
                    Arg::Variable(v)
                }
                Arg::Bool(..) | Arg::String { .. } | Arg::Number(_) | Arg::Nil(_) | Arg::Dot(_) => {
                    return Err(self.errorf(format!(
                        "unexpected . after term {}",
                        quote(&node.to_string())
                    )));
                }
                other => Arg::Chain {
                    pos: chain_pos,
                    node: Box::new(other),
                    fields,
                },
            }));
        }
        Ok(Some(node))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let token = self.next_non_space();
        Ok(Some(match token.typ {
            ItemType::Identifier => {
                if self.check_funcs && !(self.has_func)(&token.val) {
                    return Err(self.errorf(format!("function {} not defined", quote(&token.val))));
                }
                Arg::Identifier {
                    pos: token.pos,
                    name: token.val,
                }
            }
            ItemType::Dot => Arg::Dot(token.pos),
            ItemType::Nil => Arg::Nil(token.pos),
            ItemType::Variable => {
                let ident: Vec<String> = token.val.split('.').map(String::from).collect();
                if !self.st.vars.iter().any(|v| *v == ident[0]) {
                    return Err(self.errorf(format!("undefined variable {}", quote(&ident[0]))));
                }
                Arg::Variable(VariableNode {
                    pos: token.pos,
                    ident,
                })
            }
            ItemType::Field => Arg::Field {
                pos: token.pos,
                ident: token.val[1..].split('.').map(String::from).collect(),
            },
            ItemType::Bool => Arg::Bool(token.pos, token.val == "true"),
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                let n = new_number(token.pos, &token.val, token.typ).map_err(|e| self.errorf(e))?;
                Arg::Number(Box::new(n))
            }
            ItemType::LeftParen => {
                if self.st.stack_depth >= MAX_STACK_DEPTH {
                    return Err(self.errorf("max expression depth exceeded"));
                }
                self.st.stack_depth += 1;
                let r = stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || {
                    self.pipeline("parenthesized pipeline", ItemType::RightParen)
                });
                self.st.stack_depth -= 1;
                Arg::Pipe(Box::new(r?))
            }
            ItemType::String | ItemType::RawString => {
                let s = go_unquote(&token.val).map_err(|_| self.errorf("invalid syntax"))?;
                Arg::String {
                    pos: token.pos,
                    quoted: token.val,
                    text: s,
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(name: &str) -> bool {
        matches!(
            name,
            "printf"
                | "print"
                | "include"
                | "len"
                | "index"
                | "eq"
                | "and"
                | "or"
                | "not"
                | "upper"
        )
    }

    fn p(text: &str) -> Result<Vec<Tree>, String> {
        parse("t", text, &has, ParseOptions::default()).map_err(|e| e.to_string())
    }

    fn perr(text: &str) -> String {
        p(text).err().unwrap_or_default()
    }

    #[test]
    fn node_strings() {
        let trees = p("{{ include \"nope\" . }}{{ .Values.missing.x }}{{ index .Values.l 5 }}{{template \"x\" .}}{{ $x := (len .a) | printf \"%d\" }}").unwrap();
        let root = &trees[0].root;
        let s: Vec<String> = root.nodes.iter().map(|n| n.to_string()).collect();
        assert_eq!(s[0], "{{include \"nope\" .}}");
        assert_eq!(s[1], "{{.Values.missing.x}}");
        assert_eq!(s[2], "{{index .Values.l 5}}");
        assert_eq!(s[3], "{{template \"x\" .}}");
        assert_eq!(s[4], "{{$x := (len .a) | printf \"%d\"}}");
        if let Node::Action(a) = &root.nodes[1] {
            assert_eq!(a.pipe.cmds[0].args[0].pos(), 32);
        }
    }

    #[test]
    fn parse_errors() {
        assert_eq!(perr("{{ .Values.s "), "template: t:1: unclosed action");
        assert_eq!(
            perr("{{ if }}x{{ end }}"),
            "template: t:1: missing value for if"
        );
        assert_eq!(perr("{{ end }}"), "template: t:1: unexpected {{end}}");
        assert_eq!(perr("{{ if true }}x"), "template: t:1: unexpected EOF");
        assert_eq!(
            perr("{{ break }}"),
            "template: t:1: {{break}} outside {{range}}"
        );
        assert_eq!(
            perr("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}"),
            "template: t:1: undefined variable \"$y\""
        );
        assert_eq!(
            perr("{{ .Values.key-dash }}"),
            "template: t:1: bad character U+002D '-'"
        );
        assert_eq!(
            perr("{{/*c */ }}"),
            "template: t:1: comment ends before closing delimiter"
        );
        assert_eq!(
            perr("{{ /* c */}}"),
            "template: t:1: unexpected \"/\" in command"
        );
        assert_eq!(
            perr("{{ nofunc 1 }}"),
            "template: t:1: function \"nofunc\" not defined"
        );
        assert_eq!(
            perr("{{ 1 | 2 }}"),
            "template: t:1: non executable command in pipeline stage 2"
        );
        assert_eq!(
            perr("{{ \"abc }}"),
            "template: t:1: unterminated quoted string"
        );
        assert_eq!(
            perr("{{ 99999999999999999999 }}"),
            "template: t:1: integer overflow: \"99999999999999999999\""
        );
        assert_eq!(
            perr("{{ if true }}{{ else }}{{ else }}{{ end }}"),
            "template: t:1: expected end; found {{else}}"
        );
        assert_eq!(
            perr("{{ template }}"),
            "template: t:1: unexpected \"}}\" in template clause"
        );
        assert_eq!(
            perr("{{ define \"a\" }}x{{ end }}{{ define \"a\" }}y{{ end }}"),
            "template: t:1: template: multiple definition of template \"a\""
        );
        assert_eq!(perr("a\n{{ if true }}\nb"), "template: t:3: unexpected EOF");
        assert_eq!(perr("{{ print (1 }}"), "template: t:1: unclosed left paren");
    }

    #[test]
    fn numbers() {
        let n = new_number(0, "0x1F", ItemType::Number).unwrap();
        assert!(n.is_int && n.int64 == 31);
        let n = new_number(0, "017", ItemType::Number).unwrap();
        assert_eq!(n.int64, 15);
        let n = new_number(0, "1_000", ItemType::Number).unwrap();
        assert_eq!(n.int64, 1000);
        let n = new_number(0, "1e6", ItemType::Number).unwrap();
        assert!(n.is_float && n.is_int && n.int64 == 1_000_000);
        let n = new_number(0, "'a'", ItemType::CharConstant).unwrap();
        assert_eq!(n.int64, 97);
        let n = new_number(0, "0b101", ItemType::Number).unwrap();
        assert_eq!(n.int64, 5);
        let n = new_number(0, "-3", ItemType::Number).unwrap();
        assert_eq!(n.int64, -3);
    }

    #[test]
    fn defines() {
        let trees = p("{{ define \"a\" }}A{{ end }}{{ block \"b\" . }}B{{ end }}top").unwrap();
        let names: Vec<&str> = trees.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["a", "b", "t"]);
    }
}
