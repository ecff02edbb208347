//! A real PostgreSQL 15 on a free loopback port.
//!
//! `initdb` runs once per machine into a template folder under /tmp, which each
//! server copies (much faster than a fresh `initdb`). PostgreSQL refuses to run
//! as root, so as root both run as the `postgres` user (initdb through
//! `runuser`; the server with its uid set, so its PID is the postmaster's), and
//! every folder it touches lives under /tmp, owned by `postgres`.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use std::os::unix::fs::chown;

use nix::sys::signal::Signal;
use nix::unistd::{Uid, User};
use tempfile::TempDir;

use crate::process::{PeerProcess, free_port, tcp_connects};

/// A running PostgreSQL owned by one test.
#[derive(Debug)]
pub struct PostgresServer {
    port: u16,
    bin: PathBuf,
    process: PeerProcess,
    user: Option<User>,
    /// How many times the server was started (each start logs to its own file).
    starts: u32,
    dir: TempDir,
}

/// The user the server runs as: `postgres` when we are root, else ourselves.
fn server_user() -> Option<User> {
    if !Uid::effective().is_root() {
        return None;
    }
    let user = User::from_name("postgres").ok().flatten();
    Some(user.unwrap_or_else(|| {
        panic!("running as root, but there is no `postgres` user (apt-get install postgresql)")
    }))
}

/// The newest `/usr/lib/postgresql/N/bin`, or `$PG_BIN`.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("postgres").is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .unwrap_or_else(|| panic!("PostgreSQL not found under /usr/lib/postgresql (apt-get install postgresql; `make test` installs it)"))
}

fn give_to(path: &Path, user: Option<&User>) {
    if let Some(user) = user {
        chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
            .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    }
}

fn as_user(cmd: &mut Command, user: Option<&User>) {
    if let Some(user) = user {
        cmd.uid(user.uid.as_raw()).gid(user.gid.as_raw());
    }
}

/// The initialised data folder every server copies, created once per machine.
fn template(bin: &Path, user: Option<&User>) -> PathBuf {
    let owner = user.map_or(Uid::effective(), |u| u.uid);
    let version = bin
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("x");
    let template = PathBuf::from(format!("/tmp/test-harness-pg{version}-template-{owner}"));
    if template.join("PG_VERSION").is_file() {
        return template;
    }
    // initdb into a private folder, then rename: concurrent tests race safely.
    let scratch = PathBuf::from(format!("{}.{}", template.display(), std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("create template folder");
    give_to(&scratch, user);
    let initdb = bin.join("initdb");
    let mut cmd = match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", &user.name, "--"]).arg(&initdb);
            c
        }
        None => Command::new(&initdb),
    };
    cmd.arg("-D").arg(&scratch).args([
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
        "--locale=C",
    ]);
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run initdb: {e}"));
    assert!(
        out.status.success(),
        "initdb failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if std::fs::rename(&scratch, &template).is_err() {
        // Another test won the race; its template is as good as ours.
        let _ = std::fs::remove_dir_all(&scratch);
    }
    template
}

/// Starts `postgres` over `dir/data` on `port` and waits until it accepts connections.
fn spawn(bin: &Path, dir: &Path, port: u16, user: Option<&User>, start: u32) -> PeerProcess {
    let mut cmd = Command::new(bin.join("postgres"));
    cmd.arg("-D")
        .arg(dir.join("data"))
        .arg("-k")
        .arg(dir)
        .args(["-p", &port.to_string()]);
    for setting in [
        "listen_addresses=127.0.0.1",
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "max_connections=200",
    ] {
        cmd.args(["-c", setting]);
    }
    as_user(&mut cmd, user);
    let log = if start == 0 {
        dir.join("postgres.log")
    } else {
        dir.join(format!("postgres-{start}.log"))
    };
    // SIGINT is PostgreSQL's fast shutdown: it ends open sessions instead of waiting.
    let mut process = PeerProcess::spawn("postgres", cmd, &log).with_stop_signal(Signal::SIGINT);
    process.wait_ready("PostgreSQL to accept connections", |p| {
        p.log()
            .contains("database system is ready to accept connections")
            && tcp_connects(port)
    });
    process
}

impl PostgresServer {
    /// Starts a server and waits until it accepts connections.
    pub fn start() -> Self {
        let bin = bin_dir();
        let user = server_user();
        let template = template(&bin, user.as_ref());
        let dir = tempfile::Builder::new()
            .prefix("harness-pg-")
            .tempdir_in("/tmp")
            .expect("tempdir");
        give_to(dir.path(), user.as_ref());
        let data = dir.path().join("data");
        let status = Command::new("cp")
            .arg("-a")
            .arg(&template)
            .arg(&data)
            .status()
            .expect("run cp");
        assert!(status.success(), "copying the PostgreSQL template failed");
        let port = free_port();
        let process = spawn(&bin, dir.path(), port, user.as_ref(), 0);
        Self {
            port,
            bin,
            process,
            user,
            starts: 1,
            dir,
        }
    }

    /// Stops the server (fast shutdown: open sessions are ended) and waits for its exit.
    /// Clients see PostgreSQL go away, as in a restart or a failover.
    pub fn stop(&mut self) {
        self.process.stop();
    }

    /// Starts the server again on the same port and data folder, after [`Self::stop`];
    /// waits until it accepts connections.
    pub fn start_again(&mut self) {
        self.process.stop();
        self.process = spawn(
            &self.bin,
            self.dir.path(),
            self.port,
            self.user.as_ref(),
            self.starts,
        );
        self.starts += 1;
    }

    /// [`Self::stop`] then [`Self::start_again`].
    pub fn restart(&mut self) {
        self.stop();
        self.start_again();
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// The URL of database `db` as the superuser.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates an empty database and returns its URL.
    pub fn create_database(&self, name: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
            ])
            .args(["-c", &format!("CREATE DATABASE \"{name}\"")])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "CREATE DATABASE {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url(name)
    }
}
