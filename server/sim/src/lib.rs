//! dokku-sim: a simulated Dokku host (see DESIGN.md §4 and dokku-host.md).
//!
//! PUBLIC API CONTRACT (the server depends on exactly this; keep these signatures):
//!
//! * `SimOptions` — knobs: the Dokku version claimed, whether state is persisted.
//! * `SimHost::open(state_dir, options)` — load (or create) the state in `state_dir`.
//! * `SimHost::run(&self, argv, stdin) -> SimOutcome` — run one `dokku <argv...>` invocation.
//! * `SimHost::invocations()` / `clear_invocations()` — every invocation, for tests that count calls.
//! * `SimHost::inject(Injection)` — failure injection.
//! * `SimHost::mark_deployed(app, process_types)` — what a `git push` would do.
//! * `SimHost::version()`.

use std::path::Path;
use std::time::Duration;

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
    /// ` !     <app> currently has a deploy lock in place. Exiting...` (exit 1).
    DeployLock,
    /// Exit with this status and stderr.
    Exit { status: i32, stderr: String },
    /// The transport drops before the command runs.
    TransportDrop,
    /// Sleep this long before answering normally.
    Delay(Duration),
}

pub struct SimHost {
    _private: (),
}

impl SimHost {
    pub fn open(_state_dir: &Path, _options: SimOptions) -> std::io::Result<SimHost> {
        unimplemented!("being written")
    }
}

/// The `dokku-sim` command line: runs `std::env::args()` as one invocation and returns the exit
/// status (see the crate docs for the environment variables it reads).
pub fn cli_main() -> i32 {
    unimplemented!("being written")
}
