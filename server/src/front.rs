//! The front door: the listening socket, its connections, and a thin layer around dropshot's
//! request handling.
//!
//! dropshot's own server owns its accept loop and hyper connections, so it can neither bound nor
//! time out what an unauthenticated client holds, and it answers some errors in its own shape.
//! The server therefore builds dropshot's request handling without a listener
//! (`ServerBuilder::build_service`, from the patched copy in `vendor/dropshot`) and runs the
//! accept loop and hyper's HTTP/1 connections here, in the same process.
//!
//! What a client can hold:
//!
//! * at most [`FrontSettings::max_connections`] connections at once. At the cap a new client
//!   evicts the connection that has been idle longest (no request in progress: waiting for a
//!   request head, or halfway through sending one); only when every connection has a request in
//!   progress is it refused, with a `503` envelope and `Retry-After`, then closed. So idle or
//!   slowloris sockets cannot lock a client out;
//! * a new connection must send a whole request head within `header_read_timeout`; a kept-alive
//!   one must start its next request within `idle_timeout`, and finish the head within
//!   `header_read_timeout` of its first byte. hyper's own header timer stays on as an outer bound;
//! * a request body must arrive whole within `body_read_timeout` (else `408`, and the connection
//!   closes); a body over the size limit is `413`, refused unread when `Content-Length` says so;
//! * the open-file limit is raised at start to what the cap needs ([`raise_open_file_limit`]),
//!   and the cap lowered, with a warning, when the hard limit does not allow it.
//!
//! What happens to each request, around dropshot:
//!
//! * the body is read here (bounded as above); a JSON body for an operation that takes one must
//!   have the operation's shape ([`crate::body_shape`], matched on the path as the router decodes
//!   it), else `400`;
//! * dropshot routes it and runs the handler, within `handler_timeout`. Handlers run detached
//!   (`HandlerTaskMode::Detached`), so a Dokku command is never cut off halfway, by a client that
//!   hangs up or by this timeout: past it the client gets a `504` saying the request is still
//!   running and may yet take effect, the handler finishes in the background (dropshot logs its
//!   outcome), and shutdown waits for it;
//! * dropshot's own errors (unknown route `404`, wrong method `405`, undecodable path `400`)
//!   become the spec's envelope; a `401` gets `WWW-Authenticate`. `Retry-After` comes with the
//!   `ApiError` itself;
//! * every `5xx` is logged once, at error level, with its cause (for an `ApiError`, the
//!   [`ErrorCause`] in the response's extensions; dropshot logs requests at info level only);
//! * a request that asks to change something (POST, PUT, PATCH, DELETE) answered with a `4xx`
//!   that no handler recorded in the audit log (refused here, or by dropshot's extractors) goes
//!   to the [`AuditHook`] ([`RefusedRequest`]). The front door only passes it on: what an
//!   operation is, and who sent it, is the server's to decide.
//!
//! Shutdown ([`FrontDoor::shutdown`]) stops accepting, closes idle connections at once, lets the
//! requests in progress finish within the grace period (then cuts them), and waits for the
//! detached handlers.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use dokku_pro_api::error::ErrorCause;
use dropshot::{Body, ServerContext, ServerRequestHandler, ServerService};
use futures::FutureExt as _;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::service::Service;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::Value;
use slog::{Logger, debug, error, info, warn};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::body_shape::{self, BodyShapes};

/// How the front door treats connections and requests. The defaults suit a server facing the
/// internet behind a TLS-terminating proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrontSettings {
    /// Client connections open at once.
    pub max_connections: usize,
    /// How long a new connection may take to send its first request head, and a kept-alive one
    /// to finish a head once its first byte came.
    pub header_read_timeout: Duration,
    /// How long a kept-alive connection may wait before it starts its next request.
    pub idle_timeout: Duration,
    /// How long a request body may take to arrive whole.
    pub body_read_timeout: Duration,
    /// How long a request may take from its head to its response's head.
    pub handler_timeout: Duration,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// How long shutdown waits for requests in progress.
    pub shutdown_grace: Duration,
}

impl Default for FrontSettings {
    /// The settings of the default configuration.
    fn default() -> FrontSettings {
        crate::config::Config::default().front_settings()
    }
}

/// Descriptors the server needs besides its client connections: the listener, the database,
/// the runtime, and the pipes of the Dokku commands that handlers and jobs run.
const RESERVED_DESCRIPTORS: u64 = 128;

/// Refused connections that may linger at once while their answer is delivered.
const LINGERING_REFUSALS: usize = 64;

/// dropshot's error bodies are a few hundred bytes; larger ones are passed on unchanged.
const MAX_RESHAPED_ERROR_BODY: u64 = 64 * 1024;

/// A request to an operation that changes something (POST, PUT, PATCH, DELETE), answered with
/// a 4xx that no handler recorded in the audit log (the response has no
/// [`dokku_pro_api::error::Audited`]): refused here (its body too large, late or of the wrong
/// shape) or by dropshot before the handler ran (a body that does not parse). Handed to the
/// [`AuditHook`], which records it if the path is an operation's.
pub struct RefusedRequest {
    pub method: Method,
    /// The path's segments as the router decodes them.
    pub segments: Vec<String>,
    pub status: u16,
    /// The `Authorization` header, to tell who sent it (never recorded itself).
    pub authorization: Option<HeaderValue>,
    pub request_id: String,
    pub peer: SocketAddr,
    /// When the request head arrived.
    pub started: std::time::SystemTime,
    pub elapsed: Duration,
}

/// Records a [`RefusedRequest`] in the audit log (the server gives the front door one).
pub type AuditHook =
    Arc<dyn Fn(RefusedRequest) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The accept loop and its connections. Dropping it stops nothing; call [`FrontDoor::shutdown`].
pub struct FrontDoor<C: ServerContext> {
    door: Arc<Door>,
    stop: watch::Sender<Stop>,
    accept_loop: JoinHandle<ServerService<C>>,
    /// Ends (all senders dropped) once the accept loop and every connection task have ended.
    alive: mpsc::Receiver<()>,
}

impl<C: ServerContext> FrontDoor<C> {
    /// Serves `listener`'s connections with `service`. `settings.max_connections` should already
    /// be what [`raise_open_file_limit`] allows.
    pub fn start(
        listener: TcpListener,
        service: ServerService<C>,
        bodies: BodyShapes,
        settings: FrontSettings,
        audit: Option<AuditHook>,
        log: Logger,
    ) -> FrontDoor<C> {
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(settings.idle_timeout + settings.header_read_timeout);
        let door = Arc::new(Door {
            refusal: refusal_bytes(),
            settings,
            bodies,
            audit,
            log,
            http,
            connections: Mutex::new(HashMap::new()),
            lingering: Arc::new(Semaphore::new(LINGERING_REFUSALS)),
            refused: Mutex::new(Refused { count: 0, logged: None }),
        });
        let (stop, stopped) = watch::channel(Stop::Serving);
        let (alive_tx, alive) = mpsc::channel(1);
        let accept_loop =
            tokio::spawn(accept_loop(door.clone(), listener, service, stopped, alive_tx));
        FrontDoor { door, stop, accept_loop, alive }
    }

    /// Stops accepting, closes idle connections at once, gives requests in progress the grace
    /// period to finish (then cuts their connections), and waits for every handler, including
    /// detached ones whose client is gone, so no Dokku command is cut off.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(Stop::Draining);
        let service = match self.accept_loop.await {
            Ok(service) => Some(service),
            Err(e) => {
                error!(self.door.log, "the accept loop failed"; "error" => %e);
                None
            }
        };
        let grace = self.door.settings.shutdown_grace;
        if tokio::time::timeout(grace, self.alive.recv()).await.is_err() {
            warn!(
                self.door.log,
                "requests still in progress after the shutdown grace period; \
                closing their connections"
            );
            let _ = self.stop.send(Stop::Closing);
            self.alive.recv().await;
        }
        if let Some(service) = service {
            service.wait_for_handlers().await;
        }
    }
}

/// What the accept loop and the connections are told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stop {
    Serving,
    /// Shutting down: close idle connections, finish requests in progress.
    Draining,
    /// The grace period is over: close everything.
    Closing,
}

/// What the accept loop and the connection tasks share.
struct Door {
    settings: FrontSettings,
    bodies: BodyShapes,
    /// Where the refusals of changes that no handler recorded go.
    audit: Option<AuditHook>,
    log: Logger,
    http: hyper::server::conn::http1::Builder,
    /// The admitted connections that have not been told to close.
    connections: Mutex<HashMap<u64, Arc<Conn>>>,
    /// The answer to a client refused at the cap.
    refusal: Bytes,
    lingering: Arc<Semaphore>,
    refused: Mutex<Refused>,
}

/// Refusals since the last log line about them.
struct Refused {
    count: u64,
    logged: Option<Instant>,
}

async fn accept_loop<C: ServerContext>(
    door: Arc<Door>,
    listener: TcpListener,
    service: ServerService<C>,
    mut stop: watch::Receiver<Stop>,
    alive: mpsc::Sender<()>,
) -> ServerService<C> {
    let mut next_id = 0u64;
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_failed(&door.log, e).await;
                    continue;
                }
            },
        };
        next_id += 1;
        let conn = Arc::new(Conn::new(next_id));
        if !door.admit(&conn) {
            door.refuse(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        debug!(door.log, "accepted a connection"; "remote_addr" => %peer);
        let handler = Arc::new(service.request_handler(peer));
        tokio::spawn(serve_connection(
            door.clone(),
            stream,
            peer,
            conn,
            handler,
            stop.clone(),
            alive.clone(),
        ));
    }
    service
}

/// An accept error: the connection's own trouble is skipped; anything else (out of file
/// descriptors) is logged and waited out rather than spun on.
async fn accept_failed(log: &Logger, e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    warn!(log, "accepting a connection failed"; "error" => %e);
    tokio::time::sleep(Duration::from_millis(100)).await;
}

impl Door {
    /// Admits `conn`, evicting the connection idle longest when at the cap; `false` when every
    /// connection has a request in progress.
    fn admit(&self, conn: &Arc<Conn>) -> bool {
        let mut open = self.connections.lock().expect("not poisoned");
        if open.len() >= self.settings.max_connections {
            let victim = open
                .values()
                .filter_map(|c| c.idle_since().map(|since| (since, c.id)))
                .min()
                .map(|(_, id)| id);
            let Some(victim) = victim.and_then(|id| open.remove(&id)) else { return false };
            debug!(self.log, "evicting the connection idle longest for a new one");
            victim.close();
        }
        open.insert(conn.id, conn.clone());
        true
    }

    fn forget(&self, id: u64) {
        self.connections.lock().expect("not poisoned").remove(&id);
    }

    /// Answers a client refused at the cap with a 503, then closes its connection.
    fn refuse(&self, mut stream: TcpStream) {
        self.log_refusal();
        let Ok(permit) = self.lingering.clone().try_acquire_owned() else {
            // Too many refusals in flight already: a best-effort answer and close at once.
            let _ = stream.try_write(&self.refusal);
            return;
        };
        let refusal = self.refusal.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                stream.write_all(&refusal).await?;
                stream.shutdown().await?;
                // Read what the client sent until it closes: closing with unread data would
                // reset the connection, and the client could lose the answer.
                let mut sink = [0u8; 1024];
                while stream.read(&mut sink).await? > 0 {}
                Ok::<_, io::Error>(())
            })
            .await;
        });
    }

    /// Refusals are 503s, logged at error level, but at most one line every ten seconds.
    fn log_refusal(&self) {
        let mut refused = self.refused.lock().expect("not poisoned");
        refused.count += 1;
        let now = Instant::now();
        if refused.logged.is_some_and(|at| now < at + Duration::from_secs(10)) {
            return;
        }
        error!(self.log, "refusing connections: every connection has a request in progress";
            "status" => 503, "refused" => refused.count,
            "max_connections" => self.settings.max_connections);
        refused.count = 0;
        refused.logged = Some(now);
    }
}

/// The answer to a client refused at the cap, whole.
fn refusal_bytes() -> Bytes {
    let body = envelope_bytes(
        StatusCode::SERVICE_UNAVAILABLE,
        "the server is at its connection limit; try again shortly",
        Some(1),
    );
    let mut out = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(&body);
    Bytes::from(out)
}

/// One connection's state, shared by its task, its reads and its requests.
struct Conn {
    id: u64,
    phase: Mutex<Phase>,
    /// Set while waiting for a kept-alive connection's next request head whose first byte has
    /// not come yet: its reads then note the first byte.
    awaiting_first_byte: AtomicBool,
    /// Told to close (evicted, or shutting down).
    closing: AtomicBool,
    /// Wakes the connection's task when its deadline or `closing` may have changed.
    changed: Notify,
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Waiting for a request head since `since`; `first_byte` is when its first byte came,
    /// noted for kept-alive connections only; `fresh` until the first request.
    Waiting { since: Instant, first_byte: Option<Instant>, fresh: bool },
    /// Requests are in progress (from a head until its response has been sent; hyper may take
    /// the next head before it has dropped the last response's body).
    Busy { requests: usize },
}

impl Conn {
    fn new(id: u64) -> Conn {
        Conn {
            id,
            phase: Mutex::new(Phase::Waiting {
                since: Instant::now(),
                first_byte: None,
                fresh: true,
            }),
            awaiting_first_byte: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            changed: Notify::new(),
        }
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().expect("not poisoned")
    }

    /// Since when the connection has had no request in progress (`None`: it has one).
    fn idle_since(&self) -> Option<Instant> {
        match self.phase() {
            Phase::Waiting { since, .. } => Some(since),
            Phase::Busy { .. } => None,
        }
    }

    /// When the connection is closed unless a request head has come (`None`: a request is in
    /// progress).
    fn deadline(&self, settings: &FrontSettings) -> Option<Instant> {
        match self.phase() {
            Phase::Busy { .. } => None,
            Phase::Waiting { since, fresh: true, .. } => Some(since + settings.header_read_timeout),
            Phase::Waiting { first_byte: Some(at), .. } => Some(at + settings.header_read_timeout),
            Phase::Waiting { since, first_byte: None, .. } => Some(since + settings.idle_timeout),
        }
    }

    /// A request head has come; the connection is idle again when the guard is dropped (with
    /// the response's body, or the request's future when the client hangs up).
    fn start_request(self: &Arc<Conn>) -> BusyGuard {
        self.awaiting_first_byte.store(false, Ordering::Relaxed);
        let mut phase = self.phase.lock().expect("not poisoned");
        *phase = match *phase {
            Phase::Busy { requests } => Phase::Busy { requests: requests + 1 },
            Phase::Waiting { .. } => Phase::Busy { requests: 1 },
        };
        BusyGuard(self.clone())
    }

    fn first_byte(&self) {
        self.awaiting_first_byte.store(false, Ordering::Relaxed);
        let mut phase = self.phase.lock().expect("not poisoned");
        if let Phase::Waiting { first_byte: first_byte @ None, fresh: false, .. } = &mut *phase {
            *first_byte = Some(Instant::now());
            self.changed.notify_one();
        }
    }

    fn close(&self) {
        self.closing.store(true, Ordering::Relaxed);
        self.changed.notify_one();
    }
}

struct BusyGuard(Arc<Conn>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        let conn = &self.0;
        let mut phase = conn.phase.lock().expect("not poisoned");
        *phase = match *phase {
            Phase::Busy { requests } if requests > 1 => Phase::Busy { requests: requests - 1 },
            _ => Phase::Waiting { since: Instant::now(), first_byte: None, fresh: false },
        };
        if let Phase::Waiting { .. } = *phase {
            conn.awaiting_first_byte.store(true, Ordering::Relaxed);
            conn.changed.notify_one();
        }
    }
}

/// Serves one connection until it ends, times out waiting for a request, or is told to close.
async fn serve_connection<C: ServerContext>(
    door: Arc<Door>,
    stream: TcpStream,
    peer: SocketAddr,
    conn: Arc<Conn>,
    handler: Arc<ServerRequestHandler<C>>,
    mut stop: watch::Receiver<Stop>,
    _alive: mpsc::Sender<()>,
) {
    let io = TokioIo::new(Watched { stream, conn: conn.clone() });
    let service = Wrapper { door: door.clone(), conn: conn.clone(), handler, peer };
    let connection = door.http.serve_connection(io, service);
    tokio::pin!(connection);
    let mut deadline = conn.deadline(&door.settings);
    let timer = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now));
    tokio::pin!(timer);
    let mut finishing = false;
    // A connection admitted while shutdown begins is told at once.
    if *stop.borrow_and_update() != Stop::Serving {
        conn.close();
    }
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    debug!(door.log, "connection ended with an error";
                        "remote_addr" => %peer, "error" => %e);
                }
                break;
            }
            () = &mut timer, if deadline.is_some() => {
                deadline = conn.deadline(&door.settings);
                match deadline {
                    Some(at) if at <= Instant::now() => {
                        debug!(door.log, "closing a connection that sent no request in time";
                            "remote_addr" => %peer);
                        break;
                    }
                    Some(at) => timer.as_mut().reset(at),
                    None => {}
                }
            }
            () = conn.changed.notified() => {
                deadline = conn.deadline(&door.settings);
                if let Some(at) = deadline {
                    timer.as_mut().reset(at);
                }
                if conn.closing.load(Ordering::Relaxed) {
                    if deadline.is_some() {
                        break;
                    }
                    if !finishing {
                        // Finish the request in progress, then close.
                        finishing = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            changed = stop.changed() => match changed.map(|()| *stop.borrow_and_update()) {
                Ok(Stop::Serving) => {}
                Ok(Stop::Draining) => conn.close(),
                Ok(Stop::Closing) | Err(_) => break,
            },
        }
    }
    door.forget(conn.id);
}

/// The connection's socket, noting when the first byte of a kept-alive connection's next
/// request comes.
struct Watched {
    stream: TcpStream,
    conn: Arc<Conn>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before && self.conn.awaiting_first_byte.load(Ordering::Relaxed) {
            self.conn.first_byte();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The hyper service of one connection: the front door's checks around dropshot's.
struct Wrapper<C: ServerContext> {
    door: Arc<Door>,
    conn: Arc<Conn>,
    handler: Arc<ServerRequestHandler<C>>,
    peer: SocketAddr,
}

impl<C: ServerContext> Service<Request<Incoming>> for Wrapper<C> {
    type Response = Response<Tracked>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Tracked>, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let busy = self.conn.start_request();
        let door = self.door.clone();
        let handler = self.handler.clone();
        let peer = self.peer;
        Box::pin(async move {
            let response = door.handle(&handler, request, peer).await;
            Ok(response.map(|body| Tracked { body, _busy: busy }))
        })
    }
}

/// A response body that keeps its connection busy until it has been sent (or dropped).
struct Tracked {
    body: Body,
    _busy: BusyGuard,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// What identifies a request in the front door's log lines and error titles.
struct RequestFacts {
    method: Method,
    /// The raw path, for error titles.
    path: String,
    /// The path's segments as the router decodes them (`None`: the router refuses it).
    segments: Option<Vec<String>>,
    peer: SocketAddr,
    /// For a request that asks to change something, who sent it (for its audit event).
    authorization: Option<HeaderValue>,
    started: std::time::SystemTime,
    arrived: Instant,
}

impl RequestFacts {
    /// The path for a log line, with a token in it (`/tokens/<token>`) left out.
    fn logged_path(&self) -> String {
        match &self.segments {
            Some(segments) => match segments.iter().position(|s| s == "tokens") {
                Some(i) if i + 1 < segments.len() => {
                    format!("/{}/<redacted>", segments[..=i].join("/"))
                }
                _ => format!("/{}", segments.join("/")),
            },
            None => "<undecodable path>".to_string(),
        }
    }

    /// `login` (`POST /@api/tokens`) takes Basic or Bearer credentials; everything else Bearer.
    fn is_login(&self) -> bool {
        self.method.as_str().eq_ignore_ascii_case("POST")
            && self.segments.as_deref().is_some_and(|s| s.len() == 2 && s[1] == "tokens")
    }
}

impl Door {
    async fn handle<C: ServerContext>(
        &self,
        handler: &ServerRequestHandler<C>,
        request: Request<Incoming>,
        peer: SocketAddr,
    ) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let facts = RequestFacts {
            method: parts.method.clone(),
            path: parts.uri.path().to_string(),
            segments: body_shape::route_segments(parts.uri.path()),
            peer,
            authorization: crate::audit::is_audited(&parts.method)
                .then(|| parts.headers.get(header::AUTHORIZATION).cloned())
                .flatten(),
            started: std::time::SystemTime::now(),
            arrived: Instant::now(),
        };
        let bytes = match self.read_body(&parts.headers, body).await {
            Ok(bytes) => bytes,
            Err(refusal) => return self.finish(&facts, self.refused(&facts, refusal)).await,
        };
        let content_type =
            parts.headers.get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap_or(""));
        // dropshot reads a missing content type as JSON, and `application/*+json` as JSON too.
        if dokku_pro_api::body::is_json(content_type)
            && let Some(segments) = &facts.segments
            && let Err(title) = self.bodies.check(&facts.method, segments, &bytes)
        {
            let refusal = Refusal { status: StatusCode::BAD_REQUEST, title, close: false };
            return self.finish(&facts, self.refused(&facts, refusal)).await;
        }
        let request = Request::from_parts(parts, Full::new(bytes));
        let call = std::panic::AssertUnwindSafe(handler.call(request)).catch_unwind();
        let response = match tokio::time::timeout(self.settings.handler_timeout, call).await {
            Ok(Ok(Ok(response))) => response,
            Ok(Ok(Err(e))) => internal_error(format!("the request handling failed: {e}")),
            Ok(Err(panic)) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                internal_error(format!("the handler panicked: {message}"))
            }
            Err(_) => {
                let seconds = self.settings.handler_timeout.as_secs();
                let title = format!(
                    "the request did not finish within {seconds} s; it is still running and \
                     may yet take effect, so check its outcome before retrying"
                );
                let cause = format!(
                    "the handler did not finish within {seconds} s (it goes on running; dropshot \
                     logs its outcome)"
                );
                envelope_response(StatusCode::GATEWAY_TIMEOUT, &title, &cause)
            }
        };
        self.finish(&facts, response).await
    }

    /// Reads the whole request body, within the size limit and the body timeout.
    async fn read_body(&self, headers: &HeaderMap, body: Incoming) -> Result<Bytes, Refusal> {
        let limit = self.settings.max_body_bytes;
        let too_large = || Refusal {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            title: format!("request body exceeded maximum size of {limit} bytes"),
            close: false,
        };
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(too_large());
        }
        if hyper::body::Body::is_end_stream(&body) {
            return Ok(Bytes::new());
        }
        let read = http_body_util::Limited::new(body, limit).collect();
        match tokio::time::timeout(self.settings.body_read_timeout, read).await {
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
            Ok(Err(_)) => Err(Refusal {
                status: StatusCode::BAD_REQUEST,
                title: "the request body could not be read".into(),
                close: true,
            }),
            Err(_) => Err(Refusal {
                status: StatusCode::REQUEST_TIMEOUT,
                title: format!(
                    "the request body did not arrive within {} s",
                    self.settings.body_read_timeout.as_secs()
                ),
                close: true,
            }),
        }
    }

    /// The answer to a request refused before dropshot saw it, logged like dropshot's.
    fn refused(&self, facts: &RequestFacts, refusal: Refusal) -> Response<Body> {
        info!(self.log, "request refused before routing";
            "remote_addr" => %facts.peer, "method" => %facts.method,
            "path" => facts.logged_path(), "response_code" => refusal.status.as_u16(),
            "reason" => &refusal.title);
        let mut response = envelope_response(refusal.status, &refusal.title, &refusal.title);
        if refusal.close {
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }

    /// Puts dropshot's own errors in the envelope, challenges a 401, logs a 5xx, and hands a
    /// change refused before its handler recorded it to the audit log.
    async fn finish(&self, facts: &RequestFacts, response: Response<Body>) -> Response<Body> {
        let status = response.status();
        if !(status.is_client_error() || status.is_server_error()) {
            return response;
        }
        let (mut parts, mut body) = response.into_parts();
        if status.is_client_error()
            && let Some(audit) = &self.audit
            && crate::audit::is_audited(&facts.method)
            && parts.extensions.get::<dokku_pro_api::error::Audited>().is_none()
            && let Some(segments) = &facts.segments
        {
            let request_id = parts
                .headers
                .get(dropshot::HEADER_REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            audit(RefusedRequest {
                method: facts.method.clone(),
                segments: segments.clone(),
                status: status.as_u16(),
                authorization: facts.authorization.clone(),
                request_id,
                peer: facts.peer,
                started: facts.started,
                elapsed: facts.arrived.elapsed(),
            })
            .await;
        }
        let cause = match parts.extensions.get::<ErrorCause>() {
            Some(ErrorCause(cause)) => cause.clone(),
            // Not an `ApiError`: one of dropshot's own, in its own shape.
            None => {
                let cause;
                (cause, body) = dropshot_error(facts, &mut parts, body).await;
                cause
            }
        };
        if status == StatusCode::UNAUTHORIZED {
            add_challenges(&mut parts.headers, facts.is_login());
        }
        if status.is_server_error() {
            let request_id = parts
                .headers
                .get(dropshot::HEADER_REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            error!(self.log, "request failed";
                "status" => status.as_u16(), "req_id" => request_id,
                "remote_addr" => %facts.peer, "method" => %facts.method,
                "path" => facts.logged_path(), "cause" => cause);
        }
        Response::from_parts(parts, body)
    }
}

/// One of dropshot's own error responses in the envelope (when it is small enough to be one of
/// its `{"request_id","message"}` bodies), and its title for the log.
async fn dropshot_error(
    facts: &RequestFacts,
    parts: &mut http::response::Parts,
    body: Body,
) -> (String, Body) {
    let status = parts.status;
    let cause = status.canonical_reason().unwrap_or_default().to_string();
    let small =
        hyper::body::Body::size_hint(&body).upper().is_some_and(|n| n <= MAX_RESHAPED_ERROR_BODY);
    if !small {
        return (cause, body);
    }
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let allow = allowed_methods(&parts.headers);
    match reshape(status, &bytes, &facts.method, &facts.path, allow.as_deref()) {
        Some((title, reshaped)) => {
            parts.headers.insert(header::CONTENT_TYPE, json_content_type());
            parts.headers.insert(header::CONTENT_LENGTH, reshaped.len().into());
            (title, Body::from(reshaped))
        }
        None => (cause, Body::from(bytes)),
    }
}

/// A request the front door answers itself.
struct Refusal {
    status: StatusCode,
    title: String,
    /// Close the connection after the answer (the rest of the body was not read).
    close: bool,
}

fn internal_error(cause: String) -> Response<Body> {
    let title = "internal server error (the server log has the details)";
    envelope_response(StatusCode::INTERNAL_SERVER_ERROR, title, &cause)
}

fn json_content_type() -> HeaderValue {
    HeaderValue::from_static(dropshot::CONTENT_TYPE_JSON)
}

/// An envelope answer made here, with a request ID of its own and `cause` for the log.
fn envelope_response(status: StatusCode, title: &str, cause: &str) -> Response<Body> {
    let body = envelope_bytes(status, title, None);
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, json_content_type())
        .header(header::CONTENT_LENGTH, body.len())
        .header(dropshot::HEADER_REQUEST_ID, uuid::Uuid::new_v4().to_string())
        .extension(ErrorCause(cause.to_string()))
        .body(Body::from(body))
        .expect("a response built from valid parts")
}

fn envelope_bytes(status: StatusCode, title: &str, retry_after: Option<u64>) -> Vec<u8> {
    let mut error = serde_json::json!({"status": status.as_u16(), "title": title});
    if let Some(seconds) = retry_after {
        error["meta"] = serde_json::json!({ "retry_after": seconds });
    }
    serde_json::to_vec(&serde_json::json!({ "errors": [error] }))
        .expect("a JSON value always serializes")
}

/// `login` takes Basic or Bearer; everything else Bearer.
fn add_challenges(headers: &mut HeaderMap, login: bool) {
    if login {
        headers.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"dokku-pro-api\""),
        );
    }
    headers.append(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"dokku-pro-api\""),
    );
}

fn allowed_methods(headers: &HeaderMap) -> Option<String> {
    let methods: Vec<&str> =
        headers.get_all(header::ALLOW).iter().filter_map(|v| v.to_str().ok()).collect();
    (!methods.is_empty()).then(|| methods.join(", "))
}

/// Rewrites one of dropshot's error bodies (`{"request_id","message"}`) into the envelope: its
/// title and bytes. `None` means the body is not one of those.
fn reshape(
    status: StatusCode,
    body: &[u8],
    method: &Method,
    path: &str,
    allow: Option<&str>,
) -> Option<(String, Vec<u8>)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let message = value.get("message")?.as_str()?;
    let title = match status {
        StatusCode::NOT_FOUND => format!("no such resource: {method} {path}"),
        StatusCode::METHOD_NOT_ALLOWED => match allow {
            Some(allow) => format!("method {method} is not allowed here (allowed: {allow})"),
            None => format!("method {method} is not allowed here"),
        },
        _ => message.to_string(),
    };
    let bytes = envelope_bytes(status, &title, None);
    Some((title, bytes))
}

/// Raises the soft open-file limit to what `max_connections` needs (up to the hard limit) and
/// returns how many connections the limit allows (`max_connections`, or fewer, with a warning).
pub fn raise_open_file_limit(max_connections: usize, log: &Logger) -> usize {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let soft = limit.current.unwrap_or(u64::MAX);
    let hard = limit.maximum.unwrap_or(u64::MAX);
    let plan = plan_open_files(soft, hard, max_connections);
    let mut current = soft;
    if plan.raise_to > soft {
        match setrlimit(Resource::Nofile, Rlimit { current: Some(plan.raise_to), ..limit }) {
            Ok(()) => {
                current = plan.raise_to;
                info!(log, "raised the open-file limit"; "from" => soft, "to" => current,
                    "hard_limit" => hard, "max_connections" => max_connections);
            }
            Err(e) => warn!(log, "cannot raise the open-file limit"; "limit" => soft,
                "wanted" => plan.raise_to, "error" => %e),
        }
    } else {
        info!(log, "the open-file limit suffices"; "limit" => soft,
            "max_connections" => max_connections);
    }
    let allowed = connections_allowed(current, max_connections);
    if allowed < max_connections {
        warn!(log, "the open-file limit is too low for max_connections; fewer connections \
            will be served at once (raise the hard limit, e.g. LimitNOFILE= under systemd)";
            "max_connections" => max_connections, "serving" => allowed,
            "open_file_limit" => current, "hard_limit" => hard,
            "needed" => max_connections as u64 + RESERVED_DESCRIPTORS);
    }
    allowed
}

struct OpenFilePlan {
    /// The soft limit to set (no higher than the hard limit).
    raise_to: u64,
}

fn plan_open_files(soft: u64, hard: u64, max_connections: usize) -> OpenFilePlan {
    let needed = max_connections as u64 + RESERVED_DESCRIPTORS;
    OpenFilePlan { raise_to: soft.max(needed.min(hard)) }
}

/// Connections that fit under an open-file limit of `limit`, keeping descriptors in reserve
/// (at most half the limit).
fn connections_allowed(limit: u64, max_connections: usize) -> usize {
    let reserve = RESERVED_DESCRIPTORS.min(limit / 2);
    let fit = usize::try_from(limit - reserve).unwrap_or(usize::MAX).max(1);
    max_connections.min(fit)
}

#[cfg(test)]
mod tests;
