//! Queued background jobs: `GET /queueJobs/{id}` (the seed), and the extensions `GET /queueJobs`
//! (newest first, filtered, paginated), `DELETE /queueJobs/{id}` (cancel a job not started) and
//! `GET /queueJobs/{id}/output` (follow a job's events). The queue itself is `crate::jobs`.
//!
//! A job id is a positive integer: anything else is a 400 (nothing is looked up), an integer
//! that names no job a 404. Reads cost no Dokku call.

use dokku_pro_api::models::{
    GetQueueJobsResponse, GetQueueJobsResponseLinks, GetQueueJobsStateItem, QueueJob,
    QueueJobAttributes, QueueJobAttributesState,
};
use dokku_pro_api::params::GetQueueJobsQuery;
use dokku_pro_api::responses::ServerSentEvent;
use tokio::sync::mpsc;

use super::{AppError, OpContext};
use crate::ids::{AppName, Invalid, quote};
use crate::jobs::{CancelOutcome, FollowItem, JobId, JobRecord, JobState, ListFilter};

/// Jobs per page of `GET /queueJobs` unless `limit` says otherwise, and the most it may say.
const DEFAULT_LIMIT: u32 = 25;
const MAX_LIMIT: u32 = 100;

/// `getQueueJob`.
pub async fn get_queue_job(opctx: &OpContext, id: JobId) -> Result<QueueJob, AppError> {
    let job = opctx.jobs.get(id).await?.ok_or_else(|| not_found(id))?;
    Ok(queue_job(&job))
}

/// `getQueueJobs`: newest first, and the path of the next page when there is one.
pub async fn get_queue_jobs(
    opctx: &OpContext,
    query: GetQueueJobsQuery,
) -> Result<GetQueueJobsResponse, AppError> {
    let app = query.app.as_deref().map(AppName::parse).transpose()?;
    let limit = super::page_limit(query.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    let before = match &query.before {
        None => None,
        Some(text) => Some(positive_id(text).ok_or_else(|| {
            AppError::Invalid(format!("invalid before {}: use a job id", quote(text)))
        })?),
    };
    let states: Vec<JobState> = query
        .state
        .iter()
        .flatten()
        .map(|s| match s {
            GetQueueJobsStateItem::Pending => JobState::Pending,
            GetQueueJobsStateItem::Retrying => JobState::Retrying,
            GetQueueJobsStateItem::Completed => JobState::Completed,
            GetQueueJobsStateItem::Failed => JobState::Failed,
        })
        .collect();
    let filter = ListFilter {
        app: app.as_ref().map(|a| a.to_string()),
        states: states.clone(),
        before,
        limit: limit + 1,
    };
    let (found, next) = super::page(opctx.jobs.list(filter).await?, limit, |last| {
        let mut path =
            format!("{}/queueJobs?before={}&limit={limit}", dokku_pro_api::BASE_PATH, last.id);
        // App names and states are plain ASCII words: nothing to percent-encode.
        if let Some(app) = &app {
            path.push_str(&format!("&app={app}"));
        }
        if !states.is_empty() {
            let names: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
            path.push_str(&format!("&state={}", names.join(",")));
        }
        path
    });
    Ok(GetQueueJobsResponse {
        data: found.iter().map(queue_job).collect(),
        links: next.map(|next| GetQueueJobsResponseLinks { next: Some(next) }),
    })
}

/// `cancelQueueJob`: cancels a job no worker has taken yet.
pub async fn cancel_queue_job(opctx: &OpContext, id: JobId) -> Result<QueueJob, AppError> {
    match opctx.jobs.cancel(id, &opctx.actor).await? {
        CancelOutcome::Canceled(job) => Ok(queue_job(&job)),
        CancelOutcome::NotFound => Err(not_found(id)),
        CancelOutcome::Running(job) => Err(AppError::Conflict(format!(
            "queue job {id} is running ({}); only a job that has not started can be canceled",
            job.status_message
        ))),
        CancelOutcome::Finished(job) => Err(AppError::Conflict(format!(
            "queue job {id} has already ended ({}); only a job that has not started can be \
             canceled",
            job.state.as_str()
        ))),
    }
}

/// `getQueueJobOutput`: the job's events after `last_event_id` (from the start without one),
/// then live until the job ends.
pub async fn get_queue_job_output(
    opctx: &OpContext,
    id: JobId,
    last_event_id: Option<&str>,
) -> Result<mpsc::Receiver<FollowItem>, AppError> {
    let after = match last_event_id.map(str::trim) {
        None | Some("") => 0,
        Some(text) => text.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            AppError::Invalid(format!(
                "invalid Last-Event-ID {}: use the id of an event of this stream",
                quote(text)
            ))
        })?,
    };
    opctx.jobs.get(id).await?.ok_or_else(|| not_found(id))?;
    Ok(opctx.jobs.follow(id, after))
}

/// The seed's `QueueJob` for a stored job.
pub fn queue_job(job: &JobRecord) -> QueueJob {
    let state = match job.state {
        JobState::Pending => QueueJobAttributesState::Pending,
        JobState::Retrying => QueueJobAttributesState::Retrying,
        JobState::Completed => QueueJobAttributesState::Completed,
        JobState::Failed => QueueJobAttributesState::Failed,
        JobState::Unknown => QueueJobAttributesState::Unknown,
    };
    QueueJob::record(
        job.id.to_string(),
        QueueJobAttributes {
            command: job.command.clone(),
            internal_id: Some(job.internal_id.clone()),
            request_id: job.request_id.clone(),
            retry_count: Some(i64::from(job.retry_count)),
            state: Some(state),
            status_message: Some(job.status_message.clone()),
        },
    )
}

/// A path id: digits only. Too many digits for a job that could exist is still a well-formed
/// id, so it is a 404, not a 400.
pub fn parse_job_id(text: &str) -> Result<JobId, Invalid> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid(format!(
            "invalid queue job id {}: a queue job id is a positive integer",
            quote(text)
        )));
    }
    Ok(JobId(text.parse::<i64>().unwrap_or(i64::MAX)))
}

fn positive_id(text: &str) -> Option<JobId> {
    text.parse::<i64>().ok().filter(|n| *n > 0).map(JobId)
}

fn not_found(id: JobId) -> AppError {
    AppError::NotFound(format!("queue job {id} does not exist"))
}

/// A job's events as Server-Sent Events. Output lines never contain a newline and status data is
/// one line of JSON, so every event has exactly one `data:` line.
impl ServerSentEvent for FollowItem {
    fn frame(&self) -> String {
        match self {
            FollowItem::Event(event) => {
                let data = event.data.replace(['\r', '\n'], " ");
                format!("id: {}\nevent: {}\ndata: {data}\n\n", event.seq, event.kind.as_str())
            }
            FollowItem::End(state) => {
                format!("event: end\ndata: {}\n\n", serde_json::json!({"state": state.as_str()}))
            }
            FollowItem::KeepAlive => ": keep-alive\n\n".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_server_sent_events() {
        use crate::jobs::{EventKind, JobEvent};
        let event = JobEvent {
            seq: 3,
            kind: EventKind::Stdout,
            attempt: Some(1),
            data: "-----> Building app".into(),
            at_ms: 0,
        };
        assert_eq!(
            FollowItem::Event(event).frame(),
            "id: 3\nevent: stdout\ndata: -----> Building app\n\n"
        );
        assert_eq!(
            FollowItem::End(JobState::Failed).frame(),
            "event: end\ndata: {\"state\":\"failed\"}\n\n"
        );
        assert_eq!(FollowItem::KeepAlive.frame(), ": keep-alive\n\n");
    }

    #[test]
    fn ids_are_digits() {
        assert_eq!(parse_job_id("7").unwrap(), JobId(7));
        assert_eq!(parse_job_id("007").unwrap(), JobId(7));
        assert_eq!(parse_job_id("99999999999999999999").unwrap(), JobId(i64::MAX));
        for bad in ["", "abc", "-1", "+1", "1.0", " 1", "1e3", "probe:id"] {
            assert!(parse_job_id(bad).is_err(), "{bad:?}");
        }
    }
}
