//! App states and operation types with Olares' names, and which operation each state allows.
//!
//! From beclab/app-service `api/app.bytetrade.io/v1alpha1/appmanager_states.go` (the names)
//! and `pkg/appstate/state_transition.go` (`All`, the states `/all/apps` lists, and
//! `OperationAllowedInState`), `pkg/apiserver/handler_installer_cancel.go` (which canceling
//! state a cancel enters).

use serde::{Deserialize, Serialize};

/// `ApplicationManagerState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AppState {
    Pending,
    Downloading,
    Installing,
    Initializing,
    Running,
    Upgrading,
    ApplyingEnv,
    Stopping,
    Stopped,
    Resuming,
    Uninstalling,
    Uninstalled,
    UninstallFailed,
    ResumeFailed,
    UpgradeFailed,
    ApplyEnvFailed,
    StopFailed,
    DownloadFailed,
    InstallFailed,
    PendingCanceled,
    DownloadingCanceled,
    InstallingCanceled,
    InitializingCanceled,
    UpgradingCanceled,
    ApplyingEnvCanceled,
    ResumingCanceled,
    PendingCanceling,
    DownloadingCanceling,
    InstallingCanceling,
    InitializingCanceling,
    UpgradingCanceling,
    ApplyingEnvCanceling,
    ResumingCanceling,
    PendingCancelFailed,
    DownloadingCancelFailed,
    InstallingCancelFailed,
    UpgradingCancelFailed,
    ApplyingEnvCancelFailed,
    ResumingCancelFailed,
    Failed,
}

/// `OpType`. `Suspend` is Olares' `stop`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OpType {
    Install,
    Uninstall,
    Upgrade,
    #[serde(rename = "stop")]
    Suspend,
    Resume,
    Cancel,
    ApplyEnv,
}

impl OpType {
    /// The route segment: `/app-service/v1/apps/{name}/{segment}`.
    pub fn route(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Uninstall => "uninstall",
            Self::Upgrade => "upgrade",
            Self::Suspend => "suspend",
            Self::Resume => "resume",
            Self::Cancel => "cancel",
            Self::ApplyEnv => "applyenv",
        }
    }

    /// Olares' name (`stop` for suspend), as error texts and events spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suspend => "stop",
            Self::ApplyEnv => "applyEnv",
            other => other.route(),
        }
    }
}

impl AppState {
    pub fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Whether `/all/apps` lists an app in this state (app-service's `appstate.All`):
    /// `uninstalled` and the `*Canceled` states past installing are left out.
    pub fn listed(self) -> bool {
        !matches!(
            self,
            Self::Uninstalled
                | Self::InitializingCanceled
                | Self::UpgradingCanceled
                | Self::ApplyingEnvCanceled
                | Self::ResumingCanceled
                | Self::ResumingCancelFailed
                | Self::Failed
        )
    }

    /// `OperationAllowedInState`; `None` (no app manager yet) allows only install.
    pub fn allows(state: Option<Self>, op: OpType) -> bool {
        use AppState as S;
        use OpType as O;
        let Some(state) = state else {
            return op == O::Install;
        };
        match state {
            S::Pending
            | S::Downloading
            | S::Installing
            | S::Initializing
            | S::Upgrading
            | S::ApplyingEnv
            | S::Resuming
            | S::PendingCancelFailed
            | S::DownloadingCancelFailed => op == O::Cancel,
            S::PendingCanceled
            | S::DownloadingCanceled
            | S::InstallingCanceled
            | S::Uninstalled
            | S::DownloadFailed
            | S::InstallFailed => op == O::Install,
            S::StopFailed => matches!(op, O::Suspend | O::Upgrade | O::Uninstall),
            S::ResumeFailed => matches!(op, O::Resume | O::Upgrade | O::ApplyEnv | O::Uninstall),
            S::UninstallFailed => op == O::Uninstall,
            S::UpgradeFailed => matches!(op, O::Uninstall | O::Upgrade),
            S::ApplyEnvFailed => matches!(op, O::Uninstall | O::ApplyEnv),
            S::InstallingCancelFailed | S::UpgradingCancelFailed | S::ApplyingEnvCancelFailed => {
                matches!(op, O::Cancel | O::Uninstall)
            }
            S::Running => matches!(op, O::Uninstall | O::Upgrade | O::ApplyEnv | O::Suspend),
            S::Stopped => matches!(op, O::Uninstall | O::Upgrade | O::ApplyEnv | O::Resume),
            _ => false,
        }
    }

    /// The canceling state a cancel moves this state to, and where that cancel ends:
    /// `*Canceled` before the app exists, `stopping → stopped` after.
    pub fn cancel_path(self) -> Option<(Self, Vec<Self>)> {
        use AppState as S;
        Some(match self {
            S::Pending | S::PendingCancelFailed => (S::PendingCanceling, vec![S::PendingCanceled]),
            S::Downloading | S::DownloadingCancelFailed => {
                (S::DownloadingCanceling, vec![S::DownloadingCanceled])
            }
            S::Installing | S::InstallingCancelFailed => {
                (S::InstallingCanceling, vec![S::InstallingCanceled])
            }
            S::Initializing => (S::InitializingCanceling, vec![S::Stopping, S::Stopped]),
            S::Resuming => (S::ResumingCanceling, vec![S::Stopping, S::Stopped]),
            S::Upgrading | S::UpgradingCancelFailed => {
                (S::UpgradingCanceling, vec![S::Stopping, S::Stopped])
            }
            S::ApplyingEnv | S::ApplyingEnvCancelFailed => {
                (S::ApplyingEnvCanceling, vec![S::Stopping, S::Stopped])
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_olares_names() {
        assert_eq!(AppState::InstallFailed.as_str(), "installFailed");
        assert_eq!(AppState::PendingCanceled.as_str(), "pendingCanceled");
        assert_eq!(
            serde_json::to_value(OpType::Suspend).ok(),
            Some("stop".into())
        );
    }

    #[test]
    fn operations_follow_the_state_table() {
        assert!(AppState::allows(None, OpType::Install));
        assert!(!AppState::allows(None, OpType::Uninstall));
        assert!(AppState::allows(Some(AppState::Running), OpType::Suspend));
        assert!(!AppState::allows(Some(AppState::Running), OpType::Install));
        assert!(AppState::allows(
            Some(AppState::Downloading),
            OpType::Cancel
        ));
        assert!(AppState::allows(
            Some(AppState::InstallFailed),
            OpType::Install
        ));
        assert!(AppState::allows(Some(AppState::Stopped), OpType::Resume));
    }
}
