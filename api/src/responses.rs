//! Response types dropshot does not have, named by the generated trait.

use dropshot::{
    ApiEndpointResponse, HttpCodedResponse, HttpError, HttpResponseAccepted, HttpResponseDeleted,
    HttpResponseHeaders,
};
use http::StatusCode;
use schemars::JsonSchema;
use serde::Serialize;

use crate::headers::ContentLocationHeader;
use crate::models::Token;

/// Any JSON response body. A bound crates without `schemars` can name (the server writes
/// `T: ResponseBody` where dropshot needs `T: JsonSchema + Serialize`).
pub trait ResponseBody: JsonSchema + Serialize + Send + Sync + 'static {}

impl<T: JsonSchema + Serialize + Send + Sync + 'static> ResponseBody for T {}

/// `202` with a body and `Content-Location` (the four POSTs that queue a job).
pub fn accepted<T: ResponseBody>(
    body: T,
    content_location: String,
) -> HttpResponseHeaders<HttpResponseAccepted<T>, ContentLocationHeader> {
    HttpResponseHeaders::new(HttpResponseAccepted(body), ContentLocationHeader { content_location })
}

/// `202` without a body, with `Content-Location` (the four DELETEs that queue a job).
pub fn accepted_no_content(
    content_location: String,
) -> HttpResponseHeaders<HttpResponseAcceptedNoContent, ContentLocationHeader> {
    HttpResponseHeaders::new(
        HttpResponseAcceptedNoContent,
        ContentLocationHeader { content_location },
    )
}

/// `202 Accepted` with no body: the four DELETEs that queue a job answer this, with the job in
/// `Content-Location` (added by `HttpResponseHeaders`).
pub struct HttpResponseAcceptedNoContent;

impl HttpCodedResponse for HttpResponseAcceptedNoContent {
    // dropshot's own empty body type, reachable only through another response's `Body`.
    type Body = <HttpResponseDeleted as HttpCodedResponse>::Body;
    const STATUS_CODE: StatusCode = StatusCode::ACCEPTED;
    const DESCRIPTION: &'static str = "accepted; the work runs as a queued background job";
}

impl From<HttpResponseAcceptedNoContent> for Result<http::Response<dropshot::Body>, HttpError> {
    fn from(_: HttpResponseAcceptedNoContent) -> Self {
        // The empty body has no constructor we can name, so build the response directly.
        http::Response::builder()
            .status(StatusCode::ACCEPTED)
            .body(dropshot::Body::empty())
            .map_err(|e| HttpError::for_internal_error(e.to_string()))
    }
}

/// The body of `POST /tokens`: the seed says the `Token` object itself; Dokku Pro's own docs read
/// it as `.data.id`. We answer both (a decision, see `spec/contract-diff.txt`): the token's fields at top level, and the same
/// object under `data`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct TokenResponse {
    #[serde(flatten)]
    pub token: Token,
    pub data: Token,
}

impl TokenResponse {
    pub fn new(token: Token) -> TokenResponse {
        TokenResponse { data: token.clone(), token }
    }
}

/// `200` with a `text/event-stream` body (Server-Sent Events), produced as it goes: the output of
/// a queued job (`getQueueJobOutput`). dropshot documents a hand-built response as `*/*`; the
/// served document takes the media type from the source document instead.
pub struct HttpResponseEventStream(pub dropshot::Body);

/// One item of a Server-Sent Events stream.
pub trait ServerSentEvent: Send + Sync + 'static {
    /// Its wire text: `id:`/`event:`/`data:` lines (or a `:` comment) and the blank line that
    /// ends it.
    fn frame(&self) -> String;
}

impl HttpResponseEventStream {
    /// The stream of what `events` delivers, frame by frame as it comes; it ends when the sender
    /// does. A client that goes away drops the body, and with it the receiver.
    pub fn new<E: ServerSentEvent>(events: tokio::sync::mpsc::Receiver<E>) -> Self {
        HttpResponseEventStream(dropshot::Body::wrap(EventStream { events, started: false }))
    }
}

struct EventStream<E> {
    events: tokio::sync::mpsc::Receiver<E>,
    /// The first frame tells EventSource clients how soon to reconnect.
    started: bool,
}

impl<E: ServerSentEvent> hyper::body::Body for EventStream<E> {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, Self::Error>>> {
        use hyper::body::Frame;
        if !self.started {
            self.started = true;
            let retry = Frame::data(bytes::Bytes::from_static(b"retry: 1000\n\n"));
            return std::task::Poll::Ready(Some(Ok(retry)));
        }
        self.events
            .poll_recv(cx)
            .map(|item| item.map(|item| Ok(Frame::data(bytes::Bytes::from(item.frame())))))
    }
}

/// A `200` whose body dropshot has no schema for; the served document describes it.
fn undescribed_ok(description: &str) -> ApiEndpointResponse {
    ApiEndpointResponse {
        schema: None,
        headers: Vec::new(),
        success: Some(StatusCode::OK),
        description: Some(description.to_string()),
    }
}

impl dropshot::HttpResponse for HttpResponseEventStream {
    fn to_result(self) -> Result<http::Response<dropshot::Body>, HttpError> {
        http::Response::builder()
            .status(StatusCode::OK)
            .header(http::header::CONTENT_TYPE, "text/event-stream")
            // Proxies must pass events through as they come, not buffer or transform them.
            .header(http::header::CACHE_CONTROL, "no-cache, no-transform")
            .header("x-accel-buffering", "no")
            .body(self.0)
            .map_err(|e| HttpError::for_internal_error(e.to_string()))
    }

    fn response_metadata() -> ApiEndpointResponse {
        undescribed_ok("a stream of Server-Sent Events")
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::OK
    }
}

/// `200` with a Prometheus text exposition (`GET /metrics`).
pub struct HttpResponsePrometheus(pub String);

impl dropshot::HttpResponse for HttpResponsePrometheus {
    fn to_result(self) -> Result<http::Response<dropshot::Body>, HttpError> {
        http::Response::builder()
            .status(StatusCode::OK)
            .header(http::header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
            .body(dropshot::Body::from(self.0))
            .map_err(|e| HttpError::for_internal_error(e.to_string()))
    }

    fn response_metadata() -> ApiEndpointResponse {
        undescribed_ok("Prometheus text exposition format 0.0.4")
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::OK
    }
}

/// `200` with a body dropshot cannot describe (a page, a script, an image) and the headers the
/// server chose for it: content type, caching, security policy. The reference page and its files
/// (`getDocsPage`, `getDocsAsset`); the served document takes their media types from the source
/// document.
pub struct HttpResponseOkFile {
    pub headers: http::HeaderMap,
    pub body: dropshot::Body,
}

impl dropshot::HttpResponse for HttpResponseOkFile {
    fn to_result(self) -> Result<http::Response<dropshot::Body>, HttpError> {
        let mut response = http::Response::new(self.body);
        *response.headers_mut() = self.headers;
        Ok(response)
    }

    fn response_metadata() -> ApiEndpointResponse {
        undescribed_ok("a file")
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::OK
    }
}

/// The body of `GET /health` when the server can do its job: `{"data": Health}`.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[schemars(rename = "GetHealthResponse")]
pub struct HealthBody {
    pub data: crate::models::Health,
}

/// `GET /health`: `200` with the health record while the server can do its job, else `503` with
/// one error per failing check (`storage: ...`, `host: ...`), `Retry-After`, and the same record
/// under `data` (documented in the extensions' 503 response). The status is known only at run
/// time, which dropshot's typed responses cannot express.
pub struct HttpResponseHealth {
    pub health: crate::models::Health,
    /// The titles of the failing checks; empty when healthy.
    pub failures: Vec<String>,
    /// Seconds a client should wait before probing again (for the 503).
    pub retry_after: u64,
}

impl dropshot::HttpResponse for HttpResponseHealth {
    fn to_result(self) -> Result<http::Response<dropshot::Body>, HttpError> {
        if self.failures.is_empty() {
            return dropshot::HttpResponseOk(HealthBody { data: self.health }).to_result();
        }
        #[derive(Serialize)]
        struct Unavailable {
            errors: Vec<crate::error::ErrorObject>,
            data: crate::models::Health,
        }
        let meta = crate::error::ErrorMeta { retry_after: self.retry_after };
        let errors = self
            .failures
            .iter()
            .map(|title| crate::error::ErrorObject {
                status: StatusCode::SERVICE_UNAVAILABLE.as_u16(),
                title: title.clone(),
                meta: Some(meta.clone()),
            })
            .collect();
        let body = serde_json::to_vec(&Unavailable { errors, data: self.health })
            .map_err(|e| HttpError::for_internal_error(e.to_string()))?;
        let mut response = http::Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::RETRY_AFTER, self.retry_after)
            .body(dropshot::Body::from(body))
            .map_err(|e| HttpError::for_internal_error(e.to_string()))?;
        // The server's front door logs every 5xx with this cause (and leaves the body alone).
        response.extensions_mut().insert(crate::error::ErrorCause(self.failures.join("; ")));
        Ok(response)
    }

    fn response_metadata() -> ApiEndpointResponse {
        <dropshot::HttpResponseOk<HealthBody> as dropshot::HttpResponse>::response_metadata()
    }

    fn status_code(&self) -> StatusCode {
        if self.failures.is_empty() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE }
    }
}
