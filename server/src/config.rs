//! Configuration: a TOML file (`--config`), every option overridable by a command-line flag.
//!
//! Precedence: flag > file > default. Unknown keys in the file are an error (a typo must not
//! silently fall back to a default on a production host).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole configuration of `serve`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where clients connect.
    pub bind: SocketAddr,
    /// Where the server keeps its state (database, signing key, simulated host).
    pub data_dir: PathBuf,
    pub log_level: LogLevel,
    /// The largest request body accepted; larger ones get 413.
    pub request_body_max_bytes: usize,
    /// How long a graceful shutdown waits for requests in flight.
    pub shutdown_grace_seconds: u64,
    /// Where Dokku runs.
    pub host: HostConfig,
    pub auth: AuthConfig,
    pub jobs: JobsConfig,
    pub http: HttpConfig,
    /// The audit log, and how long it and finished jobs are kept.
    #[serde(default)]
    pub audit: AuditConfig,
}

/// The audit log (`docs/audit.md`) and the one task that deletes old audit events and finished
/// jobs.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Audit events are deleted this many days after their request; 0 keeps them for good.
    pub retention_days: u32,
    /// How often old audit events and finished jobs (`[jobs] retention_days`) are looked for.
    pub prune_interval_seconds: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { retention_days: 90, prune_interval_seconds: 3600 }
    }
}

/// Client connections: how many at once, and how long each may take to say what it wants.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Connections open at once; at the cap a new client evicts the one idle longest, and is
    /// refused (503) only when every connection has a request in progress. The open-file limit
    /// is raised to fit.
    pub max_connections: usize,
    /// A new connection must send its request head within this; a kept-alive one must finish a
    /// head within this of its first byte.
    pub header_read_timeout_seconds: u64,
    /// A kept-alive connection is closed after this long without a request.
    pub idle_timeout_seconds: u64,
    /// A request body must arrive whole within this (else 408).
    pub body_read_timeout_seconds: u64,
    /// A request still running after this gets 504; it runs on to the end.
    pub handler_timeout_seconds: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        let d = crate::front::FrontSettings::default();
        HttpConfig {
            max_connections: d.max_connections,
            header_read_timeout_seconds: d.header_read_timeout.as_secs(),
            idle_timeout_seconds: d.idle_timeout.as_secs(),
            body_read_timeout_seconds: d.body_read_timeout.as_secs(),
            handler_timeout_seconds: d.handler_timeout.as_secs(),
        }
    }
}

/// The background job queue (the work behind the `202` operations).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Jobs that run at once (at most one per app).
    pub workers: usize,
    /// Retries of a job that met Dokku's deploy lock or a dropped connection before it fails.
    pub retry_limit: u32,
    /// The first retry waits about this long (ms); each next one twice as long, with jitter,
    /// at most 5 minutes.
    pub backoff_base_ms: u64,
    /// How long a graceful shutdown waits for running jobs; the rest run again at the next start.
    pub shutdown_wait_seconds: u64,
    /// Completed and failed jobs, with their output, are deleted this many days after they
    /// ended; 0 keeps them for good. Waiting and running jobs are never deleted. (A missing
    /// field takes the section's `Default`, as every field here: no field-level
    /// `#[serde(default)]`, which would take the type's zero instead.)
    pub retention_days: u32,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            workers: 4,
            retry_limit: 5,
            backoff_base_ms: 5000,
            shutdown_wait_seconds: 30,
            retention_days: 30,
        }
    }
}

impl JobsConfig {
    pub fn settings(&self) -> crate::jobs::JobSettings {
        crate::jobs::JobSettings {
            workers: self.workers,
            retry_limit: self.retry_limit,
            backoff_base: std::time::Duration::from_millis(self.backoff_base_ms),
            shutdown_wait: std::time::Duration::from_secs(self.shutdown_wait_seconds),
            ..crate::jobs::JobSettings::default()
        }
    }
}

/// Token lifetimes, failed-login limits, password hashing and token retention
/// (`docs/authentication.md`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    pub access_token_seconds: u64,
    pub refresh_token_seconds: u64,
    /// Failed logins allowed per client address and user name within the window; more get
    /// 429 from that address for that name until the window passes.
    pub login_failure_limit: usize,
    pub login_failure_window_seconds: u64,
    /// Failed logins allowed per client address, any user names, within the window.
    pub login_address_failure_limit: usize,
    /// Failed logins per user name, from every address, within the window past which the name
    /// is slowed (never locked) to one attempt per `login_name_slowed_interval_ms`, except from
    /// addresses where that user logged in.
    pub login_name_failure_limit: usize,
    pub login_name_slowed_interval_ms: u64,
    /// Password hashes computed at once [default: half the cores, at least 1].
    pub login_hash_workers: Option<usize>,
    /// Logins waiting for a hashing worker; more get 429 at once.
    pub login_hash_queue: usize,
    /// How long expired and revoked tokens are kept before they are deleted.
    pub token_retention_seconds: u64,
    /// How often they are looked for.
    pub token_prune_interval_seconds: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            access_token_seconds: 3600,
            refresh_token_seconds: 30 * 24 * 3600,
            login_failure_limit: 10,
            login_failure_window_seconds: 300,
            login_address_failure_limit: 30,
            login_name_failure_limit: 100,
            login_name_slowed_interval_ms: 2000,
            login_hash_workers: None,
            login_hash_queue: 16,
            token_retention_seconds: 7 * 24 * 3600,
            token_prune_interval_seconds: 3600,
        }
    }
}

impl AuthConfig {
    pub fn settings(&self) -> crate::auth::AuthSettings {
        crate::auth::AuthSettings {
            access_token_lifetime: std::time::Duration::from_secs(self.access_token_seconds),
            refresh_token_lifetime: std::time::Duration::from_secs(self.refresh_token_seconds),
            login_failure_limit: self.login_failure_limit,
            login_failure_window: std::time::Duration::from_secs(self.login_failure_window_seconds),
            login_address_failure_limit: self.login_address_failure_limit,
            login_name_failure_limit: self.login_name_failure_limit,
            login_name_slowed_interval: std::time::Duration::from_millis(
                self.login_name_slowed_interval_ms,
            ),
            login_hash_workers: self
                .login_hash_workers
                .unwrap_or_else(crate::auth::password::HashPool::default_workers),
            login_hash_queue: self.login_hash_queue,
            token_retention: std::time::Duration::from_secs(self.token_retention_seconds),
            token_prune_interval: std::time::Duration::from_secs(self.token_prune_interval_seconds),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:5000".parse().expect("a valid default address"),
            data_dir: PathBuf::from("dokku-pro-data"),
            log_level: LogLevel::Info,
            request_body_max_bytes: 256 * 1024,
            shutdown_grace_seconds: 10,
            host: HostConfig::default(),
            auth: AuthConfig::default(),
            jobs: JobsConfig::default(),
            http: HttpConfig::default(),
            audit: AuditConfig::default(),
        }
    }
}

/// Which Dokku the server drives.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum HostKind {
    /// `dokku` on this machine.
    Local,
    /// `ssh dokku@host` (see `[host.ssh]`).
    Ssh,
    /// The built-in simulated host (state in `DATA_DIR/sim`): for trying the API and for tests.
    Sim,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HostConfig {
    pub kind: HostKind,
    /// The `dokku` program for the local host.
    pub dokku_path: PathBuf,
    /// For the local host: the argv prefix that runs root-only commands (`ssh-keys:add`,
    /// `ssh-keys:remove`) as root, e.g. `["sudo", "-n", "/usr/bin/dokku"]`. Unset: they run
    /// through `dokku_path`, which works only when the server itself runs as root.
    pub root_command: Option<Vec<String>>,
    /// A Dokku command running longer than this is killed (builds run in jobs, so be generous).
    pub command_timeout_seconds: u64,
    pub ssh: SshConfig,
    pub sim: SimConfig,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            kind: HostKind::Local,
            dokku_path: PathBuf::from("dokku"),
            root_command: None,
            command_timeout_seconds: 900,
            ssh: SshConfig::default(),
            sim: SimConfig::default(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SshConfig {
    /// The Dokku host's name or address (required for `kind = "ssh"`).
    pub host: String,
    pub port: u16,
    /// The login for Dokku commands.
    pub user: String,
    pub identity_file: Option<PathBuf>,
    /// The `known_hosts` file to verify the host key against [default: ~/.ssh/known_hosts].
    pub known_hosts: Option<PathBuf>,
    /// Pin the host key by its `SHA256:` fingerprint instead of a `known_hosts` file.
    pub host_key_fingerprint: Option<String>,
    /// Trust a host key seen for the first time (recorded, then verified). Off by default.
    pub accept_new_host_key: bool,
    /// The login for root-only commands (`ssh-keys:add/remove`), e.g. `root`. Unset: those
    /// operations answer 503 explaining what to configure.
    pub root_user: Option<String>,
    /// The key for the root login [default: identity_file].
    pub root_identity_file: Option<PathBuf>,
    /// The root login (`root_user`, or `user` when unset) is a sudoer rather than root: it runs
    /// root-only commands as `sudo -n dokku ...`.
    pub root_sudo: bool,
    pub connect_timeout_seconds: u64,
    /// The `ssh` program.
    pub program: PathBuf,
}

impl Default for SshConfig {
    fn default() -> Self {
        SshConfig {
            host: String::new(),
            port: 22,
            user: "dokku".into(),
            identity_file: None,
            known_hosts: None,
            host_key_fingerprint: None,
            accept_new_host_key: false,
            root_user: None,
            root_identity_file: None,
            root_sudo: false,
            connect_timeout_seconds: 10,
            program: PathBuf::from("ssh"),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// The Dokku version the simulated host claims (its output formats follow it).
    pub version: String,
    /// Added to every simulated command, to see the API behave against a slow host.
    pub latency_ms: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig { version: "0.38.27".into(), latency_ms: 0 }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}")]
    Parse {
        path: PathBuf,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

/// Overrides from the command line (`None` = not given); the flags of `serve`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Overrides {
    /// Address to listen on [default: 127.0.0.1:5000].
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    /// Directory for the server's state [default: ./dokku-pro-data].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Log level [default: info].
    #[arg(long, value_enum)]
    pub log_level: Option<LogLevel>,
    /// Largest accepted request body in bytes [default: 262144].
    #[arg(long)]
    pub request_body_max_bytes: Option<usize>,
    /// Seconds a graceful shutdown waits for requests in flight [default: 10].
    #[arg(long)]
    pub shutdown_grace_seconds: Option<u64>,
    /// Where Dokku runs [default: local].
    #[arg(long, value_enum)]
    pub host_kind: Option<HostKind>,
    /// The dokku program for the local host [default: dokku].
    #[arg(long)]
    pub dokku_path: Option<PathBuf>,
    /// For the local host: the command that runs root-only Dokku commands as root, its words
    /// separated by commas (e.g. sudo,-n,/usr/bin/dokku).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub root_command: Option<Vec<String>>,
    /// Kill a Dokku command after this many seconds [default: 900].
    #[arg(long)]
    pub command_timeout_seconds: Option<u64>,
    /// The Dokku host to reach over SSH.
    #[arg(long)]
    pub ssh_host: Option<String>,
    /// [default: 22]
    #[arg(long)]
    pub ssh_port: Option<u16>,
    /// The SSH login for Dokku commands [default: dokku].
    #[arg(long)]
    pub ssh_user: Option<String>,
    #[arg(long)]
    pub ssh_identity_file: Option<PathBuf>,
    /// known_hosts file to verify the host key against [default: ~/.ssh/known_hosts].
    #[arg(long)]
    pub ssh_known_hosts: Option<PathBuf>,
    /// Pin the host key by its SHA256: fingerprint.
    #[arg(long)]
    pub ssh_host_key_fingerprint: Option<String>,
    /// Trust a host key seen for the first time (then verify it).
    #[arg(long)]
    pub ssh_accept_new_host_key: bool,
    /// The SSH login for root-only commands (ssh-keys:add/remove).
    #[arg(long)]
    pub ssh_root_user: Option<String>,
    #[arg(long)]
    pub ssh_root_identity_file: Option<PathBuf>,
    /// The root login (--ssh-root-user, or --ssh-user) runs root-only commands with sudo -n.
    #[arg(long)]
    pub ssh_root_sudo: bool,
    /// The Dokku version the simulated host claims [default: 0.38.27].
    #[arg(long)]
    pub sim_version: Option<String>,
    /// Latency added to every simulated command, in milliseconds [default: 0].
    #[arg(long)]
    pub sim_latency_ms: Option<u64>,
    /// Access token lifetime in seconds [default: 3600].
    #[arg(long)]
    pub access_token_seconds: Option<u64>,
    /// Refresh token lifetime in seconds [default: 2592000, 30 days].
    #[arg(long)]
    pub refresh_token_seconds: Option<u64>,
    /// Failed logins allowed per client address and user name within the window [default: 10].
    #[arg(long)]
    pub login_failure_limit: Option<usize>,
    /// The failed-login window in seconds [default: 300].
    #[arg(long)]
    pub login_failure_window_seconds: Option<u64>,
    /// Failed logins allowed per client address, any user names, within the window [default: 30].
    #[arg(long)]
    pub login_address_failure_limit: Option<usize>,
    /// Failed logins per user name, from every address, past which it is slowed [default: 100].
    #[arg(long)]
    pub login_name_failure_limit: Option<usize>,
    /// A slowed user name takes one attempt per this many milliseconds [default: 2000].
    #[arg(long)]
    pub login_name_slowed_interval_ms: Option<u64>,
    /// Password hashes computed at once [default: half the cores, at least 1].
    #[arg(long)]
    pub login_hash_workers: Option<usize>,
    /// Logins waiting for a hashing worker; more get 429 at once [default: 16].
    #[arg(long)]
    pub login_hash_queue: Option<usize>,
    /// Seconds expired and revoked tokens are kept before deletion [default: 604800, 7 days].
    #[arg(long)]
    pub token_retention_seconds: Option<u64>,
    /// Seconds between looks for tokens to delete [default: 3600].
    #[arg(long)]
    pub token_prune_interval_seconds: Option<u64>,
    /// Background jobs that run at once, at most one per app [default: 4].
    #[arg(long)]
    pub jobs_workers: Option<usize>,
    /// Retries of a job that met a deploy lock or a dropped connection [default: 5].
    #[arg(long)]
    pub jobs_retry_limit: Option<u32>,
    /// The first retry's wait in milliseconds, doubled for each next one [default: 5000].
    #[arg(long)]
    pub jobs_backoff_base_ms: Option<u64>,
    /// Seconds a graceful shutdown waits for running jobs [default: 30].
    #[arg(long)]
    pub jobs_shutdown_wait_seconds: Option<u64>,
    /// Client connections open at once [default: 1024].
    #[arg(long)]
    pub max_connections: Option<usize>,
    /// Seconds a connection may take to send a request head [default: 10].
    #[arg(long)]
    pub header_read_timeout_seconds: Option<u64>,
    /// Seconds a kept-alive connection may stay without a request [default: 60].
    #[arg(long)]
    pub idle_timeout_seconds: Option<u64>,
    /// Seconds a request body may take to arrive [default: 30].
    #[arg(long)]
    pub body_read_timeout_seconds: Option<u64>,
    /// Seconds before a request still running gets 504 (it runs on) [default: 120].
    #[arg(long)]
    pub handler_timeout_seconds: Option<u64>,
}

impl Config {
    /// Parses a configuration file's text.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text)
            .map_err(|e| ConfigError::Parse { path: path.to_path_buf(), source: Box::new(e) })
    }

    /// Loads the file (if any), applies the overrides and validates the result.
    pub fn load(file: Option<&Path>, overrides: Overrides) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::Read { path: path.to_path_buf(), source: e })?;
                Config::from_toml(&text, path)?
            }
            None => Config::default(),
        };
        let Overrides {
            bind,
            data_dir,
            log_level,
            request_body_max_bytes,
            shutdown_grace_seconds,
            host_kind,
            dokku_path,
            root_command,
            command_timeout_seconds,
            ssh_host,
            ssh_port,
            ssh_user,
            ssh_identity_file,
            ssh_known_hosts,
            ssh_host_key_fingerprint,
            ssh_accept_new_host_key,
            ssh_root_user,
            ssh_root_identity_file,
            ssh_root_sudo,
            sim_version,
            sim_latency_ms,
            access_token_seconds,
            refresh_token_seconds,
            login_failure_limit,
            login_failure_window_seconds,
            login_address_failure_limit,
            login_name_failure_limit,
            login_name_slowed_interval_ms,
            login_hash_workers,
            login_hash_queue,
            token_retention_seconds,
            token_prune_interval_seconds,
            jobs_workers,
            jobs_retry_limit,
            jobs_backoff_base_ms,
            jobs_shutdown_wait_seconds,
            max_connections,
            header_read_timeout_seconds,
            idle_timeout_seconds,
            body_read_timeout_seconds,
            handler_timeout_seconds,
        } = overrides;
        set(&mut config.http.max_connections, max_connections);
        set(&mut config.http.header_read_timeout_seconds, header_read_timeout_seconds);
        set(&mut config.http.idle_timeout_seconds, idle_timeout_seconds);
        set(&mut config.http.body_read_timeout_seconds, body_read_timeout_seconds);
        set(&mut config.http.handler_timeout_seconds, handler_timeout_seconds);
        set(&mut config.jobs.workers, jobs_workers);
        set(&mut config.jobs.retry_limit, jobs_retry_limit);
        set(&mut config.jobs.backoff_base_ms, jobs_backoff_base_ms);
        set(&mut config.jobs.shutdown_wait_seconds, jobs_shutdown_wait_seconds);
        set(&mut config.auth.access_token_seconds, access_token_seconds);
        set(&mut config.auth.refresh_token_seconds, refresh_token_seconds);
        set(&mut config.auth.login_failure_limit, login_failure_limit);
        set(&mut config.auth.login_failure_window_seconds, login_failure_window_seconds);
        set(&mut config.auth.login_address_failure_limit, login_address_failure_limit);
        set(&mut config.auth.login_name_failure_limit, login_name_failure_limit);
        set(&mut config.auth.login_name_slowed_interval_ms, login_name_slowed_interval_ms);
        set_some(&mut config.auth.login_hash_workers, login_hash_workers);
        set(&mut config.auth.login_hash_queue, login_hash_queue);
        set(&mut config.auth.token_retention_seconds, token_retention_seconds);
        set(&mut config.auth.token_prune_interval_seconds, token_prune_interval_seconds);
        let host = &mut config.host;
        set(&mut host.kind, host_kind);
        set(&mut host.dokku_path, dokku_path);
        set_some(&mut host.root_command, root_command);
        set(&mut host.command_timeout_seconds, command_timeout_seconds);
        set(&mut host.ssh.host, ssh_host);
        set(&mut host.ssh.port, ssh_port);
        set(&mut host.ssh.user, ssh_user);
        set_some(&mut host.ssh.identity_file, ssh_identity_file);
        set_some(&mut host.ssh.known_hosts, ssh_known_hosts);
        set_some(&mut host.ssh.host_key_fingerprint, ssh_host_key_fingerprint);
        host.ssh.accept_new_host_key |= ssh_accept_new_host_key;
        set_some(&mut host.ssh.root_user, ssh_root_user);
        set_some(&mut host.ssh.root_identity_file, ssh_root_identity_file);
        host.ssh.root_sudo |= ssh_root_sudo;
        set(&mut host.sim.version, sim_version);
        set(&mut host.sim.latency_ms, sim_latency_ms);
        set(&mut config.bind, bind);
        set(&mut config.data_dir, data_dir);
        set(&mut config.log_level, log_level);
        set(&mut config.request_body_max_bytes, request_body_max_bytes);
        set(&mut config.shutdown_grace_seconds, shutdown_grace_seconds);
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.request_body_max_bytes < 1024 {
            return Err(ConfigError::Invalid(format!(
                "request_body_max_bytes is {}; it must be at least 1024",
                self.request_body_max_bytes
            )));
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::Invalid("data_dir must not be empty".into()));
        }
        if self.host.kind == HostKind::Ssh && self.host.ssh.host.is_empty() {
            return Err(ConfigError::Invalid(
                "host.kind is \"ssh\" but host.ssh.host is not set (or pass --ssh-host)".into(),
            ));
        }
        if let Some(argv) = &self.host.root_command {
            if argv.first().is_none_or(|program| program.is_empty()) {
                return Err(ConfigError::Invalid(
                    "host.root_command must start with a program, e.g. [\"sudo\", \"-n\", \"/usr/bin/dokku\"]"
                        .into(),
                ));
            }
            if self.host.kind == HostKind::Ssh {
                return Err(ConfigError::Invalid(
                    "host.root_command is for kind = \"local\"; over SSH set host.ssh.root_user \
                     or host.ssh.root_sudo"
                        .into(),
                ));
            }
        }
        if let Some(fp) = &self.host.ssh.host_key_fingerprint
            && !fp.starts_with("SHA256:")
        {
            return Err(ConfigError::Invalid(format!(
                "host.ssh.host_key_fingerprint must be a SHA256: fingerprint, got {fp:?}"
            )));
        }
        if self.auth.access_token_seconds == 0 || self.auth.refresh_token_seconds == 0 {
            return Err(ConfigError::Invalid("token lifetimes must be positive".into()));
        }
        if self.auth.login_hash_workers == Some(0) {
            return Err(ConfigError::Invalid("auth.login_hash_workers must be positive".into()));
        }
        if self.auth.token_prune_interval_seconds == 0 {
            return Err(ConfigError::Invalid(
                "auth.token_prune_interval_seconds must be positive".into(),
            ));
        }
        if !(1..=64).contains(&self.jobs.workers) {
            return Err(ConfigError::Invalid(format!(
                "jobs.workers is {}; it must be between 1 and 64",
                self.jobs.workers
            )));
        }
        if self.audit.prune_interval_seconds == 0 {
            return Err(ConfigError::Invalid(
                "audit.prune_interval_seconds must be positive".into(),
            ));
        }
        if self.jobs.backoff_base_ms == 0 {
            return Err(ConfigError::Invalid("jobs.backoff_base_ms must be positive".into()));
        }
        if self.host.command_timeout_seconds == 0 {
            return Err(ConfigError::Invalid(
                "host.command_timeout_seconds must be positive".into(),
            ));
        }
        let http = &self.http;
        if http.max_connections == 0
            || [
                http.header_read_timeout_seconds,
                http.idle_timeout_seconds,
                http.body_read_timeout_seconds,
                http.handler_timeout_seconds,
            ]
            .contains(&0)
        {
            return Err(ConfigError::Invalid(
                "http.max_connections and the http timeouts must be positive".into(),
            ));
        }
        Ok(())
    }

    /// What the pruner needs: the retention of audit events and of finished jobs.
    pub fn retention_settings(&self) -> crate::retention::RetentionSettings {
        let days =
            |d: u32| (d > 0).then(|| std::time::Duration::from_secs(u64::from(d) * 24 * 3600));
        crate::retention::RetentionSettings {
            audit: days(self.audit.retention_days),
            jobs: days(self.jobs.retention_days),
            interval: std::time::Duration::from_secs(self.audit.prune_interval_seconds),
        }
    }

    /// What the front door needs: the `[http]` section, the body limit and the grace period.
    pub fn front_settings(&self) -> crate::front::FrontSettings {
        let seconds = std::time::Duration::from_secs;
        crate::front::FrontSettings {
            max_connections: self.http.max_connections,
            header_read_timeout: seconds(self.http.header_read_timeout_seconds),
            idle_timeout: seconds(self.http.idle_timeout_seconds),
            body_read_timeout: seconds(self.http.body_read_timeout_seconds),
            handler_timeout: seconds(self.http.handler_timeout_seconds),
            max_body_bytes: self.request_body_max_bytes,
            shutdown_grace: seconds(self.shutdown_grace_seconds),
        }
    }
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

fn set_some<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_parses_to_the_defaults_it_documents() {
        let text = include_str!("../examples/config.toml");
        let config = Config::from_toml(text, Path::new("examples/config.toml")).unwrap();
        assert_eq!(
            config,
            Config { data_dir: "/var/lib/dokku-pro-api".into(), ..Config::default() }
        );
    }

    #[test]
    fn flags_override_the_file() {
        let dir = std::env::temp_dir().join(format!("dpa-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(&path, "bind = \"0.0.0.0:8000\"\nlog_level = \"debug\"\n").unwrap();
        let config = Config::load(
            Some(&path),
            Overrides { bind: Some("127.0.0.1:9".parse().unwrap()), ..Overrides::default() },
        )
        .unwrap();
        assert_eq!(config.bind, "127.0.0.1:9".parse().unwrap());
        assert_eq!(config.log_level, LogLevel::Debug);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn ssh_needs_a_host_and_pins_are_sha256() {
        let ssh = Overrides { host_kind: Some(HostKind::Ssh), ..Overrides::default() };
        assert!(Config::load(None, ssh.clone()).unwrap_err().to_string().contains("host.ssh.host"));
        let ok = Overrides { ssh_host: Some("dokku.example".into()), ..ssh.clone() };
        assert_eq!(Config::load(None, ok.clone()).unwrap().host.ssh.host, "dokku.example");
        let bad_pin = Overrides { ssh_host_key_fingerprint: Some("MD5:aa".into()), ..ok };
        assert!(Config::load(None, bad_pin).is_err());
    }

    #[test]
    fn the_root_command_is_an_argv_for_the_local_host() {
        let p = Path::new("x.toml");
        let text = "[host]\nroot_command = [\"sudo\", \"-n\", \"/usr/bin/dokku\"]\n";
        let config = Config::from_toml(text, p).unwrap();
        assert_eq!(
            config.host.root_command.as_deref(),
            Some(&["sudo".to_string(), "-n".into(), "/usr/bin/dokku".into()][..])
        );
        let flag = Overrides {
            root_command: Some(vec!["doas".into(), "/usr/bin/dokku".into()]),
            ..Overrides::default()
        };
        assert_eq!(Config::load(None, flag).unwrap().host.root_command.unwrap()[0], "doas");
        let empty = Overrides { root_command: Some(vec![]), ..Overrides::default() };
        assert!(Config::load(None, empty).unwrap_err().to_string().contains("root_command"));
        let over_ssh = Overrides {
            host_kind: Some(HostKind::Ssh),
            ssh_host: Some("dokku.example".into()),
            root_command: Some(vec!["sudo".into()]),
            ..Overrides::default()
        };
        let err = Config::load(None, over_ssh).unwrap_err().to_string();
        assert!(err.contains("host.ssh.root_sudo"), "{err}");
        let sudo = Config::from_toml("[host.ssh]\nroot_sudo = true\n", p).unwrap();
        assert!(sudo.host.ssh.root_sudo);
    }

    #[test]
    fn job_settings_come_from_the_file_and_flags() {
        let p = Path::new("x.toml");
        let config = Config::from_toml("[jobs]\nworkers = 2\nretry_limit = 7\n", p).unwrap();
        assert_eq!((config.jobs.workers, config.jobs.retry_limit), (2, 7));
        let overrides = Overrides {
            jobs_workers: Some(8),
            jobs_backoff_base_ms: Some(250),
            jobs_shutdown_wait_seconds: Some(3),
            ..Overrides::default()
        };
        let settings = Config::load(None, overrides).unwrap().jobs.settings();
        assert_eq!(settings.workers, 8);
        assert_eq!(settings.backoff_base, std::time::Duration::from_millis(250));
        assert_eq!(settings.shutdown_wait, std::time::Duration::from_secs(3));
        for bad in [
            Overrides { jobs_workers: Some(0), ..Overrides::default() },
            Overrides { jobs_backoff_base_ms: Some(0), ..Overrides::default() },
        ] {
            assert!(Config::load(None, bad).unwrap_err().to_string().contains("jobs."));
        }
    }

    #[test]
    fn front_settings_come_from_the_http_section_and_flags() {
        let p = Path::new("x.toml");
        let config = Config::from_toml("[http]\nmax_connections = 64\n", p).unwrap();
        assert_eq!(config.front_settings().max_connections, 64);
        assert_eq!(Config::default().front_settings(), crate::front::FrontSettings::default());
        let overrides = Overrides {
            idle_timeout_seconds: Some(5),
            handler_timeout_seconds: Some(7),
            ..Overrides::default()
        };
        let settings = Config::load(None, overrides).unwrap().front_settings();
        assert_eq!(settings.idle_timeout, std::time::Duration::from_secs(5));
        assert_eq!(settings.handler_timeout, std::time::Duration::from_secs(7));
        let bad = Overrides { header_read_timeout_seconds: Some(0), ..Overrides::default() };
        assert!(Config::load(None, bad).unwrap_err().to_string().contains("http."));
    }

    #[test]
    fn auth_settings_come_from_the_file_and_flags() {
        let p = Path::new("x.toml");
        let config = Config::from_toml("[auth]\nlogin_hash_workers = 3\n", p).unwrap();
        assert_eq!(config.auth.settings().login_hash_workers, 3);
        let overrides = Overrides {
            login_address_failure_limit: Some(7),
            login_name_slowed_interval_ms: Some(500),
            token_retention_seconds: Some(60),
            ..Overrides::default()
        };
        let settings = Config::load(None, overrides).unwrap().auth.settings();
        assert_eq!(settings.login_address_failure_limit, 7);
        assert_eq!(settings.login_name_slowed_interval, std::time::Duration::from_millis(500));
        assert_eq!(settings.token_retention, std::time::Duration::from_secs(60));
        assert!(settings.login_hash_workers >= 1, "half the cores, at least one");
        for bad in [
            Overrides { login_hash_workers: Some(0), ..Overrides::default() },
            Overrides { token_prune_interval_seconds: Some(0), ..Overrides::default() },
        ] {
            assert!(Config::load(None, bad).unwrap_err().to_string().contains("auth."));
        }
    }

    #[test]
    fn retention_comes_from_the_audit_and_jobs_sections() {
        let p = Path::new("x.toml");
        let day = std::time::Duration::from_secs(24 * 3600);
        let defaults = Config::default().retention_settings();
        assert_eq!(defaults.audit, Some(90 * day));
        assert_eq!(defaults.jobs, Some(30 * day));
        assert_eq!(defaults.interval, std::time::Duration::from_secs(3600));
        let text = "[audit]\nretention_days = 7\nprune_interval_seconds = 60\n\
                    [jobs]\nretention_days = 0\n";
        let settings = Config::from_toml(text, p).unwrap().retention_settings();
        assert_eq!(settings.audit, Some(7 * day));
        assert_eq!(settings.jobs, None, "0 keeps finished jobs for good");
        assert_eq!(settings.interval, std::time::Duration::from_secs(60));
        // A section that leaves them out keeps their defaults, not zero.
        let config = Config::from_toml("[jobs]\nworkers = 2\n[audit]\n", p).unwrap();
        assert_eq!(config.retention_settings(), defaults);
        let config = Config::from_toml("[audit]\nprune_interval_seconds = 0\n", p).unwrap();
        assert!(config.validate().unwrap_err().to_string().contains("audit."));
        assert!(Config::from_toml("[audit]\nretention = 3\n", p).is_err(), "a typo is an error");
    }

    #[test]
    fn typos_and_bad_values_are_errors() {
        let p = Path::new("x.toml");
        let err = Config::from_toml("bnd = \"127.0.0.1:1\"", p).unwrap_err();
        assert!(format!("{:?}", err).contains("bnd"), "{err:?}");
        assert!(Config::from_toml("bind = \"nowhere\"", p).is_err());
        let err = Config::load(
            None,
            Overrides { request_body_max_bytes: Some(10), ..Overrides::default() },
        )
        .unwrap_err();
        assert!(err.to_string().contains("request_body_max_bytes"));
    }
}
