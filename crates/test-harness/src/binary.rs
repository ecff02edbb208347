//! Runs one of our own binaries as a child process (a real `market serve` or
//! `chart-repo serve`) and learns its address from the `listening on` line.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::process::START_TIMEOUT;

/// A running service binary; killed (SIGKILL) on drop if still running.
#[derive(Debug)]
pub struct RunningBinary {
    child: Child,
    stderr: Arc<Mutex<String>>,
    /// `http://ADDR` from the first stdout line.
    pub url: String,
}

impl RunningBinary {
    /// Starts `program args` with `envs` and waits for `listening on http://ADDR`.
    /// Panics with the process's stderr if it exits first.
    pub fn start(program: &Path, args: &[&str], envs: &[(&str, &str)]) -> Self {
        let mut child = Command::new(program)
            .args(args)
            .envs(envs.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    if let Ok(mut s) = sink.lock() {
                        s.push_str(&line);
                        s.push('\n');
                    }
                }
            });
        }
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next().and_then(Result::ok);
            let _ = tx.send(first);
            // Keep draining so the child never blocks on a full pipe.
            lines.for_each(drop);
        });
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(Some(line)) if line.starts_with("listening on http://") => {
                let url = line.trim_start_matches("listening on ").to_owned();
                Self { child, stderr, url }
            }
            other => {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = stderr.lock().map(|s| s.clone()).unwrap_or_default();
                panic!(
                    "{} did not report its address (got {other:?}); stderr:\n{stderr}",
                    program.display()
                );
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` and waits up to `within` for the exit status.
    pub fn stop_with(
        &mut self,
        signal: Signal,
        within: Duration,
    ) -> Option<std::process::ExitStatus> {
        let _ = kill(Pid::from_raw(self.child.id() as i32), signal);
        crate::eventually::wait_until(within, "the service to exit", || {
            self.child.try_wait().map_err(|e| e.to_string())
        })
        .ok()
    }

    /// What the service has written to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for RunningBinary {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `program args` expecting it to refuse to start; returns its stderr after
/// checking that it failed with exactly one line and no panic.
pub fn expect_start_failure(program: &Path, args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "expected a failure, got {}; stderr:\n{stderr}",
        out.status
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "a panic, not a clear error:\n{stderr}"
    );
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    stderr
}

/// Packages the chart folder `dir` with `chart-repo package` (the binary at
/// `chart_repo`) in a temporary folder: the package's file name and bytes.
pub fn package_chart(chart_repo: &Path, dir: &Path) -> (String, Vec<u8>) {
    let out = tempfile::tempdir().expect("tempdir");
    let output = Command::new(chart_repo)
        .arg("package")
        .arg(dir)
        .arg("--destination")
        .arg(out.path())
        .output()
        .expect("run chart-repo package");
    assert!(
        output.status.success(),
        "chart-repo package {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let file = std::fs::read_dir(out.path())
        .expect("the package folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|f| f.ends_with(".tgz"))
        .expect("a package");
    let bytes = std::fs::read(out.path().join(&file)).expect("the package");
    (file, bytes)
}
