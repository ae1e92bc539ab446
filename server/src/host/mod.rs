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
//!   bad flag), single-flight reads, and the locks mutations hold ([`LockKey`]).
//!
//! # Reads and writes
//!
//! A command that changes the host can only run through [`Locked`], the guard of the lock of what
//! it changes (an app, a service, the SSH keys), and only if it names what the lock covers. Reads
//! go through [`Host::query`] or [`Host::read`], which refuse a command that is not read-only
//! ([`is_read_only`]). The deploys of background jobs have their own door, [`Host::run_deploy`].
//! A mutation that skips its lock is therefore refused before it reaches Dokku (and fails every
//! test that exercises it), and single-flight reads stay read-your-writes.
//! * [`parse`]: typed parsers for every output the server reads, tested on literal Dokku output.
//!
//! # Supported Dokku versions
//!
//! 0.34.0 and newer ([`version::MINIMUM`]); an older host is refused at start. Commands use the
//! JSON form where the host has it and the documented fallback where it does not
//! (`docs/dokku-commands.md`, "Versions"): `apps:list`/`ps:scale` JSON from 0.38.21, `plugin:list` JSON from 0.38.22,
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
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

pub use command::DokkuCommand;
pub use error::HostError;
pub use exec::{Executor, Output};
pub use version::DokkuVersion;

use crate::ids::{AppName, ServiceRef};

/// A Dokku host: where commands run, and what it supports.
pub struct Host {
    executor: Arc<dyn Executor>,
    /// The login for root-only commands, if configured.
    root: Option<Arc<dyn Executor>>,
    /// What to configure when a root-only command cannot run as root (see [`HostError::NoRootLogin`]).
    root_fix: String,
    version: DokkuVersion,
    locks: Mutex<HashMap<LockKey, Arc<tokio::sync::Mutex<()>>>>,
    /// Read calls in flight, by read generation and argv (see [`Host::query`]).
    flights: Mutex<HashMap<FlightKey, Arc<tokio::sync::OnceCell<Output>>>>,
    /// Bumped whenever a mutation starts or ends.
    generation: AtomicU64,
    /// Dokku commands run so far (for metrics and the benchmark).
    commands_run: AtomicU64,
    /// When the host last answered a reachability check, and whether it did.
    last_check: tokio::sync::Mutex<Option<(std::time::Instant, bool)>>,
}

/// A read in flight: the read generation it started in, and its argv.
type FlightKey = (u64, Vec<String>);

/// How long a reachability answer is reused, so health probes cost at most one Dokku call per
/// period however often they come.
const CHECK_PERIOD: std::time::Duration = std::time::Duration::from_secs(10);

/// What a mutation holds while it changes Dokku's state. Dokku's property and ENV writes are
/// unlocked read-modify-write, a service's link list is a file rewritten in place, and
/// sshcommand edits `authorized_keys` the same way: two changes of one of these at once can lose
/// one. So mutations of one thing run one at a time in this process.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LockKey {
    /// An app's settings, environment and lifecycle.
    App(AppName),
    /// A service of a datastore plugin (its creation, destruction and link list).
    Service(ServiceRef),
    /// The host's `authorized_keys`.
    SshKeys,
}

impl LockKey {
    /// Whether a command is one this key allows: it names the app (every app command takes it
    /// as an argument), runs the service's datastore plugin on the service, or is an `ssh-keys`
    /// command.
    fn covers(&self, cmd: &DokkuCommand) -> bool {
        let argv = cmd.argv();
        match self {
            LockKey::App(app) => argv.contains(&app.as_str()),
            LockKey::Service(service) => {
                cmd.subcommand().starts_with(&format!("{}:", service.datastore))
                    && argv.contains(&service.name.as_str())
            }
            LockKey::SshKeys => cmd.subcommand().starts_with("ssh-keys:"),
        }
    }
}

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
            locks: Mutex::new(HashMap::new()),
            commands_run: AtomicU64::new(0),
            flights: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
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

    /// Runs a command whatever it does; the public ways in are [`Host::query`], [`Host::read`],
    /// [`Locked::run`] and [`Host::run_deploy`], which check what kind of command they get.
    ///
    /// A root-only command goes to the root login; when there is none, or the host refuses to
    /// run it as root (Dokku's "must be run as root", or sudo's refusal), the error is
    /// [`HostError::NoRootLogin`] saying what to configure, never the client's mistake.
    async fn execute(&self, cmd: &DokkuCommand) -> Result<Output, HostError> {
        self.commands_run.fetch_add(1, Ordering::Relaxed);
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

    /// How many Dokku commands this host has run for operations, jobs and the setup checks of
    /// `/health` (a few at start and every 10 minutes); the reachability check is not counted.
    pub fn commands_run(&self) -> u64 {
        self.commands_run.load(Ordering::Relaxed)
    }

    /// Runs a read-only command and reads its stdout with `parse`; a non-zero exit is an error of
    /// the kind its status says, and output the parser cannot read is a [`HostError::Parse`]
    /// naming the command.
    pub async fn query<T, E>(
        &self,
        cmd: &DokkuCommand,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, HostError>
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let out = check_status(cmd, self.read(cmd).await?)?;
        parse(&out.stdout).map_err(|e| HostError::unreadable(cmd, e))
    }

    /// Runs a read-only command and returns its output whatever the exit status (for commands
    /// whose non-zero exit is an answer: `<datastore>:linked`, `ssh-keys:list` on an empty
    /// host, ...).
    ///
    /// Single flight: concurrent identical reads share one Dokku invocation. Nothing is cached
    /// in time: a read joins only a call already in flight, and never one that started before a
    /// mutation began or ended (see [`Locked`]), so a client reads its own writes. A failed call
    /// is not shared; each waiter then runs its own.
    pub async fn read(&self, cmd: &DokkuCommand) -> Result<Output, HostError> {
        if !is_read_only(cmd) {
            return Err(HostError::Misuse {
                command: cmd.to_string(),
                why: "a command that changes the host must run under its lock",
            });
        }
        if cmd.stdin_data().is_some() || cmd.needs_root() {
            return self.execute(cmd).await;
        }
        let key = (
            self.generation.load(Ordering::Acquire),
            cmd.argv().iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        );
        let cell = {
            let mut flights = self.flights.lock().expect("the flight table is never poisoned");
            flights.entry(key.clone()).or_default().clone()
        };
        let result = cell.get_or_try_init(|| self.execute(cmd)).await.cloned();
        {
            let mut flights = self.flights.lock().expect("the flight table is never poisoned");
            if flights.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                flights.remove(&key);
            }
        }
        result
    }

    /// Runs a deploy (`ps:restart`, `ps:rebuild`) for a background job, whatever its exit
    /// status. Deploys take no lock here: they change no stored setting (Dokku's own deploy lock
    /// keeps two builds of one app apart), and holding an app's lock through a multi-minute build
    /// would make every write to the app wait for it.
    pub async fn run_deploy(&self, cmd: &DokkuCommand) -> Result<Output, HostError> {
        if !matches!(cmd.subcommand(), "ps:restart" | "ps:rebuild") {
            return Err(HostError::Misuse {
                command: cmd.to_string(),
                why: "only ps:restart and ps:rebuild run as deploys",
            });
        }
        self.execute(cmd).await
    }

    /// Takes the lock of what a mutation changes; see [`LockKey`]. Reads do not take it.
    pub async fn lock(&self, key: LockKey) -> Locked<'_> {
        self.lock_all(vec![key]).await
    }

    /// Takes several locks, always in the same order, so two requests that need the same pair
    /// cannot wait for each other.
    pub async fn lock_all(&self, mut keys: Vec<LockKey>) -> Locked<'_> {
        keys.sort();
        keys.dedup();
        let mut guards = Vec::with_capacity(keys.len());
        for key in &keys {
            let lock = {
                let mut locks = self.locks.lock().expect("the lock table is never poisoned");
                locks.entry(key.clone()).or_default().clone()
            };
            guards.push(lock.lock_owned().await);
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
        Locked { host: self, keys, guards }
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

    /// Runs a shell command line through the root login (for `doctor`'s read-only probes:
    /// `id -u`, `date +%s`, `sudo -n -l ...`). `None` when there is no root login with a shell
    /// (none configured, or a local root command). Never for anything that changes the host.
    pub(crate) async fn root_shell(&self, script: &str) -> Option<Result<Output, HostError>> {
        self.root.as_ref()?.run_shell(script).await
    }

    /// Closes connections (at shutdown).
    pub async fn close(&self) {
        self.executor.close().await;
        if let Some(root) = &self.root {
            root.close().await;
        }
    }
}

/// Held mutation locks: the only way to run a command that changes the host. Taking them and
/// letting them go both start a new read generation, so no read that began before or during the
/// mutation is shared with one that begins after.
pub struct Locked<'a> {
    host: &'a Host,
    keys: Vec<LockKey>,
    guards: Vec<OwnedMutexGuard<()>>,
}

impl Locked<'_> {
    /// Runs a mutation; a non-zero exit is an error of the kind its status says.
    pub async fn run(&self, cmd: &DokkuCommand) -> Result<Output, HostError> {
        let out = self.run_raw(cmd).await?;
        check_status(cmd, out)
    }

    /// Runs a mutation and returns its output whatever the exit status (for commands whose
    /// failure the caller tells apart: "already exists", "not locked", ...).
    pub async fn run_raw(&self, cmd: &DokkuCommand) -> Result<Output, HostError> {
        if !self.keys.iter().any(|k| k.covers(cmd)) {
            return Err(HostError::Misuse {
                command: cmd.to_string(),
                why: "the command changes something whose lock is not held",
            });
        }
        self.host.execute(cmd).await
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        self.host.generation.fetch_add(1, Ordering::AcqRel);
        let mut locks = self.host.locks.lock().expect("the lock table is never poisoned");
        for (key, guard) in self.keys.iter().zip(self.guards.drain(..)) {
            drop(guard);
            // The table keeps an entry only while someone holds or waits for it.
            if locks.get(key).is_some_and(|lock| Arc::strong_count(lock) == 1) {
                locks.remove(key);
            }
        }
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

/// Whether a command only reads: reports, listings, `info`/`exists`/`linked` probes, the
/// version, the exported environment, `ps:scale` without counts, and `nginx:validate-config`
/// without `--clean` (which deletes the files nginx refuses).
pub fn is_read_only(cmd: &DokkuCommand) -> bool {
    const READ_SUFFIXES: [&str; 7] =
        [":report", ":list", ":info", ":exists", ":linked", ":app-links", ":links"];
    let sub = cmd.subcommand();
    READ_SUFFIXES.iter().any(|s| sub.ends_with(s))
        || matches!(sub, "version" | "config:export" | "config:get" | "apps:locked")
        || (sub == "ps:scale"
            && !cmd.argv().iter().any(|a| a.contains('=') || *a == "--skip-deploy"))
        || (sub == "nginx:validate-config" && !cmd.argv().contains(&"--clean"))
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

/// Maps an exit status to the error it means (`docs/dokku-commands.md`, "Running a command").
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

    fn app(name: &str) -> LockKey {
        LockKey::App(AppName::parse(name).unwrap())
    }

    #[tokio::test]
    async fn mutations_of_one_app_are_serialized_and_other_apps_are_not() {
        let (host, _sim, _dir) = slow_sim_host(0).await;
        let first = host.lock(app("a")).await;
        // Another app is not held up by it.
        let other = tokio::time::timeout(std::time::Duration::from_secs(1), host.lock(app("b")));
        assert!(other.await.is_ok());
        // The same app waits until the first holder lets go.
        let waiter = {
            let host = host.clone();
            tokio::spawn(async move {
                let _guard = host.lock(app("a")).await;
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(first);
        tokio::time::timeout(std::time::Duration::from_secs(1), waiter).await.unwrap().unwrap();
        // Nobody holds or waits for a lock any more: the table is empty again.
        assert!(host.locks.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn writes_need_the_lock_of_what_they_change_and_reads_must_be_reads() {
        let (host, sim, _dir) = slow_sim_host(0).await;
        sim.run(&["apps:create", "a"], None);
        sim.run(&["apps:create", "b"], None);
        let lock = host.lock(app("a")).await;
        let misuse = |r: Result<Output, HostError>| matches!(r, Err(HostError::Misuse { .. }));
        assert!(misuse(lock.run(&DokkuCommand::new("apps:lock").arg("b")).await));
        assert!(lock.run(&DokkuCommand::new("apps:lock").arg("a")).await.is_ok());
        assert!(misuse(lock.run(&DokkuCommand::new("ssh-keys:remove").arg("x")).await));
        drop(lock);
        assert!(misuse(host.read(&DokkuCommand::new("apps:destroy").arg("a")).await));
        let scale_write = DokkuCommand::new("ps:scale").with_args(["--skip-deploy", "a", "web=1"]);
        assert!(misuse(host.read(&scale_write).await));
        let clean = DokkuCommand::new("nginx:validate-config").with_args(["a", "--clean"]);
        assert!(misuse(host.read(&clean).await));
        assert!(host.read(&DokkuCommand::new("nginx:validate-config")).await.is_ok());
        assert!(misuse(host.run_deploy(&DokkuCommand::new("config:unset").arg("a")).await));
        assert!(host.read(&DokkuCommand::new("apps:report").arg("a")).await.is_ok());
        let keys = host.lock(LockKey::SshKeys).await;
        assert!(misuse(keys.run(&DokkuCommand::new("apps:destroy").arg("a")).await));
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
            // A new app on a host without a global domain has vhosts off: NO_VHOST=1.
            let env = r.unwrap().unwrap();
            assert_eq!(env.into_iter().collect::<Vec<_>>(), [("NO_VHOST".into(), "1".into())]);
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
            let _lock = host.lock(app("a")).await;
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
