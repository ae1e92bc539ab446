//! Following a job: its events from a given one on, then live as they are recorded, until the
//! job ends (the output stream of `GET /queueJobs/{id}/output`). Resuming is exact because
//! events are numbered per job and read back in order: a follower that saw event `n` asks for
//! the ones after `n` and gets each later event once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::store::{self, JobEvent};
use super::{JobId, JobState, Jobs};

/// How often a quiet stream says it is still there (proxies close idle connections).
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Events read per database call.
const PAGE: u32 = 500;

/// What a follower receives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FollowItem {
    Event(JobEvent),
    /// The job has ended; nothing follows.
    End(JobState),
    /// Nothing happened for a while.
    KeepAlive,
}

impl Jobs {
    /// Streams the events of job `id` after event number `after` (0: from the start), then new
    /// ones as they come, and ends with [`FollowItem::End`] once the job has ended. The stream
    /// also ends (without `End`) when the server shuts down or the job disappears. Dropping the
    /// receiver stops the work.
    pub fn follow(self: &Arc<Self>, id: JobId, after: i64) -> mpsc::Receiver<FollowItem> {
        let (tx, rx) = mpsc::channel(64);
        let jobs = self.clone();
        tokio::spawn(async move { jobs.feed(id, after, tx).await });
        rx
    }

    async fn feed(&self, id: JobId, mut after: i64, tx: mpsc::Sender<FollowItem>) {
        let mut changes = self.changes.subscribe();
        let mut stopping = self.stopping.subscribe();
        loop {
            if *stopping.borrow_and_update() {
                return;
            }
            // Marked seen before reading, so a change committed after the read wakes us.
            changes.borrow_and_update();
            let page =
                match self.storage.call(move |c| store::events_after(c, id, after, PAGE)).await {
                    Ok(Some(page)) => page,
                    Ok(None) => return,
                    Err(e) => {
                        slog::error!(self.log, "cannot read a job's events"; "job" => id.0,
                        "error" => crate::error::chain(&e));
                        return;
                    }
                };
            let (events, state) = page;
            let full = events.len() == PAGE as usize;
            for event in events {
                after = event.seq;
                if tx.send(FollowItem::Event(event)).await.is_err() {
                    return;
                }
            }
            if full {
                continue;
            }
            // The state was read with the events: when it is final, every event was in the page.
            if state.is_final() {
                let _ = tx.send(FollowItem::End(state)).await;
                return;
            }
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return },
                _ = stopping.changed() => return,
                _ = tokio::time::sleep(KEEP_ALIVE) => {
                    if tx.send(FollowItem::KeepAlive).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
