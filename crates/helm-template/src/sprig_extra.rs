//! The Sprig v3 functions beyond `sprig.rs`: semantic versions, and (as they
//! are added) dates, random strings, crypto and certificates, paths, URLs and
//! the remaining string and list helpers. Each checked against real Helm.

use std::rc::Rc;

use crate::error::FuncError;
use crate::semver::{Constraints, Version};
use crate::template::FuncMap;
use crate::value::{ArgType, Object, ObjectKind, Signature, Value};

/// Adds these functions to `f`.
pub fn register(f: &mut FuncMap) {
    use ArgType::String as S;
    f.insert_simple("semverCompare", Signature::new(&[S, S]), |a| {
        let constraint = Constraints::parse(a[0].as_str().unwrap_or_default())
            .map_err(|e| FuncError::new(e.to_string()))?;
        let version = Version::parse(a[1].as_str().unwrap_or_default())
            .map_err(|e| FuncError::new(e.to_string()))?;
        Ok(Value::Bool(constraint.check(&version)))
    });
    f.insert_simple("semver", Signature::new(&[S]), |a| {
        let version = Version::parse(a[0].as_str().unwrap_or_default())
            .map_err(|e| FuncError::new(e.to_string()))?;
        Ok(Value::Object(Rc::new(SemverObject {
            text: a[0].as_str().unwrap_or_default().to_owned(),
            version,
        })))
    });
}

/// `*semver.Version` as `semver` returns it.
struct SemverObject {
    text: String,
    version: Version,
}

impl Object for SemverObject {
    fn type_name(&self) -> String {
        "*semver.Version".into()
    }
    fn kind(&self) -> ObjectKind {
        ObjectKind::Pointer
    }
    fn method(&self, name: &str) -> Option<Signature> {
        matches!(
            name,
            "Major" | "Minor" | "Patch" | "Prerelease" | "Metadata" | "Original" | "String"
        )
        .then(|| Signature::new(&[]))
    }
    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, FuncError> {
        let v = &self.version;
        Ok(match name {
            "Major" => Value::Int64(v.major as i64),
            "Minor" => Value::Int64(v.minor as i64),
            "Patch" => Value::Int64(v.patch as i64),
            "Prerelease" => Value::string(v.pre.as_str()),
            "Metadata" => Value::string(v.build.as_str()),
            "Original" => Value::string(self.text.as_str()),
            _ => Value::string(self.stringer().unwrap_or_default()),
        })
    }
    fn stringer(&self) -> Option<String> {
        let v = &self.version;
        let mut s = format!("{}.{}.{}", v.major, v.minor, v.patch);
        if !v.pre.is_empty() {
            s.push('-');
            s.push_str(&v.pre);
        }
        if !v.build.is_empty() {
            s.push('+');
            s.push_str(&v.build);
        }
        Some(s)
    }
}
