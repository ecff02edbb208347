//! The market source protocol (DESIGN.md §5.4), as Olares' market reads it from a remote
//! source: `GET /api/v1/appstore/hash`, `GET /api/v1/appstore/info`, `POST
//! /api/v1/applications/info` and the chart download. Field names are the json tags of
//! Olares' Go types; empty values are left out exactly where Go's `omitempty` leaves them
//! out.
//!
//! Reading is lenient as Go's `encoding/json` is: a missing field or `null` is the zero
//! value, and unknown keys are kept (`extra`), so a client of a third-party source does not
//! fail on a field this model does not know. Never: I/O.

mod details;
mod entry;
mod store;

use serde::{Deserialize, Deserializer};

pub use details::{AppsInfoRequest, AppsInfoResponse, MAX_APP_IDS};
pub use entry::{
    AppVersionRecord, ApplicationInfoEntry, I18nEntrance, I18nEntry, I18nMetadata, I18nSpec,
    SubChartRef, Text,
};
pub use store::{
    AppSummary, HashResponse, Page, Recommend, RecommendData, StoreData, StoreInfoResponse, Tag,
    TopItem, Topic, TopicData, TopicList,
};

/// Default paths of the protocol, relative to a source's base URL (which may carry a path
/// prefix such as `/market`).
pub const HASH_PATH: &str = "/api/v1/appstore/hash";
/// See [`HASH_PATH`].
pub const INFO_PATH: &str = "/api/v1/appstore/info";
/// See [`HASH_PATH`].
pub const DETAILS_PATH: &str = "/api/v1/applications/info";
/// See [`HASH_PATH`]; `{name}` is the app name.
pub const CHART_PATH: &str = "/api/v1/applications/{name}/chart";

/// The label of an app that is listed no more (its chart folder holds `.suspend`).
pub const LABEL_SUSPEND: &str = "suspend";
/// The label of a removed app (its chart folder holds `.remove`).
pub const LABEL_REMOVE: &str = "remove";
/// The label of an app not safe for work (its chart folder holds `.nsfw`).
pub const LABEL_NSFW: &str = "nsfw";

/// Whether an app with these labels is one the Olares market skips when it syncs details:
/// a `suspend` or `remove` label, compared case-insensitively.
pub fn is_delisted<S: AsRef<str>>(labels: &[S]) -> bool {
    labels.iter().any(|l| {
        let l = l.as_ref();
        l.eq_ignore_ascii_case(LABEL_SUSPEND) || l.eq_ignore_ascii_case(LABEL_REMOVE)
    })
}

/// The id of an app: the first 8 hex digits of the MD5 of its name, as Olares computes it
/// (market `ToAppInfo`, app-service `GetAppID`).
pub fn app_id(name: &str) -> String {
    use md5::{Digest, Md5};
    let digest = Md5::digest(name.as_bytes());
    let mut out = String::with_capacity(8);
    for byte in &digest[..4] {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Go's reading of `null` into a typed field: the zero value.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_ids_are_md5_prefixes() {
        // md5("adguardhome") = 66c85bed…, the id Olares shows for it.
        assert_eq!(app_id("adguardhome"), "66c85bed");
        assert_eq!(app_id(""), "d41d8cd9");
    }

    #[test]
    fn delisted_labels_are_case_insensitive() {
        assert!(is_delisted(&["Suspend"]));
        assert!(is_delisted(&["nsfw", "remove"]));
        assert!(!is_delisted(&["nsfw"]));
        assert!(!is_delisted::<&str>(&[]));
    }
}
