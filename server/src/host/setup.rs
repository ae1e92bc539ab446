//! Builds the [`Host`] the configuration asks for: its executors, and for the simulated host
//! the [`SimHost`] itself (tests and the health endpoint reach it through [`Connected`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use dokku_sim::{SimHost, SimOptions};

use super::Host;
use super::error::HostError;
use super::exec::Executor;
use super::local::LocalExecutor;
use super::simulated::SimExecutor;
use super::ssh::{Quoting, SshExecutor, SshOptions, SshTarget, pin_host_key};
use crate::config::{HostConfig, HostKind, SshConfig};

/// A connected host, and the simulated host behind it when there is one.
pub struct Connected {
    pub host: Arc<Host>,
    pub sim: Option<Arc<SimHost>>,
}

/// Connects to the configured Dokku host and checks its version.
pub async fn connect(config: &HostConfig, data_dir: &Path) -> Result<Connected, HostError> {
    let timeout = Duration::from_secs(config.command_timeout_seconds);
    match config.kind {
        HostKind::Local => {
            let executor: Arc<dyn Executor> =
                Arc::new(LocalExecutor::new(&config.dokku_path, timeout));
            let host = match &config.root_command {
                Some(argv) => {
                    let root: Arc<dyn Executor> =
                        Arc::new(LocalExecutor::with_prefix(argv, timeout));
                    Host::connect(executor, Some(root)).await?.with_root_fix(format!(
                        "host.root_command is `{}`: allow it to run `dokku ssh-keys:add` and \
                         `dokku ssh-keys:remove` as root without a password (the sudoers rule in \
                         the README)",
                        argv.join(" ")
                    ))
                }
                // Without a root command they run through the same `dokku`, which Dokku
                // accepts only from root: right when the server runs as root, and otherwise
                // Dokku's refusal becomes the error that says to set host.root_command.
                None => Host::connect(executor.clone(), Some(executor)).await?,
            };
            Ok(Connected { host: Arc::new(host), sim: None })
        }
        HostKind::Sim => {
            let state_dir = data_dir.join("sim");
            let options = SimOptions { version: config.sim.version.clone() };
            let sim = tokio::task::spawn_blocking(move || SimHost::open(&state_dir, options))
                .await
                .map_err(|e| HostError::Transport {
                    detail: format!("opening the simulated host: {e}"),
                })?
                .map_err(|source| HostError::Spawn {
                    command: "open the simulated host".into(),
                    source,
                })?;
            let sim = Arc::new(sim);
            let latency = Duration::from_millis(config.sim.latency_ms);
            let executor: Arc<dyn Executor> = Arc::new(SimExecutor::new(sim.clone(), latency));
            let host = Host::connect(executor.clone(), Some(executor)).await?;
            Ok(Connected { host: Arc::new(host), sim: Some(sim) })
        }
        HostKind::Ssh => {
            let ssh = &config.ssh;
            let ssh_dir = data_dir.join("ssh");
            create_private_dir(&ssh_dir)?;
            let known_hosts = known_hosts_for(ssh, &ssh_dir).await?;
            let options = SshOptions {
                program: ssh.program.clone(),
                control_dir: ssh_dir,
                connect_timeout: Duration::from_secs(ssh.connect_timeout_seconds),
                command_timeout: timeout,
            };
            let target = SshTarget {
                host: ssh.host.clone(),
                port: ssh.port,
                user: ssh.user.clone(),
                identity_file: ssh.identity_file.clone(),
                known_hosts: known_hosts.clone(),
                accept_new_host_key: ssh.accept_new_host_key,
                quoting: Quoting::DokkuXargs,
            };
            let executor: Arc<dyn Executor> =
                Arc::new(SshExecutor::new(target.clone(), options.clone()));
            // The root login: `root_user`, or with `root_sudo` the main login when it is unset.
            let root_user =
                ssh.root_user.clone().or_else(|| ssh.root_sudo.then(|| ssh.user.clone()));
            let root: Option<Arc<dyn Executor>> = root_user.as_ref().map(|user| {
                let root_target = SshTarget {
                    user: user.clone(),
                    identity_file: ssh
                        .root_identity_file
                        .clone()
                        .or_else(|| ssh.identity_file.clone()),
                    quoting: if ssh.root_sudo {
                        Quoting::PosixShellSudo
                    } else {
                        Quoting::PosixShell
                    },
                    ..target
                };
                Arc::new(SshExecutor::new(root_target, options)) as Arc<dyn Executor>
            });
            let mut host = Host::connect(executor, root).await?;
            if let Some(user) = root_user {
                host = host.with_root_fix(if ssh.root_sudo {
                    format!(
                        "the SSH login `{user}` (host.ssh.root_sudo) must be allowed to run \
                         `sudo -n dokku ssh-keys:add` and `sudo -n dokku ssh-keys:remove` without \
                         a password (the sudoers rule in the README)"
                    )
                } else {
                    format!(
                        "the SSH login `{user}` (host.ssh.root_user) must be root on the Dokku \
                         host, or a sudoer with host.ssh.root_sudo = true"
                    )
                });
            }
            Ok(Connected { host: Arc::new(host), sim: None })
        }
    }
}

/// The `known_hosts` file to verify against: a pinned fingerprint's private file, the
/// configured one, or `~/.ssh/known_hosts`.
async fn known_hosts_for(ssh: &SshConfig, ssh_dir: &Path) -> Result<PathBuf, HostError> {
    if let Some(fingerprint) = &ssh.host_key_fingerprint {
        let path = ssh_dir.join("known_hosts.pinned");
        pin_host_key(
            Path::new("ssh-keyscan"),
            Path::new("ssh-keygen"),
            &ssh.host,
            ssh.port,
            fingerprint,
            &path,
        )
        .await?;
        return Ok(path);
    }
    if let Some(path) = &ssh.known_hosts {
        return Ok(path.clone());
    }
    match std::env::var_os("HOME") {
        Some(home) => Ok(PathBuf::from(home).join(".ssh/known_hosts")),
        None => Err(HostError::Transport {
            detail:
                "no known_hosts file: set host.ssh.known_hosts or host.ssh.host_key_fingerprint"
                    .into(),
        }),
    }
}

fn create_private_dir(dir: &Path) -> Result<(), HostError> {
    use std::os::unix::fs::DirBuilderExt;
    let io = |source| HostError::Spawn { command: format!("creating {}", dir.display()), source };
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)
}
