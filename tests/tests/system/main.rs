//! The whole system as real processes (`e2e::system`): market, chart-repo, `market source
//! serve` and the app-service simulator, on both storage profiles. A user's journey
//! (install three apps at once, one needing envs; cancel mid-install; clone; upgrade
//! after the source publishes a new version; uninstall everything) proved on the
//! simulator's call log, with another user seeing none of it; and recovery: market
//! killed with tasks pending and running, PostgreSQL restarted under a running market.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

mod journey;
mod recovery;

use std::collections::BTreeMap;
use std::time::Duration;

use e2e::app_service_sim::{Call, OpType};
use e2e::system::{SOURCE, System, token_of};

pub const WITHIN: Duration = Duration::from_secs(30);
/// Cold hydration of a few apps on a loaded 2-core machine.
pub const RENDERED_WITHIN: Duration = Duration::from_secs(90);

/// What every call market made to the simulator must carry: the user's headers and
/// token, the source, the `x-request-id` of the submitting request, chart-repo's
/// public URL as `repoUrl`, and, for an accepted install or upgrade, a chart the
/// simulator downloaded from chart-repo with its digest verified.
pub fn assert_calls_well_formed(system: &System, calls: &[Call], request_ids: &[String]) {
    let repo = system.chart_repo.url.trim_end_matches('/');
    for call in calls {
        assert_eq!(call.market_user, call.user, "{call:?}");
        assert_eq!(call.market_source, SOURCE, "{call:?}");
        assert_eq!(call.authorization, token_of(&call.user), "{call:?}");
        assert!(
            request_ids.contains(&call.request_id),
            "x-request-id {:?} is not one of the submitting requests' {request_ids:?}",
            call.request_id
        );
        if matches!(call.op, OpType::Install | OpType::Upgrade) {
            assert_eq!(call.repo_url.trim_end_matches('/'), repo, "{call:?}");
            if call.status == Some(200) {
                let chart = call
                    .chart
                    .as_ref()
                    .unwrap_or_else(|| panic!("an accepted {call:?} without a verified download"));
                assert!(chart.package_url.starts_with(repo), "{chart:?}");
                assert_eq!(chart.digest.len(), 64, "{chart:?}");
            }
        }
    }
}

/// How many calls of each (user, app, op) the simulator received.
pub fn call_counts(calls: &[Call]) -> BTreeMap<(String, String, OpType), usize> {
    let mut counts = BTreeMap::new();
    for c in calls {
        *counts
            .entry((c.user.clone(), c.app.clone(), c.op))
            .or_insert(0) += 1;
    }
    counts
}

/// How many tasks of each (user, app, app-service op) market holds: a task is sent as
/// one operation (install, upgrade, uninstall, cancel; a clone as an install).
pub fn task_counts(tasks: &[serde_json::Value]) -> BTreeMap<(String, String, OpType), usize> {
    let mut counts = BTreeMap::new();
    for t in tasks {
        let op = match t["type"].as_str().unwrap() {
            "install" | "clone" => OpType::Install,
            "upgrade" => OpType::Upgrade,
            "uninstall" => OpType::Uninstall,
            "cancel" => OpType::Cancel,
            other => panic!("task type {other}"),
        };
        let key = (
            t["user"].as_str().unwrap().to_owned(),
            t["app_name"].as_str().unwrap().to_owned(),
            op,
        );
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}
