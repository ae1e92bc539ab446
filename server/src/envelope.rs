//! The two ends of every operation, each in one place: a request's parts unpacked into the typed
//! arguments of the app functions (every body's `data`, with one 400 for a body without it; the
//! services of a link body; the path parameters parsed into identifiers of [`crate::ids`]), and
//! the app function's result answered in the operation's response type ([`Answer`], [`op`]).
//! What a request names is noted in the operation's audit event. The entry points
//! ([`crate::http_entrypoints`]) use nothing else to read a request or shape an answer.

use std::sync::Arc;

use dokku_pro_api::auth::BearerAuth;
use dokku_pro_api::body::{AppPath, OptionalBody, PathParam, RequestData};
use dokku_pro_api::error::ApiError;
use dokku_pro_api::headers::ContentLocationHeader;
use dokku_pro_api::models;
use dokku_pro_api::responses::{
    self, HttpResponseAcceptedNoContent, ResponseBody, ServerSentEvent,
};
use dropshot::{
    HttpResponseAccepted, HttpResponseCreated, HttpResponseDeleted, HttpResponseHeaders,
    HttpResponseOk, HttpResponseUpdatedNoContent, Path, RequestContext, TypedBody,
};
use tokio::sync::mpsc;

use crate::app::AppError;
use crate::context::{self, ApiContext, OpContext};
use crate::ids::{AppName, Invalid, app_scoped};
use crate::jobs::Enqueued;

// Reading a request.

/// Every request body's `data`, unpacked in one place: a body without it is the same 400 for
/// every operation. The audit event notes what it names.
pub fn data<B: RequestData>(o: &OpContext, body: TypedBody<B>) -> Result<B::Data, Invalid> {
    let data = body.into_inner().into_data().ok_or_else(|| {
        Invalid(
            "the body needs `data`: the object to create or change, as \
             {\"data\":{\"type\":…,\"attributes\":{…}}}"
                .into(),
        )
    })?;
    o.note_body(&data);
    Ok(data)
}

/// The services a link or unlink body names (none without a body), noted in the audit event.
pub fn links<B>(o: &OpContext, body: OptionalBody<B>) -> Vec<models::ServiceLink>
where
    B: Into<Vec<models::ServiceLink>>,
{
    let links: Vec<models::ServiceLink> = body.into_inner().map(Into::into).unwrap_or_default();
    let names: Vec<&str> = links.iter().filter_map(|l| l.id.as_deref()).collect();
    o.note_resource(&names.join(","));
    links
}

/// The one parameter of a path.
pub fn param<P: PathParam>(path: Path<P>) -> String {
    path.into_inner().param()
}

/// The app a path names.
pub fn app<P: AppPath>(path: Path<P>) -> Result<AppName, Invalid> {
    AppName::parse(&param(path))
}

/// A per-app object a path names (`app:<part>`), the part parsed by `parse`.
pub fn scoped<P: PathParam, T>(
    path: Path<P>,
    what: &str,
    parse: impl FnOnce(&str) -> Result<T, Invalid>,
) -> Result<(AppName, T), Invalid> {
    app_scoped(&param(path), what, parse)
}

// Answering.

/// A `202` with the object as set, and the job that applies it in `Content-Location`.
pub type Accepted<T> = HttpResponseHeaders<HttpResponseAccepted<T>, ContentLocationHeader>;
/// A `202` without a body, the job in `Content-Location`.
pub type AcceptedNoContent =
    HttpResponseHeaders<HttpResponseAcceptedNoContent, ContentLocationHeader>;

/// How an app function's result becomes the operation's response: the seed's envelope (through
/// the `From` impls generated for every `data` envelope), `202` with the job in
/// `Content-Location`, or an empty `204`. The response type is the trait method's, so each method
/// only says which app function to call.
pub trait Answer<T> {
    fn answer(value: T) -> Self;
}

impl<T, R: ResponseBody + From<T>> Answer<T> for HttpResponseOk<R> {
    fn answer(data: T) -> Self {
        HttpResponseOk(data.into())
    }
}

impl<T, R: ResponseBody + From<T>> Answer<T> for HttpResponseCreated<R> {
    fn answer(data: T) -> Self {
        HttpResponseCreated(data.into())
    }
}

/// The `202` of a POST that queued a job: the object as set, and the job in `Content-Location`.
impl<T, R: ResponseBody + From<T>> Answer<(T, Enqueued)> for Accepted<R> {
    fn answer((data, job): (T, Enqueued)) -> Self {
        responses::accepted(data.into(), job.content_location())
    }
}

/// The `202` of a DELETE that queued a job: no body, the job in `Content-Location`.
impl Answer<Enqueued> for AcceptedNoContent {
    fn answer(job: Enqueued) -> Self {
        responses::accepted_no_content(job.content_location())
    }
}

/// A job's output as server-sent events, frame by frame as the receiver gets them.
impl<E: ServerSentEvent> Answer<mpsc::Receiver<E>> for responses::HttpResponseEventStream {
    fn answer(events: mpsc::Receiver<E>) -> Self {
        responses::HttpResponseEventStream::new(events)
    }
}

impl Answer<()> for HttpResponseDeleted {
    fn answer((): ()) -> Self {
        HttpResponseDeleted()
    }
}

impl Answer<()> for HttpResponseUpdatedNoContent {
    fn answer((): ()) -> Self {
        HttpResponseUpdatedNoContent()
    }
}

/// Runs one authenticated operation ([`context::op`]) and answers with its result.
pub async fn op<T, W: Answer<T>>(
    rq: &RequestContext<Arc<ApiContext>>,
    auth: BearerAuth,
    f: impl AsyncFnOnce(&OpContext) -> Result<T, AppError>,
) -> Result<W, ApiError> {
    context::op(rq, auth, f).await.map(W::answer)
}
