//! Configuration: a TOML file (`--config`), every option overridable by a command-line flag.
//!
//! Precedence: flag > file > default. Unknown keys in the file are an error (a typo must not
//! silently fall back to a default on a production host).
//!
//! Each setting is declared once, as a field of the structs below: its doc comment is the help
//! of its flag, its serde name is its key in the file, its clap id is its dotted path in the
//! file (which is how a flag given on the command line finds the setting it overrides), and its
//! default is in the struct's `Default` impl, from which the flags' `[default: ...]` is filled
//! ([`Config::command`]). A test checks `--help` and `server/examples/config.toml` against
//! [`Config::default`]. The settings each part runs with (`AuthSettings`, `JobSettings`)
//! take their `Default` from here as well, so no default is written twice.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, FromArgMatches};
use serde::{Deserialize, Serialize};

/// The whole configuration of `serve`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where clients connect.
    #[arg(id = "bind", long = "bind")]
    pub bind: SocketAddr,
    /// Where the server keeps its state (database, signing key, simulated host).
    #[arg(id = "data_dir", long = "data-dir")]
    pub data_dir: PathBuf,
    /// error, warn, info, debug or trace; secrets never appear in logs at any level.
    #[arg(id = "log_level", long = "log-level", value_enum)]
    pub log_level: LogLevel,
    /// The largest request body accepted; larger ones get 413.
    #[arg(id = "request_body_max_bytes", long = "request-body-max-bytes")]
    pub request_body_max_bytes: usize,
    /// How long a graceful shutdown waits for requests in flight.
    #[arg(id = "shutdown_grace_seconds", long = "shutdown-grace-seconds")]
    pub shutdown_grace_seconds: u64,
    /// Where Dokku runs.
    #[command(flatten, next_help_heading = "Dokku host")]
    pub host: HostConfig,
    #[command(flatten, next_help_heading = "Authentication")]
    pub auth: AuthConfig,
    #[command(flatten, next_help_heading = "Background jobs")]
    pub jobs: JobsConfig,
    #[command(flatten, next_help_heading = "Client connections")]
    pub http: HttpConfig,
    #[command(flatten, next_help_heading = "Audit log and retention")]
    pub audit: AuditConfig,
}

/// The audit log (`docs/audit.md`) and the one task that deletes old audit events and finished
/// jobs.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Audit events are deleted this many days after their request; 0 keeps them for good.
    #[arg(id = "audit.retention_days", long = "audit-retention-days")]
    pub retention_days: u32,
    /// How often old audit events and finished jobs (`[jobs] retention_days`) are looked for.
    #[arg(id = "audit.prune_interval_seconds", long = "prune-interval-seconds")]
    pub prune_interval_seconds: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig { retention_days: 90, prune_interval_seconds: 3600 }
    }
}

/// Client connections: how many at once, and how long each may take to say what it wants.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Connections open at once; at the cap a new client evicts the one idle longest, and is
    /// refused (503) only when every connection has a request in progress. The open-file limit
    /// is raised to fit.
    #[arg(id = "http.max_connections", long = "max-connections")]
    pub max_connections: usize,
    /// A new connection must send its request head within this; a kept-alive one must finish a
    /// head within this of its first byte.
    #[arg(id = "http.header_read_timeout_seconds", long = "header-read-timeout-seconds")]
    pub header_read_timeout_seconds: u64,
    /// A kept-alive connection is closed after this long without a request.
    #[arg(id = "http.idle_timeout_seconds", long = "idle-timeout-seconds")]
    pub idle_timeout_seconds: u64,
    /// A request body must arrive whole within this (else 408).
    #[arg(id = "http.body_read_timeout_seconds", long = "body-read-timeout-seconds")]
    pub body_read_timeout_seconds: u64,
    /// A request still running after this gets 504; it runs on to the end.
    #[arg(id = "http.handler_timeout_seconds", long = "handler-timeout-seconds")]
    pub handler_timeout_seconds: u64,
    /// Addresses of the reverse proxies in front of the server (e.g. 127.0.0.1 for Dokku's nginx
    /// on this host). A request from one of them comes from the last address of its
    /// `X-Forwarded-For` that is not a trusted proxy itself, for the login limits and the audit
    /// log; from any other peer the header is ignored. Empty: the header is never read.
    #[arg(id = "http.trusted_proxies", long = "trusted-proxies", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_connections: 1024,
            header_read_timeout_seconds: 10,
            idle_timeout_seconds: 60,
            body_read_timeout_seconds: 30,
            // Longer than any Dokku command a handler runs should take (builds run in jobs).
            handler_timeout_seconds: 120,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The background job queue (the work behind the `202` operations).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Jobs that run at once (at most one per app).
    #[arg(id = "jobs.workers", long = "jobs-workers")]
    pub workers: usize,
    /// Retries of a job that met Dokku's deploy lock or a dropped connection before it fails.
    #[arg(id = "jobs.retry_limit", long = "jobs-retry-limit")]
    pub retry_limit: u32,
    /// The first retry waits about this long (ms); each next one twice as long, with jitter,
    /// at most 5 minutes.
    #[arg(id = "jobs.backoff_base_ms", long = "jobs-backoff-base-ms")]
    pub backoff_base_ms: u64,
    /// How long a graceful shutdown waits for running jobs; the rest run again at the next start.
    #[arg(id = "jobs.shutdown_wait_seconds", long = "jobs-shutdown-wait-seconds")]
    pub shutdown_wait_seconds: u64,
    /// Completed and failed jobs, with their output, are deleted this many days after they
    /// ended; 0 keeps them for good. Waiting and running jobs are never deleted.
    #[arg(id = "jobs.retention_days", long = "jobs-retention-days")]
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
            backoff_max: crate::jobs::BACKOFF_MAX,
        }
    }
}

/// Token lifetimes, failed-login limits, password hashing and token retention
/// (`docs/authentication.md`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Lifetime of an access token (a JWT), in seconds.
    #[arg(id = "auth.access_token_seconds", long = "access-token-seconds")]
    pub access_token_seconds: u64,
    /// Lifetime of a refresh token, in seconds.
    #[arg(id = "auth.refresh_token_seconds", long = "refresh-token-seconds")]
    pub refresh_token_seconds: u64,
    /// Failed logins allowed per client address and user name within the window; more get
    /// 429 from that address for that name until the window passes.
    #[arg(id = "auth.login_failure_limit", long = "login-failure-limit")]
    pub login_failure_limit: usize,
    /// The window of the failed-login limits, in seconds.
    #[arg(id = "auth.login_failure_window_seconds", long = "login-failure-window-seconds")]
    pub login_failure_window_seconds: u64,
    /// Failed logins allowed per client address, any user names, within the window.
    #[arg(id = "auth.login_address_failure_limit", long = "login-address-failure-limit")]
    pub login_address_failure_limit: usize,
    /// Failed logins per user name, from every address, within the window past which the name
    /// is slowed (never locked) to one attempt per `login_name_slowed_interval_ms`, except from
    /// addresses where that user logged in.
    #[arg(id = "auth.login_name_failure_limit", long = "login-name-failure-limit")]
    pub login_name_failure_limit: usize,
    /// How often (ms) a slowed user name may try again (`login_name_failure_limit`).
    #[arg(id = "auth.login_name_slowed_interval_ms", long = "login-name-slowed-interval-ms")]
    pub login_name_slowed_interval_ms: u64,
    /// Password hashes computed at once [default: half the cores, at least 1].
    #[arg(id = "auth.login_hash_workers", long = "login-hash-workers")]
    pub login_hash_workers: Option<usize>,
    /// Logins waiting for a hashing worker; more get 429 at once.
    #[arg(id = "auth.login_hash_queue", long = "login-hash-queue")]
    pub login_hash_queue: usize,
    /// How long expired and revoked tokens are kept before they are deleted.
    #[arg(id = "auth.token_retention_seconds", long = "token-retention-seconds")]
    pub token_retention_seconds: u64,
    /// How often they are looked for.
    #[arg(id = "auth.token_prune_interval_seconds", long = "token-prune-interval-seconds")]
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
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum HostKind {
    /// `dokku` on this machine.
    Local,
    /// `ssh dokku@host` (see `[host.ssh]`).
    Ssh,
    /// The built-in simulated host (state in `DATA_DIR/sim`): for trying the API and for tests.
    Sim,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct HostConfig {
    /// Which Dokku the server drives: `local` (the `dokku` program here), `ssh` (a Dokku host
    /// over SSH, `[host.ssh]`) or `sim` (the built-in simulated host, state in `DATA_DIR/sim`).
    #[arg(id = "host.kind", long = "host-kind", value_enum)]
    pub kind: HostKind,
    /// The `dokku` program for the local host.
    #[arg(id = "host.dokku_path", long = "dokku-path")]
    pub dokku_path: PathBuf,
    /// For the local host: the argv prefix that runs root-only commands (`ssh-keys:add`,
    /// `ssh-keys:remove`) as root, e.g. `["sudo", "-n", "/usr/bin/dokku"]`. Unset: they run
    /// through `dokku_path`, which works only when the server itself runs as root.
    #[arg(
        id = "host.root_command",
        long = "root-command",
        value_delimiter = ',',
        allow_hyphen_values = true
    )]
    pub root_command: Option<Vec<String>>,
    /// A Dokku command running longer than this is killed (builds run in jobs, so be generous).
    #[arg(id = "host.command_timeout_seconds", long = "command-timeout-seconds")]
    pub command_timeout_seconds: u64,
    #[command(flatten, next_help_heading = "Dokku host over SSH")]
    pub ssh: SshConfig,
    #[command(flatten, next_help_heading = "Simulated host")]
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

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct SshConfig {
    /// The Dokku host's name or address (required for `kind = "ssh"`).
    #[arg(id = "host.ssh.host", long = "ssh-host")]
    pub host: String,
    /// The SSH port of the Dokku host.
    #[arg(id = "host.ssh.port", long = "ssh-port")]
    pub port: u16,
    /// The login for Dokku commands.
    #[arg(id = "host.ssh.user", long = "ssh-user")]
    pub user: String,
    /// The private key for the login [default: ssh's own choice].
    #[arg(id = "host.ssh.identity_file", long = "ssh-identity-file")]
    pub identity_file: Option<PathBuf>,
    /// The `known_hosts` file to verify the host key against [default: ~/.ssh/known_hosts].
    #[arg(id = "host.ssh.known_hosts", long = "ssh-known-hosts")]
    pub known_hosts: Option<PathBuf>,
    /// Pin the host key by its `SHA256:` fingerprint instead of a `known_hosts` file.
    #[arg(id = "host.ssh.host_key_fingerprint", long = "ssh-host-key-fingerprint")]
    pub host_key_fingerprint: Option<String>,
    /// Trust a host key seen for the first time (recorded, then verified). Off by default.
    #[arg(id = "host.ssh.accept_new_host_key", long = "ssh-accept-new-host-key")]
    pub accept_new_host_key: bool,
    /// The login for root-only commands (`ssh-keys:add/remove`), e.g. `root`. Unset: those
    /// operations answer 503 explaining what to configure.
    #[arg(id = "host.ssh.root_user", long = "ssh-root-user")]
    pub root_user: Option<String>,
    /// The key for the root login [default: identity_file].
    #[arg(id = "host.ssh.root_identity_file", long = "ssh-root-identity-file")]
    pub root_identity_file: Option<PathBuf>,
    /// The root login (`root_user`, or `user` when unset) is a sudoer rather than root: it runs
    /// root-only commands as `sudo -n dokku ...`.
    #[arg(id = "host.ssh.root_sudo", long = "ssh-root-sudo")]
    pub root_sudo: bool,
    /// How long connecting to the host may take.
    #[arg(id = "host.ssh.connect_timeout_seconds", long = "ssh-connect-timeout-seconds")]
    pub connect_timeout_seconds: u64,
    /// The `ssh` program.
    #[arg(id = "host.ssh.program", long = "ssh-program")]
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

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, clap::Args)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// The Dokku version the simulated host claims (its output formats follow it).
    #[arg(id = "host.sim.version", long = "sim-version")]
    pub version: String,
    /// Added to every simulated command, to see the API behave against a slow host.
    #[arg(id = "host.sim.latency_ms", long = "sim-latency-ms")]
    pub latency_ms: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig { version: "0.38.27".into(), latency_ms: 0 }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, clap::ValueEnum)]
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

impl Config {
    /// Parses a configuration file's text.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        toml::from_str(text)
            .map_err(|e| ConfigError::Parse { path: path.to_path_buf(), source: Box::new(e) })
    }

    /// The flags of `serve` added to `cmd`: one per setting (its help from the field's doc, its
    /// default from [`Config::default`]), and `--sim`.
    pub fn command(cmd: clap::Command) -> clap::Command {
        let defaults = toml::Value::try_from(Config::default()).expect("the defaults serialize");
        let own: Vec<String> = cmd.get_arguments().map(|a| a.get_id().to_string()).collect();
        // The subcommand keeps its own description (augmenting would set Config's doc comment).
        let (about, long_about) = (cmd.get_about().cloned(), cmd.get_long_about().cloned());
        let cmd = <Config as clap::Args>::augment_args(cmd);
        let cmd = match about {
            Some(text) => cmd.about(text),
            None => cmd.about(None::<&str>),
        };
        let cmd = match long_about {
            Some(text) => cmd.long_about(text),
            None => cmd.long_about(None::<&str>),
        };
        let cmd = cmd.arg(
            clap::Arg::new("sim")
                .long("sim")
                .action(clap::ArgAction::SetTrue)
                .help("Run against the built-in simulated Dokku host (same as --host-kind sim)"),
        );
        let settings: Vec<String> = cmd
            .get_arguments()
            .map(|a| a.get_id().to_string())
            .filter(|id| !own.contains(id) && id != "sim")
            .collect();
        settings.into_iter().fold(cmd, |cmd, id| {
            let default = lookup(&defaults, &id).and_then(flag_text);
            cmd.mut_arg(id, |arg| {
                if !arg.get_action().takes_values() {
                    return arg;
                }
                // `--ssh-port <PORT>`, not the setting's dotted id.
                let name = arg.get_long().unwrap_or_default().to_uppercase().replace('-', "_");
                let arg = arg.value_name(name).required(false);
                match default {
                    Some(value) => arg.default_value(value),
                    None => arg,
                }
            })
        })
    }

    /// Loads the file (if any), applies the flags given on the command line (`flags` parsed with
    /// [`Config::command`]) and validates the result.
    pub fn load(file: Option<&Path>, flags: Option<&ArgMatches>) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::Read { path: path.to_path_buf(), source: e })?;
                Config::from_toml(&text, path)?
            }
            None => Config::default(),
        };
        if let Some(flags) = flags {
            config = config.overlay(flags)?;
            if flags.try_get_one::<bool>("sim").ok().flatten() == Some(&true) {
                config.host.kind = HostKind::Sim;
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// This configuration with every setting given as a flag replaced by the flag's value.
    fn overlay(self, flags: &ArgMatches) -> Result<Config, ConfigError> {
        let invalid = |e: &dyn std::fmt::Display| ConfigError::Invalid(e.to_string());
        let given = Config::from_arg_matches(flags).map_err(|e| invalid(&e))?;
        let given = toml::Value::try_from(given).map_err(|e| invalid(&e))?;
        let mut merged = toml::Value::try_from(self).map_err(|e| invalid(&e))?;
        for id in flags.ids() {
            let from_command_line =
                matches!(flags.value_source(id.as_str()), Some(ValueSource::CommandLine));
            if let (true, Some(value)) = (from_command_line, lookup(&given, id.as_str())) {
                put(&mut merged, id.as_str(), value.clone());
            }
        }
        merged.try_into().map_err(|e| invalid(&e))
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

/// The value at a dotted path (`host.ssh.port`) of a serialized configuration.
fn lookup<'a>(value: &'a toml::Value, path: &str) -> Option<&'a toml::Value> {
    path.split('.').try_fold(value, |value, key| value.get(key))
}

/// Sets the value at a dotted path, making the tables on the way.
fn put(value: &mut toml::Value, path: &str, new: toml::Value) {
    let (tables, key) = path.rsplit_once('.').map_or(("", path), |(t, k)| (t, k));
    let mut table = value.as_table_mut().expect("a configuration is a table");
    for name in tables.split('.').filter(|n| !n.is_empty()) {
        table = table
            .entry(name)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .expect("sections are tables");
    }
    table.insert(key.to_string(), new);
}

/// A default as a flag's text (`None` for lists, which have no default).
fn flag_text(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `serve`'s flags parsed from `args`, as `main` parses them.
    fn flags(args: &[&str]) -> ArgMatches {
        let argv = std::iter::once("serve").chain(args.iter().copied());
        Config::command(clap::Command::new("serve")).try_get_matches_from(argv).unwrap()
    }

    /// The configuration from no file and these flags.
    fn with_flags(args: &[&str]) -> Result<Config, ConfigError> {
        Config::load(None, Some(&flags(args)))
    }

    #[test]
    fn the_example_file_parses_to_the_defaults_it_documents() {
        let text = include_str!("../examples/config.toml");
        let config = Config::from_toml(text, Path::new("examples/config.toml")).unwrap();
        assert_eq!(
            config,
            Config { data_dir: "/var/lib/dokku-pro-api".into(), ..Config::default() }
        );
    }

    /// Every setting, by its dotted path, with its default as TOML text (`None`: no default).
    fn settings() -> Vec<(String, Option<String>)> {
        let defaults = toml::Value::try_from(Config::default()).unwrap();
        let cmd = Config::command(clap::Command::new("serve"));
        cmd.get_arguments()
            .map(|a| a.get_id().to_string())
            .filter(|id| id != "sim")
            .map(|id| {
                let text = lookup(&defaults, &id).map(|v| v.to_string());
                (id, text)
            })
            .collect()
    }

    #[test]
    fn every_setting_has_a_flag_whose_help_shows_the_default() {
        let mut cmd = Config::command(clap::Command::new("serve"));
        let help = cmd.render_long_help().to_string();
        let all = settings();
        assert!(all.len() > 40, "every setting is a flag: {all:?}");
        let defaults = toml::Value::try_from(Config::default()).unwrap();
        for arg in cmd.get_arguments().filter(|a| a.get_id() != "sim") {
            let id = arg.get_id().to_string();
            let long = arg.get_long().unwrap_or_else(|| panic!("{id} has a flag"));
            assert!(help.contains(&format!("--{long}")), "--{long} is in --help");
            assert!(
                arg.get_help().is_some() || arg.get_long_help().is_some(),
                "{id} is documented"
            );
            // Its default, when it has one, is Config::default()'s and shows in --help.
            if let Some(value) = lookup(&defaults, &id).and_then(flag_text) {
                let shown: Vec<_> =
                    arg.get_default_values().iter().map(|v| v.to_os_string()).collect();
                if arg.get_action().takes_values() {
                    assert_eq!(shown, vec![std::ffi::OsString::from(&value)], "{id}");
                    // (clap shows no empty default: `host.ssh.host` has none to show.)
                    let shown = value.is_empty() || help.contains(&format!("[default: {value}]"));
                    assert!(shown, "{id}'s default shows");
                }
            }
        }
        // Parsing no flags at all yields exactly the defaults.
        assert_eq!(with_flags(&[]).unwrap(), Config::default());
    }

    #[test]
    fn the_example_file_lists_every_setting_in_its_section() {
        let text = include_str!("../examples/config.toml");
        let mut section = String::new();
        let mut found = std::collections::BTreeSet::new();
        for line in text.lines() {
            let line = line.trim_start_matches('#').trim();
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.to_string();
            } else if let Some((key, _)) = line.split_once(" = ")
                && !key.contains(' ')
            {
                let path =
                    if section.is_empty() { key.to_string() } else { format!("{section}.{key}") };
                found.insert(path);
            }
        }
        for (id, _) in settings() {
            assert!(found.contains(&id), "server/examples/config.toml shows {id} (or `# {id} =`)");
        }
    }

    #[test]
    fn flags_override_the_file_and_only_the_flags_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "bind = \"0.0.0.0:8000\"\nlog_level = \"debug\"\n[jobs]\nworkers = 9\n",
        )
        .unwrap();
        let config = Config::load(Some(&path), Some(&flags(&["--bind", "127.0.0.1:9"]))).unwrap();
        assert_eq!(config.bind, "127.0.0.1:9".parse().unwrap());
        // A flag left out keeps the file's value, not the flag's default.
        assert_eq!(config.log_level, LogLevel::Debug);
        assert_eq!(config.jobs.workers, 9);
        let sim = Config::load(Some(&path), Some(&flags(&["--sim"]))).unwrap();
        assert_eq!((sim.host.kind, sim.jobs.workers), (HostKind::Sim, 9));
    }

    #[test]
    fn ssh_needs_a_host_and_pins_are_sha256() {
        let err = with_flags(&["--host-kind", "ssh"]).unwrap_err().to_string();
        assert!(err.contains("host.ssh.host"), "{err}");
        let ok = with_flags(&["--host-kind", "ssh", "--ssh-host", "dokku.example"]).unwrap();
        assert_eq!(ok.host.ssh.host, "dokku.example");
        let bad_pin = with_flags(&[
            "--host-kind",
            "ssh",
            "--ssh-host",
            "dokku.example",
            "--ssh-host-key-fingerprint",
            "MD5:aa",
        ]);
        assert!(bad_pin.is_err());
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
        let flag = with_flags(&["--root-command", "doas,/usr/bin/dokku"]).unwrap();
        assert_eq!(flag.host.root_command.unwrap(), ["doas", "/usr/bin/dokku"]);
        let err = with_flags(&["--root-command", ""]).unwrap_err().to_string();
        assert!(err.contains("root_command"), "{err}");
        let over_ssh = with_flags(&[
            "--host-kind",
            "ssh",
            "--ssh-host",
            "d.example",
            "--root-command",
            "sudo",
        ]);
        let err = over_ssh.unwrap_err().to_string();
        assert!(err.contains("host.ssh.root_sudo"), "{err}");
        let sudo = Config::from_toml("[host.ssh]\nroot_sudo = true\n", p).unwrap();
        assert!(sudo.host.ssh.root_sudo);
        assert!(with_flags(&["--ssh-root-sudo"]).unwrap().host.ssh.root_sudo);
    }

    #[test]
    fn job_settings_come_from_the_file_and_flags() {
        let p = Path::new("x.toml");
        let config = Config::from_toml("[jobs]\nworkers = 2\nretry_limit = 7\n", p).unwrap();
        assert_eq!((config.jobs.workers, config.jobs.retry_limit), (2, 7));
        let given = ["--jobs-workers", "8", "--jobs-backoff-base-ms", "250"];
        let settings = with_flags(&[&given[..], &["--jobs-shutdown-wait-seconds", "3"]].concat())
            .unwrap()
            .jobs
            .settings();
        assert_eq!(settings.workers, 8);
        assert_eq!(settings.backoff_base, std::time::Duration::from_millis(250));
        assert_eq!(settings.shutdown_wait, std::time::Duration::from_secs(3));
        for bad in [["--jobs-workers", "0"], ["--jobs-backoff-base-ms", "0"]] {
            assert!(with_flags(&bad).unwrap_err().to_string().contains("jobs."));
        }
    }

    #[test]
    fn front_settings_come_from_the_http_section_and_flags() {
        let p = Path::new("x.toml");
        let config = Config::from_toml("[http]\nmax_connections = 64\n", p).unwrap();
        assert_eq!(config.front_settings().max_connections, 64);
        assert_eq!(Config::default().front_settings(), crate::front::FrontSettings::default());
        let settings =
            with_flags(&["--idle-timeout-seconds", "5", "--handler-timeout-seconds", "7"])
                .unwrap()
                .front_settings();
        assert_eq!(settings.idle_timeout, std::time::Duration::from_secs(5));
        assert_eq!(settings.handler_timeout, std::time::Duration::from_secs(7));
        let bad = with_flags(&["--header-read-timeout-seconds", "0"]);
        assert!(bad.unwrap_err().to_string().contains("http."));
    }

    #[test]
    fn auth_settings_come_from_the_file_and_flags() {
        let p = Path::new("x.toml");
        let config = Config::from_toml("[auth]\nlogin_hash_workers = 3\n", p).unwrap();
        assert_eq!(config.auth.settings().login_hash_workers, 3);
        let settings = with_flags(&[
            "--login-address-failure-limit",
            "7",
            "--login-name-slowed-interval-ms",
            "500",
            "--token-retention-seconds",
            "60",
        ])
        .unwrap()
        .auth
        .settings();
        assert_eq!(settings.login_address_failure_limit, 7);
        assert_eq!(settings.login_name_slowed_interval, std::time::Duration::from_millis(500));
        assert_eq!(settings.token_retention, std::time::Duration::from_secs(60));
        assert!(settings.login_hash_workers >= 1, "half the cores, at least one");
        for bad in [["--login-hash-workers", "0"], ["--token-prune-interval-seconds", "0"]] {
            assert!(with_flags(&bad).unwrap_err().to_string().contains("auth."));
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
        let flagged = with_flags(&["--audit-retention-days", "0", "--jobs-retention-days", "3"]);
        let settings = flagged.unwrap().retention_settings();
        assert_eq!((settings.audit, settings.jobs), (None, Some(3 * day)));
    }

    #[test]
    fn typos_and_bad_values_are_errors() {
        let p = Path::new("x.toml");
        let err = Config::from_toml("bnd = \"127.0.0.1:1\"", p).unwrap_err();
        assert!(format!("{:?}", err).contains("bnd"), "{err:?}");
        assert!(Config::from_toml("bind = \"nowhere\"", p).is_err());
        let err = with_flags(&["--request-body-max-bytes", "10"]).unwrap_err();
        assert!(err.to_string().contains("request_body_max_bytes"));
        let cmd = Config::command(clap::Command::new("serve"));
        assert!(cmd.try_get_matches_from(["serve", "--jobs-workers", "many"]).is_err());
    }
}
