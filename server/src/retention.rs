//! Retention: one background task that deletes audit events older than `[audit] retention_days`
//! and jobs that ended more than `[jobs] retention_days` ago (with their events, attempts and
//! requests), at start and then every `[audit] prune_interval_seconds`.
//!
//! Deletes go in batches of [`BATCH`] rows, one short transaction each, and the task lets other
//! database users in between batches, so a first prune of a large backlog never holds the
//! database for long. Waiting and running jobs, and the intents of changes not yet queued, are
//! never deleted ([`crate::jobs::store::prune_finished`]). Expired tokens have their own pruner
//! (`crate::auth`).

use std::time::Duration;

use slog::{Logger, info, warn};
use tokio::task::JoinHandle;

use crate::storage::{Storage, StorageError};

/// Rows (audit events, or jobs) deleted per transaction.
pub const BATCH: u32 = 500;

/// How long audit events and finished jobs are kept (`None`: for good), and how often the
/// pruner looks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionSettings {
    pub audit: Option<Duration>,
    pub jobs: Option<Duration>,
    pub interval: Duration,
}

/// How many rows one [`prune`] deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub audit_events: usize,
    pub jobs: usize,
}

/// Starts the pruner: at once, then every `settings.interval`. Abort the handle to stop it.
pub fn start(storage: Storage, settings: RetentionSettings, log: Logger) -> JoinHandle<()> {
    tokio::spawn(async move {
        if settings.audit.is_none() && settings.jobs.is_none() {
            return;
        }
        let mut tick = tokio::time::interval(settings.interval.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match prune(&storage, &settings, crate::jobs::now_ms()).await {
                Ok(pruned) if pruned != Pruned::default() => {
                    info!(log, "deleted old audit events and finished jobs";
                        "audit_events" => pruned.audit_events, "jobs" => pruned.jobs);
                }
                Ok(_) => {}
                Err(e) => warn!(log, "deleting old audit events and finished jobs failed";
                    "error" => crate::error::chain(&e)),
            }
        }
    })
}

/// Deletes what is older than its retention at `now_ms`, batch by batch.
pub async fn prune(
    storage: &Storage,
    settings: &RetentionSettings,
    now_ms: i64,
) -> Result<Pruned, StorageError> {
    let cutoff =
        |keep: Duration| now_ms.saturating_sub(i64::try_from(keep.as_millis()).unwrap_or(i64::MAX));
    let mut pruned = Pruned::default();
    if let Some(keep) = settings.audit {
        let cutoff = cutoff(keep);
        pruned.audit_events =
            batched(storage, move |c| crate::audit::store::prune(c, cutoff, BATCH)).await?;
    }
    if let Some(keep) = settings.jobs {
        let cutoff = cutoff(keep);
        pruned.jobs =
            batched(storage, move |c| crate::jobs::store::prune_finished(c, cutoff, BATCH)).await?;
    }
    Ok(pruned)
}

/// Runs `delete` (one batch, in its own transaction) until a batch comes back short; returns
/// the rows deleted in all.
async fn batched(
    storage: &Storage,
    delete: impl Fn(&mut rusqlite::Connection) -> Result<usize, StorageError> + Clone + Send + 'static,
) -> Result<usize, StorageError> {
    let mut total = 0;
    loop {
        let delete = delete.clone();
        let deleted = storage.call(move |c| delete(c)).await?;
        total += deleted;
        if deleted < BATCH as usize {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use super::*;
    use crate::audit::store::{Event, Filter};

    const DAY_MS: i64 = 24 * 3600 * 1000;

    /// A job row as the queue writes it, in `state`, ended at `finished` (ms), claimed by
    /// `worker`, with an event, an attempt and a request.
    fn job(
        c: &rusqlite::Connection,
        state: &str,
        finished: Option<i64>,
        worker: Option<&str>,
    ) -> i64 {
        c.execute(
            "INSERT INTO jobs (internal_id, app, kind, action, command, state, status_message,
                               run_after, claimed_by, created_at, updated_at, finished_at)
             VALUES (lower(hex(randomblob(8))), 'web', 'restart', '{}', '[]', ?1, '', 0, ?2, 0, 0, ?3)",
            params![state, worker, finished],
        )
        .unwrap();
        let id = c.last_insert_rowid();
        c.execute(
            "INSERT INTO job_events (job_id, seq, kind, data, at) VALUES (?1, 1, 'stdout', 'x', 0)",
            params![id],
        )
        .unwrap();
        c.execute(
            "INSERT INTO job_attempts (job_id, attempt, worker, started_at) VALUES (?1, 1, 'w', 0)",
            params![id],
        )
        .unwrap();
        c.execute(
            "INSERT INTO job_requests (job_id, action, at) VALUES (?1, '{}', 0)",
            params![id],
        )
        .unwrap();
        id
    }

    fn ids(c: &rusqlite::Connection, sql: &str) -> Vec<i64> {
        let mut stmt = c.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[tokio::test]
    async fn old_events_and_finished_jobs_go_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path()).unwrap();
        let now = 400 * DAY_MS;
        let settings = RetentionSettings {
            audit: Some(Duration::from_secs(90 * 24 * 3600)),
            jobs: Some(Duration::from_secs(30 * 24 * 3600)),
            interval: Duration::from_secs(3600),
        };
        let old = now - 31 * DAY_MS;
        let recent = now - 29 * DAY_MS;
        let (old_done, old_failed, recent_done, waiting, retrying, running, old_events) = storage
            .call_blocking(|c| {
                let ids = (
                    job(c, "completed", Some(old), None),
                    job(c, "failed", Some(old), None),
                    job(c, "completed", Some(recent), None),
                    // Queued long ago and never run, waiting for a retry, and running: kept.
                    job(c, "pending", None, None),
                    job(c, "retrying", None, None),
                    job(c, "pending", None, Some("worker.1")),
                    // 1200 events past the audit retention (three batches), and 3 within it.
                    (0..1200)
                        .map(|i| Event { at_ms: now - 91 * DAY_MS + i, ..Event::default() })
                        .chain((0..3).map(|i| Event { at_ms: now - 89 * DAY_MS + i, ..Event::default() }))
                        .collect::<Vec<_>>(),
                );
                c.execute(
                    "INSERT INTO job_intents (internal_id, app, action, created_at) VALUES ('i', 'web', '{}', 0)",
                    [],
                )?;
                Ok::<_, rusqlite::Error>(ids)
            })
            .unwrap();
        storage.call_blocking(|c| crate::audit::store::insert(c, &old_events)).unwrap();

        let pruned = prune(&storage, &settings, now).await.unwrap();
        assert_eq!(pruned, Pruned { audit_events: 1200, jobs: 2 });
        storage
            .call_blocking(|c| {
                assert_eq!(
                    ids(c, "SELECT id FROM jobs ORDER BY id"),
                    [recent_done, waiting, retrying, running]
                );
                for table in ["job_events", "job_attempts", "job_requests"] {
                    let left = ids(c, &format!("SELECT DISTINCT job_id FROM {table} ORDER BY 1"));
                    assert_eq!(left, [recent_done, waiting, retrying, running], "{table}");
                }
                assert!(!left_over(c, old_done) && !left_over(c, old_failed));
                assert_eq!(ids(c, "SELECT count(*) FROM job_intents"), [1]);
                let events =
                    crate::audit::store::list(c, &Filter { limit: 10, ..Filter::default() })?;
                assert_eq!(events.len(), 3);
                Ok::<_, StorageError>(())
            })
            .unwrap();
        assert_eq!(prune(&storage, &settings, now).await.unwrap(), Pruned::default());

        // Retention off: nothing goes, however old.
        let keep = RetentionSettings { audit: None, jobs: None, ..settings };
        assert_eq!(prune(&storage, &keep, now * 10).await.unwrap(), Pruned::default());
    }

    fn left_over(c: &rusqlite::Connection, id: i64) -> bool {
        !ids(c, &format!("SELECT id FROM jobs WHERE id = {id}")).is_empty()
    }
}
