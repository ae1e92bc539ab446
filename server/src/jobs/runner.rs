//! The workers: each takes the next runnable job ([`store::claim_next`]), runs one attempt under
//! the app's lock, records its output and decides what comes next (done, retry after a backoff,
//! failed). Idle workers sleep until a job is queued or ends, or a backoff runs out.

use std::time::Duration;

use slog::{error, info, warn};

use super::apply::{self, ApplyAction, AttemptResult};
use super::store::{self, Claim, EventKind, Finish, JobRecord};
use super::{Jobs, now_ms};
use crate::host::parse::strip_ansi;

/// An idle worker looks at the queue at least this often, whatever it was told.
const IDLE_POLL: Duration = Duration::from_secs(30);
/// A worker whose database call failed waits this long before trying again.
const STORAGE_RETRY: Duration = Duration::from_secs(1);
/// At most this many output lines are kept per attempt (the last ones: they tell how it ended).
const MAX_OUTPUT_LINES: usize = 20_000;

impl Jobs {
    pub(super) async fn worker(&self, name: String) {
        let mut stopping = self.stopping.subscribe();
        loop {
            if *stopping.borrow_and_update() {
                return;
            }
            // Registered before looking, so a job queued meanwhile wakes this worker.
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let worker = name.clone();
            let claim = self.storage.call(move |c| store::claim_next(c, &worker, now_ms())).await;
            let wait = match claim {
                Ok(Claim::Job(job, attempt)) => {
                    self.changed();
                    self.run(&name, *job, attempt).await;
                    continue;
                }
                Ok(Claim::Idle { next_at_ms: Some(at) }) => {
                    Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0)).min(IDLE_POLL)
                }
                Ok(Claim::Idle { next_at_ms: None }) => IDLE_POLL,
                Err(e) => {
                    error!(self.log, "a worker cannot read the queue"; "worker" => &name,
                        "error" => crate::error::chain(&e));
                    STORAGE_RETRY
                }
            };
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep(wait) => {}
                _ = stopping.changed() => {}
            }
        }
    }

    /// One attempt of a claimed job, start to finish.
    async fn run(&self, worker: &str, job: JobRecord, attempt: u32) {
        let log =
            self.log.new(slog::o!("job" => job.id.0, "internal_id" => job.internal_id.clone(),
            "app" => job.app.clone(), "worker" => worker.to_string(), "attempt" => attempt));
        info!(log, "job picked up"; "request_id" => job.request_id.clone().unwrap_or_default());
        let result = match &job.action {
            Some(action) => self.attempt(worker, &job, action, attempt).await,
            None => AttemptResult::Failed {
                reason: "this job was queued by a newer version of the server".into(),
                output: None,
            },
        };
        let (id, exit_status) = (job.id, result.output().map(|o| o.status));
        if let Some(out) = result.output() {
            let lines = output_lines(&out.stdout, &out.stderr);
            if let Err(e) = self
                .storage
                .call(move |c| store::append_output(c, id, attempt, &lines, now_ms()))
                .await
            {
                error!(log, "cannot record the job's output"; "error" => crate::error::chain(&e));
            }
        }
        let finish = self.decide(&job, attempt, result);
        match &finish {
            Finish::Completed { message, .. } => info!(log, "job completed"; "status" => message),
            Finish::Retry { message, .. } => warn!(log, "job will retry"; "status" => message),
            Finish::Failed { message } => warn!(log, "job failed"; "status" => message),
        }
        let recorded = {
            let finish = finish.clone();
            self.storage
                .call(move |c| {
                    store::finish_attempt(c, id, attempt, exit_status, &finish, now_ms())
                })
                .await
        };
        if let Err(e) = recorded {
            // The claim stays; the next start releases it and the job runs again.
            error!(log, "cannot record the end of the job's attempt";
                "error" => crate::error::chain(&e));
        }
        self.changed();
    }

    async fn attempt(
        &self,
        worker: &str,
        job: &JobRecord,
        action: &ApplyAction,
        attempt: u32,
    ) -> AttemptResult {
        let deployed = match apply::deployed(&self.host, &job.app).await {
            Ok(deployed) => deployed,
            Err(result) => return result,
        };
        if !deployed {
            return AttemptResult::Done {
                message: apply::not_deployed_message(&job.app, action),
                skipped: true,
                output: None,
            };
        }
        let cmd = action.command(&job.app);
        let message = format!("Running `{cmd}` ({worker}, attempt {attempt})");
        let id = job.id;
        if let Err(e) =
            self.storage.call(move |c| store::progress(c, id, attempt, &message, now_ms())).await
        {
            warn!(self.log, "cannot record a job's progress";
                "job" => id.0, "error" => crate::error::chain(&e));
        }
        self.changed();
        apply::run_command(&self.host, &cmd).await
    }

    /// What follows an attempt: retryable failures wait `backoff` and go again until the limit.
    fn decide(&self, job: &JobRecord, attempt: u32, result: AttemptResult) -> Finish {
        match result {
            AttemptResult::Done { message, skipped, .. } => Finish::Completed {
                message: match job.retry_count {
                    0 => message,
                    n => format!("{message} (after {n} {})", plural(n, "retry", "retries")),
                },
                outcome: if skipped { "skipped" } else { "completed" },
            },
            AttemptResult::Retryable { reason, .. }
                if job.retry_count < self.settings.retry_limit =>
            {
                let retry = job.retry_count + 1;
                let delay = backoff(&self.settings, retry, random_fraction());
                Finish::Retry {
                    message: format!(
                        "Attempt {attempt} failed: {reason}; retry {retry} of {} in {:.1} s",
                        self.settings.retry_limit,
                        delay.as_secs_f64()
                    ),
                    run_after_ms: now_ms()
                        + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2),
                }
            }
            AttemptResult::Retryable { reason, .. } => Finish::Failed {
                message: format!(
                    "Failed after {} {}: {reason}",
                    job.retry_count,
                    plural(job.retry_count, "retry", "retries")
                ),
            },
            AttemptResult::Failed { reason, .. } => {
                Finish::Failed { message: format!("Failed: {reason}") }
            }
        }
    }
}

fn plural(n: u32, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// The wait before retry number `retry` (1-based): `base * 2^(retry-1)`, capped, with "equal
/// jitter" (half fixed, half random) so that jobs failing together do not retry together.
/// `fraction` is uniform in `[0, 1)`.
pub(super) fn backoff(settings: &super::JobSettings, retry: u32, fraction: f64) -> Duration {
    let exponent = retry.saturating_sub(1).min(30);
    let full = settings.backoff_base.saturating_mul(1 << exponent).min(settings.backoff_max);
    full / 2 + full.mul_f64(fraction.clamp(0.0, 1.0) / 2.0)
}

fn random_fraction() -> f64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the OS random source works");
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// The output as events: one per line, stdout first (the apply commands put everything there),
/// ANSI escapes removed, and of a line rewritten with `\r` (progress bars) only its last form.
pub(super) fn output_lines(stdout: &str, stderr: &str) -> Vec<(EventKind, String)> {
    let mut lines: Vec<(EventKind, String)> = Vec::new();
    for (kind, text) in [(EventKind::Stdout, stdout), (EventKind::Stderr, stderr)] {
        let clean = strip_ansi(text);
        for line in clean.lines() {
            let line = line.rsplit('\r').find(|part| !part.is_empty()).unwrap_or("");
            lines.push((kind, line.to_string()));
        }
    }
    if lines.len() > MAX_OUTPUT_LINES {
        let dropped = lines.len() - MAX_OUTPUT_LINES;
        lines.drain(..dropped);
        lines.insert(0, (EventKind::Stderr, format!("[{dropped} earlier lines not kept]")));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let settings = super::super::JobSettings {
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(60),
            ..Default::default()
        };
        assert_eq!(backoff(&settings, 1, 0.0), Duration::from_secs(1));
        assert_eq!(backoff(&settings, 1, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(&settings, 3, 0.0), Duration::from_secs(4));
        assert_eq!(backoff(&settings, 3, 0.5), Duration::from_secs(6));
        assert_eq!(backoff(&settings, 20, 1.0), Duration::from_secs(60));
        assert_eq!(backoff(&settings, u32::MAX, 0.0), Duration::from_secs(30));
        let f = random_fraction();
        assert!((0.0..1.0).contains(&f));
    }

    #[test]
    fn output_is_split_in_clean_lines() {
        let lines = output_lines(
            "\u{1b}[1G\u{1b}[K-----> Building\r\n10%\r50%\r100%\nlast",
            " !     warn\n",
        );
        assert_eq!(
            lines,
            [
                (EventKind::Stdout, "-----> Building".to_string()),
                (EventKind::Stdout, "100%".to_string()),
                (EventKind::Stdout, "last".to_string()),
                (EventKind::Stderr, " !     warn".to_string()),
            ]
        );
        let many = "x\n".repeat(MAX_OUTPUT_LINES + 5);
        let lines = output_lines(&many, "");
        assert_eq!(lines.len(), MAX_OUTPUT_LINES + 1);
        assert_eq!(lines[0].1, "[5 earlier lines not kept]");
    }
}
