//! A real OCI registry (Debian's `docker-registry`) on a free loopback port,
//! storing blobs in a temporary folder, optionally behind htpasswd Basic auth, with
//! its access log kept for counting requests.

use std::process::Command;

use tempfile::TempDir;

use crate::process::{PeerProcess, find_program, free_port, tcp_exchange};

/// A running registry owned by one test.
#[derive(Debug)]
pub struct RegistryServer {
    port: u16,
    process: PeerProcess,
    credentials: Option<(String, String)>,
    _dir: TempDir,
}

/// One line of the registry's access log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessLine {
    pub method: String,
    /// The request URI: path and query.
    pub uri: String,
    pub status: u16,
    pub user_agent: String,
}

impl AccessLine {
    /// Parses the combined-log line docker-registry writes per request:
    /// `127.0.0.1 - - [date] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"`.
    pub fn parse(line: &str) -> Option<Self> {
        let (_, rest) = line.split_once("] \"")?;
        let (request, rest) = rest.split_once('"')?;
        let mut parts = request.split(' ');
        let method = parts.next()?.to_owned();
        let uri = parts.next()?.to_owned();
        let status = rest.split_whitespace().next()?.parse().ok()?;
        // The last quoted field is the user agent.
        let user_agent = rest
            .trim_end()
            .strip_suffix('"')
            .and_then(|r| r.rsplit_once('"'))
            .map(|(_, ua)| ua.to_owned())
            .unwrap_or_default();
        Some(Self {
            method,
            uri,
            status,
            user_agent,
        })
    }
}

impl RegistryServer {
    /// Starts an anonymous registry and waits until `GET /v2/` answers 200.
    pub fn start() -> Self {
        Self::start_with_auth(None)
    }

    /// Starts a registry that wants `user`/`password` (htpasswd, bcrypt) for everything.
    pub fn start_with_htpasswd(user: &str, password: &str) -> Self {
        Self::start_with_auth(Some((user.to_owned(), password.to_owned())))
    }

    fn start_with_auth(credentials: Option<(String, String)>) -> Self {
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
        let auth = match &credentials {
            Some((user, password)) => {
                // The lowest bcrypt cost: the registry checks it on every request.
                let hash = bcrypt::hash_with_result(password, 4)
                    .expect("bcrypt")
                    .format_for_version(bcrypt::Version::TwoY);
                let path = dir.path().join("htpasswd");
                std::fs::write(&path, format!("{user}:{hash}\n")).expect("write htpasswd");
                format!(
                    "auth:\n  htpasswd:\n    realm: harness\n    path: {}\n",
                    path.display()
                )
            }
            None => String::new(),
        };
        let config = format!(
            "version: 0.1\n\
             log:\n  level: info\n  accesslog:\n    disabled: false\n\
             storage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n\
             http:\n  addr: 127.0.0.1:{port}\n{auth}",
            root = dir.path().join("storage").display(),
        );
        let config_path = dir.path().join("config.yml");
        std::fs::write(&config_path, config).expect("write registry config");
        let mut cmd = Command::new(program);
        cmd.arg("serve").arg(&config_path);
        let mut process =
            PeerProcess::spawn("docker-registry", cmd, &dir.path().join("registry.log"));
        let ready = if credentials.is_some() {
            "HTTP/1.1 401"
        } else {
            "HTTP/1.1 200"
        };
        process.wait_ready("the registry to answer GET /v2/", |_| {
            let request =
                format!("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
            tcp_exchange(port, request.as_bytes()).is_some_and(|r| r.starts_with(ready))
        });
        Self {
            port,
            process,
            credentials,
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

    /// The htpasswd user and password, when the registry wants them.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()))
    }

    /// Everything the registry logged, access lines included.
    pub fn log(&self) -> String {
        self.process.log()
    }

    /// The access log so far, one entry per request the registry answered.
    pub fn access_log(&self) -> Vec<AccessLine> {
        self.log().lines().filter_map(AccessLine::parse).collect()
    }

    /// How many requests came from a client whose user agent starts with `agent`.
    pub fn requests_from(&self, agent: &str) -> usize {
        self.access_log()
            .iter()
            .filter(|l| l.user_agent.starts_with(agent))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_access_lines() {
        let line = r#"127.0.0.1 - - [23/Nov/2026:16:33:26 +0000] "HEAD /v2/x/manifests/y HTTP/1.1" 404 91 "" "olares-chart-repo/0.1.0""#;
        let got = AccessLine::parse(line).unwrap();
        assert_eq!(got.method, "HEAD");
        assert_eq!(got.uri, "/v2/x/manifests/y");
        assert_eq!(got.status, 404);
        assert_eq!(got.user_agent, "olares-chart-repo/0.1.0");
        assert!(AccessLine::parse(r#"time="x" level=info msg="response completed""#).is_none());
    }
}
