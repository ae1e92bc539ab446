//! The local executor: runs `dokku` on this machine with `tokio::process`.
//!
//! `dokku` re-executes itself as the `dokku` user and refuses root-only commands
//! (`ssh-keys:add`, `ssh-keys:remove`) unless it already runs as root, so a server that is not
//! root gets a second local executor for those: the configured `host.root_command`, an argv
//! prefix such as `sudo -n /usr/bin/dokku` ([`LocalExecutor::with_prefix`]), which a sudoers rule
//! allows for exactly those commands. `-n` makes a sudo that would ask for a password fail at
//! once instead of waiting on the closed stdin.
//!
//! Arguments go to the process as an argv array, exactly as given (`/usr/bin/dokku` passes them
//! through unchanged). stdin is closed unless the command feeds data, so a confirmation prompt
//! fails at once instead of hanging. `LC_ALL=C` keeps tool output stable (no translated messages
//! for the parsers to miss). A command running past the timeout is killed (the process itself;
//! children it spawned may outlive it, which is why slow work runs in jobs).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;

use super::command::DokkuCommand;
use super::error::HostError;
use super::exec::{Executor, Output, text};

pub struct LocalExecutor {
    program: PathBuf,
    /// Arguments before the command's own (`-n /usr/bin/dokku` when `program` is `sudo`).
    prefix: Vec<String>,
    timeout: Duration,
    /// Extra environment (the simulated host's state directory when `program` is `dokku-sim`).
    env: Vec<(String, String)>,
}

impl LocalExecutor {
    pub fn new(program: impl Into<PathBuf>, timeout: Duration) -> LocalExecutor {
        LocalExecutor { program: program.into(), prefix: Vec::new(), timeout, env: Vec::new() }
    }

    /// Runs `argv[0] argv[1..] <command>`: the root invocation (`sudo -n /usr/bin/dokku`).
    /// `argv` must not be empty (the configuration refuses an empty one).
    pub fn with_prefix(argv: &[String], timeout: Duration) -> LocalExecutor {
        let (program, prefix) = argv.split_first().expect("a root command has a program");
        LocalExecutor { prefix: prefix.to_vec(), ..LocalExecutor::new(program, timeout) }
    }

    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> LocalExecutor {
        self.env.push((key.into(), value.into()));
        self
    }
}

#[async_trait]
impl Executor for LocalExecutor {
    async fn run(&self, cmd: &DokkuCommand) -> Result<Output, HostError> {
        cmd.validate().map_err(|e| HostError::Unsendable { reason: e.to_string() })?;
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(&self.prefix)
            .args(cmd.argv())
            .env("LC_ALL", "C")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(if cmd.stdin_data().is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|source| HostError::Spawn {
            command: format!("{cmd}` with `{}", self.program.display()),
            source,
        })?;
        if let (Some(data), Some(mut stdin)) = (cmd.stdin_data(), child.stdin.take()) {
            // A command that exits without reading its input closes the pipe; that is its answer,
            // not our error, so a failed write is ignored and the exit status decides.
            let _ = stdin.write_all(data).await;
            drop(stdin);
        }
        match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(Ok(out)) => Ok(Output {
                // A signal-killed process has no code; report it like a shell does (128 + n).
                status: out.status.code().unwrap_or_else(|| {
                    use std::os::unix::process::ExitStatusExt;
                    128 + out.status.signal().unwrap_or(0)
                }),
                stdout: text(out.stdout),
                stderr: text(out.stderr),
            }),
            Ok(Err(source)) => Err(HostError::Spawn { command: cmd.to_string(), source }),
            // Dropping the future drops the child, and kill_on_drop kills it.
            Err(_) => Err(HostError::Timeout { command: cmd.to_string(), after: self.timeout }),
        }
    }

    fn kind(&self) -> &'static str {
        "local"
    }
}
