//! The job tables (migrations 2 and 3 in `crate::storage`) and every statement on them.
//!
//! Each function takes the connection and runs in one transaction, so a job's row, its attempt
//! and the events that describe a change are written together or not at all. Times are Unix
//! milliseconds (attempts of one app must be comparable to the millisecond).
//!
//! * `jobs`: one row per job. `claimed_by` is set while a worker runs it; a row found claimed
//!   when the server starts was interrupted by a crash ([`recover_interrupted`]).
//! * `job_requests`: every request whose change the job carries (several when coalesced).
//! * `job_attempts`: one row per time a worker picked the job up.
//! * `job_events`: what the job did, numbered per job (`seq`): status changes and every line of
//!   output. The output stream (SSE) replays and follows these; `seq` is the event id.
//! * `job_intents`: changes about to be made whose job is not queued yet ([`record_intent`],
//!   [`commit_intent`]); a row left at start belongs to a process that stopped in between.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::apply::display_argv;
use super::{ApplyAction, JobId, JobState};
use crate::storage::StorageError;

/// One job as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRecord {
    pub id: JobId,
    /// Random, for log correlation (the seed's `internal_id`).
    pub internal_id: String,
    pub app: String,
    /// `None` when the row holds an action this version does not know (a newer server wrote it).
    pub action: Option<ApplyAction>,
    /// The argv it runs, `dokku` first, secrets masked.
    pub command: Vec<String>,
    /// The request that created it.
    pub request_id: Option<String>,
    /// Who made that request.
    pub actor: Option<String>,
    pub state: JobState,
    pub retry_count: u32,
    pub status_message: String,
    /// The worker running it right now, if any.
    pub claimed_by: Option<String>,
    /// Not picked up before this time (backoff).
    pub run_after_ms: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub finished_at_ms: Option<i64>,
}

impl JobRecord {
    /// A worker holds it right now.
    pub fn is_running(&self) -> bool {
        self.claimed_by.is_some()
    }
}

/// One pick-up of a job by a worker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// 1 for the first.
    pub attempt: u32,
    pub worker: String,
    pub started_at_ms: i64,
    /// `None` while it runs.
    pub finished_at_ms: Option<i64>,
    /// `completed`, `skipped` (never-deployed app), `retry`, `failed`, `interrupted`.
    pub outcome: Option<String>,
    /// The exit status of the apply command, when it ran.
    pub exit_status: Option<i32>,
    pub message: Option<String>,
}

/// What an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A change of state or status message; `data` is JSON `{state, status_message, retry_count}`.
    Status,
    /// One line the command printed on stdout (ANSI removed).
    Stdout,
    /// One line the command printed on stderr (ANSI removed).
    Stderr,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Status => "status",
            EventKind::Stdout => "stdout",
            EventKind::Stderr => "stderr",
        }
    }

    fn parse(s: &str) -> EventKind {
        match s {
            "stdout" => EventKind::Stdout,
            "stderr" => EventKind::Stderr,
            _ => EventKind::Status,
        }
    }
}

/// One numbered event of a job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobEvent {
    /// Increases by one per event of the job, from 1; the SSE event id.
    pub seq: i64,
    pub kind: EventKind,
    /// The attempt it belongs to (none for events outside an attempt: queued, canceled).
    pub attempt: Option<u32>,
    pub data: String,
    pub at_ms: i64,
}

/// A change as the enqueue API hands it to the store.
pub struct NewJob {
    pub internal_id: String,
    pub app: String,
    pub action: ApplyAction,
    pub request_id: String,
    pub actor: String,
}

/// Where a change went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    pub id: JobId,
    /// It joined a job that was already waiting.
    pub coalesced: bool,
    pub app: String,
    pub kind: &'static str,
    pub request_id: String,
    pub actor: String,
}

/// What a worker got from [`claim_next`].
#[derive(Debug)]
pub enum Claim {
    /// This job is now the worker's, in this attempt.
    Job(Box<JobRecord>, u32),
    /// Nothing to run now; the earliest waiting job may run at this time.
    Idle { next_at_ms: Option<i64> },
}

/// How an attempt ended, as the runner decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finish {
    Completed { message: String, outcome: &'static str },
    Retry { message: String, run_after_ms: i64 },
    Failed { message: String },
}

/// The answer to a cancel request.
#[derive(Debug)]
pub enum CancelOutcome {
    Canceled(JobRecord),
    NotFound,
    /// A worker runs it right now.
    Running(JobRecord),
    /// It already ended.
    Finished(JobRecord),
}

/// Filters of [`list`].
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub app: Option<String>,
    /// Any of these states; all when empty.
    pub states: Vec<JobState>,
    /// Only ids below this one (the next page of a newest-first listing).
    pub before: Option<JobId>,
    pub limit: u32,
}

const COLUMNS: &str = "id, internal_id, app, action, command, request_id, actor, state, \
    retry_count, status_message, claimed_by, run_after, created_at, updated_at, finished_at";

fn record(row: &Row<'_>) -> rusqlite::Result<JobRecord> {
    let action: String = row.get(3)?;
    let command: String = row.get(4)?;
    let state: String = row.get(7)?;
    Ok(JobRecord {
        id: JobId(row.get(0)?),
        internal_id: row.get(1)?,
        app: row.get(2)?,
        action: serde_json::from_str(&action).ok(),
        command: serde_json::from_str(&command).unwrap_or_default(),
        request_id: row.get(5)?,
        actor: row.get(6)?,
        state: JobState::parse(&state),
        retry_count: row.get(8)?,
        status_message: row.get(9)?,
        claimed_by: row.get(10)?,
        run_after_ms: row.get(11)?,
        created_at_ms: row.get(12)?,
        updated_at_ms: row.get(13)?,
        finished_at_ms: row.get(14)?,
    })
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("job values always serialize")
}

/// The JSON of a status event.
fn status_data(state: JobState, message: &str, retry_count: u32) -> String {
    json(&serde_json::json!({
        "state": state.as_str(),
        "status_message": message,
        "retry_count": retry_count,
    }))
}

fn push_event(
    conn: &Connection,
    id: JobId,
    attempt: Option<u32>,
    kind: EventKind,
    data: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO job_events (job_id, seq, attempt, kind, data, at)
         VALUES (?1, (SELECT coalesce(max(seq), 0) + 1 FROM job_events WHERE job_id = ?1),
                 ?2, ?3, ?4, ?5)",
        params![id.0, attempt, kind.as_str(), data, now],
    )?;
    Ok(())
}

/// Sets the status message (and state) of a job and records the change as an event.
fn set_status(
    conn: &Connection,
    id: JobId,
    attempt: Option<u32>,
    state: JobState,
    retry_count: u32,
    message: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE jobs SET state = ?2, retry_count = ?3, status_message = ?4, updated_at = ?5
         WHERE id = ?1",
        params![id.0, state.as_str(), retry_count, message, now],
    )?;
    push_event(conn, id, attempt, EventKind::Status, &status_data(state, message, retry_count), now)
}

/// Records a change: it joins a waiting job of the same app that already carries it (or can be
/// widened to: a restart becomes a rebuild, two scales merge), else it becomes a new job.
///
/// Only jobs no worker has picked up qualify: a running command may have read Dokku's state
/// before this change was made.
pub fn enqueue(conn: &mut Connection, new: &NewJob, now: i64) -> Result<Placement, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let placed = place(&tx, new, now)?;
    tx.commit()?;
    Ok(placed)
}

/// [`enqueue`], inside the caller's transaction.
fn place(tx: &Connection, new: &NewJob, now: i64) -> Result<Placement, StorageError> {
    let placement = |id: JobId, coalesced: bool| Placement {
        id,
        coalesced,
        app: new.app.clone(),
        kind: new.action.kind(),
        request_id: new.request_id.clone(),
        actor: new.actor.clone(),
    };
    let waiting: Vec<(JobId, Option<ApplyAction>, JobState, u32)> = {
        let mut stmt = tx.prepare(
            "SELECT id, action, state, retry_count FROM jobs
             WHERE app = ?1 AND state IN ('pending', 'retrying') AND claimed_by IS NULL
             ORDER BY id",
        )?;
        let rows = stmt.query_map(params![new.app], |row| {
            let action: String = row.get(1)?;
            let state: String = row.get(2)?;
            Ok((
                JobId(row.get(0)?),
                serde_json::from_str(&action).ok(),
                JobState::parse(&state),
                row.get(3)?,
            ))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let request_row = |tx: &Connection, id: JobId| {
        tx.execute(
            "INSERT INTO job_requests (job_id, request_id, actor, action, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id.0, new.request_id, new.actor, json(&new.action), now],
        )
    };
    // The oldest waiting job this version can read carries the change.
    if let Some((id, Some(action), state, retry_count)) =
        waiting.into_iter().find(|(_, action, _, _)| action.is_some())
    {
        let merged = action.absorb(&new.action);
        if merged != action {
            tx.execute(
                "UPDATE jobs SET action = ?2, kind = ?3, command = ?4, updated_at = ?5
                 WHERE id = ?1",
                params![
                    id.0,
                    json(&merged),
                    merged.kind(),
                    json(&display_argv(&merged.command(&new.app))),
                    now
                ],
            )?;
        }
        request_row(tx, id)?;
        let carried: u32 = tx.query_row(
            "SELECT count(*) FROM job_requests WHERE job_id = ?1",
            params![id.0],
            |r| r.get(0),
        )?;
        let message = format!(
            "Waiting for a worker; carries {carried} changes (request {} by {} joined it)",
            new.request_id, new.actor
        );
        set_status(tx, id, None, state, retry_count, &message, now)?;
        return Ok(placement(id, true));
    }
    let command = display_argv(&new.action.command(&new.app));
    let message = "Waiting for a worker";
    tx.execute(
        "INSERT INTO jobs (internal_id, app, kind, action, command, request_id, actor, state,
                           retry_count, status_message, run_after, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', 0, ?8, ?9, ?9, ?9)",
        params![
            new.internal_id,
            new.app,
            new.action.kind(),
            json(&new.action),
            json(&command),
            new.request_id,
            new.actor,
            message,
            now
        ],
    )?;
    let id = JobId(tx.last_insert_rowid());
    request_row(tx, id)?;
    push_event(tx, id, None, EventKind::Status, &status_data(JobState::Pending, message, 0), now)?;
    Ok(placement(id, false))
}

/// Records a change about to be made; returns the intent's id.
pub fn record_intent(conn: &mut Connection, new: &NewJob, now: i64) -> Result<i64, StorageError> {
    conn.execute(
        "INSERT INTO job_intents (internal_id, app, action, request_id, actor, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![new.internal_id, new.app, json(&new.action), new.request_id, new.actor, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Turns an intent into its job ([`enqueue`]'s placement) in one transaction.
pub fn commit_intent(
    conn: &mut Connection,
    intent: i64,
    now: i64,
) -> Result<Placement, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let new = tx.query_row(
        "SELECT internal_id, app, action, request_id, actor FROM job_intents WHERE id = ?1",
        params![intent],
        |r| {
            let action: String = r.get(2)?;
            Ok((r.get(0)?, r.get(1)?, action, r.get(3)?, r.get(4)?))
        },
    )?;
    let (internal_id, app, action, request_id, actor) = new;
    // Written by a newer version with an action this one lacks: a rebuild applies every kind of
    // stored change.
    let action: ApplyAction = serde_json::from_str(&action).unwrap_or(ApplyAction::Rebuild);
    tx.execute("DELETE FROM job_intents WHERE id = ?1", params![intent])?;
    let placed = place(&tx, &NewJob { internal_id, app, action, request_id, actor }, now)?;
    tx.commit()?;
    Ok(placed)
}

/// Forgets an intent whose change was not made.
pub fn drop_intent(conn: &mut Connection, intent: i64) -> Result<(), StorageError> {
    conn.execute("DELETE FROM job_intents WHERE id = ?1", params![intent])?;
    Ok(())
}

/// Commits every intent left by a process that stopped between a change and its job.
pub fn commit_all_intents(conn: &mut Connection, now: i64) -> Result<Vec<Placement>, StorageError> {
    let ids: Vec<i64> = {
        let mut stmt = conn.prepare("SELECT id FROM job_intents ORDER BY id")?;
        stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    ids.into_iter().map(|id| commit_intent(conn, id, now)).collect()
}

/// Gives the oldest runnable job to `worker`: the first unfinished job of its app (jobs of one
/// app run in the order they were queued), not in backoff, with no job of its app running.
pub fn claim_next(conn: &mut Connection, worker: &str, now: i64) -> Result<Claim, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // The head (oldest unfinished job) of every app that has no running job.
    let heads = "SELECT j.id, j.run_after FROM jobs j
         WHERE j.state IN ('pending', 'retrying') AND j.claimed_by IS NULL
           AND j.id = (SELECT min(k.id) FROM jobs k
                       WHERE k.app = j.app AND k.state IN ('pending', 'retrying'))";
    let next: Option<i64> = tx
        .query_row(
            &format!("SELECT id FROM ({heads}) WHERE run_after <= ?1 ORDER BY id LIMIT 1"),
            params![now],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = next else {
        let next_at_ms: Option<i64> =
            tx.query_row(&format!("SELECT min(run_after) FROM ({heads})"), [], |r| r.get(0))?;
        return Ok(Claim::Idle { next_at_ms });
    };
    let id = JobId(id);
    let attempt: u32 = tx.query_row(
        "SELECT coalesce(max(attempt), 0) + 1 FROM job_attempts WHERE job_id = ?1",
        params![id.0],
        |r| r.get(0),
    )?;
    tx.execute(
        "UPDATE jobs SET claimed_by = ?2, claimed_at = ?3 WHERE id = ?1",
        params![id.0, worker, now],
    )?;
    tx.execute(
        "INSERT INTO job_attempts (job_id, attempt, worker, started_at) VALUES (?1, ?2, ?3, ?4)",
        params![id.0, attempt, worker, now],
    )?;
    let (state, retry_count): (String, u32) =
        tx.query_row("SELECT state, retry_count FROM jobs WHERE id = ?1", params![id.0], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let message = format!("Picked up by {worker}");
    set_status(&tx, id, Some(attempt), JobState::parse(&state), retry_count, &message, now)?;
    let job =
        tx.query_row(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"), params![id.0], record)?;
    tx.commit()?;
    Ok(Claim::Job(Box::new(job), attempt))
}

/// A status message during an attempt (`Running dokku ps:rebuild app`).
pub fn progress(
    conn: &mut Connection,
    id: JobId,
    attempt: u32,
    message: &str,
    now: i64,
) -> Result<(), StorageError> {
    let tx = conn.transaction()?;
    let (state, retry_count): (String, u32) =
        tx.query_row("SELECT state, retry_count FROM jobs WHERE id = ?1", params![id.0], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    set_status(&tx, id, Some(attempt), JobState::parse(&state), retry_count, message, now)?;
    tx.commit()?;
    Ok(())
}

/// Appends captured output, one event per line.
pub fn append_output(
    conn: &mut Connection,
    id: JobId,
    attempt: u32,
    lines: &[(EventKind, String)],
    now: i64,
) -> Result<(), StorageError> {
    let tx = conn.transaction()?;
    for (kind, line) in lines {
        push_event(&tx, id, Some(attempt), *kind, line, now)?;
    }
    tx.commit()?;
    Ok(())
}

/// Ends an attempt: the job completes, waits for its next try, or fails; the worker lets go.
pub fn finish_attempt(
    conn: &mut Connection,
    id: JobId,
    attempt: u32,
    exit_status: Option<i32>,
    finish: &Finish,
    now: i64,
) -> Result<(), StorageError> {
    let tx = conn.transaction()?;
    let retry_count: u32 =
        tx.query_row("SELECT retry_count FROM jobs WHERE id = ?1", params![id.0], |r| r.get(0))?;
    let (state, retry_count, run_after, finished_at, outcome, message) = match finish {
        Finish::Completed { message, outcome } => {
            (JobState::Completed, retry_count, None, Some(now), *outcome, message)
        }
        Finish::Retry { message, run_after_ms } => {
            (JobState::Retrying, retry_count + 1, Some(*run_after_ms), None, "retry", message)
        }
        Finish::Failed { message } => {
            (JobState::Failed, retry_count, None, Some(now), "failed", message)
        }
    };
    tx.execute(
        "UPDATE jobs SET claimed_by = NULL, claimed_at = NULL, finished_at = ?2,
                         run_after = coalesce(?3, run_after)
         WHERE id = ?1",
        params![id.0, finished_at, run_after],
    )?;
    tx.execute(
        "UPDATE job_attempts SET finished_at = ?3, outcome = ?4, exit_status = ?5, message = ?6
         WHERE job_id = ?1 AND attempt = ?2",
        params![id.0, attempt, now, outcome, exit_status, message],
    )?;
    set_status(&tx, id, Some(attempt), state, retry_count, message, now)?;
    tx.commit()?;
    Ok(())
}

/// Lets go of every claimed job: at start, the jobs a crashed process was running; at shutdown,
/// the ones still running when the wait ran out. They are picked up again (the apply commands
/// are idempotent), right away and without counting a retry.
pub fn recover_interrupted(
    conn: &mut Connection,
    reason: &str,
    now: i64,
) -> Result<Vec<JobId>, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let claimed: Vec<(JobId, String, u32)> = {
        let mut stmt = tx.prepare(
            "SELECT id, state, retry_count FROM jobs WHERE claimed_by IS NOT NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            let state: String = r.get(1)?;
            Ok((JobId(r.get(0)?), state, r.get(2)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, state, retry_count) in &claimed {
        let attempt: Option<u32> = tx.query_row(
            "SELECT max(attempt) FROM job_attempts WHERE job_id = ?1",
            params![id.0],
            |r| r.get(0),
        )?;
        tx.execute(
            "UPDATE job_attempts SET finished_at = ?2, outcome = 'interrupted', message = ?3
             WHERE job_id = ?1 AND finished_at IS NULL",
            params![id.0, now, reason],
        )?;
        tx.execute(
            "UPDATE jobs SET claimed_by = NULL, claimed_at = NULL, run_after = ?2 WHERE id = ?1",
            params![id.0, now],
        )?;
        let message = format!("{reason}; waiting for a worker to run it again");
        set_status(&tx, *id, attempt, JobState::parse(state), *retry_count, &message, now)?;
    }
    tx.commit()?;
    Ok(claimed.into_iter().map(|(id, _, _)| id).collect())
}

pub fn get(conn: &mut Connection, id: JobId) -> Result<Option<JobRecord>, StorageError> {
    Ok(conn
        .query_row(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"), params![id.0], record)
        .optional()?)
}

/// Newest first.
pub fn list(conn: &mut Connection, filter: &ListFilter) -> Result<Vec<JobRecord>, StorageError> {
    let mut sql = format!("SELECT {COLUMNS} FROM jobs WHERE 1 = 1");
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(app) = &filter.app {
        values.push(app.clone().into());
        sql.push_str(&format!(" AND app = ?{}", values.len()));
    }
    if let Some(before) = filter.before {
        values.push(before.0.into());
        sql.push_str(&format!(" AND id < ?{}", values.len()));
    }
    if !filter.states.is_empty() {
        let mut marks = Vec::new();
        for state in &filter.states {
            values.push(state.as_str().to_string().into());
            marks.push(format!("?{}", values.len()));
        }
        sql.push_str(&format!(" AND state IN ({})", marks.join(", ")));
    }
    values.push(i64::from(filter.limit).into());
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ?{}", values.len()));
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), record)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Cancels a job no worker has picked up yet. It ends `failed` (the seed's states have no
/// `canceled`), with a status message that says who canceled it.
pub fn cancel(
    conn: &mut Connection,
    id: JobId,
    actor: &str,
    now: i64,
) -> Result<CancelOutcome, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some(job) = tx
        .query_row(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"), params![id.0], record)
        .optional()?
    else {
        return Ok(CancelOutcome::NotFound);
    };
    if job.is_running() {
        return Ok(CancelOutcome::Running(job));
    }
    if !matches!(job.state, JobState::Pending | JobState::Retrying) {
        return Ok(CancelOutcome::Finished(job));
    }
    tx.execute("UPDATE jobs SET finished_at = ?2 WHERE id = ?1", params![id.0, now])?;
    let message = format!(
        "Canceled by {actor} before it ran; the change it carries applies at the app's next deploy"
    );
    set_status(&tx, id, None, JobState::Failed, job.retry_count, &message, now)?;
    let job =
        tx.query_row(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"), params![id.0], record)?;
    tx.commit()?;
    Ok(CancelOutcome::Canceled(job))
}

/// Events after `after` (at most `limit`), and the job's state, read together: when the state
/// is final, no event can follow the ones returned (the final event is written with the state).
pub fn events_after(
    conn: &mut Connection,
    id: JobId,
    after: i64,
    limit: u32,
) -> Result<Option<(Vec<JobEvent>, JobState)>, StorageError> {
    let tx = conn.transaction()?;
    let state: Option<String> = tx
        .query_row("SELECT state FROM jobs WHERE id = ?1", params![id.0], |r| r.get(0))
        .optional()?;
    let Some(state) = state else { return Ok(None) };
    let events = {
        let mut stmt = tx.prepare(
            "SELECT seq, kind, attempt, data, at FROM job_events
             WHERE job_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![id.0, after, limit], |r| {
            let kind: String = r.get(1)?;
            Ok(JobEvent {
                seq: r.get(0)?,
                kind: EventKind::parse(&kind),
                attempt: r.get(2)?,
                data: r.get(3)?,
                at_ms: r.get(4)?,
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    tx.commit()?;
    Ok(Some((events, JobState::parse(&state))))
}

pub fn attempts(conn: &mut Connection, id: JobId) -> Result<Vec<Attempt>, StorageError> {
    let mut stmt = conn.prepare(
        "SELECT attempt, worker, started_at, finished_at, outcome, exit_status, message
         FROM job_attempts WHERE job_id = ?1 ORDER BY attempt",
    )?;
    let rows = stmt.query_map(params![id.0], |r| {
        Ok(Attempt {
            attempt: r.get(0)?,
            worker: r.get(1)?,
            started_at_ms: r.get(2)?,
            finished_at_ms: r.get(3)?,
            outcome: r.get(4)?,
            exit_status: r.get(5)?,
            message: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A request whose change a job carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRequest {
    pub request_id: Option<String>,
    pub actor: Option<String>,
}

/// The requests whose change the job carries, oldest first.
pub fn requests(conn: &mut Connection, id: JobId) -> Result<Vec<JobRequest>, StorageError> {
    let mut stmt = conn
        .prepare("SELECT request_id, actor FROM job_requests WHERE job_id = ?1 ORDER BY rowid")?;
    let rows = stmt
        .query_map(params![id.0], |r| Ok(JobRequest { request_id: r.get(0)?, actor: r.get(1)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Deletes at most `batch` jobs that ended (completed or failed) before `cutoff_ms`, oldest
/// first, with their events, attempts and requests, in one transaction; returns how many jobs
/// went (fewer than `batch`: none are left). A waiting or running job is never deleted, nor a
/// recorded intent. Ids are never reused (`AUTOINCREMENT`), so a deleted job's
/// `Content-Location` answers 404 rather than naming another job.
pub fn prune_finished(
    conn: &mut Connection,
    cutoff_ms: i64,
    batch: u32,
) -> Result<usize, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let ids: Vec<i64> = {
        let mut stmt = tx.prepare(
            "SELECT id FROM jobs
             WHERE finished_at IS NOT NULL AND finished_at < ?1
               AND state IN ('completed', 'failed') AND claimed_by IS NULL
             ORDER BY finished_at LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![cutoff_ms, batch], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for id in &ids {
        for table in ["job_events", "job_attempts", "job_requests"] {
            tx.execute(&format!("DELETE FROM {table} WHERE job_id = ?1"), params![id])?;
        }
        tx.execute("DELETE FROM jobs WHERE id = ?1", params![id])?;
    }
    tx.commit()?;
    Ok(ids.len())
}
