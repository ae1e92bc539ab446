//! dokku-sim: a simulated Dokku host.
//!
//! # What it is
//!
//! A stand-in for a Dokku 0.38.27 host with the official `postgres`, `mysql`, `redis` and `mongo`
//! datastore plugins, `http-auth` and `maintenance` installed, the core builders (dockerfile,
//! herokuish, lambda, nixpacks, null, pack, railpack) and schedulers (docker-local, k3s, null). It
//! takes the argv of `dokku <argv...>` and answers with the stdout, stderr and exit status a real
//! host gives, as Dokku's and the plugins' sources print them: the `-----> ` / `=====> ` /
//! 7-space / ` !     ` line conventions, `--quiet`, exit 20 for a missing app, exit 2 for an
//! unknown flag, the padded report rows, the JSON key shapes and the quirks (`json-list` printing
//! `null`, `apps:unlock` not being idempotent, `resource:limit-clear` wiping everything, a build
//! removing the deploy lock, ...).
//!
//! `tests/recordings/` holds what a real Dokku printed for every command the server runs
//! (`record.sh` there makes them); the fidelity test replays each recording here and fails on
//! any difference, apart from the few it compares narrowly and says why (no Docker on the
//! recording host, a different set of plugins).
//!
//! Nothing runs: no containers, no builds. Deploy, build and restart output is a plausible log,
//! not a recording; clients must not parse it (they must not on a real host either). The proxy
//! is nginx on a systemd host: changes that rebuild an app's proxy config print what nginx-vhosts
//! prints, and a random proxy port is picked for an app without vhosts.
//!
//! # PUBLIC API CONTRACT (the server depends on exactly this; keep these signatures)
//!
//! * `SimOptions` — knobs: the Dokku version claimed.
//! * `SimHost::open(state_dir, options)` — load (or create) the state in `state_dir`; in-process.
//! * `SimHost::run(&self, argv, stdin) -> SimOutcome` — run one `dokku <argv...>` invocation.
//! * `SimHost::invocations()` / `clear_invocations()` — the recent invocations (the last
//!   [`RETAINED_INVOCATIONS`]), for tests that count calls.
//! * `SimHost::inject(Injection)` — failure injection.
//! * `SimHost::mark_deployed(app, process_types)` — what a `git push` would do.
//! * `SimHost::version()`.
//!
//! Additions: [`SimHost::open_shared`] (the standalone binary's mode),
//! [`SimHost::read_invocation_log`], [`CliEnv`] and [`cli_invoke`] (the binary without a process).
//!
//! # The version knob
//!
//! `SimOptions::version` (`DOKKU_SIM_VERSION` for the binary) is parsed as semver; output formats
//! follow it so a server's fallback paths run:
//!
//! | behaviour | from |
//! |---|---|
//! | `apps:list --format json` (before: `unknown flag: --format`, exit 2) | 0.38.21 |
//! | `ps:scale <app> --format json` (before: `unknown flag: --format`, exit 2) | 0.38.21 |
//! | `plugin:list --format json` (before: every argument ignored, the table printed, exit 0) | 0.38.22 |
//! | `apps:report --format json` without an app on a host without apps warns, exit 0 (before, from 0.34.0: fails with "You haven't deployed any applications yet", exit 1) | 0.35.16 |
//! | `domains:report --format json` (before: bash `Invalid flag passed`, exit 1) | 0.38.0 |
//! | domains:report in Go (rows padded to 31, comma-separated flag lists) | 0.38.22 |
//! | `config:import` (before: not a dokku command) | 0.37.0 |
//! | apps/builder/buildpacks/ps/scheduler report JSON: unprefixed keys + legacy `<plugin>-` twins (before: prefixed only); resource: `resource-` twins added, rows gain the word `resource` | 0.38.8 |
//! | `*-global-*` report keys hold the raw stored value (before: the default, e.g. `scheduler-global-selected` = `docker-local`) | 0.38.0 |
//!
//! Versions older than 0.34.0 are accepted (so a server can see and refuse them) but behave like
//! 0.34.0 apart from `dokku version`.
//!
//! # Deployment model
//!
//! Apps are created undeployed. [`SimHost::mark_deployed`] — or the hidden subcommand
//! `sim:deploy <app> [proctype...]` (default `web`), which also prints a build and deploy log —
//! marks an app deployed with a Procfile of those types; new types get scale 0, `web` gets 1
//! unless a scale is already set. From then on `ps:rebuild` and `ps:restart` print their logs
//! (on stdout only, as Dokku's build capture does) and exit 0, `ps:scale` deploys the changed
//! types unless `--skip-deploy`, and config/link changes restart the app unless `--no-restart`.
//! On a never-deployed app `ps:rebuild` fails with the git plugin's "no commits" warning.
//!
//! # State and the standalone binary
//!
//! The state is one JSON document, `<state_dir>/state.json`, written atomically (temp file +
//! rename), so it survives restarts. In-process ([`SimHost::open`]) a mutex serializes commands and
//! the state is read once at open: use one in-process host per directory, and [`open_shared`]
//! hosts (or the binary) when several must share one.
//!
//! [`open_shared`]: SimHost::open_shared
//! The binary (`dokku-sim`, a drop-in `dokku`) may run as many processes at once, so each
//! invocation takes an exclusive lock on `<state_dir>/lock` around load → run → save
//! ([`SimHost::open_shared`]) and appends one JSON line per invocation to
//! `<state_dir>/invocations.jsonl`.
//!
//! The binary reads:
//!
//! * `DOKKU_SIM_STATE_DIR` (required): the state directory.
//! * `DOKKU_SIM_VERSION` (optional, default `0.38.27`).
//! * `DOKKU_SIM_LATENCY_MS` (optional): every invocation takes at least this long, like a slow
//!   host. (In-process, the server's `SimExecutor` adds latency itself, without blocking.)
//! * `DOKKU_SIM_INJECT` (optional): a JSON array of injections, e.g.
//!
//!   ```json
//!   [{"subcommand": "ps:rebuild", "app": "web1", "times": 2, "effect": "deploy_lock"},
//!    {"subcommand": "*", "effect": {"exit": {"status": 1, "stderr": " !     boom\n"}}},
//!    {"subcommand": "apps:list", "effect": "transport_drop"},
//!    {"subcommand": "ps:scale", "effect": {"delay": {"ms": 1500}}}]
//!   ```
//!
//!   `app` is optional (any app), `times` defaults to 1. The list is stored in the state
//!   directory so `times` counts down across processes; it is re-armed whenever the variable's
//!   text changes.
//!
//! It reads stdin only for the commands that consume it (`config:import ... -`, and
//! `ssh-keys:add <name>` without a key file) and only when stdin is not a terminal. A dropped
//! transport prints `ssh: connect to host dokku-sim port 22: Connection refused` and exits 255.
//!
//! # Injections
//!
//! An [`Injection`] matches by subcommand (or `*`) and optionally the app (the first positional
//! argument; the second for `<datastore>:link|unlink|linked`; else `--app`). `DeployLock` is
//! another deploy holding the app's deploy lock: it applies only to builds (`ps:rebuild`,
//! `sim:deploy`), the only commands that take the lock (a restart or a scale never meets it), and
//! prints what Dokku prints then, on stdout (build capture): the two-line failure, then the same
//! again as ps:rebuild re-reports its trigger's error, and exits 1. Arming one for another
//! subcommand is refused (a panic in [`SimHost::inject`], an error in `DOKKU_SIM_INJECT`).
//! `Delay` sleeps without holding the state lock, then answers normally.
//!
//! # Root-only commands
//!
//! `ssh-keys:add`, `ssh-keys:remove` and `plugin:*` need root on a real host. The sim cannot know
//! who calls, so it runs them; every invocation is recorded, so tests can check which were made.

mod apps;
mod builder;
mod buildpacks;
mod cli;
mod config;
mod context;
mod dispatch;
mod domains;
mod flags;
mod http_auth;
mod inject;
mod maintenance;
mod output;
mod plugins;
mod properties;
mod proxy;
mod ps;
mod report;
mod resource;
mod services;
mod ssh_keys;
mod state;
mod version;

use std::collections::VecDeque;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub use cli::{CliEnv, cli_invoke, cli_main};

use crate::context::Ctx;
use crate::output::Out;
use crate::state::State;
use crate::version::DokkuVersion;

/// Knobs of the simulated host.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// The version `dokku version` reports, e.g. "0.38.27". Output formats follow it.
    pub version: String,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions { version: "0.38.27".to_string() }
    }
}

/// What one invocation printed and returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimOutput {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The result of running a command on the simulated host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimOutcome {
    Completed(SimOutput),
    /// An injected transport failure: the command never reached Dokku.
    TransportDropped,
}

/// One recorded invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub argv: Vec<String>,
    pub had_stdin: bool,
    pub status: Option<i32>,
}

/// A failure to inject into matching invocations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injection {
    /// The subcommand it applies to (`ps:rebuild`), or `*` for any.
    pub subcommand: String,
    /// Only for this app (the argument after the subcommand), or any app.
    pub app: Option<String>,
    /// How many matching invocations fail; then the injection is spent.
    pub times: u32,
    pub effect: Effect,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Another deploy holds the app's deploy lock: the build fails with
    /// ` !     <app> currently has a deploy lock in place. Exiting...` (exit 1). Builds only.
    DeployLock,
    /// Exit with this status and stderr.
    Exit { status: i32, stderr: String },
    /// The transport drops before the command runs.
    TransportDrop,
    /// Sleep this long before answering normally.
    Delay(Duration),
}

/// A simulated Dokku host over a state directory. `Send + Sync`: share it behind an `Arc` and
/// call [`SimHost::run`] from blocking threads.
pub struct SimHost {
    dir: PathBuf,
    version: DokkuVersion,
    /// The binary's mode: every invocation reloads and saves under the directory's file lock.
    shared: bool,
    /// `DOKKU_SIM_INJECT`, synced into the state under the lock (binary mode).
    env_injections: Option<String>,
    inner: Mutex<Inner>,
}

struct Inner {
    state: State,
    /// The text last written, so unchanged state is not rewritten.
    saved: String,
    /// The most recent invocations, oldest first, at most [`RETAINED_INVOCATIONS`].
    invocations: VecDeque<Invocation>,
}

/// How many invocations a [`SimHost`] keeps in memory. A long-running `serve --sim` makes
/// millions; tests read a few after [`SimHost::clear_invocations`], so a ring of the latest is
/// enough and keeps memory flat.
pub const RETAINED_INVOCATIONS: usize = 10_000;

/// One line of `invocations.jsonl`.
#[derive(Serialize, Deserialize)]
struct LogLine {
    argv: Vec<String>,
    had_stdin: bool,
    status: Option<i32>,
    /// Unix milliseconds.
    at_ms: u64,
}

impl SimHost {
    /// Opens the host in-process: the state is loaded once (or created) and kept in memory,
    /// saved after every command that changed it.
    pub fn open(state_dir: &Path, options: SimOptions) -> io::Result<SimHost> {
        SimHost::open_mode(state_dir, options, false, None)
    }

    /// Opens the host the way the standalone binary uses it, safe for many processes on one
    /// state directory: every `run` takes the exclusive lock on `<state_dir>/lock`, reloads the
    /// state, runs, saves, and appends to `<state_dir>/invocations.jsonl`.
    pub fn open_shared(state_dir: &Path, options: SimOptions) -> io::Result<SimHost> {
        SimHost::open_mode(state_dir, options, true, None)
    }

    fn open_mode(
        state_dir: &Path,
        options: SimOptions,
        shared: bool,
        env_injections: Option<String>,
    ) -> io::Result<SimHost> {
        let version = DokkuVersion::parse(&options.version)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        fs::create_dir_all(state_dir)?;
        if let Some(text) = &env_injections {
            inject::parse_list(text).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        }
        let state = if shared { State::default() } else { state::load(state_dir)? };
        let saved = if shared { String::new() } else { state::serialize(&state)? };
        Ok(SimHost {
            dir: state_dir.to_path_buf(),
            version,
            shared,
            env_injections,
            inner: Mutex::new(Inner { state, saved, invocations: VecDeque::new() }),
        })
    }

    /// The version this host claims (`dokku version` prints `dokku version <this>`).
    pub fn version(&self) -> String {
        self.version.as_str().to_string()
    }

    /// Runs `dokku <argv...>` (argv without the leading `dokku`); `stdin` is what a pipe would
    /// carry, `None` for a closed stdin.
    pub fn run(&self, argv: &[&str], stdin: Option<&[u8]>) -> SimOutcome {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let line = dispatch::parse(&argv);

        // Injections are consulted (and counted down) first, under the lock; a delay then sleeps
        // without holding it, as a slow real command would not block the others.
        let sub = line.subcommand.clone().unwrap_or_default();
        let app = dispatch::target_app(&line);
        let effect = match self.with_state(|state| Ok(inject::take(state, &sub, app.as_deref()))) {
            Ok(effect) => effect,
            Err(output) => return self.finish(&argv, stdin.is_some(), Some(output)),
        };
        let injected = match effect {
            Some(Effect::TransportDrop) => return self.finish(&argv, stdin.is_some(), None),
            Some(Effect::Delay(duration)) => {
                std::thread::sleep(duration);
                None
            }
            Some(Effect::DeployLock) => {
                let app = app.unwrap_or_default();
                let failure = format!(
                    " !     {app} currently has a deploy lock in place. Exiting...\n !     Run 'apps:unlock' to release the existing deploy lock\n"
                );
                // The trigger's failure, then ps:rebuild's own report of it: ` !     ` and the
                // trigger's output, and a blank line.
                let stdout = format!("{failure} !     {failure}\n");
                Some(SimOutput { status: 1, stdout, stderr: String::new() })
            }
            Some(Effect::Exit { status, stderr }) => {
                Some(SimOutput { status, stdout: String::new(), stderr })
            }
            None => None,
        };
        let output = match injected {
            Some(output) => output,
            None => {
                let now = unix_seconds();
                let version = &self.version;
                match self.with_state(|state| Ok(execute(state, version, &line, stdin, now))) {
                    Ok(output) | Err(output) => output,
                }
            }
        };
        self.finish(&argv, stdin.is_some(), Some(output))
    }

    /// Records the invocation and wraps the outcome.
    fn finish(&self, argv: &[String], had_stdin: bool, output: Option<SimOutput>) -> SimOutcome {
        let invocation = Invocation {
            argv: argv.to_vec(),
            had_stdin,
            status: output.as_ref().map(|o| o.status),
        };
        if self.shared {
            // Best effort: a log that cannot be written must not fail the command.
            let _ = append_log(&self.dir, &invocation);
        }
        let mut inner = self.lock_inner();
        if inner.invocations.len() == RETAINED_INVOCATIONS {
            inner.invocations.pop_front();
        }
        inner.invocations.push_back(invocation);
        drop(inner);
        match output {
            Some(output) => SimOutcome::Completed(output),
            None => SimOutcome::TransportDropped,
        }
    }

    /// The invocations this `SimHost` ran, in order: all of them, or the last
    /// [`RETAINED_INVOCATIONS`] when there were more.
    pub fn invocations(&self) -> Vec<Invocation> {
        self.lock_inner().invocations.iter().cloned().collect()
    }

    pub fn clear_invocations(&self) {
        self.lock_inner().invocations.clear();
    }

    /// Arms a failure for matching invocations (persisted with the state).
    ///
    /// # Panics
    ///
    /// For a failure a real host cannot have there: a deploy lock on a command that is not a
    /// build (see the crate docs).
    pub fn inject(&self, injection: Injection) {
        let spec = inject::InjectionSpec::from(injection);
        if let Some(reason) = inject::impossible(&spec) {
            panic!("{reason}");
        }
        let _ = self.with_state(|state| {
            state.injections.push(spec);
            Ok(())
        });
    }

    /// What a `git push` would do: the app becomes deployed with a Procfile of these process
    /// types (`web` when empty).
    pub fn mark_deployed(&self, app: &str, process_types: &[&str]) -> Result<(), String> {
        match self.with_state(|state| Ok(ps::mark_deployed(state, app, process_types))) {
            Ok(result) => result,
            Err(output) => Err(output.stderr),
        }
    }

    /// The app's http-auth nginx include as the plugin last rendered it (what nginx enforces), or
    /// `None` when it does not exist (auth disabled) or there is no such app.
    pub fn http_auth_include(&self, app: &str) -> Option<String> {
        self.with_state(|state| Ok(state.apps.get(app).and_then(|a| a.http_auth.include.clone())))
            .ok()
            .flatten()
    }

    /// The invocations the binary logged in `<state_dir>/invocations.jsonl`, oldest first.
    /// Unreadable lines are skipped.
    pub fn read_invocation_log(state_dir: &Path) -> Vec<Invocation> {
        let Ok(text) = fs::read_to_string(state_dir.join(state::LOG_FILE)) else {
            return Vec::new();
        };
        text.lines()
            .filter_map(|line| serde_json::from_str::<LogLine>(line).ok())
            .map(|l| Invocation { argv: l.argv, had_stdin: l.had_stdin, status: l.status })
            .collect()
    }

    fn lock_inner(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves the state as it was before that command.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the current state and persists what it changed. In shared mode the state is
    /// reloaded and saved under the directory's exclusive file lock. An I/O failure becomes the
    /// output a broken host would give: a message on stderr and exit 1.
    fn with_state<T>(
        &self,
        f: impl FnOnce(&mut State) -> Result<T, SimOutput>,
    ) -> Result<T, SimOutput> {
        let mut inner = self.lock_inner();
        let io_fail = |what: &str, e: io::Error| SimOutput {
            status: 1,
            stdout: String::new(),
            stderr: format!(" !     dokku-sim: {what}: {e}\n"),
        };
        let _file_lock = if self.shared {
            let lock = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(self.dir.join(state::LOCK_FILE))
                .map_err(|e| io_fail("cannot open the state lock", e))?;
            lock.lock().map_err(|e| io_fail("cannot take the state lock", e))?;
            let mut state = state::load(&self.dir).map_err(|e| io_fail("cannot load state", e))?;
            inject::sync_env(&mut state, self.env_injections.as_deref()).map_err(|e| {
                SimOutput { status: 1, stdout: String::new(), stderr: format!(" !     {e}\n") }
            })?;
            inner.saved = state::serialize(&state).map_err(|e| io_fail("cannot save state", e))?;
            inner.state = state;
            Some(lock)
        } else {
            None
        };
        let value = f(&mut inner.state)?;
        let text = state::serialize(&inner.state).map_err(|e| io_fail("cannot save state", e))?;
        if text != inner.saved {
            state::save_text(&self.dir, &text).map_err(|e| io_fail("cannot save state", e))?;
            inner.saved = text;
        }
        // The file lock is released when `_file_lock` drops, after the save.
        Ok(value)
    }
}

/// Runs one parsed command line against the state.
fn execute(
    state: &mut State,
    version: &DokkuVersion,
    line: &dispatch::CommandLine,
    stdin: Option<&[u8]>,
    now: u64,
) -> SimOutput {
    let mut ctx = Ctx {
        state,
        out: Out::new(line.quiet),
        v: version,
        force: line.force,
        app_flag: line.app.clone(),
        stdin,
        now,
    };
    let status = match line.subcommand.as_deref() {
        None => dispatch::status_of(dispatch::execute(&mut ctx, "help", &[])),
        Some(sub) => dispatch::status_of(dispatch::execute(&mut ctx, sub, &line.args)),
    };
    SimOutput { status, stdout: ctx.out.stdout, stderr: ctx.out.stderr }
}

fn unix_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn append_log(dir: &Path, invocation: &Invocation) -> io::Result<()> {
    let at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let line = LogLine {
        argv: invocation.argv.clone(),
        had_stdin: invocation.had_stdin,
        status: invocation.status,
        at_ms,
    };
    let mut text = serde_json::to_string(&line).map_err(io::Error::other)?;
    text.push('\n');
    // One write of a whole line with O_APPEND, so concurrent processes do not interleave lines.
    let mut file = OpenOptions::new().create(true).append(true).open(dir.join(state::LOG_FILE))?;
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn host_is_send_and_sync() {
        assert_send_sync::<SimHost>();
    }
}
