//! Background jobs: the persistent queue behind the eight `202` operations (`docs/architecture.md`
//! tells where it sits).
//!
//! # Life cycle
//!
//! ```text
//!   intend ─► (the change reaches Dokku) ─► commit ─► pending ─(worker)─► runs ─┬─ succeeded, or app never deployed ─► completed
//!     │                                       │         ▲                       ├─ deploy lock, dropped connection ─► retrying (backoff)
//!     └─ abandon (Dokku refused the change)    │         │                       └─ other failure, or past the limit ─► failed
//!                                             │         └─ interrupted (crash, shutdown): runs again at the next start
//!                                             └─ a waiting job of the same app that carries the change takes it instead (coalesced)
//! ```
//!
//! * The app layer ([`crate::app::apply`]) records the **intent** of a change before the change
//!   reaches Dokku, then **commits** it into a job once Dokku stored it. A process killed in
//!   between leaves the intent on disk, and the next start queues its job: every change that may
//!   have reached Dokku gets applied (applying one that did not is a harmless extra restart).
//! * A job is recorded in SQLite (`store`) before [`Jobs::commit`] returns, so the `202` only
//!   goes out for a job that survives a crash.
//! * "Running" is not a state of the seed's enum: a running job keeps `pending` (first attempt)
//!   or `retrying`, and its `status_message` says which worker has it (`Picked up by worker.1`).
//! * Workers (`runner`) form a bounded pool. Jobs of one app run one at a time, in the order they
//!   were queued; jobs of different apps run in parallel. Jobs take no app lock (their deploys
//!   change no stored setting), so a write to an app never waits for its build.
//! * Each attempt first asks `ps:report <app> --deployed`; a never-deployed app completes at
//!   once with a message saying the change applies at its first deploy (`apply`).
//! * A deploy lock held by Dokku or a dropped connection is retried with exponential backoff and
//!   jitter up to the retry limit (`retrying`, `retry_count` counts); anything else fails at once
//!   with Dokku's message.
//! * Crash safety: a job found claimed at start was interrupted; it is released and runs again
//!   (the apply commands are idempotent). A graceful shutdown lets running jobs finish within
//!   `[jobs] shutdown_wait_seconds`, interrupts the rest the same way, and leaves waiting jobs
//!   pending for the next start.
//! * Everything a job does is an event (status changes, every output line), numbered per job;
//!   [`Jobs::follow`] replays and follows them (the SSE output stream).
//! * `state` is reported `unknown` only for a row this version cannot read.
//!
//! Known limit: a command the dead process had started on the Dokku host may still be running
//! when the job runs again after a crash; `ps:rebuild` then meets Dokku's deploy lock and
//! retries, while `ps:restart` (which takes no lock) runs twice, which it tolerates.

pub mod apply;
mod follow;
mod runner;
pub mod store;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use slog::{Logger, info};
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

pub use apply::ApplyAction;
pub use follow::FollowItem;
pub use store::{Attempt, CancelOutcome, EventKind, JobEvent, JobRecord, JobRequest, ListFilter};

use crate::auth::Actor;
use crate::host::Host;
use crate::ids::AppName;
use crate::storage::{Storage, StorageError};

/// A job's id (`GET /queueJobs/{id}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub i64);

impl JobId {
    /// `/@api/queueJobs/{id}`: the `Content-Location` of a `202`.
    pub fn content_location(self) -> String {
        format!("{}/queueJobs/{}", dokku_pro_api::BASE_PATH, self.0)
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A job's state, as the seed's `QueueJob.state` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobState {
    Pending,
    Retrying,
    Completed,
    Failed,
    /// A stored state this version does not know.
    Unknown,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Retrying => "retrying",
            JobState::Completed => "completed",
            JobState::Failed => "failed",
            JobState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> JobState {
        match s {
            "pending" => JobState::Pending,
            "retrying" => JobState::Retrying,
            "completed" => JobState::Completed,
            "failed" => JobState::Failed,
            _ => JobState::Unknown,
        }
    }

    /// Nothing more will happen to the job.
    pub fn is_final(self) -> bool {
        !matches!(self, JobState::Pending | JobState::Retrying)
    }
}

/// A change recorded by [`Jobs::intend`], to [`Jobs::commit`] once it is made or
/// [`Jobs::abandon`] if it was not.
#[must_use = "an intent is queued at the next start unless it is committed or abandoned"]
#[derive(Debug)]
pub struct Intent {
    id: i64,
}

/// Where [`Jobs::commit`] put a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enqueued {
    pub id: JobId,
    /// The change joined a job that was already waiting (its id is the one returned).
    pub coalesced: bool,
}

impl Enqueued {
    /// The `Content-Location` header value: `/@api/queueJobs/{id}`.
    pub fn content_location(&self) -> String {
        self.id.content_location()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job cannot be queued as asked (a bug in the caller, or a client value the app layer
    /// let through); shown to the client as a 400.
    #[error("{0}")]
    Invalid(String),
    #[error("the job queue's storage failed")]
    Storage(#[from] StorageError),
}

/// How the queue behaves (`[jobs]` in the configuration).
#[derive(Clone, Debug)]
pub struct JobSettings {
    /// Jobs that run at once (at most one per app).
    pub workers: usize,
    /// Retries of a job that met a deploy lock or a dropped connection before it fails.
    pub retry_limit: u32,
    /// The first retry waits about this long, each next one twice as long (with jitter).
    pub backoff_base: Duration,
    /// No retry waits longer than this.
    pub backoff_max: Duration,
    /// How long a graceful shutdown waits for running jobs before interrupting them.
    pub shutdown_wait: Duration,
}

impl Default for JobSettings {
    /// The settings of the default configuration.
    fn default() -> Self {
        crate::config::Config::default().jobs.settings()
    }
}

/// The longest wait between two retries of a job.
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// The queue: enqueue, read, cancel and follow jobs; it owns the workers.
pub struct Jobs {
    storage: Storage,
    host: Arc<Host>,
    settings: JobSettings,
    log: Logger,
    /// Wakes idle workers: a job was queued, or one ended (which may free its app's next job).
    wake: Notify,
    /// Bumped after every committed change to any job, so followers read again.
    changes: watch::Sender<u64>,
    /// Turns true when shutdown begins: workers take no new job, followers end.
    stopping: watch::Sender<bool>,
    workers: Mutex<Option<JoinSet<()>>>,
}

impl Jobs {
    /// Opens the queue on the server's database and releases the jobs a crashed process was
    /// running (they run again once the workers start).
    pub async fn open(
        storage: Storage,
        host: Arc<Host>,
        settings: JobSettings,
        log: Logger,
    ) -> Result<Arc<Jobs>, JobError> {
        let interrupted = storage
            .call(|c| {
                store::recover_interrupted(
                    c,
                    "Interrupted: the server stopped while it ran",
                    now_ms(),
                )
            })
            .await?;
        if !interrupted.is_empty() {
            let ids: Vec<String> = interrupted.iter().map(ToString::to_string).collect();
            info!(log, "jobs interrupted by the last stop run again"; "jobs" => ids.join(","));
        }
        // Changes the last process recorded but did not queue (it stopped in between): they
        // may have reached Dokku, so their jobs run; applying a change twice is harmless.
        let recovered = storage.call(|c| store::commit_all_intents(c, now_ms())).await?;
        for placed in &recovered {
            info!(log, "queued the job of a change the last process made but did not queue";
                "job" => placed.id.0, "app" => &placed.app, "request_id" => &placed.request_id);
        }
        Ok(Arc::new(Jobs {
            storage,
            host,
            settings,
            log,
            wake: Notify::new(),
            changes: watch::channel(0).0,
            stopping: watch::channel(false).0,
            workers: Mutex::new(None),
        }))
    }

    /// Starts the workers (once; later calls do nothing).
    pub fn start(self: &Arc<Self>) {
        let mut slot = self.workers.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_some() {
            return;
        }
        let mut set = JoinSet::new();
        for n in 1..=self.settings.workers.max(1) {
            let jobs = self.clone();
            set.spawn(async move { jobs.worker(format!("worker.{n}")).await });
        }
        *slot = Some(set);
    }

    /// Records that a change to `app` is about to be made, on behalf of `actor`'s request
    /// `request_id`, and that `action` will make it live. Called before the change reaches
    /// Dokku, so that a crash between the change and [`Jobs::commit`] cannot leave a stored
    /// change that nothing applies: the next start queues every intent it finds.
    pub async fn intend(
        &self,
        app: &AppName,
        action: ApplyAction,
        request_id: &str,
        actor: &Actor,
    ) -> Result<Intent, JobError> {
        let new = store::NewJob {
            internal_id: internal_id(),
            app: app.to_string(),
            action,
            request_id: request_id.to_string(),
            actor: actor.user.clone(),
        };
        let id = self.storage.call(move |c| store::record_intent(c, &new, now_ms())).await?;
        Ok(Intent { id })
    }

    /// Queues the job of a change that was made, or adds it to a waiting job of the app that
    /// carries it. The job is on disk when this returns.
    pub async fn commit(&self, intent: Intent) -> Result<Enqueued, JobError> {
        let placed =
            self.storage.call(move |c| store::commit_intent(c, intent.id, now_ms())).await?;
        self.changed();
        let what = if placed.coalesced { "change joined a waiting job" } else { "job queued" };
        info!(self.log, "{}", what; "job" => placed.id.0, "app" => &placed.app,
            "kind" => placed.kind, "request_id" => &placed.request_id, "actor" => &placed.actor);
        Ok(Enqueued { id: placed.id, coalesced: placed.coalesced })
    }

    /// Forgets an intent whose change was not made (Dokku refused it, or it was never sent).
    pub async fn abandon(&self, intent: Intent) -> Result<(), JobError> {
        Ok(self.storage.call(move |c| store::drop_intent(c, intent.id)).await?)
    }

    /// Queues `action` for a change of `app` that is already stored: [`Jobs::intend`] and
    /// [`Jobs::commit`] at once.
    pub async fn enqueue(
        &self,
        app: &AppName,
        action: ApplyAction,
        request_id: &str,
        actor: &Actor,
    ) -> Result<Enqueued, JobError> {
        let intent = self.intend(app, action, request_id, actor).await?;
        self.commit(intent).await
    }

    pub async fn get(&self, id: JobId) -> Result<Option<JobRecord>, JobError> {
        Ok(self.storage.call(move |c| store::get(c, id)).await?)
    }

    /// Newest first.
    pub async fn list(&self, filter: ListFilter) -> Result<Vec<JobRecord>, JobError> {
        Ok(self.storage.call(move |c| store::list(c, &filter)).await?)
    }

    /// Every attempt of a job, oldest first.
    pub async fn attempts(&self, id: JobId) -> Result<Vec<Attempt>, JobError> {
        Ok(self.storage.call(move |c| store::attempts(c, id)).await?)
    }

    /// The requests whose changes the job carries, oldest first.
    pub async fn requests(&self, id: JobId) -> Result<Vec<JobRequest>, JobError> {
        Ok(self.storage.call(move |c| store::requests(c, id)).await?)
    }

    /// Every event of a job so far (status changes and output lines), oldest first.
    pub async fn events(&self, id: JobId) -> Result<Vec<JobEvent>, JobError> {
        let mut all = Vec::new();
        loop {
            let after = all.last().map_or(0, |e: &JobEvent| e.seq);
            let page = self.storage.call(move |c| store::events_after(c, id, after, 1000)).await?;
            match page {
                Some((events, _)) if !events.is_empty() => all.extend(events),
                _ => return Ok(all),
            }
        }
    }

    /// Cancels a job no worker has picked up yet.
    pub async fn cancel(&self, id: JobId, actor: &Actor) -> Result<CancelOutcome, JobError> {
        let user = actor.user.clone();
        let outcome = self.storage.call(move |c| store::cancel(c, id, &user, now_ms())).await?;
        if let CancelOutcome::Canceled(job) = &outcome {
            self.changed();
            info!(self.log, "job canceled";
                "job" => id.0, "app" => &job.app, "actor" => &actor.user);
        }
        Ok(outcome)
    }

    /// Waits until the job has ended and returns it (`None`: no such job).
    pub async fn wait(&self, id: JobId) -> Result<Option<JobRecord>, JobError> {
        let mut changes = self.changes.subscribe();
        loop {
            changes.borrow_and_update();
            match self.get(id).await? {
                Some(job) if !job.state.is_final() => {}
                other => return Ok(other),
            }
            if changes.changed().await.is_err() {
                return self.get(id).await;
            }
        }
    }

    /// Stops the workers: running jobs may finish within the configured wait, the rest are
    /// interrupted (released to run again at the next start); waiting jobs stay pending.
    /// Output streams end.
    pub async fn shutdown(&self) {
        self.stopping.send_replace(true);
        self.wake.notify_waiters();
        let set = self.workers.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(mut set) = set else { return };
        let drained = tokio::time::timeout(self.settings.shutdown_wait, async {
            while set.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            slog::warn!(self.log, "jobs still running after the shutdown wait; interrupting them";
                "running" => set.len());
            set.shutdown().await;
            let released = self
                .storage
                .call(|c| {
                    store::recover_interrupted(
                        c,
                        "Interrupted: the server shut down while it ran",
                        now_ms(),
                    )
                })
                .await;
            if let Err(e) = released {
                // The next start releases them.
                slog::error!(self.log, "cannot release the interrupted jobs";
                    "error" => crate::error::chain(&e));
            }
            self.changed();
        }
    }

    /// Tells followers and idle workers that jobs changed.
    fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
        self.wake.notify_waiters();
    }
}

/// 22 random characters from `[A-Za-z0-9]` (the seed's `internal_id` example has that shape).
fn internal_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(22);
    while out.len() < 22 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source works");
        // 248 = 4 * 62: rejecting larger bytes keeps every character equally likely.
        out.extend(
            bytes.iter().filter(|b| **b < 248).map(|b| ALPHABET[usize::from(*b) % 62] as char),
        );
        out.truncate(22);
    }
    out
}

/// Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
