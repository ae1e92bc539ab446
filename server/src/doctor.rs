//! `dokku-pro-api doctor`: checks the configured setup end to end, read-only, and says how to fix
//! what is wrong.
//!
//! Three groups of checks, each a [`Check`] (name, ok/warn/fail/skip, what was found, the fix),
//! so every check ends alike, building its `Check`; what each inspects is its own:
//!
//! * **local** ([`local_checks`]): the data directory (there, writable by this user, owner-only:
//!   it holds the database, the token signing key and the initial admin password), the files in
//!   it, the initial admin password file, free disk space. `doctor` adds the database itself
//!   (opens it without creating it, checks its schema and integrity, makes one real write).
//! * **connection** (`doctor` only): the SSH key and host key files, then the connection the
//!   server itself would make (`dokku version`), with the failure read from ssh's own message
//!   (host key, login, network).
//! * **host facts** ([`host_facts`]): the Dokku version and which JSON forms it has, the plugins
//!   each API tag needs (http-auth, maintenance, the official datastores) with their versions, the
//!   root login for the root-only commands (probed without changing anything: `id -u` for a root
//!   login, `sudo -n -l` for a sudoer or `host.root_command`), the proxy and whether nginx accepts
//!   its configuration as Dokku checks it, and the clock.
//!
//! Nothing here changes the Dokku host. The server runs the local checks and the host facts at
//! start (logging what is not ok) and every [`crate::health::FACTS_PERIOD`]; `GET /@api/health`
//! shows them in short ([`Check::public`]: no paths, host names or logins).
//!
//! A `fail` is a blocker (the server cannot start or cannot do its job), and makes `doctor` exit
//! non-zero; a `warn` leaves the server working, but not all of it (a missing plugin's
//! operations fail) or at risk (permissions, the clock); a `skip` could not be checked.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::config::{Config, HostConfig, HostKind, SshConfig};
use crate::host::parse::{Plugin, parse_plugin_list_json, parse_plugin_list_text};
use crate::host::{DokkuCommand, DokkuVersion, Host, HostError};

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Could not be checked (not a problem in itself).
    Skip,
    /// The server works, but not all of it, or at a risk.
    Warn,
    /// A blocker: the server cannot start or cannot do its job.
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Skip => "skip",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One check.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    /// What was found, for the operator (may name paths, hosts and logins).
    pub detail: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// What `GET /@api/health` shows: a few words, nothing secret (no paths, hosts or logins).
    #[serde(skip)]
    pub public: String,
}

impl Check {
    fn new(name: &'static str, status: Status, detail: impl Into<String>) -> Check {
        Check { name, status, detail: detail.into(), fix: None, public: String::new() }
    }

    fn ok(name: &'static str, detail: impl Into<String>) -> Check {
        Check::new(name, Status::Ok, detail)
    }

    fn fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }

    fn public(mut self, text: impl Into<String>) -> Check {
        self.public = text.into();
        self
    }
}

/// Everything `doctor` found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// How many checks failed (blockers).
    pub fn blockers(&self) -> usize {
        self.checks.iter().filter(|c| c.status == Status::Fail).count()
    }

    /// The table `doctor` prints: check, status, detail, fix, wrapped to `width` columns, and a
    /// closing line that counts them.
    pub fn table(&self, width: usize) -> String {
        let name_width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(5).max(5);
        let status_width = 6;
        let rest = width.saturating_sub(name_width + status_width + 6).max(40);
        let detail_width = rest * 11 / 20;
        let fix_width = rest - detail_width;
        let mut out = String::new();
        let mut row = |cells: [&str; 4]| {
            let detail = wrap(cells[2], detail_width);
            let fix = wrap(cells[3], fix_width);
            for i in 0..detail.len().max(fix.len()).max(1) {
                let (name, status) = if i == 0 { (cells[0], cells[1]) } else { ("", "") };
                let d = detail.get(i).map(String::as_str).unwrap_or("");
                let f = fix.get(i).map(String::as_str).unwrap_or("");
                let line = format!(
                    "{name:<name_width$}  {status:<status_width$}  {d:<detail_width$}  {f}"
                );
                out.push_str(line.trim_end());
                out.push('\n');
            }
        };
        row(["CHECK", "STATUS", "DETAIL", "FIX"]);
        for c in &self.checks {
            row([c.name, c.status.as_str(), &c.detail, c.fix.as_deref().unwrap_or("")]);
        }
        let count = |s: Status| self.checks.iter().filter(|c| c.status == s).count();
        let summary = format!(
            "{} checks: {} ok, {} warn, {} fail, {} skipped.{}",
            self.checks.len(),
            count(Status::Ok),
            count(Status::Warn),
            count(Status::Fail),
            count(Status::Skip),
            if self.blockers() > 0 {
                " Fix the failures first: the server cannot work with them."
            } else {
                ""
            }
        );
        out.push('\n');
        for line in wrap(&summary, width) {
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

/// Splits `text` into lines of at most `width` characters, at spaces where it can.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        while word.chars().count() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let split = word.char_indices().nth(width).map(|(i, _)| i).unwrap_or(word.len());
            lines.push(word[..split].to_string());
            word = word[split..].to_string();
        }
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// What the host facts need besides the host: its settings and the data directory (whose owner
/// is the server's user when `doctor` runs as root).
#[derive(Clone, Debug)]
pub struct Setup {
    pub host: HostConfig,
    pub data_dir: PathBuf,
}

/// The longest a `doctor` probe of the host may take (the server's command timeout is meant for
/// builds).
const PROBE_TIMEOUT_SECONDS: u64 = 30;

/// Runs every check, for `dokku-pro-api doctor`. `config_source` says where the configuration
/// came from (the file, or the defaults).
pub async fn diagnose(config: &Config, config_source: &str) -> Report {
    let mut checks = vec![
        Check::ok(
            "config",
            format!(
                "{config_source}: host kind {}, data directory {}",
                kind_name(config.host.kind),
                config.data_dir.display()
            ),
        )
        .public("loaded"),
    ];
    checks.extend(local_checks(&config.data_dir));
    let data_dir = config.data_dir.clone();
    checks.push(
        tokio::task::spawn_blocking(move || database_check(&data_dir))
            .await
            .unwrap_or_else(|e| Check::new("database", Status::Fail, e.to_string())),
    );
    if config.host.kind == HostKind::Ssh {
        checks.extend(ssh_file_checks(&config.host.ssh));
    }
    let mut host_config = config.host.clone();
    host_config.command_timeout_seconds =
        host_config.command_timeout_seconds.min(PROBE_TIMEOUT_SECONDS);
    // The connection's state (SSH control sockets, a pinned host key) goes to a directory of its
    // own, so that `doctor` changes nothing in the data directory and never meets the sockets of
    // a running server. The simulated host's state is read where the server keeps it.
    let scratch = tempfile::Builder::new().prefix("dokku-pro-doctor").tempdir();
    let scratch = match scratch {
        Ok(dir) => dir,
        Err(e) => {
            checks.push(Check::new(
                "dokku host",
                Status::Fail,
                format!("cannot create a temporary directory: {e}"),
            ));
            return Report { checks };
        }
    };
    let state_dir = if host_config.kind == HostKind::Sim && config.data_dir.join("sim").is_dir() {
        config.data_dir.clone()
    } else {
        scratch.path().to_path_buf()
    };
    let started = Instant::now();
    let connected = crate::host::setup::connect(&host_config, &state_dir).await;
    let elapsed = started.elapsed();
    match connected {
        Ok(connected) => {
            let host = connected.host;
            checks.push(
                Check::ok(
                    "dokku host",
                    format!(
                        "{} answered `dokku version` in {} ms",
                        describe_host(&config.host),
                        elapsed.as_millis()
                    ),
                )
                .public("answers"),
            );
            let setup = Setup { host: host_config, data_dir: config.data_dir.clone() };
            checks.extend(host_facts(&host, &setup).await);
            host.close().await;
        }
        Err(e) => {
            let failed = connect_failure(&e, config);
            let name = failed.name;
            // A host key failure replaces what the file check said.
            checks.retain(|c| c.name != name);
            checks.push(failed);
            if name != "dokku version" {
                checks.push(Check::new(
                    "dokku version",
                    Status::Skip,
                    "not checked: no connection to Dokku",
                ));
            }
            checks.push(Check::new(
                "plugins",
                Status::Skip,
                "not checked: no connection to Dokku (also the root login, proxy and the Dokku \
                 host's clock)",
            ));
            checks.push(clock_check(None));
        }
    }
    Report { checks }
}

/// The report when the configuration itself cannot be used.
pub fn config_failure(source: &str, error: &str) -> Report {
    Report {
        checks: vec![
            Check::new("config", Status::Fail, format!("{source}: {error}"))
                .fix(
                    "fix the setting named (every setting, with its default, is in \
                     server/examples/config.toml, installed as \
                     /usr/share/doc/dokku-pro-api/examples/config.toml)",
                )
                .public("invalid"),
        ],
    }
}

/// The width to wrap the table to: `COLUMNS`, else the terminal's, else 120.
pub fn terminal_width() -> usize {
    if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.parse::<usize>().ok()) {
        return columns.max(60);
    }
    // SAFETY: TIOCGWINSZ only writes the winsize struct we pass.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    if unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0
        && size.ws_col >= 60
    {
        return size.ws_col as usize;
    }
    120
}

fn kind_name(kind: HostKind) -> &'static str {
    match kind {
        HostKind::Local => "local",
        HostKind::Ssh => "ssh",
        HostKind::Sim => "sim",
    }
}

fn describe_host(host: &HostConfig) -> String {
    match host.kind {
        HostKind::Local => format!("the local `{}`", host.dokku_path.display()),
        HostKind::Ssh => format!("ssh {}@{}:{}", host.ssh.user, host.ssh.host, host.ssh.port),
        HostKind::Sim => "the simulated host".to_string(),
    }
}

/// The check a failed connection becomes, read from the error (ssh's own message for SSH).
fn connect_failure(e: &HostError, config: &Config) -> Check {
    let ssh = &config.host.ssh;
    let text = crate::error::chain(e);
    match e {
        HostError::Unsupported { found, minimum } => Check::new(
            "dokku version",
            Status::Fail,
            format!("Dokku {found} is older than the oldest supported version, {minimum}"),
        )
        .fix(format!(
            "upgrade Dokku to {minimum} or newer (https://dokku.com/docs/getting-started/upgrading/)"
        ))
        .public("unsupported"),
        HostError::Transport { detail } if config.host.kind == HostKind::Ssh => {
            let spec = known_hosts_spec(&ssh.host, ssh.port);
            if detail.contains("Host key verification failed")
                || detail.contains("IDENTIFICATION HAS CHANGED")
                || detail.contains("pinned fingerprint")
            {
                Check::new("host key", Status::Fail, format!("{}: {detail}", ssh.host))
                    .fix(format!(
                        "compare the host's key (`ssh-keyscan -p {port} {host} | ssh-keygen -lf -`) \
                         with the one the Dokku host shows (`ssh-keygen -lf \
                         /etc/ssh/ssh_host_ed25519_key.pub` there); if it is right, record it \
                         (`ssh-keyscan -p {port} {host} >> {file}`, after `ssh-keygen -R '{spec}' \
                         -f {file}`) or pin it with host.ssh.host_key_fingerprint",
                        port = ssh.port,
                        host = ssh.host,
                        file = known_hosts_path(ssh).display(),
                    ))
                    .public("the host key does not match")
            } else if detail.contains("Permission denied") {
                let key = ssh.identity_file.as_ref().map_or_else(
                    || "the server's public key".to_string(),
                    |k| format!("{}.pub", k.display()),
                );
                Check::new(
                    "dokku host",
                    Status::Fail,
                    format!("{} refused the key: {detail}", describe_host(&config.host)),
                )
                .fix(format!(
                    "allow the key for Dokku: on the Dokku host, as root, `dokku ssh-keys:add \
                     dokku-pro-api < {key}` (with the contents of {key})"
                ))
                .public("the login was refused")
            } else {
                Check::new(
                    "dokku host",
                    Status::Fail,
                    format!("cannot reach {}: {detail}", describe_host(&config.host)),
                )
                .fix(format!(
                    "check host.ssh.host and host.ssh.port, that sshd runs on the Dokku host and \
                     that the network allows it; try `ssh -p {} {}@{} version`",
                    ssh.port, ssh.user, ssh.host
                ))
                .public("does not answer")
            }
        }
        HostError::Spawn { .. } if config.host.kind == HostKind::Local => Check::new(
            "dokku host",
            Status::Fail,
            format!("cannot run `{}`: {text}", config.host.dokku_path.display()),
        )
        .fix(
            "install Dokku on this machine, or set host.dokku_path to its `dokku`; to drive a \
             Dokku on another machine set host.kind = \"ssh\"",
        )
        .public("cannot run dokku"),
        _ => Check::new(
            "dokku host",
            Status::Fail,
            format!("{} did not answer `dokku version`: {text}", describe_host(&config.host)),
        )
        .fix(match config.host.kind {
            HostKind::Ssh => format!(
                "run `ssh -p {} {}@{} version` by hand and fix what it says",
                ssh.port, ssh.user, ssh.host
            ),
            _ => format!("run `{} version` by hand and fix what it says", config.host.dokku_path.display()),
        })
        .public("does not answer"),
    }
}

fn known_hosts_spec(host: &str, port: u16) -> String {
    if port == 22 { host.to_string() } else { format!("[{host}]:{port}") }
}

fn known_hosts_path(ssh: &SshConfig) -> PathBuf {
    ssh.known_hosts.clone().unwrap_or_else(|| {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("~"))
            .join(".ssh/known_hosts")
    })
}

/// The SSH files the connection needs: the keys (there, readable, private enough for ssh) and
/// the host key (in `known_hosts`, or pinned).
fn ssh_file_checks(ssh: &SshConfig) -> Vec<Check> {
    let mut checks = Vec::new();
    let mut keys: Vec<(&str, &Path)> = Vec::new();
    if let Some(key) = &ssh.identity_file {
        keys.push(("host.ssh.identity_file", key));
    }
    if let Some(key) = &ssh.root_identity_file {
        keys.push(("host.ssh.root_identity_file", key));
    }
    let mut problems = Vec::new();
    let mut fixes = Vec::new();
    for (setting, key) in &keys {
        use std::os::unix::fs::MetadataExt;
        match std::fs::metadata(key) {
            Err(e) => {
                problems.push(format!("{setting} {}: {e}", key.display()));
                fixes.push(format!("point {setting} at the private key"));
            }
            Ok(meta) if meta.mode() & 0o077 != 0 => {
                problems.push(format!(
                    "{} has mode {:04o}: ssh refuses a private key others can read",
                    key.display(),
                    meta.mode() & 0o7777
                ));
                fixes.push(format!("chmod 600 {}", key.display()));
            }
            Ok(_) => {
                if let Err(e) = std::fs::File::open(key) {
                    problems.push(format!("cannot read {}: {e}", key.display()));
                    fixes.push(format!(
                        "make {} readable by the server's user (owner, mode 0600)",
                        key.display()
                    ));
                }
            }
        }
    }
    checks.push(if problems.is_empty() {
        let detail = if keys.is_empty() {
            "no key configured: ssh uses this user's default keys and agent".to_string()
        } else {
            keys.iter().map(|(_, k)| k.display().to_string()).collect::<Vec<_>>().join(", ")
                + ": readable, private"
        };
        Check::ok("ssh key", detail).public("ok")
    } else {
        Check::new("ssh key", Status::Fail, problems.join("; "))
            .fix(fixes.join("; "))
            .public("unusable")
    });

    let spec = known_hosts_spec(&ssh.host, ssh.port);
    let host_key = if let Some(fingerprint) = &ssh.host_key_fingerprint {
        Check::ok("host key", format!("pinned to {fingerprint} (checked when connecting)"))
    } else {
        let file = known_hosts_path(ssh);
        let record_it = format!(
            "check the host's key (`ssh-keyscan -p {port} {host} | ssh-keygen -lf -` against \
             `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host), then `ssh-keyscan -p \
             {port} {host} >> {file}`, or pin it with host.ssh.host_key_fingerprint",
            port = ssh.port,
            host = ssh.host,
            file = file.display()
        );
        let found = std::process::Command::new("ssh-keygen")
            .arg("-F")
            .arg(&spec)
            .arg("-f")
            .arg(&file)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output();
        let unknown = |why: String| {
            if ssh.accept_new_host_key {
                Check::new(
                    "host key",
                    Status::Warn,
                    format!("{why}; host.ssh.accept_new_host_key trusts the first key it sees"),
                )
                .fix(record_it.clone())
            } else {
                Check::new("host key", Status::Fail, why).fix(record_it.clone())
            }
        };
        if !file.exists() {
            unknown(format!("{} does not exist", file.display()))
        } else {
            match found {
                Ok(out) if out.status.success() && !out.stdout.is_empty() => {
                    Check::ok("host key", format!("{spec} is in {}", file.display()))
                }
                Ok(_) => unknown(format!("{} has no key for {spec}", file.display())),
                Err(e) => Check::new(
                    "host key",
                    Status::Skip,
                    format!("cannot run ssh-keygen to read {}: {e}", file.display()),
                ),
            }
        }
    };
    checks.push(host_key.public("see doctor"));
    checks
}

// ---- local checks ------------------------------------------------------------------------------

/// The data directory, the files in it, the initial admin password file and the free space.
pub fn local_checks(data_dir: &Path) -> Vec<Check> {
    let mut checks = vec![data_dir_check(data_dir)];
    if data_dir.is_dir() {
        checks.push(data_files_check(data_dir));
        let password = data_dir.join("initial-admin-password");
        if password.exists() {
            checks.push(
                Check::new(
                    "admin password",
                    Status::Warn,
                    format!("{} still holds the first password of `admin`", password.display()),
                )
                .fix(format!(
                    "log in, choose a password of your own (`dokku-pro-api user passwd admin`), \
                     then delete {}",
                    password.display()
                ))
                .public("the initial admin password file is still there"),
            );
        }
    }
    checks.push(disk_space_check(data_dir));
    checks
}

fn data_dir_check(dir: &Path) -> Check {
    use std::os::unix::fs::MetadataExt;
    let uid = euid();
    let user = user_label(uid);
    let meta = match std::fs::metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = existing_ancestor(dir);
            return if writable(&parent).is_ok() {
                Check::ok(
                    "data dir",
                    format!("{} does not exist yet: `serve` creates it (mode 0700)", dir.display()),
                )
                .public("not created yet")
            } else {
                Check::new(
                    "data dir",
                    Status::Fail,
                    format!(
                        "{} does not exist, and {user} cannot create it in {}",
                        dir.display(),
                        parent.display()
                    ),
                )
                .fix(format!(
                    "sudo install -d -m 700 -o USER {}  (USER: the server's)",
                    dir.display()
                ))
                .public("cannot be created")
            };
        }
        Err(e) => {
            return Check::new("data dir", Status::Fail, format!("{}: {e}", dir.display()))
                .fix(format!("make {} a directory the server's user owns", dir.display()))
                .public("unreadable");
        }
    };
    if !meta.is_dir() {
        return Check::new(
            "data dir",
            Status::Fail,
            format!("{} is not a directory", dir.display()),
        )
        .fix("set data_dir to a directory")
        .public("not a directory");
    }
    let mode = meta.mode() & 0o7777;
    if let Err(e) = writable(dir) {
        let read_only = e.raw_os_error() == Some(libc::EROFS) || read_only_fs(dir);
        return if read_only {
            Check::new(
                "data dir",
                Status::Fail,
                format!("{} is on a read-only file system", dir.display()),
            )
            .fix("mount it read-write (or set data_dir to a writable place); with systemd, list it in ReadWritePaths=")
            .public("read-only")
        } else {
            Check::new(
                "data dir",
                Status::Fail,
                format!(
                    "{user} cannot write to {} (owner uid {}, mode {mode:04o}): {e}",
                    dir.display(),
                    meta.uid()
                ),
            )
            .fix(format!(
                "run doctor as the server's user, and give that user the directory: `sudo chown -R \
                 USER {}` (or `chattr -i` if it was made immutable)",
                dir.display()
            ))
            .public("not writable")
        };
    }
    // Permissions say yes; a real write says whether the file system agrees (an ext4 that hit an
    // error is read-only without saying so to access(2); full; immutable).
    if let Err(e) = write_probe(dir) {
        let fix = match e.raw_os_error() {
            Some(libc::EROFS) => "the file system turned read-only (after an error, see `dmesg`): \
                                  repair it and mount it read-write"
                .to_string(),
            Some(libc::ENOSPC | libc::EDQUOT) => "free space on that file system".to_string(),
            Some(libc::EPERM) => {
                format!("it is immutable (`lsattr -d {0}`): `sudo chattr -i {0}`", dir.display())
            }
            _ => format!("check {} and its disk", dir.display()),
        };
        return Check::new(
            "data dir",
            Status::Fail,
            format!("{user} cannot create a file in {}: {e}", dir.display()),
        )
        .fix(fix)
        .public(if e.raw_os_error() == Some(libc::EROFS) {
            "read-only"
        } else {
            "not writable"
        });
    }
    if mode & 0o077 != 0 {
        return Check::new(
            "data dir",
            Status::Warn,
            format!(
                "{} has mode {mode:04o}: other users can look into it (it holds the database, the \
                 token signing key and the initial admin password)",
                dir.display()
            ),
        )
        .fix(format!("chmod 700 {}", dir.display()))
        .public("readable by other users");
    }
    if meta.uid() != uid {
        return Check::new(
            "data dir",
            Status::Warn,
            format!(
                "{} belongs to {}, not to {user} who runs doctor",
                dir.display(),
                user_label(meta.uid())
            ),
        )
        .fix(format!(
            "run doctor as the server's user (`sudo -u {} dokku-pro-api doctor --config ...`)",
            user_name(meta.uid()).unwrap_or_else(|| meta.uid().to_string())
        ))
        .public("owned by another user than the server's");
    }
    Check::ok("data dir", format!("{}: owner-only ({mode:04o}), writable", dir.display()))
        .public("owner-only, writable")
}

/// The files the server keeps: owner-only, and owned by the directory's owner (a file made by
/// root in the server's directory is one the server cannot write).
fn data_files_check(dir: &Path) -> Check {
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(dir).map(|m| m.uid()).unwrap_or_else(|_| euid());
    let mut open = Vec::new();
    let mut foreign = Vec::new();
    let mut count = 0;
    for sub in [dir.to_path_buf(), dir.join("ssh")] {
        let Ok(entries) = std::fs::read_dir(&sub) else { continue };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() || entry.file_name().to_string_lossy().starts_with(PROBE_FILE) {
                continue;
            }
            count += 1;
            let path = entry.path();
            let name = path.strip_prefix(dir).unwrap_or(&path).display().to_string();
            if meta.mode() & 0o077 != 0 {
                open.push(format!("{name} ({:04o})", meta.mode() & 0o7777));
            }
            if meta.uid() != owner {
                foreign.push(format!("{name} (uid {})", meta.uid()));
            }
        }
    }
    if !foreign.is_empty() {
        let owner_name = user_name(owner).unwrap_or_else(|| owner.to_string());
        return Check::new(
            "data files",
            Status::Fail,
            format!(
                "owned by another user than the directory's ({}): {}; the server cannot write them",
                user_label(owner),
                foreign.join(", ")
            ),
        )
        .fix(format!(
            "sudo chown -R {owner_name} {}  (and run `dokku-pro-api user ...` as that user: \
             `sudo -u {owner_name} dokku-pro-api user ...`)",
            dir.display()
        ))
        .public("files owned by another user");
    }
    if !open.is_empty() {
        return Check::new(
            "data files",
            Status::Warn,
            format!("readable by other users: {}", open.join(", ")),
        )
        .fix(format!(
            "chmod 600 the files listed, in {} (the server creates them so)",
            dir.display()
        ))
        .public("files readable by other users");
    }
    Check::ok("data files", format!("{count} files, owner-only")).public("owner-only")
}

/// Below this much free space the disk check warns.
const LOW_SPACE: u64 = 100 * 1024 * 1024;

fn disk_space_check(dir: &Path) -> Check {
    let at = existing_ancestor(dir);
    let Some(fs) = statvfs(&at) else {
        return Check::new("disk space", Status::Skip, format!("cannot stat {}", at.display()));
    };
    let free = fs.free_bytes;
    let inodes = if fs.total_inodes > 0 && fs.free_inodes == 0 { " and no free inode" } else { "" };
    let human = human_bytes(free);
    if free < 1024 * 1024 || !inodes.is_empty() {
        Check::new(
            "disk space",
            Status::Fail,
            format!("{human} free{inodes} on the file system of {}", at.display()),
        )
        .fix("free space on that file system: the database cannot grow and writes fail")
        .public("full")
    } else if free < LOW_SPACE {
        Check::new(
            "disk space",
            Status::Warn,
            format!("only {human} free on the file system of {}", at.display()),
        )
        .fix("free space on that file system before it fills")
        .public("low")
    } else {
        Check::ok("disk space", format!("{human} free on the file system of {}", at.display()))
            .public("ok")
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{n} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// The database: there (else nothing to check), a schema this build knows, intact, and
/// writable (one real write, committed). Opened without creating anything.
fn database_check(data_dir: &Path) -> Check {
    use rusqlite::{Connection, OpenFlags};
    let path = data_dir.join("dokku-pro-api.db");
    if !path.exists() {
        return Check::new("database", Status::Skip, "no database yet: the first start creates it")
            .public("not created yet");
    }
    let fail = |what: &str, e: &rusqlite::Error| {
        let detail = format!("{}: {what}: {e}", path.display());
        let fix = match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ReadOnly) => format!(
                "make {} and its files writable by the server's user (a read-only mount, an \
                 immutable file: `lsattr`, `chattr -i`)",
                data_dir.display()
            ),
            Some(rusqlite::ErrorCode::DiskFull) => {
                format!("free space on the file system of {}", data_dir.display())
            }
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                "another process held the database for 5 s: try again".to_string()
            }
            _ => format!(
                "check {} (permissions, the disk); restore it from a backup if it is damaged",
                data_dir.display()
            ),
        };
        let status = match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                Status::Warn
            }
            _ => Status::Fail,
        };
        Check::new("database", status, detail).fix(fix).public("cannot be written")
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = match Connection::open_with_flags(&path, flags) {
        Ok(conn) => conn,
        Err(e) => return fail("cannot open it", &e),
    };
    let _ = conn.busy_timeout(Duration::from_secs(5));
    let version: i64 = match conn.pragma_query_value(None, "user_version", |r| r.get(0)) {
        Ok(v) => v,
        Err(e) => return fail("cannot read it", &e),
    };
    let known = crate::storage::SCHEMA_VERSION as i64;
    if version > known {
        return Check::new(
            "database",
            Status::Fail,
            format!(
                "{} was written by a newer dokku-pro-api (schema {version}; this one knows {known})",
                path.display()
            ),
        )
        .fix("run the newer dokku-pro-api, or restore the data directory from a backup")
        .public("written by a newer version");
    }
    match conn.query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0)) {
        Ok(answer) if answer == "ok" => {}
        Ok(answer) => {
            return Check::new(
                "database",
                Status::Fail,
                format!("{}: the integrity check says: {answer}", path.display()),
            )
            .fix("stop the server and restore the data directory from a backup")
            .public("damaged");
        }
        Err(e) => return fail("the integrity check failed", &e),
    }
    let has_heartbeat = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'heartbeat'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap_or(0)
        > 0;
    let write = if has_heartbeat {
        conn.execute("UPDATE heartbeat SET at = ?1 WHERE id = 1", [crate::storage::now_ms()])
            .map(|_| ())
    } else {
        // An older schema: take the write lock and let it go (no row to write yet).
        conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;")
    };
    if let Err(e) = write {
        return fail("a write failed", &e);
    }
    let migrate = if version < known {
        format!(" (the next start migrates it to schema {known})")
    } else {
        String::new()
    };
    Check::ok(
        "database",
        format!("{}: schema {version}{migrate}, intact, accepted a write", path.display()),
    )
    .public("ok")
}

// ---- host facts --------------------------------------------------------------------------------

/// What the connected host offers this server: its version's JSON forms, the plugins, the root
/// login, the proxy and nginx's configuration, and the clocks. Read-only; a few Dokku calls (and
/// one root-login probe).
pub async fn host_facts(host: &Host, setup: &Setup) -> Vec<Check> {
    let mut checks = vec![version_check(host.version())];
    checks.extend(plugin_checks(host).await);
    checks.push(root_check(host, setup).await);
    let (proxy, is_nginx) = proxy_check(host).await;
    checks.push(proxy);
    checks.push(nginx_check(host, is_nginx).await);
    let remote = match setup.host.kind {
        HostKind::Ssh => host_clock(host).await,
        _ => None,
    };
    let has_shell = remote.is_some();
    checks.push(clock_check(remote.as_ref().and_then(|r| r.as_ref().ok()).copied()));
    if setup.host.kind == HostKind::Ssh {
        checks.push(host_clock_check(remote, has_shell));
    }
    checks
}

fn version_check(v: DokkuVersion) -> Check {
    let forms = [
        (v.has_domains_json(), "domains:report JSON and --global reports", "0.38.0"),
        (v.has_unprefixed_report_keys(), "unprefixed report keys", "0.38.8"),
        (v.has_apps_and_scale_json(), "apps:list and ps:scale JSON", "0.38.21"),
        (v.has_plugin_list_json(), "plugin:list JSON", "0.38.22"),
        (v.has_config_import(), "config:import", "0.37.0"),
    ];
    let missing: Vec<String> = forms
        .iter()
        .filter(|(has, _, _)| !has)
        .map(|(_, what, from)| format!("{what} (from {from})"))
        .collect();
    if missing.is_empty() {
        Check::ok("dokku version", format!("{v}: supported, every JSON form the server uses"))
            .public(format!("{v}, every JSON form"))
    } else {
        Check::ok(
            "dokku version",
            format!("{v}: supported; the documented text fallbacks replace {}", missing.join(", ")),
        )
        .public(format!("{v}, with text fallbacks"))
    }
}

/// The plugins each API tag needs: `http-auth` (tag `http auth`), `maintenance` (tag
/// `maintenance mode`) and the official datastores (tags `datastores` and `services`). One
/// `plugin:list`.
async fn plugin_checks(host: &Host) -> Vec<Check> {
    let json = host.version().has_plugin_list_json();
    let cmd = if json {
        DokkuCommand::new("plugin:list").arg("--format").arg("json")
    } else {
        DokkuCommand::new("plugin:list")
    };
    let parse = if json { parse_plugin_list_json } else { parse_plugin_list_text };
    let plugins = match host.query(&cmd, parse).await {
        Ok(plugins) => plugins,
        Err(e) => {
            return vec![
                Check::new(
                    "plugins",
                    Status::Warn,
                    format!("cannot list the plugins: {}", crate::error::chain(&e)),
                )
                .fix("run `dokku plugin:list` on the Dokku host and fix what it says")
                .public("cannot be listed"),
            ];
        }
    };
    vec![
        plugin_check(&plugins, "http-auth", "dokku-http-auth", "the `http auth` operations"),
        plugin_check(
            &plugins,
            "maintenance",
            "dokku-maintenance",
            "the `maintenance mode` operations",
        ),
        datastores_check(&plugins),
    ]
}

fn plugin_check(plugins: &[Plugin], name: &'static str, repo: &str, what: &str) -> Check {
    let check_name = match name {
        "http-auth" => "http-auth plugin",
        _ => "maintenance plugin",
    };
    match plugins.iter().find(|p| p.name == name) {
        Some(p) if p.enabled => Check::ok(
            check_name,
            format!("{name} {}", p.version.as_deref().unwrap_or("(no version)")),
        )
        .public(format!("{name} {}", p.version.as_deref().unwrap_or(""))),
        Some(_) => Check::new(
            check_name,
            Status::Warn,
            format!("{name} is installed but disabled: {what} fail"),
        )
        .fix(format!("sudo dokku plugin:enable {name}"))
        .public("disabled"),
        None => Check::new(check_name, Status::Warn, format!("not installed: {what} fail"))
            .fix(format!(
                "sudo dokku plugin:install https://github.com/dokku/{repo}.git --name {name}"
            ))
            .public("not installed"),
    }
}

fn datastores_check(plugins: &[Plugin]) -> Check {
    use crate::ids::OFFICIAL_DATASTORES;
    let enabled: Vec<String> = plugins
        .iter()
        .filter(|p| p.enabled && OFFICIAL_DATASTORES.contains(&p.name.as_str()))
        .map(|p| format!("{} {}", p.name, p.version.as_deref().unwrap_or("")).trim().to_string())
        .collect();
    let disabled: Vec<&str> = plugins
        .iter()
        .filter(|p| !p.enabled && OFFICIAL_DATASTORES.contains(&p.name.as_str()))
        .map(|p| p.name.as_str())
        .collect();
    // An official datastore installed under another name: its commands have another prefix,
    // which the API does not look for.
    let renamed: Vec<String> = plugins
        .iter()
        .filter(|p| !OFFICIAL_DATASTORES.contains(&p.name.as_str()))
        .filter_map(|p| {
            let url = p.source_url.as_deref()?;
            let repo = url.trim_end_matches('/').trim_end_matches(".git").rsplit('/').next()?;
            let official = repo.strip_prefix("dokku-")?;
            OFFICIAL_DATASTORES
                .contains(&official)
                .then(|| format!("`{}` (dokku-{official}, expected as `{official}`)", p.name))
        })
        .collect();
    if !renamed.is_empty() {
        return Check::new(
            "datastore plugins",
            Status::Warn,
            format!(
                "installed under another name, so the API does not see them: {}{}",
                renamed.join(", "),
                if enabled.is_empty() {
                    String::new()
                } else {
                    format!("; in use: {}", enabled.join(", "))
                }
            ),
        )
        .fix("reinstall each under its command prefix (`--name postgres`, `--name redis`, ...)")
        .public("a datastore plugin under another name");
    }
    if !disabled.is_empty() {
        return Check::new(
            "datastore plugins",
            Status::Warn,
            format!("disabled: {}", disabled.join(", ")),
        )
        .fix(format!(
            "sudo dokku plugin:enable {}",
            disabled.first().copied().unwrap_or("postgres")
        ))
        .public("a datastore plugin is disabled");
    }
    if enabled.is_empty() {
        return Check::new(
            "datastore plugins",
            Status::Warn,
            "no official datastore plugin: `GET /datastores` is empty and the `services` \
             operations have nothing to work with",
        )
        .fix(
            "install the datastores you use under their names, e.g. `sudo dokku plugin:install \
             https://github.com/dokku/dokku-postgres.git --name postgres`",
        )
        .public("none installed");
    }
    Check::ok("datastore plugins", enabled.join(", ")).public(enabled.join(", "))
}

/// A key name and fingerprint the package's sudoers rule allows (`sudo -l` checks a command
/// without running it).
const PROBE_KEY_NAME: &str = "dokku-pro-api-doctor";
const PROBE_FINGERPRINT: &str = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// Whether root-only commands (`ssh-keys:add`, `ssh-keys:remove`) can run as root, probed
/// without running one.
async fn root_check(host: &Host, setup: &Setup) -> Check {
    let hc = &setup.host;
    match hc.kind {
        HostKind::Sim => {
            Check::ok("root login", "the simulated host runs every command").public("ok")
        }
        HostKind::Local => match &hc.root_command {
            None if euid() == 0 => Check::ok(
                "root login",
                "running as root: `ssh-keys:add` and `ssh-keys:remove` run through host.dokku_path",
            )
            .public("runs as root"),
            None => Check::new(
                "root login",
                Status::Warn,
                format!(
                    "{} is not root and host.root_command is not set: adding and removing SSH keys \
                     answer 503",
                    user_label(euid())
                ),
            )
            .fix(
                "set host.root_command = [\"sudo\", \"-n\", \"/usr/bin/dokku\"] with the sudoers \
                 rule of the README (server/debian/sudoers)",
            )
            .public("none: adding and removing SSH keys answer 503"),
            Some(argv) if Path::new(&argv[0]).file_name().is_some_and(|n| n == "sudo") => {
                local_sudo_check(argv, &setup.data_dir).await
            }
            Some(argv) => Check::new(
                "root login",
                Status::Skip,
                format!(
                    "host.root_command starts with `{}`, which doctor cannot check without running \
                     a root-only command",
                    argv[0]
                ),
            )
            .public("not checked"),
        },
        HostKind::Ssh => {
            let ssh = &hc.ssh;
            let login = ssh.root_user.clone().unwrap_or_else(|| ssh.user.clone());
            if ssh.root_user.is_none() && !ssh.root_sudo {
                return Check::new(
                    "root login",
                    Status::Warn,
                    "no root login configured: adding and removing SSH keys answer 503",
                )
                .fix(
                    "set host.ssh.root_user (a login that is root on the Dokku host), or \
                     host.ssh.root_sudo = true for a sudoer with the sudoers rule of the README",
                )
                .public("none: adding and removing SSH keys answer 503");
            }
            let script = if ssh.root_sudo {
                format!(
                    "sudo -n -l dokku ssh-keys:add {PROBE_KEY_NAME} >/dev/null && sudo -n -l dokku \
                     ssh-keys:remove --fingerprint {PROBE_FINGERPRINT} >/dev/null"
                )
            } else {
                "id -u".to_string()
            };
            let out = match host.root_shell(&script).await {
                Some(Ok(out)) => out,
                Some(Err(e)) => {
                    return Check::new(
                        "root login",
                        Status::Warn,
                        format!("the login `{login}` failed: {}", crate::error::chain(&e)),
                    )
                    .fix(format!(
                        "allow the server's key for `{login}` on the Dokku host (its \
                         ~/.ssh/authorized_keys), or fix host.ssh.root_user / root_identity_file"
                    ))
                    .public("the root login fails");
                }
                None => {
                    return Check::new("root login", Status::Skip, "no shell login to probe")
                        .public("not checked");
                }
            };
            if ssh.root_sudo {
                if out.success() {
                    Check::ok(
                        "root login",
                        format!(
                            "`{login}` may run `sudo -n dokku ssh-keys:add|remove` (sudo -l says so)"
                        ),
                    )
                    .public("sudo allows the root-only commands")
                } else {
                    Check::new(
                        "root login",
                        Status::Warn,
                        format!(
                            "sudo does not let `{login}` run `dokku ssh-keys:add|remove` without a \
                             password: {}",
                            first_line(&out.stderr).unwrap_or("sudo -l refused")
                        ),
                    )
                    .fix(format!(
                        "install the sudoers rule of the README for `{login}` \
                         (/etc/sudoers.d/dokku-pro-api, mode 0440, then `visudo -c`)"
                    ))
                    .public("sudo refuses the root-only commands")
                }
            } else {
                match out.stdout.trim() {
                    "0" if out.success() => {
                        Check::ok("root login", format!("`{login}` is root (uid 0)")).public("root")
                    }
                    other => Check::new(
                        "root login",
                        Status::Warn,
                        format!(
                            "`{login}` is not root (uid {}): `ssh-keys:add` and `ssh-keys:remove` \
                             answer 503",
                            if other.is_empty() { "?" } else { other }
                        ),
                    )
                    .fix(format!(
                        "use a login that is root, or keep `{login}` and set host.ssh.root_sudo = \
                         true with the sudoers rule of the README"
                    ))
                    .public("not root"),
                }
            }
        }
    }
}

/// `sudo -n -l <root_command> ssh-keys:add <name>` (and `remove`): whether sudo would run them
/// without a password. As root, for the data directory's owner (the server's user).
async fn local_sudo_check(argv: &[String], data_dir: &Path) -> Check {
    use std::os::unix::fs::MetadataExt;
    let mut base: Vec<String> = vec![argv[0].clone(), "-n".into(), "-l".into()];
    let mut for_user = None;
    if euid() == 0
        && let Ok(meta) = std::fs::metadata(data_dir)
        && meta.uid() != 0
        && let Some(name) = user_name(meta.uid())
    {
        base.extend(["-U".to_string(), name.clone()]);
        for_user = Some(name);
    }
    base.extend(argv[1..].iter().filter(|a| *a != "-n").cloned());
    let who = for_user.clone().unwrap_or_else(|| user_label(euid()));
    for probe in [
        vec!["ssh-keys:add", PROBE_KEY_NAME],
        vec!["ssh-keys:remove", "--fingerprint", PROBE_FINGERPRINT],
    ] {
        let mut command = tokio::process::Command::new(&base[0]);
        command.args(&base[1..]).args(&probe).stdin(std::process::Stdio::null()).kill_on_drop(true);
        let out =
            tokio::time::timeout(Duration::from_secs(PROBE_TIMEOUT_SECONDS), command.output())
                .await;
        let refusal = match out {
            Ok(Ok(out)) if out.status.success() => continue,
            Ok(Ok(out)) => String::from_utf8_lossy(&out.stderr)
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("sudo -l refused")
                .to_string(),
            Ok(Err(e)) => format!("cannot run {}: {e}", base[0]),
            Err(_) => "sudo -l did not answer".to_string(),
        };
        return Check::new(
            "root login",
            Status::Warn,
            format!(
                "sudo would not let {who} run `{} {}` without a password: {refusal}",
                argv[1..].join(" "),
                probe.join(" ")
            ),
        )
        .fix("install the sudoers rule of the README (/etc/sudoers.d/dokku-pro-api, mode 0440, then `visudo -c`)")
        .public("sudo refuses the root-only commands");
    }
    Check::ok(
        "root login",
        format!(
            "sudo lets {who} run `{} ssh-keys:add|remove` without a password",
            argv[1..].join(" ")
        ),
    )
    .public("sudo allows the root-only commands")
}

/// The proxy: http-auth and maintenance work only with nginx. With whether it is nginx.
async fn proxy_check(host: &Host) -> (Check, bool) {
    if !host.version().has_domains_json() {
        let check = Check::new(
            "proxy",
            Status::Skip,
            "Dokku before 0.38.0 has no global proxy report; see `dokku proxy:report`",
        )
        .public("not checked");
        // Dokku's default, and what the other checks then assume.
        return (check, true);
    }
    let cmd = DokkuCommand::new("proxy:report").with_args(["--global", "--proxy-computed-type"]);
    let proxy = host.query(&cmd, |s| Ok::<_, std::convert::Infallible>(s.trim().to_string())).await;
    let is_nginx = matches!(&proxy, Ok(p) if p == "nginx");
    let check = match proxy {
        Ok(_) if is_nginx => {
            Check::ok("proxy", "nginx (what http-auth and maintenance need)").public("nginx")
        }
        Ok(proxy) => Check::new(
            "proxy",
            Status::Warn,
            format!(
                "the host's proxy is `{proxy}`: the `http auth` and `maintenance mode` operations \
                 work only with nginx"
            ),
        )
        .fix("use nginx for the apps that need them (`dokku proxy:set --global nginx`, or per app)")
        .public(format!("{proxy}, not nginx")),
        Err(e) => Check::new(
            "proxy",
            Status::Warn,
            format!("cannot read the proxy: {}", crate::error::chain(&e)),
        )
        .public("cannot be read"),
    };
    (check, is_nginx)
}

/// Whether nginx accepts its configuration as Dokku checks it (`nginx:validate-config`: `sudo
/// nginx -t`, then each app's file). Dokku runs the same after every proxy change, `apps:create`
/// included, and refuses the change when it fails: then no app can be created, whatever the
/// request. Read-only (no `--clean`).
async fn nginx_check(host: &Host, nginx: bool) -> Check {
    const NAME: &str = "nginx config";
    if !nginx {
        return Check::new(
            NAME,
            Status::Skip,
            "the host's proxy is not nginx, or unknown (see `proxy`)",
        )
        .public("not nginx");
    }
    let cmd = DokkuCommand::new("nginx:validate-config");
    let out = match host.read(&cmd).await {
        Ok(out) if out.success() => {
            return Check::ok(NAME, "`nginx -t` accepts it, as Dokku runs it").public("valid");
        }
        Ok(out) => out,
        Err(e) => {
            return Check::new(
                NAME,
                Status::Warn,
                format!("cannot run `{cmd}`: {}", crate::error::chain(&e)),
            )
            .public("cannot be checked");
        }
    };
    // What Dokku and nginx said: Dokku's ` !     Failed to validate nginx config for <app>`, then
    // nginx's complaint (`[emerg] ...`, `test failed`) without the "syntax is ok" that nginx
    // prints before a complaint that is not about syntax.
    let parsed = crate::host::parse::parse_stderr(&out.stderr);
    let nginx_said = parsed.other.iter().filter(|l| !l.ends_with("syntax is ok"));
    let mut said =
        parsed.messages.iter().chain(nginx_said).map(String::as_str).collect::<Vec<_>>().join("; ");
    if said.chars().count() > 400 {
        said = said.chars().take(400).collect::<String>() + "…";
    }
    Check::new(
        NAME,
        Status::Warn,
        format!(
            "`nginx -t` fails as Dokku runs it (exit status {}), so Dokku refuses to create apps \
             and to change domains: {said}",
            out.status
        ),
    )
    .fix(
        "run `dokku nginx:validate-config` on the host: it names the app whose configuration \
         nginx refuses, or prints nginx's own complaint",
    )
    .public("nginx -t fails")
}

/// How far the Dokku host's clock is ahead of this machine's, in seconds, read over the root
/// login (`date +%s`, halfway through the round trip). `None` without a shell login.
async fn host_clock(host: &Host) -> Option<Result<i64, String>> {
    let before = unix_seconds_f64();
    let out = host.root_shell("date +%s").await?;
    let after = unix_seconds_f64();
    Some(match out {
        Ok(out) if out.success() => match out.stdout.trim().parse::<i64>() {
            Ok(remote) => Ok(remote - ((before + after) / 2.0).round() as i64),
            Err(_) => Err(format!("`date +%s` printed {:?}", out.stdout.trim())),
        },
        Ok(out) => Err(first_line(&out.stderr).unwrap_or("`date +%s` failed").to_string()),
        Err(e) => Err(crate::error::chain(&e)),
    })
}

/// The Dokku host's clock against this one (over SSH).
fn host_clock_check(remote: Option<Result<i64, String>>, has_shell: bool) -> Check {
    match remote {
        Some(Ok(skew)) if skew.abs() <= 5 => Check::ok(
            "host clock",
            format!("the Dokku host's clock is within {} s of this one", skew.abs().max(1)),
        )
        .public("agrees"),
        Some(Ok(skew)) => Check::new(
            "host clock",
            Status::Warn,
            format!(
                "the Dokku host's clock is {} s {} this machine's: job times and Dokku's logs \
                 disagree, and one of the two clocks is wrong",
                skew.abs(),
                if skew > 0 { "ahead of" } else { "behind" }
            ),
        )
        .fix("synchronize both clocks (`timedatectl set-ntp true`, or chrony)")
        .public("differs from this machine's"),
        Some(Err(e)) => Check::new("host clock", Status::Skip, format!("cannot read it: {e}"))
            .public("not checked"),
        None => Check::new(
            "host clock",
            Status::Skip,
            if has_shell {
                "cannot read it".to_string()
            } else {
                "no shell login on the Dokku host to read its clock (host.ssh.root_user or \
                 root_sudo has one)"
                    .to_string()
            },
        )
        .public("not checked"),
    }
}

/// This machine's clock: tokens are issued and checked with it, and clients compare their
/// `expires_at` with their own clocks. Synchronized (the kernel's NTP state), or agreeing with
/// the Dokku host's (`remote_skew`, seconds).
fn clock_check(remote_skew: Option<i64>) -> Check {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    // 2025-01-01: no machine running this build can be earlier.
    if now < 1_735_689_600 {
        return Check::new(
            "clock",
            Status::Fail,
            format!("this machine's clock says {now} s after 1970, before this program was built"),
        )
        .fix("set the clock and keep it synchronized (`timedatectl set-ntp true`, or chrony)")
        .public("wrong");
    }
    match kernel_clock_sync() {
        Some((true, est_error_us)) => Check::ok(
            "clock",
            format!("synchronized (NTP), estimated error {} ms", est_error_us / 1000),
        )
        .public("synchronized"),
        Some((false, _)) if remote_skew.is_some_and(|s| s.abs() <= 5) => Check::ok(
            "clock",
            "not synchronized by NTP here, but it agrees with the Dokku host's clock",
        )
        .public("agrees with the Dokku host"),
        Some((false, _)) => Check::new(
            "clock",
            Status::Warn,
            "not synchronized: the kernel reports no NTP discipline; token expiry times come \
             from this clock, and clients compare them with theirs",
        )
        .fix("enable time synchronization (`timedatectl set-ntp true`, or install chrony)")
        .public("not synchronized"),
        None => Check::new("clock", Status::Skip, "the kernel's NTP state cannot be read")
            .public("not checked"),
    }
}

// ---- system helpers ----------------------------------------------------------------------------

fn first_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).find(|l| !l.is_empty())
}

fn unix_seconds_f64() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// `uid 1000 (dokku)`.
fn user_label(uid: u32) -> String {
    match user_name(uid) {
        Some(name) => format!("uid {uid} ({name})"),
        None => format!("uid {uid}"),
    }
}

/// The name of `uid` in `/etc/passwd`.
fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid).then(|| name.to_string())
    })
}

/// The path itself, or its nearest ancestor that exists.
fn existing_ancestor(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    absolute.ancestors().find(|p| p.exists()).unwrap_or(Path::new("/")).to_path_buf()
}

fn c_path(path: &Path) -> std::io::Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
}

/// Whether this process (its effective ids) may create files in `dir`.
fn writable(dir: &Path) -> std::io::Result<()> {
    let path = c_path(dir)?;
    // SAFETY: a valid NUL-terminated path; faccessat only reads it.
    let r = unsafe {
        libc::faccessat(libc::AT_FDCWD, path.as_ptr(), libc::W_OK | libc::X_OK, libc::AT_EACCESS)
    };
    if r == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) }
}

/// The name (before the pid) of the file [`write_probe`] makes.
const PROBE_FILE: &str = ".doctor-write-probe-";

/// Creates, writes, syncs and removes a file of its own in `dir`.
fn write_probe(dir: &Path) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(format!("{PROBE_FILE}{}", std::process::id()));
    let result =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).and_then(
            |mut file| {
                file.write_all(b"x")?;
                file.sync_all()
            },
        );
    let _ = std::fs::remove_file(&path);
    result
}

struct FsSpace {
    free_bytes: u64,
    total_inodes: u64,
    free_inodes: u64,
    read_only: bool,
}

fn statvfs(path: &Path) -> Option<FsSpace> {
    let c = c_path(path).ok()?;
    // SAFETY: statvfs writes only into the struct we pass, which is plain data.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(FsSpace {
        free_bytes: st.f_bavail as u64 * st.f_frsize as u64,
        total_inodes: st.f_files as u64,
        free_inodes: st.f_favail as u64,
        read_only: st.f_flag & libc::ST_RDONLY != 0,
    })
}

fn read_only_fs(path: &Path) -> bool {
    statvfs(path).is_some_and(|s| s.read_only)
}

/// The kernel's view of the clock (`adjtimex`, read only): synchronized or not, and the
/// estimated error in microseconds.
fn kernel_clock_sync() -> Option<(bool, i64)> {
    // SAFETY: with `modes = 0` adjtimex only reads the kernel's state into the struct.
    let mut tx: libc::timex = unsafe { std::mem::zeroed() };
    let state = unsafe { libc::adjtimex(&mut tx) };
    if state < 0 {
        return None;
    }
    let synchronized = state != libc::TIME_ERROR && tx.status & libc::STA_UNSYNC == 0;
    Some((synchronized, tx.esterror as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_wraps_long_cells_under_their_column() {
        let report = Report {
            checks: vec![
                Check::ok("config", "defaults"),
                Check::new("data dir", Status::Fail, "a long detail ".repeat(8).trim())
                    .fix("chmod 700 /a/very/long/path/that/does/not/fit/on/one/line/at/all/x"),
            ],
        };
        let table = report.table(80);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("CHECK     STATUS  DETAIL"), "{table}");
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{table}");
        assert!(lines[2].starts_with("data dir  fail    a long detail"), "{table}");
        assert!(lines[3].starts_with("                  "), "a wrapped line stays in its column");
        assert!(table.contains("1 fail"), "{table}");
        assert_eq!(report.blockers(), 1);
    }

    #[test]
    fn wrapping_splits_words_longer_than_the_column() {
        assert_eq!(wrap("abcdefghij klm", 8), ["abcdefgh", "ij klm"]);
        assert_eq!(wrap("", 8), Vec::<String>::new());
    }

    #[test]
    fn an_open_or_foreign_data_dir_is_flagged() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let checks = local_checks(&data);
        assert_eq!(checks[0].status, Status::Ok, "{:?}", checks[0]);
        assert!(checks[0].detail.contains("does not exist yet"));
        crate::create_data_dir(&data).unwrap();
        std::fs::write(data.join("initial-admin-password"), "x").unwrap();
        std::fs::set_permissions(
            data.join("initial-admin-password"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let checks = local_checks(&data);
        let by_name = |n: &str| checks.iter().find(|c| c.name == n).unwrap().clone();
        assert_eq!(by_name("data dir").status, Status::Ok);
        assert_eq!(by_name("data files").status, Status::Warn);
        assert!(by_name("data files").detail.contains("initial-admin-password (0644)"));
        assert_eq!(by_name("admin password").status, Status::Warn);
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let checks = local_checks(&data);
        assert_eq!(checks[0].status, Status::Warn);
        assert_eq!(
            checks[0].fix.as_deref(),
            Some(format!("chmod 700 {}", data.display()).as_str())
        );
        assert!(!checks[0].public.contains(&data.display().to_string()), "no path in public");
    }

    #[test]
    fn versions_say_which_fallbacks_they_need() {
        let new = version_check(DokkuVersion::new(0, 38, 27));
        assert!(new.detail.contains("every JSON form"), "{}", new.detail);
        let old = version_check(DokkuVersion::new(0, 36, 0));
        assert_eq!(old.status, Status::Ok);
        assert!(old.detail.contains("plugin:list JSON (from 0.38.22)"), "{}", old.detail);
        assert!(old.detail.contains("config:import (from 0.37.0)"), "{}", old.detail);
    }

    #[test]
    fn missing_and_renamed_plugins_are_warnings_with_the_install_line() {
        let plugin = |name: &str, enabled: bool, url: Option<&str>| Plugin {
            name: name.into(),
            version: Some("1.0.0".into()),
            enabled,
            core: Some(false),
            description: None,
            source_url: url.map(String::from),
            committish: None,
            branch: None,
        };
        let plugins = [
            plugin("maintenance", false, None),
            plugin("pg", true, Some("https://github.com/dokku/dokku-postgres.git")),
        ];
        let http = plugin_check(&plugins, "http-auth", "dokku-http-auth", "x");
        assert_eq!(http.status, Status::Warn);
        assert_eq!(
            http.fix.as_deref(),
            Some(
                "sudo dokku plugin:install https://github.com/dokku/dokku-http-auth.git --name \
                 http-auth"
            )
        );
        let maintenance = plugin_check(&plugins, "maintenance", "dokku-maintenance", "x");
        assert_eq!(maintenance.fix.as_deref(), Some("sudo dokku plugin:enable maintenance"));
        let ds = datastores_check(&plugins);
        assert_eq!(ds.status, Status::Warn);
        assert!(
            ds.detail.contains("`pg` (dokku-postgres, expected as `postgres`)"),
            "{}",
            ds.detail
        );
        let ds = datastores_check(&[plugin("postgres", true, None)]);
        assert_eq!((ds.status, ds.detail.as_str()), (Status::Ok, "postgres 1.0.0"));
        assert_eq!(datastores_check(&[]).status, Status::Warn);
    }
}
