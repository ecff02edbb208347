//! A peer process that belongs to one test: started with its output in a log
//! file, stopped by PID on drop (SIGTERM, then SIGKILL after a deadline).

use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::eventually::wait_until;

/// How long a peer may take to become ready.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A free TCP port on 127.0.0.1 (bound, read, released).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// Finds an executable on PATH or at one of `fallbacks`.
pub fn find_program(name: &str, fallbacks: &[&str], install_hint: &str) -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name));
    on_path
        .chain(fallbacks.iter().map(PathBuf::from))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} not found; {install_hint} (`make test` installs it)"))
}

/// A running peer. Dropping it stops the process and waits for it.
#[derive(Debug)]
pub struct PeerProcess {
    name: String,
    child: Child,
    log: PathBuf,
    stop_signal: Signal,
}

impl PeerProcess {
    /// Spawns `cmd` with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, mut cmd: Command, log: &Path) -> Self {
        let out = File::create(log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let err = out.try_clone().expect("clone log handle");
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self {
            name: name.to_owned(),
            child,
            log: log.to_owned(),
            stop_signal: Signal::SIGTERM,
        }
    }

    /// The signal that asks this peer to stop without waiting for its clients
    /// (PostgreSQL's SIGTERM is a "smart" shutdown that waits for every session).
    pub fn with_stop_signal(mut self, signal: Signal) -> Self {
        self.stop_signal = signal;
        self
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the peer has written so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `ready` holds, failing early (with the log) if the process exits.
    pub fn wait_ready(&mut self, what: &str, mut ready: impl FnMut(&Self) -> bool) {
        let result = wait_until(START_TIMEOUT, what, || {
            if let Some(status) = self.child.try_wait().map_err(|e| e.to_string())? {
                return Err(format!(
                    "{} exited with {status} before it was ready",
                    self.name
                ));
            }
            Ok(ready(self).then_some(()))
        });
        if let Err(e) = result {
            panic!("{e}\n--- {} log ---\n{}", self.name, self.log());
        }
    }

    /// Sends `signal` to the process.
    pub fn signal(&self, signal: Signal) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), signal);
    }

    /// Stops the process: its stop signal, then SIGKILL if it has not exited in 10 s.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        self.signal(self.stop_signal);
        let exited = wait_until(Duration::from_secs(10), "exit", || {
            Ok(self.child.try_wait().map_err(|e| e.to_string())?.map(drop))
        });
        if exited.is_err() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends a raw request over TCP and returns what came back (best effort).
pub fn tcp_exchange(port: u16, request: &[u8]) -> Option<String> {
    use std::io::{Read, Write};
    let addr = (Ipv4Addr::LOCALHOST, port).into();
    let mut stream =
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .ok()?;
    stream.write_all(request).ok()?;
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub fn tcp_connects(port: u16) -> bool {
    let addr = (Ipv4Addr::LOCALHOST, port).into();
    std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}
