//! Fault switches: what the simulator does wrong on purpose, globally or for one app, and
//! the log of every operation it received.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::state::OpType;

/// One way to misbehave.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Accept the connection and the request, never answer.
    Hang,
    /// Answer 500 with a plain-text body, as a sidecar or proxy does.
    Fail500,
    /// Accept an install (answer 200 with an opID), then die before `running`: the
    /// binary exits the process; the library stops serving and halts every walk.
    CrashMidInstall,
    /// Walk the install to this failed state instead of `running`.
    FailState { state: FailedState },
    /// Accept the install, then stay in `downloading` until a later operation (a cancel)
    /// takes the app over: a deterministic "mid-install" for cancel tests.
    Stall,
}

/// The failed states an install can end in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FailedState {
    DownloadFailed,
    InstallFailed,
}

/// The switches in force: a global one and one per app name (the app's wins).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Faults {
    #[serde(default)]
    pub global: Option<Fault>,
    #[serde(default)]
    pub apps: BTreeMap<String, Fault>,
}

impl Faults {
    /// The fault that applies to `app` (`None` for routes that name no app).
    pub fn for_app(&self, app: Option<&str>) -> Option<Fault> {
        app.and_then(|a| self.apps.get(a).copied()).or(self.global)
    }

    /// Sets (`Some`) or clears (`None`) the switch for `app`, or the global one.
    pub fn set(&mut self, app: Option<&str>, fault: Option<Fault>) {
        match (app, fault) {
            (None, f) => self.global = f,
            (Some(a), Some(f)) => {
                self.apps.insert(a.to_owned(), f);
            }
            (Some(a), None) => {
                self.apps.remove(a);
            }
        }
    }
}

/// Body of `POST /sim/faults`: `{"app": "ghost" | null, "fault": {"kind": "hang"} | null}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct SetFault {
    #[serde(default)]
    pub app: Option<String>,
    #[serde(default)]
    pub fault: Option<Fault>,
}

/// One operation request as received, whatever the answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// `X-Bfl-User` (empty when missing).
    pub user: String,
    pub app: String,
    pub op: OpType,
    /// The opID answered, if the operation was accepted.
    #[serde(rename = "opID")]
    pub op_id: Option<String>,
    /// SHA-256 of the request body, so a repeated identical request is visible.
    pub body_sha256: String,
    /// HTTP status answered; `None` while unanswered (a hang).
    pub status: Option<u16>,
    /// `X-Market-User` and `X-Market-Source` as sent.
    pub market_user: String,
    pub market_source: String,
    /// `X-Authorization` as sent (the caller's token, passed on by market).
    #[serde(default)]
    pub authorization: String,
    /// `x-request-id` as sent.
    #[serde(default)]
    pub request_id: String,
    /// The body's `repoUrl` (install, upgrade); empty otherwise.
    #[serde(default)]
    pub repo_url: String,
    /// The chart this request made the simulator download, once its SHA-256 matched the
    /// index digest (install, upgrade).
    #[serde(default)]
    pub chart: Option<ChartSeen>,
}

/// A chart downloaded and verified for a call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartSeen {
    pub version: String,
    pub package_url: String,
    /// SHA-256 of the package, equal to the index entry's `digest`.
    pub digest: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_switch_wins_over_the_global_one() {
        let mut f = Faults::default();
        f.set(None, Some(Fault::Fail500));
        f.set(Some("ghost"), Some(Fault::Hang));
        assert_eq!(f.for_app(Some("ghost")), Some(Fault::Hang));
        assert_eq!(f.for_app(Some("other")), Some(Fault::Fail500));
        f.set(Some("ghost"), None);
        assert_eq!(f.for_app(Some("ghost")), Some(Fault::Fail500));
    }

    #[test]
    fn the_control_body_reads_as_documented() {
        let body: SetFault = serde_json::from_str(
            r#"{"app":"ghost","fault":{"kind":"fail_state","state":"installFailed"}}"#,
        )
        .unwrap();
        assert_eq!(
            body.fault,
            Some(Fault::FailState {
                state: FailedState::InstallFailed
            })
        );
    }
}
