//! The real Dokku of the test environment (Dokku 0.38.27 built from source in a Debian chroot,
//! served by its own sshd on 127.0.0.1:2223; the README's Testing section says how to set it up):
//! how a test finds it, talks to it with plain `ssh` as `dokku` and as `root`, and points the
//! server's SSH executor at it.
//!
//! # Finding it
//!
//! * `DOKKU_REAL_SSH`: the `ssh_config` its `setup.sh` wrote (hosts `real-dokku` and
//!   `real-dokku-root`, with their port, key and `known_hosts`) [default:
//!   `/srv/dokku-build/ssh/ssh_config` when that file exists].
//! * `DOKKU_REAL_CHROOT`: the chroot, for tests that work inside it [default: `/srv/dokku-root`].
//! * `DOKKU_REAL_REQUIRED=1` (set by `.ci/run`): a test that needs real Dokku and cannot reach
//!   it **fails**. Without it, such a test passes after printing a `SKIPPED (real Dokku)` line
//!   on the real stderr (not captured by the test harness, so it shows in every run; `cargo xtask
//!   test` counts them in its closing line).
//!
//! Reachability is checked once per test binary (`ssh real-dokku version`).
//!
//! The chroot and its sshd are shared by everything on the machine: tests name what they create
//! with a prefix of their own ([`RealDokku::unique_name`]) and remove it when they end.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The line that marks a loud skip (`cargo xtask test` counts them).
pub const SKIP_MARKER: &str = "SKIPPED (real Dokku)";

/// A reachable real Dokku.
#[derive(Clone, Debug)]
pub struct RealDokku {
    /// The `ssh_config` with the hosts `real-dokku` and `real-dokku-root`.
    pub ssh_config: PathBuf,
    /// `127.0.0.1`.
    pub host: String,
    pub port: u16,
    /// The client key (installed for `dokku`, and for `root` without a forced command).
    pub identity_file: PathBuf,
    pub known_hosts: PathBuf,
    /// The Debian chroot Dokku is installed in.
    pub chroot: PathBuf,
    /// What `dokku version` answered, e.g. `0.38.27`.
    pub version: String,
}

/// Whether CI demands real Dokku (`DOKKU_REAL_REQUIRED=1`).
pub fn required() -> bool {
    std::env::var("DOKKU_REAL_REQUIRED").is_ok_and(|v| v == "1")
}

/// Fails the test when `required()`, else prints a loud skip line for `test` and returns.
/// Call it as `let Some(x) = ... else { return skip(...) }`.
pub fn skip(test: &str, reason: &str) {
    if required() {
        panic!("{test} needs real Dokku and DOKKU_REAL_REQUIRED=1: {reason}");
    }
    use std::io::Write;
    // Straight to the process's stderr: the harness captures only the print macros.
    let _ = writeln!(
        std::io::stderr(),
        "{SKIP_MARKER}: {test}: {reason}. Set up ../shared/real-dokku (setup.sh, start.sh) and \
         export DOKKU_REAL_SSH=/srv/dokku-build/ssh/ssh_config, or run .ci/run."
    );
}

impl RealDokku {
    /// The real Dokku, or `None` after a loud skip (or a panic when it is required).
    pub fn find(test: &str) -> Option<RealDokku> {
        static FOUND: OnceLock<Result<RealDokku, String>> = OnceLock::new();
        match FOUND.get_or_init(RealDokku::locate) {
            Ok(real) => Some(real.clone()),
            Err(reason) => {
                skip(test, reason);
                None
            }
        }
    }

    fn locate() -> Result<RealDokku, String> {
        let ssh_config = match std::env::var_os("DOKKU_REAL_SSH") {
            Some(path) => PathBuf::from(path),
            None => {
                let default = PathBuf::from("/srv/dokku-build/ssh/ssh_config");
                if !default.exists() {
                    return Err("DOKKU_REAL_SSH is not set and /srv/dokku-build/ssh/ssh_config \
                                does not exist"
                        .into());
                }
                default
            }
        };
        let text = std::fs::read_to_string(&ssh_config)
            .map_err(|e| format!("cannot read {} ({e})", ssh_config.display()))?;
        let entry = SshConfigHost::parse(&text, "real-dokku")
            .ok_or_else(|| format!("{} has no `Host real-dokku`", ssh_config.display()))?;
        let chroot = std::env::var_os("DOKKU_REAL_CHROOT")
            .map_or_else(|| PathBuf::from("/srv/dokku-root"), PathBuf::from);
        let mut real = RealDokku {
            ssh_config,
            host: entry.host_name,
            port: entry.port,
            identity_file: entry.identity_file,
            known_hosts: entry.known_hosts,
            chroot,
            version: String::new(),
        };
        let out = real
            .ssh("real-dokku")
            .args(["-o", "ConnectTimeout=10", "--", "version"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run ssh ({e})"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        real.version = stdout
            .trim()
            .strip_prefix("dokku version ")
            .ok_or_else(|| {
                format!(
                    "`ssh real-dokku version` did not answer a Dokku version (exit {:?}): {}{}",
                    out.status.code(),
                    stdout.trim(),
                    String::from_utf8_lossy(&out.stderr).trim()
                )
            })?
            .to_string();
        Ok(real)
    }

    /// `ssh -F <ssh_config> -o BatchMode=yes <alias>`: add `--` and the remote command.
    /// `alias` is `real-dokku` (user `dokku`, Dokku's forced command) or `real-dokku-root`.
    pub fn ssh(&self, alias: &str) -> Command {
        let mut command = Command::new("ssh");
        command.arg("-F").arg(&self.ssh_config).args(["-o", "BatchMode=yes", alias]);
        command.env("LC_ALL", "C");
        command
    }

    /// Runs `dokku <args>` as the `dokku` login, quoting each argument for Dokku's re-parse of
    /// the SSH command line (the same encoding the server uses).
    pub fn dokku(&self, args: &[&str]) -> Output {
        let remote = dokku_pro_server::host::ssh::encode_for_dokku(args)
            .unwrap_or_else(|e| panic!("{args:?} cannot be sent over SSH: {e}"));
        self.ssh("real-dokku")
            .arg("--")
            .arg(remote)
            .stdin(Stdio::null())
            .output()
            .expect("ssh runs")
    }

    /// Runs `dokku <args>` as the `dokku` login and returns its stdout; panics when it fails.
    pub fn dokku_ok(&self, args: &[&str]) -> String {
        let out = self.dokku(args);
        assert!(
            out.status.success(),
            "dokku {args:?} failed ({:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("Dokku prints UTF-8")
    }

    /// Runs a shell command line as `root` in the chroot (over SSH, no forced command).
    pub fn root(&self, shell: &str) -> Output {
        self.ssh("real-dokku-root")
            .arg("--")
            .arg(shell)
            .stdin(Stdio::null())
            .output()
            .expect("ssh runs")
    }

    /// The pid of the chroot's sshd, whose mount and UTS namespaces have the chroot's `/proc`,
    /// `/dev` and hostname (`nsenter -t PID -m -u chroot CHROOT ...`).
    pub fn sshd_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.chroot.join("run/sshd-dokku.pid")).ok()?.trim().parse().ok()
    }

    /// Points the server's configuration at this Dokku over SSH: the `dokku` login for commands
    /// and `root` for the root-only ones, with the host key checked against its `known_hosts`.
    pub fn configure_ssh(&self, config: &mut dokku_pro_server::config::Config) {
        use dokku_pro_server::config::HostKind;
        let ssh = &mut config.host.ssh;
        config.host.kind = HostKind::Ssh;
        ssh.host = self.host.clone();
        ssh.port = self.port;
        ssh.user = "dokku".into();
        ssh.identity_file = Some(self.identity_file.clone());
        ssh.known_hosts = Some(self.known_hosts.clone());
        ssh.root_user = Some("root".into());
        ssh.root_identity_file = None;
        ssh.root_sudo = false;
    }

    /// A name for something a test creates on the shared host: `ci-<what>-<pid>-<n>`, short
    /// enough for an app name.
    pub fn unique_name(what: &str) -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        format!("ci-{what}-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// One `Host` block of an OpenSSH client config, as `setup.sh` writes it.
struct SshConfigHost {
    host_name: String,
    port: u16,
    identity_file: PathBuf,
    known_hosts: PathBuf,
}

impl SshConfigHost {
    fn parse(text: &str, alias: &str) -> Option<SshConfigHost> {
        let mut in_block = false;
        let (mut host_name, mut port, mut identity, mut known) = (None, 22, None, None);
        for line in text.lines().map(str::trim) {
            let mut words = line.split_whitespace();
            let (Some(key), Some(value)) = (words.next(), words.next()) else { continue };
            if key.eq_ignore_ascii_case("host") {
                in_block = value == alias;
                continue;
            }
            if !in_block {
                continue;
            }
            match key.to_ascii_lowercase().as_str() {
                "hostname" => host_name = Some(value.to_string()),
                "port" => port = value.parse().ok()?,
                "identityfile" => identity = Some(PathBuf::from(value)),
                "userknownhostsfile" => known = Some(PathBuf::from(value)),
                _ => {}
            }
        }
        Some(SshConfigHost {
            host_name: host_name?,
            port,
            identity_file: identity?,
            known_hosts: known?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn reads_the_host_blocks_setup_sh_writes() {
        let text = "Host real-dokku\n  HostName 127.0.0.1\n  Port 2223\n  User dokku\n  \
                    IdentityFile /k/id\n  IdentitiesOnly yes\n  UserKnownHostsFile /k/kh\n\
                    Host real-dokku-root\n  HostName 127.0.0.2\n  Port 1\n  IdentityFile /x\n  \
                    UserKnownHostsFile /y\n";
        let entry = SshConfigHost::parse(text, "real-dokku").unwrap();
        assert_eq!((entry.host_name.as_str(), entry.port), ("127.0.0.1", 2223));
        assert_eq!(entry.identity_file, Path::new("/k/id"));
        assert_eq!(entry.known_hosts, Path::new("/k/kh"));
        assert!(SshConfigHost::parse(text, "other").is_none());
    }
}
