//! The front layer: the socket clients talk to, in front of dropshot.
//!
//! dropshot 0.18 answers some errors before any handler runs (unknown route 404, wrong method 405,
//! undecodable path 400) in its own `{"request_id","message"}` shape, and a handler's error type
//! cannot set response headers. There is no hook for either (dropshot-notes.md §2), so the server
//! runs dropshot on a private loopback port and this layer, a small hyper proxy, in front of it:
//!
//! * every error body becomes the spec's envelope `{"errors":[{"status","title"}]}`;
//! * a body over the limit is 413 (refused before it is read when `Content-Length` says so; dropshot
//!   says 400 for a streamed one, which is rewritten);
//! * a JSON body for an operation that takes one is read here and refused (400) unless it is one
//!   JSON value with objects and arrays where the schema has them ([`crate::body_shape`]);
//! * 401 gets `WWW-Authenticate`; an error carrying `meta.retry_after` (429, 503) gets
//!   `Retry-After`;
//! * the client's address travels to dropshot in a header authenticated by a per-process random
//!   key, so nothing that reaches the private port directly can claim another client's address.
//!
//! Success responses and request bodies stream through untouched. The cost is one loopback hop on
//! a pooled keep-alive connection with `TCP_NODELAY` (measured by `cargo xtask bench`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use serde_json::Value;
use slog::{Logger, info, warn};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Carries the client's address from the front layer to dropshot.
pub const PEER_HEADER: &str = "x-dokku-front-peer";
/// Proves [`PEER_HEADER`] was set by this process's front layer.
pub const KEY_HEADER: &str = "x-dokku-front-key";

/// Error bodies larger than this pass through unchanged (ours are a few hundred bytes).
const MAX_REWRITTEN_ERROR_BODY: u64 = 64 * 1024;

type FrontBody = Either<Incoming, Full<Bytes>>;

/// What the front layer needs to know.
pub struct Front {
    pub upstream: SocketAddr,
    pub max_body_bytes: usize,
    /// The per-process key sent in [`KEY_HEADER`].
    pub key: String,
    /// The request body shapes of the served document.
    pub bodies: crate::body_shape::BodyShapes,
    pub log: Logger,
}

struct State {
    front: Front,
    client: Client<HttpConnector, FrontBody>,
}

/// Serves connections from `listener` until `shutdown` turns true, then lets requests in flight
/// finish for at most `grace`.
pub async fn serve(
    listener: TcpListener,
    front: Front,
    mut shutdown: watch::Receiver<bool>,
    grace: Duration,
) {
    let mut connector = HttpConnector::new();
    // Without TCP_NODELAY a request whose head and body go out in two writes waits for a delayed
    // ACK (up to 40 ms on Linux) on the loopback hop.
    connector.set_nodelay(true);
    let client = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .build(connector);
    let state = Arc::new(State { front, client });
    let graceful = GracefulShutdown::new();
    let http = hyper::server::conn::http1::Builder::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        warn!(state.front.log, "accept failed"; "error" => %e);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let state = state.clone();
                let service = hyper::service::service_fn(move |req| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(handle(&state, req, peer).await) }
                });
                let connection = http.serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown()).await.is_err() {
        warn!(state.front.log, "requests still in flight after the shutdown grace period");
    }
}

/// Headers that describe one hop, not the message (RFC 9110 §7.6.1).
const HOP_BY_HOP: &[HeaderName] = &[
    header::CONNECTION,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    headers.remove("keep-alive");
}

async fn handle(state: &State, req: Request<Incoming>, peer: SocketAddr) -> Response<FrontBody> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let declared_length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = declared_length
        && length > state.front.max_body_bytes as u64
    {
        info!(state.front.log, "request body refused before reading";
            "method" => %method, "content_length" => length);
        let title = body_too_large_title(state.front.max_body_bytes);
        return envelope_response(StatusCode::PAYLOAD_TOO_LARGE, &title, None);
    }

    let (mut parts, body) = req.into_parts();
    let body = match checked_body(state, &parts, body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let path_and_query = parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
    parts.uri = match format!("http://{}{}", state.front.upstream, path_and_query).parse() {
        Ok(uri) => uri,
        Err(_) => {
            return envelope_response(StatusCode::BAD_REQUEST, "invalid request target", None);
        }
    };
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(PEER_HEADER);
    parts.headers.remove(KEY_HEADER);
    parts.headers.insert(
        PEER_HEADER,
        HeaderValue::from_str(&peer.to_string()).expect("a socket address is a valid header value"),
    );
    parts.headers.insert(
        KEY_HEADER,
        HeaderValue::from_str(&state.front.key).expect("the key is hex, a valid header value"),
    );

    let response = match state.client.request(Request::from_parts(parts, body)).await {
        Ok(response) => response,
        Err(e) => {
            warn!(state.front.log, "the API server did not answer"; "error" => %e, "method" => %method);
            return envelope_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "the API server is not answering; try again shortly",
                None,
            );
        }
    };
    let (mut parts, body) = response.into_parts();
    strip_hop_by_hop(&mut parts.headers);

    let is_error = parts.status.is_client_error() || parts.status.is_server_error();
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let small = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len <= MAX_REWRITTEN_ERROR_BODY);
    let mut response = if is_error && is_json && small {
        let bytes = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => {
                warn!(state.front.log, "reading an error body from the API server failed"; "error" => %e);
                Bytes::new()
            }
        };
        let allow = allowed_methods(&parts.headers);
        let (status, bytes) = match reshape(parts.status, &bytes, &method, &path, allow.as_deref())
        {
            Some((status, body)) => (status, Bytes::from(body)),
            None => (parts.status, bytes),
        };
        parts.status = status;
        parts.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        if let Some(seconds) = retry_after(&bytes) {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        Response::from_parts(parts, Either::Right(Full::new(bytes)))
    } else {
        Response::from_parts(parts, Either::Left(body))
    };
    if response.status() == StatusCode::UNAUTHORIZED {
        add_challenges(response.headers_mut(), &method, &path);
    }
    response
}

/// The request body to forward: a JSON body for an operation that takes one is read (within the
/// size limit) and checked first; anything else streams through untouched.
async fn checked_body(
    state: &State,
    parts: &http::request::Parts,
    body: Incoming,
) -> Result<FrontBody, Response<FrontBody>> {
    let content_type = parts.headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or(""));
    // dropshot reads a missing content type as JSON, and `application/*+json` as JSON too.
    let json = dokku_pro_api::body::is_json(content_type);
    if !json || !state.front.bodies.applies(&parts.method, parts.uri.path()) {
        return Ok(Either::Left(body));
    }
    let limit = state.front.max_body_bytes;
    let bytes = match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            let title = body_too_large_title(limit);
            return Err(envelope_response(StatusCode::PAYLOAD_TOO_LARGE, &title, None));
        }
        Err(_) => {
            let title = "the request body could not be read";
            return Err(envelope_response(StatusCode::BAD_REQUEST, title, None));
        }
    };
    if let Err(title) = state.front.bodies.check(&parts.method, parts.uri.path(), &bytes) {
        return Err(envelope_response(StatusCode::BAD_REQUEST, &title, None));
    }
    Ok(Either::Right(Full::new(bytes)))
}

/// `login` takes Basic or Bearer; everything else Bearer.
fn add_challenges(headers: &mut HeaderMap, method: &Method, path: &str) {
    let realm = "realm=\"dokku-pro-api\"";
    if method == Method::POST && path.trim_end_matches('/').ends_with("/tokens") {
        headers.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_str(&format!("Basic {realm}")).expect("ascii"),
        );
    }
    headers.append(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_str(&format!("Bearer {realm}")).expect("ascii"),
    );
}

fn allowed_methods(headers: &HeaderMap) -> Option<String> {
    let methods: Vec<&str> =
        headers.get_all(header::ALLOW).iter().filter_map(|v| v.to_str().ok()).collect();
    (!methods.is_empty()).then(|| methods.join(", "))
}

/// `errors[0].meta.retry_after` of an envelope: handlers cannot set headers on errors, so they
/// put the wait there and this layer sends it as `Retry-After` too.
fn retry_after(body: &[u8]) -> Option<u64> {
    let value: Value = serde_json::from_slice(body).ok()?;
    value.get("errors")?.get(0)?.get("meta")?.get("retry_after")?.as_u64()
}

fn body_too_large_title(limit: usize) -> String {
    format!("request body exceeded maximum size of {limit} bytes")
}

/// Rewrites an error body into the envelope (or fixes the status of one that already is).
/// `None` means the body is already right.
fn reshape(
    status: StatusCode,
    body: &[u8],
    method: &Method,
    path: &str,
    allow: Option<&str>,
) -> Option<(StatusCode, Vec<u8>)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let (status, title) = if let Some(errors) = value.get("errors") {
        // Already an envelope; only dropshot's "body too large" needs another status.
        let title = errors.get(0)?.get("title")?.as_str()?;
        if status == StatusCode::BAD_REQUEST
            && title.starts_with("request body exceeded maximum size")
        {
            (StatusCode::PAYLOAD_TOO_LARGE, title.to_string())
        } else {
            return None;
        }
    } else {
        let message = value.get("message")?.as_str()?;
        let title = match status {
            StatusCode::NOT_FOUND => format!("no such resource: {method} {path}"),
            StatusCode::METHOD_NOT_ALLOWED => match allow {
                Some(allow) => format!("method {method} is not allowed here (allowed: {allow})"),
                None => format!("method {method} is not allowed here"),
            },
            _ if message.starts_with("request body exceeded maximum size") => {
                return Some((
                    StatusCode::PAYLOAD_TOO_LARGE,
                    envelope_bytes(StatusCode::PAYLOAD_TOO_LARGE, message),
                ));
            }
            _ => message.to_string(),
        };
        (status, title)
    };
    Some((status, envelope_bytes(status, &title)))
}

fn envelope_bytes(status: StatusCode, title: &str) -> Vec<u8> {
    serde_json::to_vec(
        &serde_json::json!({"errors": [{"status": status.as_u16(), "title": title}]}),
    )
    .expect("a JSON value always serializes")
}

fn envelope_response(
    status: StatusCode,
    title: &str,
    request_id: Option<&str>,
) -> Response<FrontBody> {
    let request_id =
        request_id.map(str::to_string).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let body = envelope_bytes(status, title);
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, body.len())
        .header(dropshot::HEADER_REQUEST_ID, request_id)
        .body(Either::Right(Full::new(Bytes::from(body))))
        .expect("a response built from valid parts")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(out: Option<(StatusCode, Vec<u8>)>) -> (u16, Value) {
        let (status, body) = out.expect("rewritten");
        (status.as_u16(), serde_json::from_slice(&body).unwrap())
    }

    #[test]
    fn dropshot_router_errors_become_envelopes() {
        let body = br#"{"request_id":"abc","message":"Not Found"}"#;
        let (status, v) =
            parsed(reshape(StatusCode::NOT_FOUND, body, &Method::GET, "/@api/nope", None));
        assert_eq!(status, 404);
        assert_eq!(
            v,
            serde_json::json!({"errors":[{"status":404,"title":"no such resource: GET /@api/nope"}]})
        );

        let body = br#"{"request_id":"abc","message":"Method Not Allowed"}"#;
        let (status, v) = parsed(reshape(
            StatusCode::METHOD_NOT_ALLOWED,
            body,
            &Method::PUT,
            "/@api/apps",
            Some("GET, POST"),
        ));
        assert_eq!(status, 405);
        assert_eq!(v["errors"][0]["title"], "method PUT is not allowed here (allowed: GET, POST)");

        let body = br#"{"request_id":"abc","message":"invalid path encoding"}"#;
        let (status, v) = parsed(reshape(StatusCode::BAD_REQUEST, body, &Method::GET, "/x", None));
        assert_eq!(
            (status, v["errors"][0]["title"].as_str().unwrap()),
            (400, "invalid path encoding")
        );
    }

    #[test]
    fn oversized_bodies_are_413() {
        let body = br#"{"errors":[{"status":400,"title":"request body exceeded maximum size of 1024 bytes"}]}"#;
        let (status, v) =
            parsed(reshape(StatusCode::BAD_REQUEST, body, &Method::POST, "/@api/apps", None));
        assert_eq!(status, 413);
        assert_eq!(v["errors"][0]["status"], 413);
    }

    #[test]
    fn envelopes_pass_untouched() {
        let body = br#"{"errors":[{"status":400,"title":"unable to parse JSON body"}]}"#;
        assert!(
            reshape(StatusCode::BAD_REQUEST, body, &Method::POST, "/@api/apps", None).is_none()
        );
        assert!(reshape(StatusCode::BAD_REQUEST, b"not json", &Method::POST, "/", None).is_none());
    }

    #[test]
    fn retry_after_comes_from_the_envelope() {
        assert_eq!(
            retry_after(br#"{"errors":[{"status":429,"title":"x","meta":{"retry_after":42}}]}"#),
            Some(42)
        );
        assert_eq!(retry_after(br#"{"errors":[{"status":400,"title":"x"}]}"#), None);
    }

    #[test]
    fn login_challenges_both_schemes() {
        let mut h = HeaderMap::new();
        add_challenges(&mut h, &Method::POST, "/@api/tokens");
        let values: Vec<_> = h.get_all(header::WWW_AUTHENTICATE).iter().collect();
        assert_eq!(values, ["Basic realm=\"dokku-pro-api\"", "Bearer realm=\"dokku-pro-api\""]);
        let mut h = HeaderMap::new();
        add_challenges(&mut h, &Method::GET, "/@api/apps");
        assert_eq!(h.get_all(header::WWW_AUTHENTICATE).iter().count(), 1);
    }
}
