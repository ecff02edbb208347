//! A real S3 service on a free loopback port: `s3s-fs` (crates.io; `make test` installs
//! it under `~/.cache/olares-market/tools`), an S3 server over a folder, with one access
//! key that every request must be signed with (Signature Version 4).

use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::process::{PeerProcess, find_program, free_port, tcp_exchange};

/// The access key pair the server accepts.
pub const ACCESS_KEY_ID: &str = "harness-access-key";
pub const SECRET_ACCESS_KEY: &str = "harness-secret-key";

/// A running `s3s-fs`; each top folder of [`S3Server::root`] is a bucket.
#[derive(Debug)]
pub struct S3Server {
    port: u16,
    _process: PeerProcess,
    dir: TempDir,
}

impl S3Server {
    /// Starts the server and waits until it answers HTTP.
    pub fn start() -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default();
        let installed = home.join(".cache/olares-market/tools/bin/s3s-fs");
        let program = find_program(
            "s3s-fs",
            &[installed.to_str().unwrap_or_default()],
            "cargo install s3s-fs --features binary",
        );
        let dir = tempfile::Builder::new()
            .prefix("harness-s3-")
            .tempdir()
            .expect("tempdir");
        let root = dir.path().join("data");
        std::fs::create_dir_all(&root).expect("create the S3 root");
        let port = free_port();
        let mut cmd = Command::new(program);
        cmd.args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--access-key",
                ACCESS_KEY_ID,
                "--secret-key",
                SECRET_ACCESS_KEY,
            ])
            .arg(&root)
            .env("RUST_LOG", "s3s_fs=warn,s3s=warn");
        let mut process = PeerProcess::spawn("s3s-fs", cmd, &dir.path().join("s3s-fs.log"));
        process.wait_ready("s3s-fs to answer HTTP", |_| {
            let request =
                format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
            tcp_exchange(port, request.as_bytes()).is_some_and(|r| r.starts_with("HTTP/1.1"))
        });
        Self {
            port,
            _process: process,
            dir,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The folder the buckets live in.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The objects stored in `bucket` under `prefix` (paths relative to the bucket).
    pub fn objects(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let base = self.root().join(bucket);
        let mut out = Vec::new();
        collect(&base, &base.join(prefix), &mut out);
        out.sort();
        out
    }
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(base, &path, out);
        } else if let Ok(rel) = path.strip_prefix(base) {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}
