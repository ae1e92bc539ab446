//! The executor trait: runs a [`DokkuCommand`] somewhere and returns what it printed. Executors
//! report transport problems as errors and everything Dokku said (any exit status) as
//! [`Output`]; [`super::Host`] interprets exit statuses.

use async_trait::async_trait;

use super::command::DokkuCommand;
use super::error::HostError;

/// What a command printed and returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status == 0
    }
}

/// Runs Dokku commands: locally, over SSH, or on the simulated host.
#[async_trait]
pub trait Executor: Send + Sync {
    /// Runs `dokku <cmd.argv()>`. `Err` only for failures to run it at all (spawn, transport,
    /// timeout, an argument this transport cannot carry); a non-zero exit is an `Ok(Output)`.
    async fn run(&self, cmd: &DokkuCommand) -> Result<Output, HostError>;

    /// `local`, `ssh` or `sim`, for health and logs.
    fn kind(&self) -> &'static str;

    /// Runs a shell command line through this login, for `doctor`'s read-only probes of a root
    /// login (`id -u`, `date +%s`, `sudo -n -l ...`). `None` when the login has no shell: Dokku's
    /// forced command, the local executor, the simulated host.
    async fn run_shell(&self, _script: &str) -> Option<Result<Output, HostError>> {
        None
    }

    /// Releases connections (the SSH control master). Called once at shutdown.
    async fn close(&self) {}
}

/// Turns process output into text: Dokku prints UTF-8; anything else is replaced, never fatal.
pub fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
