//! `i18n/<locale>/OlaresManifest.yaml`: a partial manifest per locale (`en-US`, `zh-CN`, …)
//! whose `metadata` and `spec` texts replace the manifest's in that language. Plain YAML (no
//! template actions); unknown keys are kept, as in the manifest.

use serde::{Deserialize, Serialize};

use crate::file_error::{FileError, integers, read_yaml, typed};
use crate::go_string::go_string;
use crate::manifest::{Extra, OLARES_MANIFEST, nullable};

/// The folder holding the per-locale manifests.
pub const I18N_DIR: &str = "i18n";

/// One locale's texts.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct I18nManifest {
    #[serde(deserialize_with = "nullable")]
    pub metadata: I18nMetadata,
    #[serde(deserialize_with = "nullable")]
    pub spec: I18nSpec,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `metadata` texts of one locale.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct I18nMetadata {
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub title: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `spec` texts of one locale.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct I18nSpec {
    #[serde(
        rename = "fullDescription",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub full_description: String,
    #[serde(
        rename = "upgradeDescription",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub upgrade_description: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

impl I18nManifest {
    /// Parses one locale's file, read from `file` (the name errors give).
    pub fn parse_file(file: &str, data: &[u8]) -> Result<Self, FileError> {
        let (text, mut value) = read_yaml(file, data)?;
        integers(&mut value);
        typed(file, text, value)
    }

    /// Paths of the keys no model field knows, e.g. `metadata.keywords`.
    pub fn unknown_fields(&self) -> Vec<String> {
        let prefixed = |at: &str, extra: &Extra| {
            extra
                .keys()
                .map(|k| crate::manifest::join(at, k))
                .collect::<Vec<_>>()
        };
        let mut out = prefixed("", &self.extra);
        out.extend(prefixed("metadata", &self.metadata.extra));
        out.extend(prefixed("spec", &self.spec.extra));
        out
    }
}

/// The locale of a chart path `i18n/<locale>/OlaresManifest.yaml`, if it is one.
pub fn locale_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(I18N_DIR)?.strip_prefix('/')?;
    let locale = rest.strip_suffix(OLARES_MANIFEST)?.strip_suffix('/')?;
    (!locale.is_empty() && !locale.contains('/')).then_some(locale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_of_paths() {
        assert_eq!(locale_of("i18n/zh-CN/OlaresManifest.yaml"), Some("zh-CN"));
        assert_eq!(locale_of("i18n/OlaresManifest.yaml"), None);
        assert_eq!(locale_of("i18n/a/b/OlaresManifest.yaml"), None);
        assert_eq!(locale_of("x/i18n/en/OlaresManifest.yaml"), None);
    }
}
