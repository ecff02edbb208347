//! Layered configuration: defaults, then a TOML file (`--config`), then prefixed
//! environment variables, as DESIGN.md §2 names them.
//!
//! Every error names the setting by its environment variable, so an operator can
//! find it whichever layer set it.

use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A setting that could not be accepted, named as its environment variable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting {setting}: {reason}")]
pub struct ConfigError {
    pub setting: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            reason: reason.into(),
        }
    }
}

/// The three layers of one service's configuration.
#[derive(Debug)]
pub struct LayeredConfig {
    /// The environment prefix, e.g. `MARKET_`.
    pub env_prefix: &'static str,
}

impl LayeredConfig {
    /// Merges `defaults`, the TOML file (when given) and the environment into `T`.
    ///
    /// A file that was named but cannot be read is an error; TOML keys are the
    /// environment names in lower case without the prefix.
    pub fn load<T, D>(&self, defaults: &D, file: Option<&Path>) -> Result<T, ConfigError>
    where
        T: DeserializeOwned,
        D: Serialize,
    {
        let mut figment = Figment::from(Serialized::defaults(defaults));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError::new(
                    "--config",
                    format!("no such file: {}", path.display()),
                ));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(Env::prefixed(self.env_prefix));
        figment.extract().map_err(|e| self.describe(e))
    }

    /// The environment variable that corresponds to a TOML key.
    pub fn env_name(&self, key: &str) -> String {
        format!("{}{}", self.env_prefix, key.to_ascii_uppercase())
    }

    /// Every setting of `defaults` (the service's settings struct with its
    /// defaults) as its environment variable and default as it would be written
    /// there (lists comma-separated, unset empty), sorted by name; what
    /// `market settings` / `chart-repo settings` print.
    pub fn env_defaults<D: Serialize>(&self, defaults: &D) -> Vec<(String, String)> {
        fn text(value: &serde_json::Value) -> String {
            match value {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(items) => {
                    items.iter().map(text).collect::<Vec<_>>().join(",")
                }
                other => other.to_string(),
            }
        }
        let fields = serde_json::to_value(defaults).unwrap_or_default();
        let mut settings: Vec<(String, String)> = fields
            .as_object()
            .map(|fields| {
                fields
                    .iter()
                    .map(|(key, value)| (self.env_name(key), text(value)))
                    .collect()
            })
            .unwrap_or_default();
        settings.sort();
        settings
    }

    fn describe(&self, err: figment::Error) -> ConfigError {
        let setting = match err.path.first() {
            Some(key) => self.env_name(key),
            None => self.env_prefix.trim_end_matches('_').to_owned(),
        };
        ConfigError::new(setting, err.kind.to_string())
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closure signature, not ours
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Raw {
        listen: String,
        workers: u32,
    }

    const LAYERS: LayeredConfig = LayeredConfig {
        env_prefix: "SRT_TEST_",
    };

    #[test]
    fn file_overrides_defaults_and_env_overrides_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "listen = \"0.0.0.0:1\"\nworkers = 3\n")?;
            jail.set_env("SRT_TEST_WORKERS", "5");
            let defaults = Raw {
                listen: "127.0.0.1:8080".into(),
                workers: 1,
            };
            let got: Raw = LAYERS.load(&defaults, Some(Path::new("c.toml"))).unwrap();
            assert_eq!(
                got,
                Raw {
                    listen: "0.0.0.0:1".into(),
                    workers: 5
                }
            );
            Ok(())
        });
    }

    #[test]
    fn a_bad_value_names_the_environment_variable() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("SRT_TEST_WORKERS", "many");
            let defaults = Raw {
                listen: String::new(),
                workers: 1,
            };
            let err = LAYERS.load::<Raw, _>(&defaults, None).unwrap_err();
            assert_eq!(err.setting, "SRT_TEST_WORKERS");
            Ok(())
        });
    }

    #[test]
    fn a_missing_config_file_is_an_error() {
        let defaults = Raw {
            listen: String::new(),
            workers: 1,
        };
        let err = LAYERS
            .load::<Raw, _>(&defaults, Some(Path::new("/nonexistent/x.toml")))
            .unwrap_err();
        assert_eq!(err.setting, "--config");
    }
}

/// Deserializers for settings that arrive as strings from TOML but may look
/// like numbers or booleans in the environment (`MARKET_LISTEN=8080`).
pub mod de {
    use serde::{Deserialize, Deserializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Str(String),
        Int(i64),
        Float(f64),
        Bool(bool),
    }

    impl Scalar {
        fn into_string(self) -> String {
            match self {
                Self::Str(s) => s,
                Self::Int(i) => i.to_string(),
                Self::Float(f) => f.to_string(),
                Self::Bool(b) => b.to_string(),
            }
        }
    }

    /// A string setting, whatever scalar the layer produced.
    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Scalar::deserialize(d).map(Scalar::into_string)
    }

    /// An optional string setting; an empty value counts as unset.
    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let value = Option::<Scalar>::deserialize(d)?.map(Scalar::into_string);
        Ok(value.filter(|s| !s.trim().is_empty()))
    }

    /// A list setting: a TOML array, or a comma-separated string in the environment.
    pub fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum List {
            Many(Vec<Scalar>),
            One(Scalar),
        }
        let items = match List::deserialize(d)? {
            List::Many(items) => items.into_iter().map(Scalar::into_string).collect(),
            List::One(s) => s
                .into_string()
                .split(',')
                .map(str::to_owned)
                .collect::<Vec<_>>(),
        };
        Ok(items
            .into_iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect())
    }
}
