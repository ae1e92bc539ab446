//! `GET /@api/health`: whether the server can do its job, for probes and operators. Public: it
//! says nothing secret (versions, and what works, in a few words: no paths, hosts or logins).
//!
//! Two live checks decide the status code:
//!
//! * **storage**: a real write to the database, committed (`Storage::heartbeat`), so a data
//!   directory that became read-only or full, or a failing disk, shows here before a client's
//!   login or change fails on it;
//! * **host**: whether the Dokku host answers `dokku version` ([`Host::reachable`]).
//!
//! Either failing is a `503` (one error per failing check, the record under `data`). Both are
//! cached and single-flight: concurrent probes share one check, the storage write runs at most
//! once per [`STORAGE_PERIOD`] and the host call once per 10 s, however many probes come. A write
//! that hangs (a frozen disk) is not repeated while it hangs: probes answer 503 saying how long
//! it has been waiting.
//!
//! The setup facts of `dokku-pro-api doctor` (the data directory, plugins, root login, proxy,
//! clock: [`crate::doctor`]) are gathered in the background from the start (the server logs each
//! that is not ok, with its fix) and again every [`FACTS_PERIOD`] when probes come; `checks` shows
//! them in short, and a failing one makes the status `degraded`. The start does not wait for
//! them: they cost several Dokku calls, and the server can serve without them. Until the first
//! round is in, `checks` holds one `skip` entry, [`SETUP_PENDING`], saying they are still running.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dokku_pro_api::models::{
    Health, HealthAttributes, HealthAttributesStatus, HealthCheck, HealthCheckStatus,
};
use dokku_pro_api::responses::HttpResponseHealth;
use slog::{Logger, error, info, warn};

use crate::doctor::{self, Check, Setup, Status};
use crate::host::Host;
use crate::storage::Storage;

/// How long a storage check's answer is reused.
pub const STORAGE_PERIOD: Duration = Duration::from_secs(1);
/// How long a probe waits for the database's write before answering that it hangs.
const STORAGE_WAIT: Duration = Duration::from_secs(2);
/// How often the setup facts are gathered again (when probes come).
pub const FACTS_PERIOD: Duration = Duration::from_secs(600);
/// The name of the one check shown until the first round of setup facts is in.
pub const SETUP_PENDING: &str = "setup checks";

/// The server's health: live checks and setup facts.
pub struct Monitor {
    storage: Storage,
    host: Arc<Host>,
    setup: Setup,
    log: Logger,
    probe: tokio::sync::Mutex<StorageProbe>,
    facts: Mutex<Facts>,
    /// Whether the first round of setup facts is in.
    first_round: tokio::sync::watch::Sender<bool>,
}

#[derive(Default)]
struct StorageProbe {
    last: Option<(Instant, Result<(), String>)>,
    /// A write that has not come back (a hung disk), with when it started: the next probe waits
    /// for it again rather than queue another behind it.
    running: Option<(Instant, tokio::task::JoinHandle<Result<(), String>>)>,
}

#[derive(Default)]
struct Facts {
    checks: Vec<Check>,
    at: Option<Instant>,
    refreshing: bool,
}

impl Monitor {
    /// Starts gathering the setup facts in the background; logs those that are not ok.
    pub fn start(storage: Storage, host: Arc<Host>, setup: Setup, log: Logger) -> Arc<Monitor> {
        let monitor = Arc::new(Monitor {
            storage,
            host,
            setup,
            log,
            probe: tokio::sync::Mutex::new(StorageProbe::default()),
            facts: Mutex::new(Facts::default()),
            first_round: tokio::sync::watch::Sender::new(false),
        });
        let _ = monitor.clone().refresh_facts();
        monitor
    }

    /// Starts a round of setup facts, unless one is running.
    fn refresh_facts(self: Arc<Self>) -> Option<tokio::task::JoinHandle<()>> {
        {
            let mut facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
            if facts.refreshing {
                return None;
            }
            facts.refreshing = true;
        }
        Some(tokio::spawn(async move {
            let dir = self.setup.data_dir.clone();
            let mut checks = tokio::task::spawn_blocking(move || doctor::local_checks(&dir))
                .await
                .unwrap_or_default();
            checks.extend(doctor::host_facts(&self.host, &self.setup).await);
            let mut facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
            for check in &checks {
                let before = facts.checks.iter().find(|c| c.name == check.name).map(|c| c.status);
                self.log_change(check, before);
            }
            facts.checks = checks;
            facts.at = Some(Instant::now());
            facts.refreshing = false;
            self.first_round.send_replace(true);
        }))
    }

    /// Returns once the first round of setup facts is in (and its Dokku commands have run).
    pub async fn setup_checks_done(&self) {
        let mut done = self.first_round.subscribe();
        // The sender lives as long as `self`, so the wait cannot end with an error first.
        let _ = done.wait_for(|&done| done).await;
    }

    /// Logs a setup check that is not ok (or is ok again).
    fn log_change(&self, check: &Check, before: Option<Status>) {
        if before == Some(check.status) {
            return;
        }
        let fix = check.fix.as_deref().unwrap_or("");
        match check.status {
            Status::Warn | Status::Fail => warn!(self.log, "setup check: {}", check.detail;
                "check" => check.name, "status" => check.status.as_str(), "fix" => fix),
            Status::Ok if before.is_some() => {
                info!(self.log, "setup check ok again: {}", check.detail; "check" => check.name)
            }
            _ => {}
        }
    }

    /// The setup facts as last gathered (`None` before the first round is in); starts a new
    /// round in the background when they are old.
    fn setup_facts(self: &Arc<Self>) -> Option<Vec<Check>> {
        let (checks, stale) = {
            let facts = self.facts.lock().unwrap_or_else(|p| p.into_inner());
            let stale = facts.at.is_none_or(|at| at.elapsed() >= FACTS_PERIOD);
            (facts.at.map(|_| facts.checks.clone()), stale)
        };
        if stale {
            let _ = self.clone().refresh_facts();
        }
        checks
    }

    /// The storage check: a committed write, at most once per [`STORAGE_PERIOD`] (also read by
    /// `/metrics`).
    pub async fn storage_check(&self) -> Result<(), String> {
        let mut probe = self.probe.lock().await;
        if let Some((at, result)) = &probe.last
            && at.elapsed() < STORAGE_PERIOD
        {
            return result.clone();
        }
        let (started, mut write) = match probe.running.take() {
            Some(running) => running,
            None => {
                let storage = self.storage.clone();
                let write =
                    tokio::spawn(
                        async move { storage.heartbeat().await.map_err(|e| describe(&e)) },
                    );
                (Instant::now(), write)
            }
        };
        let result = match tokio::time::timeout(STORAGE_WAIT, &mut write).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(format!("the write failed: {e}")),
            Err(_) => {
                let waited = started.elapsed().as_secs();
                probe.running = Some((started, write));
                Err(format!("a write to the database has not finished in {waited} s"))
            }
        };
        let was_ok = probe.last.as_ref().is_none_or(|(_, r)| r.is_ok());
        match (&result, was_ok) {
            (Err(e), true) => error!(self.log, "the database cannot be written: {e}";
                "data_dir" => %self.setup.data_dir.display()),
            (Ok(()), false) => info!(self.log, "the database accepts writes again"),
            _ => {}
        }
        probe.last = Some((Instant::now(), result.clone()));
        result
    }

    /// The health answer: 200, or 503 when the storage or host check fails.
    pub async fn report(self: &Arc<Self>) -> HttpResponseHealth {
        let (storage, reachable) = tokio::join!(self.storage_check(), self.host.reachable());
        let facts = self.setup_facts();
        let mut failures = Vec::new();
        let storage_check = match &storage {
            Ok(()) => health_check("storage", Status::Ok, "the database accepted a write"),
            Err(e) => {
                failures.push(format!("storage: the database cannot be written ({e})"));
                health_check(
                    "storage",
                    Status::Fail,
                    &format!("the database cannot be written: {e}"),
                )
            }
        };
        let host_check = if reachable {
            health_check("host", Status::Ok, "the Dokku host answers")
        } else {
            failures.push("host: the Dokku host does not answer `dokku version`".to_string());
            health_check("host", Status::Fail, "the Dokku host does not answer `dokku version`")
        };
        let status = if !failures.is_empty() {
            HealthAttributesStatus::Unavailable
        } else if facts.iter().flatten().any(|c| c.status == Status::Fail) {
            HealthAttributesStatus::Degraded
        } else {
            HealthAttributesStatus::Ok
        };
        let health = Health::record(
            "server",
            HealthAttributes {
                status: Some(status),
                server_version: Some(env!("CARGO_PKG_VERSION").into()),
                dokku_host: Some(self.host.kind().into()),
                dokku_version: Some(self.host.version().to_string()),
                storage: Some(storage_check),
                host: Some(host_check),
                checks: match &facts {
                    Some(checks) => {
                        checks.iter().map(|c| health_check(c.name, c.status, &c.public)).collect()
                    }
                    None => vec![health_check(SETUP_PENDING, Status::Skip, "still running")],
                },
            },
        );
        HttpResponseHealth { health, failures, retry_after: STORAGE_PERIOD.as_secs() }
    }
}

/// What a failed write says, shortly: SQLite's message and its extended code (`disk I/O error
/// (SQLite 778)`, `attempt to write a readonly database (SQLite 8)`, `database or disk is full
/// (SQLite 13)`).
fn describe(e: &crate::storage::StorageError) -> String {
    match e {
        crate::storage::StorageError::Sqlite(rusqlite::Error::SqliteFailure(failure, message)) => {
            let text = message.clone().unwrap_or_else(|| failure.to_string());
            format!("{text} (SQLite {})", failure.extended_code)
        }
        other => crate::error::chain(other),
    }
}

fn health_check(name: &str, status: Status, detail: &str) -> HealthCheck {
    HealthCheck {
        name: Some(name.to_string()),
        status: Some(match status {
            Status::Ok => HealthCheckStatus::Ok,
            Status::Warn => HealthCheckStatus::Warn,
            Status::Fail => HealthCheckStatus::Fail,
            Status::Skip => HealthCheckStatus::Skip,
        }),
        detail: (!detail.is_empty()).then(|| detail.to_string()),
    }
}
