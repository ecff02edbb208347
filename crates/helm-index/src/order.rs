//! The order of a chart's versions in an index: Helm's `SortEntries`, which sorts each
//! `ChartVersions` by `sort.Reverse` of Masterminds semver precedence. So the newest version
//! comes first, pre-releases sort below their release, build metadata is ignored, a `v`
//! prefix is accepted, and a version that does not parse sinks to the end.
//!
//! Go's `sort.Sort` is not stable; we sort stably, so versions of equal precedence
//! (`1.0.0` and `v1.0.0`, or `1.0.0+a` and `1.0.0+b`) keep their insertion order. Helm's
//! order among such ties is an accident of its sorting algorithm.

use std::cmp::Ordering;

use helm_template::semver::Version;

/// `Ordering::Less` when `a` comes before `b` in an index (newer first).
pub fn newest_first(a: &str, b: &str) -> Ordering {
    match (Version::parse(a), Version::parse(b)) {
        (Ok(va), Ok(vb)) => vb.cmp(&va),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => Ordering::Equal,
    }
}

/// Sorts version strings newest first, stably.
pub fn sort_newest_first<T>(items: &mut [T], version: impl Fn(&T) -> &str) {
    items.sort_by(|a, b| newest_first(version(a), version(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_first_as_helm_orders() {
        let mut v = vec![
            "0.9.0",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0-alpha",
            "v1.2",
            "not-a-version",
            "1.10.0",
            "1.2.0-beta.2",
            "1.2.0-beta.10",
            "1.0.0-alpha.1",
        ];
        sort_newest_first(&mut v, |s| s);
        assert_eq!(
            v,
            [
                "1.10.0",
                "v1.2",
                "1.2.0-beta.10",
                "1.2.0-beta.2",
                "1.0.0",
                "1.0.0-rc.1",
                "1.0.0-alpha.1",
                "1.0.0-alpha",
                "0.9.0",
                "not-a-version",
            ]
        );
    }

    #[test]
    fn ties_keep_insertion_order() {
        let mut v = vec!["1.0.0+b", "v1.0.0", "1.0.0+a", "2.0.0"];
        sort_newest_first(&mut v, |s| s);
        assert_eq!(v, ["2.0.0", "1.0.0+b", "v1.0.0", "1.0.0+a"]);
    }
}
