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

    /// Runs a Python snippet with the Helm library imported as `h` and `sys.argv[1:]` =
    /// `args`; returns stdout, panicking with stderr when it fails.
    pub fn python_snippet(&self, code: &str, args: &[&str]) -> String {
        let script = format!("import sys, json\nimport helm_python as h\n{code}\n");
        let out = Command::new(&self.python)
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
            .expect("run the Helm peer");
        assert!(
            out.status.success(),
            "the Helm peer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 from the Helm peer")
    }

    /// `helm repo index DIR [--url BASE]`: writes `DIR/index.yaml` and returns its text.
    pub fn repo_index_generate(&self, dir: &std::path::Path, base_url: Option<&str>) -> String {
        let dir = dir.to_str().expect("utf-8 path");
        self.python_snippet(
            "h.repo_index_generate(sys.argv[1], base_url=(sys.argv[2] or None))",
            &[dir, base_url.unwrap_or("")],
        );
        std::fs::read_to_string(std::path::Path::new(dir).join("index.yaml"))
            .expect("read Helm's index.yaml")
    }

    /// Helm's repository client: downloads `{repo_url}/index.yaml`, loads it as Helm does
    /// (dropping invalid entries) and returns it as JSON text.
    pub fn repo_index(&self, repo_url: &str) -> String {
        self.python_snippet("print(json.dumps(h.repo_index(sys.argv[1])))", &[repo_url])
    }

    /// Serves `dir` over HTTP on a free loopback port (Python's `http.server`).
    pub fn serve_dir(&self, dir: &std::path::Path) -> StaticServer {
        let port = crate::process::free_port();
        let mut cmd = Command::new(&self.python);
        cmd.args(["-m", "http.server", "--bind", "127.0.0.1"])
            .arg(port.to_string())
            .arg("--directory")
            .arg(dir);
        let log = std::env::temp_dir().join(format!("harness-http-{port}.log"));
        let mut process = crate::process::PeerProcess::spawn("http.server", cmd, &log);
        process.wait_ready("http.server to accept connections", |_| {
            crate::process::tcp_connects(port)
        });
        StaticServer {
            url: format!("http://127.0.0.1:{port}"),
            _process: process,
        }
    }
}

/// A static file server owned by one test, stopped when dropped.
#[derive(Debug)]
pub struct StaticServer {
    pub url: String,
    _process: crate::process::PeerProcess,
}
