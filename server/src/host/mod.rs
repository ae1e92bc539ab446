//! The Dokku host layer: everything the server knows about running Dokku.
//!
//! * [`command`]: a command is a value (argv after `dokku`, optional stdin), with a `Display`
//!   that masks secrets for logs and job records.
//! * [`exec::Executor`]: one trait, three executors. [`local::LocalExecutor`] runs `dokku` on
//!   this machine; [`ssh::SshExecutor`] runs it over one multiplexed OpenSSH connection (its
//!   module docs explain the choice of OpenSSH and how arguments are quoted for Dokku's `xargs`
//!   re-parse); [`simulated::SimExecutor`] runs it on the in-process simulated host.
//! * [`Host`]: an executor plus what we learned about the host (its version), the mapping of
//!   exit statuses to [`HostError`] (20 = app missing, 1 with ` !     msg` = Dokku refused, 2 =
//!   bad flag), and per-app serialization of mutations.
//! * [`parse`]: typed parsers for every output the server reads, tested on literal Dokku output.
//!
//! # Supported Dokku versions
//!
//! 0.34.0 and newer ([`version::MINIMUM`]); an older host is refused at start. Commands use the
//! JSON form where the host has it and the documented fallback where it does not (dokku-host.md
//! §10): `apps:list`/`ps:scale` JSON from 0.38.21, `plugin:list` JSON from 0.38.22,
//! `domains:report` JSON from 0.38.0, `config:import` from 0.37.0, unprefixed report keys from
//! 0.38.8. Plugins: the official datastore plugins, dokku-http-auth and dokku-maintenance.
//!
//! Errors are [`HostError`]; the HTTP status for each kind is chosen outside this layer.

pub mod command;
pub mod error;
pub mod exec;
pub mod local;
pub mod parse;
pub mod setup;
pub mod simulated;
pub mod ssh;
pub mod version;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

pub use command::DokkuCommand;
pub use error::HostError;
pub use exec::{Executor, Output};
pub use version::DokkuVersion;

/// A Dokku host: where commands run, and what it supports.
pub struct Host {
    executor: Arc<dyn Executor>,
    /// The login for root-only commands, if configured.
    root: Option<Arc<dyn Executor>>,
    /// What to configure when a root-only command cannot run as root (see [`HostError::NoRootLogin`]).
    root_fix: String,
    version: DokkuVersion,
    app_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Read calls in flight, by read generation and argv (see [`Host::query`]).
    flights: Mutex<HashMap<FlightKey, Arc<tokio::sync::OnceCell<Output>>>>,
    /// Bumped whenever an app mutation starts or ends.
    generation: std::sync::atomic::AtomicU64,
    /// Dokku commands run so far (for metrics and the benchmark).
    commands_run: std::sync::atomic::AtomicU64,
    /// When the host last answered a reachability check, and whether it did.
    last_check: tokio::sync::Mutex<Option<(std::time::Instant, bool)>>,
}

/// A read in flight: the read generation it started in, and its argv.
type FlightKey = (u64, Vec<String>);

/// How long a reachability answer is reused, so health probes cost at most one Dokku call per
/// period however often they come.
const CHECK_PERIOD: std::time::Duration = std::time::Duration::from_secs(10);

impl Host {
    /// Connects: asks the host for its version and refuses one older than we support.
    pub async fn connect(
        executor: Arc<dyn Executor>,
        root: Option<Arc<dyn Executor>>,
    ) -> Result<Host, HostError> {
        let cmd = DokkuCommand::new("version");
        let out = executor.run(&cmd).await?;
        if !out.success() {
            return Err(HostError::Failed {
                command: cmd.to_string(),
                status: out.status,
                message: failure_message(&out),
            });
        }
        let version = parse::parse_version(&out.stdout).map_err(|source| HostError::Parse {
            command: cmd.to_string(),
            source: source.into(),
        })?;
        if version < version::MINIMUM {
            return Err(HostError::Unsupported {
                found: version.to_string(),
                minimum: version::MINIMUM.to_string(),
            });
        }
        let root_fix = default_root_fix(executor.kind()).to_string();
        Ok(Host {
            executor,
            root,
            root_fix,
            version,
            app_locks: Mutex::new(HashMap::new()),
            commands_run: std::sync::atomic::AtomicU64::new(0),
            flights: Mutex::new(HashMap::new()),
            generation: std::sync::atomic::AtomicU64::new(0),
            last_check: tokio::sync::Mutex::new(Some((std::time::Instant::now(), true))),
        })
    }

    /// Sets what the error for a root-only command that could not run as root tells the operator
    /// to configure (the default names the settings of the host kind).
    pub fn with_root_fix(mut self, fix: impl Into<String>) -> Host {
        self.root_fix = fix.into();
        self
    }

    pub fn version(&self) -> DokkuVersion {
        self.version
    }

    /// `local`, `ssh` or `sim`.
    pub fn kind(&self) -> &'static str {
        self.executor.kind()
    }

    /// Runs a command and returns its output whatever the exit status (for commands whose
    /// non-zero exit is an answer: `apps:locked`, `plugin:installed`, ...).
    ///
    /// A root-only command goes to the root login; when there is none, or the host refuses to
    /// run it as root (Dokku's "must be run as root", or sudo's refusal), the error is
    /// [`HostError::NoRootLogin`] saying what to configure, never the client's mistake.
    pub async fn run_raw(&self, cmd: &DokkuCommand) -> Result<Output, HostError> {
        self.commands_run.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if !cmd.needs_root() {
            return self.executor.run(cmd).await;
        }
        let Some(root) = &self.root else {
            return Err(self.no_root(cmd, "no root login is configured".into()));
        };
        let out = root.run(cmd).await?;
        match root_refusal(&out) {
            Some(reason) => Err(self.no_root(cmd, reason)),
            None => Ok(out),
        }
    }

    fn no_root(&self, cmd: &DokkuCommand, reason: String) -> HostError {
        HostError::NoRootLogin { command: cmd.to_string(), reason, fix: self.root_fix.clone() }
    }

    /// Runs a command; a non-zero exit is an error of the kind its status says.
    pub async fn run(&self, cmd: &DokkuCommand) -> Result<Output, HostError> {
        let out = self.run_raw(cmd).await?;
        check_status(cmd, out)
    }

    /// How many Dokku commands this host has run for operations (health checks not counted).
    pub fn commands_run(&self) -> u64 {
        self.commands_run.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs a read-only command and reads its stdout with `parse`; output the parser cannot read
    /// is a [`HostError::Parse`] naming the command.
    ///
    /// Single flight: concurrent identical reads share one Dokku invocation. Nothing is cached
    /// in time: a read joins only a call already in flight, and never one that started before a
    /// mutation began or ended (see [`AppLock`]), so a client reads its own writes. A failed call
    /// is not shared; each waiter then runs its own.
    pub async fn query<T, E>(
        &self,
        cmd: &DokkuCommand,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, HostError>
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let out = self.run_single_flight(cmd).await?;
        parse(&out.stdout).map_err(|e| HostError::unreadable(cmd, e))
    }

    async fn run_single_flight(&self, cmd: &DokkuCommand) -> Result<Output, HostError> {
        if cmd.stdin_data().is_some() || cmd.needs_root() {
            return self.run(cmd).await;
        }
        let key = (
            self.generation.load(std::sync::atomic::Ordering::Acquire),
            cmd.argv().iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        );
        let cell = {
            let mut flights = self.flights.lock().expect("the flight table is never poisoned");
            flights.entry(key.clone()).or_default().clone()
        };
        let result = cell.get_or_try_init(|| self.run_raw(cmd)).await.cloned();
        {
            let mut flights = self.flights.lock().expect("the flight table is never poisoned");
            if flights.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                flights.remove(&key);
            }
        }
        check_status(cmd, result?)
    }

    /// Holds the app's mutation lock: mutations of one app run one at a time in this process
    /// (Dokku's property and ENV writes are unlocked read-modify-write; dokku-host.md §9.10).
    /// Reads do not take it.
    pub async fn lock_app(&self, app: &str) -> AppLock<'_> {
        let lock = {
            let mut locks = self.app_locks.lock().expect("the app lock table is never poisoned");
            locks.entry(app.to_string()).or_default().clone()
        };
        let guard = lock.lock_owned().await;
        self.generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        AppLock { _guard: guard, generation: &self.generation }
    }

    /// Whether the host answers (`dokku version`), checked at most once per [`CHECK_PERIOD`];
    /// concurrent callers share one check.
    pub async fn reachable(&self) -> bool {
        let mut last = self.last_check.lock().await;
        if let Some((at, ok)) = *last
            && at.elapsed() < CHECK_PERIOD
        {
            return ok;
        }
        let ok = matches!(self.executor.run(&DokkuCommand::new("version")).await, Ok(out) if out.success());
        *last = Some((std::time::Instant::now(), ok));
        ok
    }

    /// Closes connections (at shutdown).
    pub async fn close(&self) {
        self.executor.close().await;
        if let Some(root) = &self.root {
            root.close().await;
        }
    }
}

/// A held app mutation lock. Taking it and letting it go both start a new read generation, so no
/// read that began before or during the mutation is shared with one that begins after.
pub struct AppLock<'a> {
    _guard: OwnedMutexGuard<()>,
    generation: &'a std::sync::atomic::AtomicU64,
}

impl Drop for AppLock<'_> {
    fn drop(&mut self) {
        self.generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// What to configure so that root-only commands run as root, by host kind.
fn default_root_fix(kind: &str) -> &'static str {
    match kind {
        "ssh" => {
            "set host.ssh.root_user (a login that runs dokku as root), or host.ssh.root_sudo = true \
             for a login allowed to run `sudo -n dokku ssh-keys:add|remove`"
        }
        _ => {
            "run the server as root, or set host.root_command (e.g. [\"sudo\", \"-n\", \
             \"/usr/bin/dokku\"]) with a sudoers rule that allows `dokku ssh-keys:add` and \
             `dokku ssh-keys:remove` (see the README)"
        }
    }
}

/// Why a root-only command did not run as root, when that is what its failure says: Dokku's own
/// ` !     This command must be run as root`, or sudo refusing (`sudo: a password is required`,
/// `Sorry, user dokku is not allowed to execute ...`).
fn root_refusal(out: &Output) -> Option<String> {
    if out.success() {
        return None;
    }
    if parse::parse_stderr(&out.stderr).known_failure() == Some(parse::KnownFailure::NotRoot) {
        return Some("Dokku said: This command must be run as root".into());
    }
    out.stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .filter(|l| l.starts_with("sudo: ") || l.starts_with("Sorry, user "))
        .map(|l| format!("sudo refused: {l}"))
}

/// Maps an exit status to the error it means (dokku-host.md §2.5).
pub fn check_status(cmd: &DokkuCommand, out: Output) -> Result<Output, HostError> {
    match out.status {
        0 => Ok(out),
        20 => Err(HostError::AppNotFound { message: failure_message(&out) }),
        1 => Err(HostError::Refused {
            command: cmd.to_string(),
            status: 1,
            message: failure_message(&out),
        }),
        2 => Err(HostError::BadFlag { command: cmd.to_string(), message: failure_message(&out) }),
        status => Err(HostError::Failed {
            command: cmd.to_string(),
            status,
            message: failure_message(&out),
        }),
    }
}

/// What Dokku said when it failed: its ` !     ` messages (prefix stripped, joined with `; `),
/// else the first other stderr line, else the last line of stdout (commands that merge stderr
/// into stdout, like `ps:rebuild`).
pub fn failure_message(out: &Output) -> String {
    parse::parse_stderr(&out.stderr)
        .summary()
        .or_else(|| {
            let stdout = parse::strip_ansi(&out.stdout);
            stdout.lines().rev().map(str::trim).find(|l| !l.is_empty()).map(String::from)
        })
        .unwrap_or_else(|| "no output".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(status: i32, stdout: &str, stderr: &str) -> Output {
        Output { status, stdout: stdout.into(), stderr: stderr.into() }
    }

    #[test]
    fn exit_statuses_map_to_error_kinds() {
        let cmd = DokkuCommand::new("apps:report").arg("x");
        let e = check_status(&cmd, out(20, "", " !     App x does not exist\n")).unwrap_err();
        assert!(
            matches!(&e, HostError::AppNotFound { message } if message == "App x does not exist")
        );
        let e = check_status(&cmd, out(1, "", " !     Name is already taken\n")).unwrap_err();
        assert!(
            matches!(&e, HostError::Refused { message, .. } if message == "Name is already taken")
        );
        let e = check_status(&cmd, out(2, "", "unknown flag: --format\nUsage: ...\n")).unwrap_err();
        assert!(matches!(&e, HostError::BadFlag { .. }));
        assert!(check_status(&cmd, out(0, "ok", "")).is_ok());
    }

    #[tokio::test]
    async fn mutations_of_one_app_are_serialized_and_other_apps_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let sim = dokku_sim::SimHost::open(dir.path(), dokku_sim::SimOptions::default()).unwrap();
        let executor =
            Arc::new(simulated::SimExecutor::new(Arc::new(sim), std::time::Duration::ZERO));
        let host = Arc::new(Host::connect(executor, None).await.unwrap());
        let first = host.lock_app("a").await;
        // Another app is not held up by it.
        let other =
            tokio::time::timeout(std::time::Duration::from_secs(1), host.lock_app("b")).await;
        assert!(other.is_ok());
        // The same app waits until the first holder lets go.
        let waiter = {
            let host = host.clone();
            tokio::spawn(async move {
                let _guard = host.lock_app("a").await;
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(first);
        tokio::time::timeout(std::time::Duration::from_secs(1), waiter).await.unwrap().unwrap();
    }

    async fn slow_sim_host(
        latency_ms: u64,
    ) -> (Arc<Host>, Arc<dokku_sim::SimHost>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let sim = Arc::new(
            dokku_sim::SimHost::open(dir.path(), dokku_sim::SimOptions::default()).unwrap(),
        );
        let latency = std::time::Duration::from_millis(latency_ms);
        let executor = Arc::new(simulated::SimExecutor::new(sim.clone(), latency));
        (Arc::new(Host::connect(executor, None).await.unwrap()), sim, dir)
    }

    #[tokio::test]
    async fn concurrent_identical_reads_share_one_invocation() {
        let (host, sim, _dir) = slow_sim_host(200).await;
        sim.run(&["apps:create", "a"], None);
        let before = host.commands_run();
        let read = DokkuCommand::new("config:export").with_args(["--format", "json", "a"]);
        let reads = (0..10).map(|_| {
            let (host, read) = (host.clone(), read.clone());
            tokio::spawn(async move { host.query(&read, parse::parse_config_export_json).await })
        });
        for r in futures::future::join_all(reads).await {
            assert!(r.unwrap().unwrap().is_empty());
        }
        assert_eq!(host.commands_run() - before, 1, "ten concurrent reads, one Dokku call");
        // Nothing is cached: the next read runs again.
        host.query(&read, parse::parse_config_export_json).await.unwrap();
        assert_eq!(host.commands_run() - before, 2);
    }

    #[tokio::test]
    async fn a_read_after_a_write_never_joins_an_older_read() {
        let (host, sim, _dir) = slow_sim_host(300).await;
        sim.run(&["apps:create", "a"], None);
        let read = DokkuCommand::new("config:export").with_args(["--format", "json", "a"]);
        let before = host.commands_run();
        let early = {
            let (host, read) = (host.clone(), read.clone());
            tokio::spawn(async move { host.query(&read, parse::parse_config_export_json).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        {
            let _lock = host.lock_app("a").await;
            sim.run(&["config:set", "--no-restart", "a", "K=v"], None);
        }
        // Started after the write: must see it, though the early read is still in flight.
        let late = host.query(&read, parse::parse_config_export_json).await.unwrap();
        assert_eq!(late.get("K").map(String::as_str), Some("v"));
        early.await.unwrap().unwrap();
        assert_eq!(host.commands_run() - before, 2, "the late read ran its own call");
    }

    #[test]
    fn failure_messages_strip_the_prefix_and_join_lines() {
        let o = out(
            1,
            "",
            " !     node-js-app currently has a deploy lock in place. Exiting...\n !     Run 'apps:unlock' to release the existing deploy lock\n",
        );
        assert_eq!(
            failure_message(&o),
            "node-js-app currently has a deploy lock in place. Exiting...; Run 'apps:unlock' to release the existing deploy lock"
        );
        // Build output merged into stdout (ps:rebuild): the last line tells what happened.
        assert_eq!(failure_message(&out(1, "-----> Building\nfailed here\n", "")), "failed here");
        assert_eq!(failure_message(&out(1, "", "")), "no output");
    }
}
