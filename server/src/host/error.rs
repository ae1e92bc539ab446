//! `HostError`: everything that can go wrong running a Dokku command. The HTTP status for each
//! kind is chosen in one place, outside this layer (`docs/status-codes.md`: app missing 404, Dokku refused
//! 400, transport 503, timeout 504, anything else 500).

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// Exit 20: ` !     App <app> does not exist`.
    #[error("{message}")]
    AppNotFound { message: String },
    /// Exit 1 with a ` !     ` message: Dokku refused the operation. `message` has the prefix
    /// stripped (several lines joined with a space).
    #[error("{message}")]
    Refused { command: String, status: i32, message: String },
    /// Exit 2: a Go subcommand rejected a flag. Always a bug on our side (or a host version we
    /// misdetected), never the client's.
    #[error("dokku rejected a flag of `{command}`: {message}")]
    BadFlag { command: String, message: String },
    /// Any other non-zero exit.
    #[error("`{command}` failed with exit status {status}: {message}")]
    Failed { command: String, status: i32, message: String },
    /// The command could not be started (the `dokku` or `ssh` program is missing, ...).
    #[error("cannot run `{command}`")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    /// The connection to the Dokku host failed or dropped; the command may not have run.
    #[error("cannot reach the Dokku host: {detail}")]
    Transport { detail: String },
    /// The command ran longer than allowed and was killed.
    #[error("`{command}` did not finish within {} s", after.as_secs())]
    Timeout { command: String, after: Duration },
    /// An argument cannot travel to Dokku unaltered over this transport (`docs/dokku-commands.md`, "Running a command").
    #[error("{reason}")]
    Unsendable { reason: String },
    /// Dokku answered something we cannot read.
    #[error("unexpected output from `{command}`")]
    Parse {
        command: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The host runs a Dokku older than we support.
    #[error(
        "the Dokku host runs version {found}, older than the oldest supported version {minimum}; \
         upgrade Dokku"
    )]
    Unsupported { found: String, minimum: String },
    /// A root-only command that could not run as root: none is configured, or the host refused
    /// it (Dokku's "must be run as root", or sudo's refusal). `fix` says what to configure for
    /// the host kind in use.
    #[error("`{command}` must run as root on the Dokku host ({reason}); {fix}")]
    NoRootLogin { command: String, reason: String, fix: String },
    /// The server broke one of the host layer's rules (a write run as a read, or without the
    /// lock of what it changes). A bug on our side; nothing was run.
    #[error("refused to run `{command}`: {why}")]
    Misuse { command: String, why: &'static str },
}

impl HostError {
    /// Dokku printed something `cmd`'s parser cannot read.
    pub fn unreadable(
        cmd: &super::DokkuCommand,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> HostError {
        HostError::Parse { command: cmd.to_string(), source: source.into() }
    }
}
