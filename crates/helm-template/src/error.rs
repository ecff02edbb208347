//! Error types with Go's exact texts: parse errors (`template: NAME:LINE: msg`),
//! execution errors (`template: NAME:LINE:COL: executing "NAME" at <NODE>: msg`)
//! and the errors template functions return.

use std::fmt;

use crate::fmt::quote;

/// A parse error, displayed as Go prints it: `template: NAME:LINE: MESSAGE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The name of the top-level template being parsed (Go's `ParseName`).
    pub name: String,
    /// 1-based line number of the offending token.
    pub line: usize,
    /// The message after `template: NAME:LINE: `.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template: {}:{}: {}", self.name, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// What went wrong during execution.
#[derive(Clone, Debug)]
pub enum ExecErrorKind {
    /// A message produced by the executor itself.
    Message(String),
    /// A function or method returned an error: `error calling NAME: ERR`.
    Call {
        /// The function or method name.
        func: String,
        /// The error it returned.
        err: Box<FuncError>,
    },
}

impl fmt::Display for ExecErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecErrorKind::Message(m) => f.write_str(m),
            ExecErrorKind::Call { func, err } => write!(f, "error calling {func}: {err}"),
        }
    }
}

/// An execution error (Go's `template.ExecError`).
#[derive(Clone, Debug)]
pub struct ExecError {
    /// The name of the template being executed (a define's name, or the file).
    pub name: String,
    /// `PARSENAME:LINE:COL` of the node being evaluated (column 0-based, in
    /// bytes), or None when the error has no node.
    pub location: Option<String>,
    /// The node in canonical form (Go's `Node.String()`), when located.
    pub context: Option<String>,
    /// The message.
    pub kind: ExecErrorKind,
}

impl ExecError {
    /// The message after the location part.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.location, &self.context) {
            (Some(loc), Some(ctx)) => write!(
                f,
                "template: {}: executing {} at <{}>: {}",
                loc,
                quote(&self.name),
                ctx,
                self.kind
            ),
            _ => write!(f, "template: {}: {}", self.name, self.kind),
        }
    }
}

impl std::error::Error for ExecError {}

/// Any error of this crate.
#[derive(Clone, Debug)]
pub enum Error {
    /// A template failed to parse.
    Parse(ParseError),
    /// Execution failed.
    Exec(ExecError),
    /// `ExecuteTemplate` was asked for a name the set does not hold:
    /// `template: no template "NAME" associated with template "ROOT"`.
    NoTemplate {
        /// The requested name.
        name: String,
        /// The name of the set's root template.
        root: String,
    },
    /// A template that exists but has no content:
    /// `template: NAME: "NAME" is an incomplete or empty template`.
    Incomplete {
        /// The template name.
        name: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(e) => e.fmt(f),
            Error::Exec(e) => e.fmt(f),
            Error::NoTemplate { name, root } => write!(
                f,
                "template: no template {} associated with template {}",
                quote(name),
                quote(root)
            ),
            Error::Incomplete { name } => {
                write!(
                    f,
                    "template: {}: {} is an incomplete or empty template",
                    name,
                    quote(name)
                )
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error::Parse(e)
    }
}

impl From<ExecError> for Error {
    fn from(e: ExecError) -> Self {
        Error::Exec(e)
    }
}

/// The error a template function returns (Go's `error` result, or a panic
/// that `safeCall` turned into an error). When the function executed a
/// template itself (`include`, `tpl`), the underlying [`Error`] is kept as the
/// source so callers can reshape nested errors as Helm does.
#[derive(Clone, Debug)]
pub struct FuncError {
    message: String,
    source: Option<Box<Error>>,
}

impl FuncError {
    /// An error with a plain message (Go's `errors.New(msg)`).
    pub fn new(message: impl Into<String>) -> FuncError {
        FuncError {
            message: message.into(),
            source: None,
        }
    }

    /// An error whose message is `message` and which wraps `source`.
    pub fn wrap(message: impl Into<String>, source: Error) -> FuncError {
        FuncError {
            message: message.into(),
            source: Some(Box::new(source)),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The wrapped template error, if any.
    pub fn source_error(&self) -> Option<&Error> {
        self.source.as_deref()
    }
}

impl fmt::Display for FuncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FuncError {}

impl From<Error> for FuncError {
    fn from(e: Error) -> Self {
        FuncError {
            message: e.to_string(),
            source: Some(Box::new(e)),
        }
    }
}

impl From<String> for FuncError {
    fn from(s: String) -> Self {
        FuncError::new(s)
    }
}

impl From<&str> for FuncError {
    fn from(s: &str) -> Self {
        FuncError::new(s)
    }
}
