//! HTTP entry points of the `queued background jobs` operations: extract, authenticate, call the
//! app layer, wrap the result. Also the `202` responses of the operations that queue a job
//! ([`accepted`], [`accepted_no_content`]) and the Server-Sent Events body of a job's output.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::error::ApiError;
use dokku_pro_api::headers::ContentLocationHeader;
use dokku_pro_api::responses::{self, HttpResponseAcceptedNoContent, HttpResponseEventStream};
use dokku_pro_api::{models, params, qs};
use dropshot::{HttpResponseAccepted, HttpResponseHeaders, HttpResponseOk, RequestContext};
use hyper::body::Frame;
use tokio::sync::mpsc;

use crate::app::queue_jobs;
use crate::context::ApiContext;
use crate::jobs::{Enqueued, FollowItem};

/// The `202` of a POST that queued a job: the created object, and the job in `Content-Location`
/// (`/@api/queueJobs/{id}`).
pub(crate) fn accepted<T: responses::ResponseBody>(
    body: T,
    job: &Enqueued,
) -> HttpResponseHeaders<HttpResponseAccepted<T>, ContentLocationHeader> {
    responses::accepted(body, job.content_location())
}

/// The `202` of a DELETE that queued a job: no body, the job in `Content-Location`.
pub(crate) fn accepted_no_content(
    job: &Enqueued,
) -> HttpResponseHeaders<HttpResponseAcceptedNoContent, ContentLocationHeader> {
    responses::accepted_no_content(job.content_location())
}

pub async fn get_queue_job(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: dropshot::Path<params::GetQueueJobPath>,
) -> Result<HttpResponseOk<models::GetQueueJobResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let job = queue_jobs::get(&ctx.jobs, &actor, &path.into_inner().queue_job_id).await?;
    Ok(HttpResponseOk(models::GetQueueJobResponse { data: job }))
}

pub async fn get_queue_jobs(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    query: qs::FormQuery<params::GetQueueJobsQuery>,
) -> Result<HttpResponseOk<models::GetQueueJobsResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let (data, links) = queue_jobs::list(&ctx.jobs, &actor, query.into_inner()).await?;
    let links = links.next.is_some().then_some(links);
    Ok(HttpResponseOk(models::GetQueueJobsResponse { data, links }))
}

pub async fn cancel_queue_job(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: dropshot::Path<params::CancelQueueJobPath>,
) -> Result<HttpResponseOk<models::CancelQueueJobResponse>, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let job = queue_jobs::cancel(&ctx.jobs, &actor, &path.into_inner().queue_job_id).await?;
    Ok(HttpResponseOk(models::CancelQueueJobResponse { data: job }))
}

pub async fn get_queue_job_output(
    rqctx: RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    path: dropshot::Path<params::GetQueueJobOutputPath>,
    request_headers: dropshot::Header<params::GetQueueJobOutputHeaders>,
) -> Result<HttpResponseEventStream, ApiError> {
    let ctx = rqctx.context();
    let actor = ctx.authenticate(&auth.0).await?;
    let last_event_id = request_headers.into_inner().last_event_id;
    let events = queue_jobs::follow(
        &ctx.jobs,
        &actor,
        &path.into_inner().queue_job_id,
        last_event_id.as_deref(),
    )
    .await?;
    Ok(HttpResponseEventStream(dropshot::Body::wrap(EventStreamBody { events, started: false })))
}

/// The SSE body: one frame per event as the job's follower delivers it; the stream ends when
/// the follower does (the job ended, or the server shuts down). A client that goes away drops
/// the body, and with it the follower.
struct EventStreamBody {
    events: mpsc::Receiver<FollowItem>,
    /// The first frame tells EventSource clients how soon to reconnect.
    started: bool,
}

impl hyper::body::Body for EventStreamBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if !self.started {
            self.started = true;
            return Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"retry: 1000\n\n")))));
        }
        self.events.poll_recv(cx).map(|item| item.map(|item| Ok(Frame::data(sse_frame(&item)))))
    }
}

/// One item as Server-Sent Events text. Output lines never contain a newline and status data is
/// one line of JSON, so every event has exactly one `data:` line.
fn sse_frame(item: &FollowItem) -> Bytes {
    let text = match item {
        FollowItem::Event(event) => {
            let data = event.data.replace(['\r', '\n'], " ");
            format!("id: {}\nevent: {}\ndata: {data}\n\n", event.seq, event.kind.as_str())
        }
        FollowItem::End(state) => {
            format!("event: end\ndata: {}\n\n", serde_json::json!({"state": state.as_str()}))
        }
        FollowItem::KeepAlive => ": keep-alive\n\n".to_string(),
    };
    Bytes::from(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::{EventKind, JobEvent, JobState};

    #[test]
    fn accepted_responses_point_at_the_job() {
        use dropshot::HttpResponse;
        let job = Enqueued { id: crate::jobs::JobId(7), coalesced: false };
        let body = models::AddEnvResponse { data: models::Env::default() };
        let response = accepted(body, &job).to_result().unwrap();
        assert_eq!(response.status(), 202);
        assert_eq!(response.headers()["content-location"], "/@api/queueJobs/7");
        let response = accepted_no_content(&job).to_result().unwrap();
        assert_eq!(response.status(), 202);
        assert_eq!(response.headers()["content-location"], "/@api/queueJobs/7");
    }

    #[test]
    fn frames_are_server_sent_events() {
        let event = JobEvent {
            seq: 3,
            kind: EventKind::Stdout,
            attempt: Some(1),
            data: "-----> Building app".into(),
            at_ms: 0,
        };
        assert_eq!(
            sse_frame(&FollowItem::Event(event)),
            "id: 3\nevent: stdout\ndata: -----> Building app\n\n"
        );
        assert_eq!(
            sse_frame(&FollowItem::End(JobState::Failed)),
            "event: end\ndata: {\"state\":\"failed\"}\n\n"
        );
        assert_eq!(sse_frame(&FollowItem::KeepAlive), ": keep-alive\n\n");
    }
}
