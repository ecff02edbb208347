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
    _dir: TempDir,
}

impl RedisServer {
    /// Starts a server and waits until it answers PING.
    pub fn start() -> Self {
        let program = find_program(
            "redis-server",
            &["/usr/bin/redis-server"],
            "apt-get install redis-server",
        );
        let dir = tempfile::Builder::new()
            .prefix("harness-redis-")
            .tempdir()
            .expect("tempdir");
        let port = free_port();
        let mut cmd = Command::new(program);
        cmd.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .args(["--protected-mode", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(dir.path());
        let mut process = PeerProcess::spawn("redis-server", cmd, &dir.path().join("redis.log"));
        process.wait_ready("redis-server to answer PING", |_| {
            tcp_exchange(port, b"PING\r\n").is_some_and(|r| r.starts_with("+PONG"))
        });
        Self {
            port,
            process,
            _dir: dir,
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
}
