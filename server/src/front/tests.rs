//! The front door in process, around a small dropshot API, with short timeouts. The same
//! behaviours against the real binary are in `server/tests/front_door.rs`.

use std::sync::atomic::AtomicUsize;

use dokku_pro_api::error::ApiError;
use dropshot::{ApiDescription, HttpResponseOk, RequestContext, UntypedBody, endpoint};
use slog::{Drain, OwnedKVList, Record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// What the test handlers share.
#[derive(Default)]
struct Probe {
    /// Slow handlers that ran to the end.
    finished: AtomicUsize,
}

type Ctx = RequestContext<Arc<Probe>>;

#[endpoint { method = GET, path = "/ok" }]
async fn ok(_: Ctx) -> Result<HttpResponseOk<String>, ApiError> {
    Ok(HttpResponseOk("ok".into()))
}

#[endpoint { method = GET, path = "/slow" }]
async fn slow(rqctx: Ctx) -> Result<HttpResponseOk<String>, ApiError> {
    tokio::time::sleep(Duration::from_millis(400)).await;
    rqctx.context().finished.fetch_add(1, Ordering::SeqCst);
    Ok(HttpResponseOk("slow".into()))
}

#[endpoint { method = GET, path = "/full" }]
async fn full(_: Ctx) -> Result<HttpResponseOk<String>, ApiError> {
    Err(ApiError::internal("database or disk is full"))
}

#[endpoint { method = GET, path = "/limited" }]
async fn limited(_: Ctx) -> Result<HttpResponseOk<String>, ApiError> {
    Err(ApiError::new(429, "too many failed logins").with_retry_after(42))
}

#[endpoint { method = GET, path = "/@api/apps" }]
async fn apps(_: Ctx) -> Result<HttpResponseOk<String>, ApiError> {
    Err(ApiError::new(401, "no credentials"))
}

#[endpoint { method = POST, path = "/@api/tokens" }]
async fn login(_: Ctx) -> Result<HttpResponseOk<String>, ApiError> {
    Err(ApiError::new(401, "no credentials"))
}

/// Stands in for `addEnv`: answers with what it was given.
#[endpoint { method = POST, path = "/@api/envs" }]
async fn envs(_: Ctx, body: UntypedBody) -> Result<HttpResponseOk<String>, ApiError> {
    Ok(HttpResponseOk(String::from_utf8_lossy(body.as_bytes()).into_owned()))
}

/// Every log record's message and key-values, as `msg k=v k=v`.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<(slog::Level, String)>>>);

impl Drain for Lines {
    type Ok = ();
    type Err = slog::Never;

    fn log(&self, record: &Record<'_>, values: &OwnedKVList) -> Result<(), slog::Never> {
        struct Text(String);
        impl slog::Serializer for Text {
            fn emit_arguments(
                &mut self,
                key: slog::Key,
                val: &std::fmt::Arguments<'_>,
            ) -> slog::Result {
                self.0.push_str(&format!(" {key}={val}"));
                Ok(())
            }
        }
        let mut text = Text(record.msg().to_string());
        let _ = slog::KV::serialize(&record.kv(), record, &mut text);
        let _ = slog::KV::serialize(values, record, &mut text);
        self.0.lock().unwrap().push((record.level(), text.0));
        Ok(())
    }
}

impl Lines {
    fn at(&self, level: slog::Level) -> Vec<String> {
        let lines = self.0.lock().unwrap();
        lines.iter().filter(|(l, _)| *l == level).map(|(_, t)| t.clone()).collect()
    }
}

struct Running {
    addr: SocketAddr,
    door: FrontDoor<Arc<Probe>>,
    probe: Arc<Probe>,
    lines: Lines,
}

fn quick() -> FrontSettings {
    FrontSettings {
        max_connections: 16,
        header_read_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(600),
        body_read_timeout: Duration::from_millis(300),
        handler_timeout: Duration::from_secs(5),
        max_body_bytes: 4096,
        shutdown_grace: Duration::from_secs(30),
    }
}

async fn start(settings: FrontSettings) -> Running {
    let mut api = ApiDescription::new();
    for register in [
        api.register(ok),
        api.register(slow),
        api.register(full),
        api.register(limited),
        api.register(apps),
        api.register(login),
        api.register(envs),
    ] {
        register.unwrap();
    }
    let lines = Lines::default();
    let log = Logger::root(lines.clone().fuse(), slog::o!());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let probe = Arc::new(Probe::default());
    let config = dropshot::ConfigDropshot {
        default_handler_task_mode: dropshot::HandlerTaskMode::Detached,
        default_request_body_max_bytes: settings.max_body_bytes,
        ..Default::default()
    };
    let service = dropshot::ServerBuilder::new(api, probe.clone(), log.clone())
        .config(config)
        .build_service(addr)
        .unwrap();
    let bodies = BodyShapes::from_openapi(dokku_pro_api::openapi::document());
    let door = FrontDoor::start(listener, service, bodies, settings, None, log);
    Running { addr, door, probe, lines }
}

/// Sends `request` on a new connection and reads until the server closes it.
/// The server may answer before it has read the whole request (a refused body), so a failed
/// write is no error.
async fn exchange(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let _ = stream.write_all(request.as_bytes()).await;
    read_to_close(&mut stream).await
}

/// Everything the server sends until it closes the connection (a reset after the answer
/// included).
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut out));
    let _ = read.await.expect("the server closes the connection");
    String::from_utf8_lossy(&out).into_owned()
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
}

fn post(path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn status(response: &str) -> u16 {
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn title(response: &str) -> String {
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"));
    value["errors"][0]["title"].as_str().unwrap_or_default().to_string()
}

fn header<'a>(response: &'a str, name: &str) -> Vec<&'a str> {
    let head = response.split("\r\n\r\n").next().unwrap_or_default();
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect()
}

#[test]
fn dropshot_router_errors_become_envelopes() {
    let body = br#"{"request_id":"abc","message":"Not Found"}"#;
    let (title, bytes) =
        reshape(StatusCode::NOT_FOUND, body, &Method::GET, "/@api/nope", None).unwrap();
    assert_eq!(title, "no such resource: GET /@api/nope");
    assert_eq!(
        serde_json::from_slice::<Value>(&bytes).unwrap(),
        serde_json::json!({"errors":[{"status":404,"title":"no such resource: GET /@api/nope"}]})
    );
    let body = br#"{"request_id":"abc","message":"Method Not Allowed"}"#;
    let allow = Some("GET, POST");
    let (title, _) =
        reshape(StatusCode::METHOD_NOT_ALLOWED, body, &Method::PUT, "/@api/apps", allow).unwrap();
    assert_eq!(title, "method PUT is not allowed here (allowed: GET, POST)");
    let body = br#"{"request_id":"abc","message":"invalid path encoding"}"#;
    let (title, _) = reshape(StatusCode::BAD_REQUEST, body, &Method::GET, "/x", None).unwrap();
    assert_eq!(title, "invalid path encoding");
    assert!(reshape(StatusCode::BAD_REQUEST, b"not json", &Method::GET, "/", None).is_none());
}

#[test]
fn login_challenges_both_schemes() {
    let mut h = HeaderMap::new();
    add_challenges(&mut h, true);
    let values: Vec<_> = h.get_all(header::WWW_AUTHENTICATE).iter().collect();
    assert_eq!(values, ["Basic realm=\"dokku-pro-api\"", "Bearer realm=\"dokku-pro-api\""]);
    let mut h = HeaderMap::new();
    add_challenges(&mut h, false);
    assert_eq!(h.get_all(header::WWW_AUTHENTICATE).iter().count(), 1);
    let facts = |method: &str, path: &str| RequestFacts {
        method: method.parse().unwrap(),
        path: path.into(),
        segments: body_shape::route_segments(path),
        peer: "127.0.0.1:1".parse().unwrap(),
        authorization: None,
        started: std::time::SystemTime::now(),
        arrived: Instant::now(),
    };
    assert!(facts("POST", "/@api/tokens").is_login());
    assert!(facts("POST", "/@api/%74okens/").is_login());
    assert!(!facts("POST", "/@api/tokens/x").is_login());
    assert!(!facts("GET", "/@api/tokens").is_login());
    assert_eq!(facts("DELETE", "/@api/%74okens/eyJ.x.y").logged_path(), "/@api/tokens/<redacted>");
}

#[test]
fn the_open_file_limit_is_raised_to_what_the_cap_needs_up_to_the_hard_limit() {
    assert_eq!(plan_open_files(1024, 524_288, 1024).raise_to, 1024 + RESERVED_DESCRIPTORS);
    assert_eq!(plan_open_files(1024, 1100, 1024).raise_to, 1100);
    assert_eq!(plan_open_files(65_536, 524_288, 1024).raise_to, 65_536, "never lowered");
    assert_eq!(connections_allowed(1024 + RESERVED_DESCRIPTORS, 1024), 1024);
    assert_eq!(connections_allowed(1100, 1024), 1100 - RESERVED_DESCRIPTORS as usize);
    assert_eq!(connections_allowed(100, 1024), 50, "half the limit kept in reserve at most");
}

#[tokio::test]
async fn errors_get_the_envelope_their_headers_and_a_log_line() {
    let server = start(quick()).await;
    let r = exchange(server.addr, &get("/@api/nope")).await;
    assert_eq!((status(&r), title(&r)), (404, "no such resource: GET /@api/nope".to_string()));
    assert_eq!(header(&r, "content-type"), ["application/json"]);
    assert_eq!(header(&r, "x-request-id").len(), 1);

    let r = exchange(server.addr, &post("/ok", "")).await;
    assert_eq!(status(&r), 405);
    assert_eq!(title(&r), "method POST is not allowed here (allowed: GET)");

    let r = exchange(server.addr, &get("/@api/apps/%C3%28")).await;
    assert_eq!((status(&r), title(&r)), (400, "invalid path encoding".to_string()));

    let r = exchange(server.addr, &get("/@api/apps")).await;
    assert_eq!(header(&r, "www-authenticate"), ["Bearer realm=\"dokku-pro-api\""]);
    let r = exchange(server.addr, &post("/@api/%74okens", "")).await;
    assert_eq!(status(&r), 401);
    assert_eq!(header(&r, "www-authenticate").len(), 2, "{r}");

    let r = exchange(server.addr, &get("/limited")).await;
    assert_eq!((status(&r), header(&r, "retry-after")), (429, vec!["42"]));

    let r = exchange(server.addr, &get("/full")).await;
    assert_eq!(status(&r), 500);
    assert!(!r.contains("disk is full"), "the cause stays out of the answer: {r}");
    let request_id = header(&r, "x-request-id")[0].to_string();
    let errors = server.lines.at(slog::Level::Error);
    assert_eq!(errors.len(), 1, "{errors:?}");
    for part in ["status=500", "cause=database or disk is full", "method=GET", "path=/full"] {
        assert!(errors[0].contains(part), "{part} in {}", errors[0]);
    }
    assert!(errors[0].contains(&format!("req_id={request_id}")), "{}", errors[0]);
    server.door.shutdown().await;
}

#[tokio::test]
async fn bodies_are_bounded_and_checked_on_the_decoded_path() {
    let server = start(quick()).await;
    let array = r#"{"data":{"type":"envs","attributes":["app","KEY","value"]}}"#;
    for path in ["/@api/envs", "/@api/%65nvs", "//@api/envs/"] {
        let r = exchange(server.addr, &post(path, array)).await;
        assert_eq!(status(&r), 400, "{path}: {r}");
        assert!(title(&r).contains("invalid type: array, expected an object"), "{r}");
    }
    let lower = post("/@api/envs", array).replacen("POST", "post", 1);
    assert_eq!(status(&exchange(server.addr, &lower).await), 400);
    let object = r#"{"data":{"type":"envs","attributes":{"app_id":"a"}}}"#;
    let r = exchange(server.addr, &post("/@api/%65nvs", object)).await;
    assert_eq!(status(&r), 200, "{r}");

    let big = " ".repeat(5000);
    let r = exchange(server.addr, &post("/@api/envs", &big)).await;
    assert_eq!(
        (status(&r), title(&r)),
        (413, "request body exceeded maximum size of 4096 bytes".into())
    );
    let chunked = format!(
        "POST /@api/envs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         transfer-encoding: chunked\r\n\r\n{:x}\r\n{big}\r\n0\r\n\r\n",
        big.len()
    );
    assert_eq!(status(&exchange(server.addr, &chunked).await), 413);

    // A body that never comes whole: 408, and the connection closes.
    let unfinished = "POST /@api/envs HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n{";
    let r = exchange(server.addr, unfinished).await;
    assert_eq!(status(&r), 408, "{r}");
    server.door.shutdown().await;
}

#[tokio::test]
async fn a_handler_past_its_timeout_gets_504_and_runs_to_the_end() {
    let server =
        start(FrontSettings { handler_timeout: Duration::from_millis(100), ..quick() }).await;
    let r = exchange(server.addr, &get("/slow")).await;
    assert_eq!(status(&r), 504, "{r}");
    assert!(title(&r).contains("still running"), "{r}");
    assert_eq!(server.probe.finished.load(Ordering::SeqCst), 0);
    let errors = server.lines.at(slog::Level::Error);
    assert!(errors.iter().any(|e| e.contains("status=504")), "{errors:?}");
    // Shutdown waits for the detached handler.
    let probe = server.probe.clone();
    server.door.shutdown().await;
    assert_eq!(probe.finished.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn silent_slow_and_idle_connections_are_closed() {
    let server = start(quick()).await;
    // Nothing sent, and half a head: closed after the header timeout, without an answer.
    for sent in ["", "GET /ok HTTP/1.1\r\nhost: x\r\n"] {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(sent.as_bytes()).await.unwrap();
        assert_eq!(read_to_close(&mut stream).await, "", "{sent:?}");
    }
    // Kept alive after an answer: closed after the idle timeout.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET /ok HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let answer = read_to_close(&mut stream).await;
    assert_eq!(status(&answer), 200, "{answer}");
    // A kept-alive connection that starts a head but never finishes it: closed too.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream.write_all(b"GET /ok HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).await.unwrap();
    stream.write_all(b"GET /ok HTTP/1.1\r\n").await.unwrap();
    read_to_close(&mut stream).await;
    let log = server.lines.at(slog::Level::Debug).join("\n");
    assert!(log.contains("sent no request in time"), "{log}");
    server.door.shutdown().await;
}

#[tokio::test]
async fn at_the_cap_idle_connections_make_room_and_busy_ones_refuse() {
    let server = start(FrontSettings {
        max_connections: 2,
        header_read_timeout: Duration::from_secs(30),
        idle_timeout: Duration::from_secs(30),
        body_read_timeout: Duration::from_secs(30),
        ..quick()
    })
    .await;
    // Four idle sockets (half of them halfway through a head), twice the cap ...
    let mut idle = Vec::new();
    for sent in ["", "GET /ok HTTP/1.1\r\n", "", "GET /ok HTTP/1.1\r\n"] {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(sent.as_bytes()).await.unwrap();
        idle.push(stream);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ... and a client is served all the same.
    let r = exchange(server.addr, &get("/ok")).await;
    assert_eq!(status(&r), 200, "{r}");
    // The oldest idle ones were closed to make room.
    let newest = idle.pop().unwrap();
    for mut stream in idle {
        assert_eq!(read_to_close(&mut stream).await, "");
    }
    drop(newest);
    // Two requests in progress (their bodies still coming) hold the cap: a third client is
    // refused, clearly.
    let mut busy = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        let head = "POST /@api/envs HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\
                    content-length: 10\r\n\r\n{";
        stream.write_all(head.as_bytes()).await.unwrap();
        busy.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = exchange(server.addr, &get("/ok")).await;
    assert_eq!(status(&r), 503, "{r}");
    assert_eq!(header(&r, "retry-after"), ["1"]);
    assert!(title(&r).contains("connection limit"), "{r}");
    let errors = server.lines.at(slog::Level::Error);
    assert!(errors.iter().any(|e| e.contains("refusing connections")), "{errors:?}");
    // The requests in progress are not disturbed.
    for mut stream in busy {
        stream.write_all(br#""a":"bc"}"#).await.unwrap();
        let r = read_to_close(&mut stream).await;
        assert_eq!(status(&r), 200, "{r}");
    }
    server.door.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_idle_connections_at_once_and_finishes_requests_in_progress() {
    let server = start(FrontSettings {
        header_read_timeout: Duration::from_secs(600),
        idle_timeout: Duration::from_secs(600),
        shutdown_grace: Duration::from_secs(600),
        ..quick()
    })
    .await;
    let mut idle = Vec::new();
    for sent in ["", "GET /ok HTTP/1.1\r\nhost: x\r\n"] {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(sent.as_bytes()).await.unwrap();
        idle.push(stream);
    }
    let addr = server.addr;
    let in_progress = tokio::spawn(async move { exchange(addr, &get("/slow")).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Well within the 600 s the idle connections and the grace period would allow.
    tokio::time::timeout(Duration::from_secs(20), server.door.shutdown())
        .await
        .expect("shutdown does not wait for idle connections");
    for mut stream in idle {
        assert_eq!(read_to_close(&mut stream).await, "");
    }
    let r = in_progress.await.unwrap();
    assert_eq!(status(&r), 200, "the request in progress finished: {r}");
}
