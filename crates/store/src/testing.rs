//! Test helpers (feature `testing`): throwaway PostgreSQL servers and SQLite
//! URLs, for the tests of this crate and of crates that use it.
//!
//! A [`PgServer`] is a private cluster made with the installed `initdb` in a
//! temporary directory, listening on 127.0.0.1 on a free port, with `fsync`
//! off. It never touches a server already running on the machine. Dropping
//! it stops the server (`pg_ctl stop -m immediate`) and deletes its files.
//! When the tests run as root, `initdb` and `pg_ctl` run as the `postgres`
//! user, since PostgreSQL refuses to run as root.
//!
//! ```ignore
//! let server = store::testing::shared_postgres().await?;
//! let url = server.fresh_database().await?;
//! let store = store::Store::open(&url, Default::default()).await?;
//! ```

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use anyhow::{Context, bail};
use sqlx::{AssertSqlSafe, Connection};
use tempfile::TempDir;

/// Set to `1` to skip PostgreSQL tests on a machine without PostgreSQL.
pub const SKIP_PG_ENV: &str = "TERTULIA_SKIP_PG";

/// Set to a directory holding `initdb` and `pg_ctl` to use those.
pub const PG_BIN_ENV: &str = "TERTULIA_PG_BIN";

/// Whether PostgreSQL tests should be skipped (`TERTULIA_SKIP_PG=1`).
pub fn postgres_skipped() -> bool {
    std::env::var(SKIP_PG_ENV).is_ok_and(|v| v == "1")
}

/// A `sqlite://` URL for a database file at `path`.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// A running throwaway PostgreSQL server; stopped and deleted on drop.
#[derive(Debug)]
pub struct PgServer {
    bin: PathBuf,
    as_postgres_user: bool,
    port: u16,
    url: String,
    /// Whether `pg_ctl start` succeeded, so there is a server to stop.
    running: bool,
    /// Holds `data/`, `sock/` and `log`; deleted after the server stops.
    dir: TempDir,
}

/// Database names must differ across servers of one process too.
static NEXT_DATABASE: AtomicU64 = AtomicU64::new(0);

impl PgServer {
    /// URL of the database `tertulia` that [`throwaway_postgres`] created.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Creates a new, empty database and returns its URL, so tests sharing a
    /// server do not see each other's tables.
    pub async fn fresh_database(&self) -> anyhow::Result<String> {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
        );
        self.create_database(&name).await
    }

    async fn create_database(&self, name: &str) -> anyhow::Result<String> {
        let mut admin = sqlx::PgConnection::connect(&self.database_url("postgres"))
            .await
            .context("connecting to the throwaway PostgreSQL server")?;
        // `name` is made above from digits and letters only.
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .with_context(|| format!("CREATE DATABASE {name}"))?;
        admin.close().await?;
        Ok(self.database_url(name))
    }

    fn database_url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if self.running && !self.stop() {
            eprintln!(
                "warning: could not stop the throwaway PostgreSQL server in {}",
                self.dir.path().display()
            );
        }
    }
}

impl PgServer {
    /// `pg_ctl stop -m immediate`: the data is thrown away, so no checkpoint.
    fn stop(&self) -> bool {
        pg_command(&self.bin, "pg_ctl", self.as_postgres_user)
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

/// Starts a new PostgreSQL server and creates the database `tertulia` in it
/// ([`PgServer::url`]). Fails with instructions if PostgreSQL is not
/// installed.
pub async fn throwaway_postgres() -> anyhow::Result<PgServer> {
    let bin = find_postgres_bin().with_context(|| {
        format!(
            "no PostgreSQL server binaries (initdb and pg_ctl) in ${PG_BIN_ENV}, PATH, /usr/local/bin \
             or /usr/lib/postgresql/*/bin: install PostgreSQL (apt-get install postgresql) or set \
             {SKIP_PG_ENV}=1 to skip the PostgreSQL tests"
        )
    })?;
    let as_postgres_user = running_as_root();
    let dir = tempfile::Builder::new().prefix("tertulia-pg-").tempdir()?;
    std::fs::create_dir(dir.path().join("sock"))?;
    if as_postgres_user {
        // The server runs as `postgres` and must own its directories.
        let chown = std::process::Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(dir.path())
            .status()?;
        if !chown.success() {
            bail!(
                "running as root, but cannot hand {} to the postgres user",
                dir.path().display()
            );
        }
    }

    let initdb = tokio::process::Command::from({
        let mut c = pg_command(&bin, "initdb", as_postgres_user);
        c.arg("-D").arg(dir.path().join("data"));
        c.args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ]);
        c
    })
    .stdin(Stdio::null())
    .output()
    .await
    .context("running initdb")?;
    if !initdb.status.success() {
        bail!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&initdb.stdout),
            String::from_utf8_lossy(&initdb.stderr)
        );
    }

    let mut server = PgServer {
        bin,
        as_postgres_user,
        port: 0,
        url: String::new(),
        running: false,
        dir,
    };
    // Another process may take the free port before the server binds it;
    // then try another.
    let mut last_error = String::new();
    for _ in 0..3 {
        server.port = free_port()?;
        if start(&server).await? {
            server.running = true;
            server.url = server.create_database("tertulia").await?;
            return Ok(server);
        }
        last_error = server.log_tail();
        // A start that timed out may still have left a server running.
        server.stop();
    }
    bail!("pg_ctl could not start PostgreSQL; server log:\n{last_error}")
}

/// One server shared by every caller while any of them holds it; the last
/// drop stops it. Tests running in parallel start one server, not one each.
pub async fn shared_postgres() -> anyhow::Result<Arc<PgServer>> {
    static SHARED: tokio::sync::Mutex<Weak<PgServer>> = tokio::sync::Mutex::const_new(Weak::new());
    let mut shared = SHARED.lock().await;
    if let Some(server) = shared.upgrade() {
        return Ok(server);
    }
    let server = Arc::new(throwaway_postgres().await?);
    *shared = Arc::downgrade(&server);
    Ok(server)
}

async fn start(server: &PgServer) -> anyhow::Result<bool> {
    let dir = server.dir.path();
    let options = format!(
        "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
        server.port,
        dir.join("sock").display()
    );
    // With `-l` the server's output goes to the log, not to our pipes; ours
    // go to /dev/null so nothing can keep a pipe open after pg_ctl exits.
    let status = tokio::process::Command::from({
        let mut c = pg_command(&server.bin, "pg_ctl", server.as_postgres_user);
        c.arg("-D")
            .arg(dir.join("data"))
            .arg("-l")
            .arg(dir.join("log"));
        c.args(["-w", "-t", "60", "-o", &options, "start"]);
        c
    })
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .status()
    .await
    .context("running pg_ctl start")?;
    Ok(status.success())
}

/// A command running `dir/program`, as the `postgres` user when asked.
fn pg_command(dir: &Path, program: &str, as_postgres_user: bool) -> std::process::Command {
    let program = dir.join(program);
    if as_postgres_user {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        std::process::Command::new(program)
    }
}

/// The first directory holding both `initdb` and `pg_ctl`: `$TERTULIA_PG_BIN`,
/// then PATH, then `/usr/local/bin`, then `/usr/lib/postgresql/<newest>/bin`
/// (Debian keeps them off PATH).
pub fn find_postgres_bin() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os(PG_BIN_ENV) {
        candidates.push(dir.into());
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates.push("/usr/local/bin".into());
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    candidates.extend(versions.into_iter().map(|(_, dir)| dir));
    candidates
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
}

/// Whether the effective user is root, read from `/proc` to stay free of
/// `unsafe` (`geteuid`).
fn running_as_root() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .is_some_and(|euid| euid == "0")
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}
