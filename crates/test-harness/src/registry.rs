//! A real OCI registry (Debian's `docker-registry`) on a free loopback port,
//! storing blobs in a temporary folder, with its access log kept for counting
//! requests.

use std::process::Command;

use tempfile::TempDir;

use crate::process::{PeerProcess, find_program, free_port, tcp_exchange};

/// A running registry owned by one test.
#[derive(Debug)]
pub struct RegistryServer {
    port: u16,
    process: PeerProcess,
    _dir: TempDir,
}

impl RegistryServer {
    /// Starts an anonymous registry and waits until `GET /v2/` answers 200.
    pub fn start() -> Self {
        let program = find_program(
            "docker-registry",
            &["/usr/bin/docker-registry"],
            "apt-get install docker-registry",
        );
        let dir = tempfile::Builder::new()
            .prefix("harness-registry-")
            .tempdir()
            .expect("tempdir");
        let port = free_port();
        let config = format!(
            "version: 0.1\n\
             log:\n  level: info\n  accesslog:\n    disabled: false\n\
             storage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n",
            root = dir.path().join("storage").display(),
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write registry config");
        let mut cmd = Command::new(program);
        cmd.arg("serve").arg(&config_path);
        let mut process =
            PeerProcess::spawn("docker-registry", cmd, &dir.path().join("registry.log"));
        process.wait_ready("the registry to answer GET /v2/", |_| {
            let request =
                format!("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
            tcp_exchange(port, request.as_bytes()).is_some_and(|r| r.starts_with("HTTP/1.1 200"))
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

    /// `127.0.0.1:PORT`, the registry host part of image references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Everything the registry logged, access lines included.
    pub fn log(&self) -> String {
        self.process.log()
    }
}
