//! The real Helm v4 library (PyPI `helm-python-sdk` in a venv) behind
//! `../shared/tools/helm-render`: the reference every render is compared with.

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::fixtures::shared_dir;

/// The Helm peer: the venv's Python and the `helm-render` script.
#[derive(Clone, Debug)]
pub struct HelmPeer {
    python: PathBuf,
    script: PathBuf,
}

impl HelmPeer {
    /// Finds the venv (`$HELM_VENV`, default `~/.cache/helm-venv`); panics with
    /// the install command when it is missing.
    pub fn locate() -> Self {
        let venv = std::env::var_os("HELM_VENV")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let home =
                    std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
                home.join(".cache/helm-venv")
            });
        let python = venv.join("bin/python");
        let script = shared_dir().join("tools/helm-render/helm-render");
        assert!(
            python.is_file(),
            "the Helm peer is not installed at {}: run ../shared/tools/helm-render/install.sh (`make test` does)",
            venv.display()
        );
        assert!(script.is_file(), "missing {}", script.display());
        Self { python, script }
    }

    /// The venv's Python, for scripts that import `helm_python` directly.
    pub fn python(&self) -> &std::path::Path {
        &self.python
    }

    /// Runs `helm-render` with `args` and returns its output.
    pub fn render<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        Command::new(&self.python)
            .arg(&self.script)
            .args(args)
            .output()
            .expect("run helm-render")
    }
}
