//! A real `redis-server` on a free loopback port, with no persistence.

use std::process::Command;

use nix::sys::signal::Signal;
use tempfile::TempDir;

use crate::process::{PeerProcess, find_program, free_port, tcp_exchange};

/// A running Redis owned by one test.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    process: PeerProcess,
    persistent: bool,
    dir: TempDir,
}

impl RedisServer {
    /// Starts a server with no persistence and waits until it answers PING.
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// Starts a server that writes every command to its append-only file before
    /// answering (`appendfsync always`), so a [`restart`](Self::restart), even
    /// after SIGKILL, loses nothing it acknowledged.
    pub fn start_persistent() -> Self {
        Self::start_with(true)
    }

    fn start_with(persistent: bool) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("harness-redis-")
            .tempdir()
            .expect("tempdir");
        let port = free_port();
        let process = spawn(port, dir.path(), persistent);
        Self {
            port,
            process,
            persistent,
            dir,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Kills the server abruptly (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        self.process.signal(Signal::SIGKILL);
        self.process.stop();
    }

    /// Kills the server (SIGKILL) and starts it again on the same port and data
    /// folder; returns once it answers PING. Data survives only on a
    /// [`start_persistent`](Self::start_persistent) server.
    pub fn restart(&mut self) {
        self.kill();
        self.process = spawn(self.port, self.dir.path(), self.persistent);
    }
}

fn spawn(port: u16, dir: &std::path::Path, persistent: bool) -> PeerProcess {
    let program = find_program(
        "redis-server",
        &["/usr/bin/redis-server"],
        "apt-get install redis-server",
    );
    let mut cmd = Command::new(program);
    cmd.args([
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
    ]);
    if persistent {
        cmd.args(["--appendonly", "yes", "--appendfsync", "always"]);
    } else {
        cmd.args(["--appendonly", "no"]);
    }
    cmd.args(["--protected-mode", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir);
    let mut process = PeerProcess::spawn("redis-server", cmd, &dir.join("redis.log"));
    process.wait_ready("redis-server to answer PING", |_| {
        tcp_exchange(port, b"PING\r\n").is_some_and(|r| r.starts_with("+PONG"))
    });
    process
}
