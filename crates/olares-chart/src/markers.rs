//! The market's marker files beside a chart in a catalog folder: `.suspend` (listed no more,
//! kept for those who installed it), `.remove` (a tombstone: the app was removed), and
//! `owners` (who may change the app in the catalog repository).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::file_error::{FileError, integers, read_yaml, typed};
use crate::go_string::scalar_string;
use crate::manifest::{Extra, nullable};

/// The marker of a suspended app.
pub const SUSPEND: &str = ".suspend";
/// The marker of a removed app; alone in its folder it is a tombstone.
pub const REMOVE: &str = ".remove";
/// The owners file.
pub const OWNERS: &str = "owners";

/// Which marker files a chart folder holds (their content is ignored: they are empty).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Markers {
    pub suspend: bool,
    pub remove: bool,
}

impl Markers {
    /// The markers among a folder's chart-relative file paths.
    pub fn from_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Self {
        let mut markers = Markers::default();
        for path in paths {
            match path {
                SUSPEND => markers.suspend = true,
                REMOVE => markers.remove = true,
                _ => {}
            }
        }
        markers
    }
}

/// The `owners` file: a list of GitHub logins, or of `{username, title}` profiles.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Owners {
    #[serde(deserialize_with = "nullable")]
    pub owners: Vec<Owner>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One owner.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Owner {
    /// `- 'login'`
    Login(String),
    /// `- {username: '@org', title: 'Name'}`
    Profile(OwnerProfile),
}

/// An owner written as a map.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct OwnerProfile {
    #[serde(deserialize_with = "crate::go_string::go_string")]
    pub username: String,
    #[serde(
        deserialize_with = "crate::go_string::go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub title: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

impl<'de> Deserialize<'de> for Owner {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Object(map) => serde_json::from_value(Value::Object(map))
                .map(Owner::Profile)
                .map_err(serde::de::Error::custom),
            other => scalar_string(&other).map(Owner::Login).ok_or_else(|| {
                serde::de::Error::custom("an owner is a login or a {username, title} map")
            }),
        }
    }
}

impl Owners {
    /// Parses an `owners` file.
    pub fn parse(data: &[u8]) -> Result<Self, FileError> {
        let (text, mut value) = read_yaml(OWNERS, data)?;
        integers(&mut value);
        typed(OWNERS, text, value)
    }

    /// The owners' logins (`username` of a profile).
    pub fn logins(&self) -> impl Iterator<Item = &str> {
        self.owners.iter().map(|o| match o {
            Owner::Login(login) => login.as_str(),
            Owner::Profile(p) => p.username.as_str(),
        })
    }
}
