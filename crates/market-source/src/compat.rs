//! Which apps a box of a given Olares version may see: an app's `options.dependencies`
//! entries named `olares` of type `system` carry Masterminds constraints on the Olares
//! version (`>=1.12.6-0`), and the listing for version V holds the apps one of whose
//! constraints V satisfies (upstream's `filterVersionForApps`).
//!
//! Where we differ from upstream, on purpose: an app that declares no Olares dependency is
//! listed for every version (upstream drops it), and a missing, `latest`, `undefined` or
//! unparsable version lists everything (upstream reads them as `1.10.9-0` or fails the
//! request): the hash endpoint must always answer 200.

use helm_template::semver::{Constraints, Version};
use serde_json::Value;

use market_model::protocol::ApplicationInfoEntry;

/// The Olares version a request filters by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OsFilter {
    /// No version, or one that is not a version: every app.
    All,
    /// The apps whose Olares requirement this version satisfies.
    Version(Version),
}

/// What the response echoes as `version` when the request names none.
pub const UNFILTERED: &str = "latest";

impl OsFilter {
    /// The filter of a `version` query value.
    pub fn from_query(version: &str) -> OsFilter {
        let version = version.trim();
        if version.is_empty() || version == UNFILTERED || version == "undefined" {
            return OsFilter::All;
        }
        match Version::parse(version) {
            Ok(v) => OsFilter::Version(v),
            Err(_) => {
                tracing::debug!(
                    version,
                    "version query is not a semantic version; listing every app"
                );
                OsFilter::All
            }
        }
    }
}

/// An app's Olares requirement: the constraints of its `olares`/`system` dependencies.
#[derive(Clone, Debug, Default)]
pub(crate) struct Requirement {
    constraints: Vec<Constraints>,
}

impl Requirement {
    /// Reads the requirement from an entry's `options.dependencies`; an Olares constraint
    /// that does not parse is an error (upstream fails every request over it).
    pub(crate) fn of(entry: &ApplicationInfoEntry) -> Result<Requirement, String> {
        let dependencies = entry
            .options
            .get("dependencies")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut constraints = Vec::new();
        for dep in dependencies {
            let field = |key: &str| dep.get(key).and_then(Value::as_str).unwrap_or_default();
            if field("name") != "olares" || field("type") != "system" {
                continue;
            }
            let text = field("version");
            let parsed = Constraints::parse(text).map_err(|e| {
                format!("options.dependencies: the olares version constraint {text:?}: {e}")
            })?;
            constraints.push(parsed);
        }
        Ok(Requirement { constraints })
    }

    /// Whether a box filtered by `filter` may see the app.
    pub(crate) fn admits(&self, filter: &OsFilter) -> bool {
        match filter {
            OsFilter::All => true,
            OsFilter::Version(v) => {
                self.constraints.is_empty() || self.constraints.iter().any(|c| c.check(v))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn requirement(deps: Value) -> Result<Requirement, String> {
        let mut entry = ApplicationInfoEntry::default();
        entry.options.insert("dependencies".into(), deps);
        Requirement::of(&entry)
    }

    fn admits(req: &Requirement, version: &str) -> bool {
        req.admits(&OsFilter::from_query(version))
    }

    #[test]
    fn masterminds_constraints_on_the_olares_dependency() {
        let req = requirement(json!([
            {"name": "olares", "type": "system", "version": ">=1.12.6-0"},
            {"name": "other", "type": "application", "version": ">=9"}
        ]))
        .unwrap();
        assert!(admits(&req, "1.12.6"));
        assert!(admits(&req, "1.12.7-rc.1"));
        assert!(!admits(&req, "1.12.3"));
        let range = requirement(json!([
            {"name": "olares", "type": "system", "version": ">=1.12.3-0,<1.12.6"}
        ]))
        .unwrap();
        assert!(admits(&range, "1.12.3"));
        assert!(!admits(&range, "1.12.6"));
    }

    #[test]
    fn no_requirement_and_no_version_admit_everything() {
        let none =
            requirement(json!([{"name": "olares", "type": "application", "version": ">=9"}]))
                .unwrap();
        assert!(admits(&none, "1.0.0"));
        let strict =
            requirement(json!([{"name": "olares", "type": "system", "version": ">=9"}])).unwrap();
        for everything in ["", "latest", "undefined", "not-a-version"] {
            assert!(admits(&strict, everything), "{everything:?}");
        }
        assert!(!admits(&strict, "1.12.3"));
    }

    #[test]
    fn a_bad_olares_constraint_is_an_error() {
        let err = requirement(json!([{"name": "olares", "type": "system", "version": ">>1"}]))
            .unwrap_err();
        assert!(err.contains("\">>1\""), "{err}");
    }
}
