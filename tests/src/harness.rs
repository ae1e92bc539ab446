//! The test harness: the real server (in-process, port 0, temporary data directory) behind a
//! validating proxy. Every response that passes the proxy is checked against the contract
//! ([`crate::contract`]); [`TestServer::finish`] fails the test on any violation. Requests that
//! need exact bytes on the wire go straight to the server with [`TestServer::raw`], which checks
//! the response the same way.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::task::JoinHandle;

use crate::contract::Contract;

/// A response as the test saw it.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl RawResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body))
        })
    }

    /// The first error title of an error envelope.
    pub fn error_title(&self) -> String {
        self.json()["errors"][0]["title"].as_str().unwrap_or_default().to_string()
    }

    /// The body as text (lossily), for failure messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of the header `name`, if the response has it.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().expect("an ASCII header value"))
    }
}

struct Shared {
    contract: Contract,
    violations: Mutex<Vec<String>>,
    upstream: Mutex<SocketAddr>,
    http: reqwest::Client,
}

impl Shared {
    fn record(&self, method: &Method, path: &str, response: &RawResponse) {
        let route = self.contract.route(method.as_str(), path);
        if let Err(e) =
            self.contract.check(route, response.status, &response.headers, &response.body)
        {
            self.violations.lock().expect("not poisoned").push(format!("{method} {path}: {e}"));
        }
    }
}

pub struct TestServer {
    server: Option<dokku_pro_server::Server>,
    config: dokku_pro_server::config::Config,
    admin_password: String,
    proxy_addr: SocketAddr,
    proxy: JoinHandle<()>,
    shared: Arc<Shared>,
    /// The server's data directory (removed when the test ends).
    pub data_dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server with default configuration.
    pub async fn start() -> TestServer {
        TestServer::start_with(|_| {}).await
    }

    /// Starts a server after `configure` adjusts its configuration.
    pub async fn start_with(
        configure: impl FnOnce(&mut dokku_pro_server::config::Config),
    ) -> TestServer {
        let data_dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = dokku_pro_server::config::Config {
            bind: "127.0.0.1:0".parse().expect("valid"),
            data_dir: data_dir.path().join("data"),
            ..Default::default()
        };
        // The simulated host, unless the test configures another.
        config.host.kind = dokku_pro_server::config::HostKind::Sim;
        configure(&mut config);
        let server = start_server(&config, data_dir.path()).await;
        let admin_password =
            server.initial_admin_password.clone().expect("a new data directory gets an admin");
        let shared = Arc::new(Shared {
            contract: Contract::load(),
            violations: Mutex::new(Vec::new()),
            upstream: Mutex::new(server.local_addr()),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a reqwest client"),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let proxy_addr = listener.local_addr().expect("local address");
        let proxy = tokio::spawn(run_proxy(listener, shared.clone()));
        TestServer {
            server: Some(server),
            config,
            admin_password,
            proxy_addr,
            proxy,
            shared,
            data_dir,
        }
    }

    fn server(&self) -> &dokku_pro_server::Server {
        self.server.as_ref().expect("the server is running")
    }

    /// Stops the server and starts it again on the same data directory (and a new port).
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("the server shuts down cleanly");
        }
        let server = start_server(&self.config, self.data_dir.path()).await;
        assert!(server.initial_admin_password.is_none(), "the admin is created only once");
        self.shared_upstream(server.local_addr());
        self.server = Some(server);
    }

    fn shared_upstream(&mut self, addr: SocketAddr) {
        *self.shared.upstream.lock().expect("not poisoned") = addr;
    }

    /// The simulated host behind the server.
    pub fn sim(&self) -> &std::sync::Arc<dokku_sim::SimHost> {
        self.server().sim().expect("test servers run on the simulated host")
    }

    /// The server's background job queue (tests queue jobs through it directly).
    pub fn jobs(&self) -> &std::sync::Arc<dokku_pro_server::jobs::Jobs> {
        self.server().jobs()
    }

    /// The server's data directory.
    pub fn server_data_dir(&self) -> &std::path::Path {
        &self.config.data_dir
    }

    /// The password of `admin`, created at the first start.
    pub fn admin_password(&self) -> &str {
        &self.admin_password
    }

    /// The server's log so far (JSON lines; every test server logs to a file in its data dir).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.data_dir.path().join("server.log")).unwrap_or_default()
    }

    /// The first log line that satisfies `wanted`, waiting up to 10 s for it: the log drain is
    /// asynchronous, so a line can reach the file after the response that caused it. Panics with
    /// the log so far when no line comes.
    pub async fn wait_for_log_line(&self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let log = self.log_text();
            if let Some(line) = log.lines().find(|l| wanted(l)) {
                return line.to_string();
            }
            if std::time::Instant::now() > deadline {
                panic!("no such log line within 10 s; the log:\n{log}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Logs in as admin and returns the token response.
    pub async fn login_response(&self, body: Option<serde_json::Value>) -> RawResponse {
        let credentials = format!("admin:{}", self.admin_password);
        let basic = format!("Basic {}", base64_encode(credentials.as_bytes()));
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.raw(
            "POST",
            "/@api/tokens",
            &[("authorization", &basic), ("content-type", "application/json")],
            body.as_bytes(),
        )
        .await
    }

    /// A fresh access token for admin.
    pub async fn token(&self) -> String {
        let response = self.login_response(None).await;
        assert_eq!(
            response.status,
            201,
            "login failed: {}",
            String::from_utf8_lossy(&response.body)
        );
        response.json()["id"].as_str().expect("the token id").to_string()
    }

    /// A fresh access token for admin as an `authorization` value: `Bearer ...`.
    pub async fn bearer(&self) -> String {
        format!("Bearer {}", self.token().await)
    }

    /// `http://127.0.0.1:PORT/@api` through the validating proxy.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.proxy_addr, dokku_pro_api::BASE_PATH)
    }

    /// The address of the server itself (no proxy).
    pub fn server_addr(&self) -> SocketAddr {
        self.server().local_addr()
    }

    /// A progenitor client (generated from the seed) with no credentials, through the proxy.
    pub fn anonymous_client(&self) -> crate::client::Client {
        crate::client::Client::new(&self.base_url())
    }

    /// A progenitor client logged in as admin, through the validating proxy.
    pub async fn client(&self) -> crate::client::Client {
        let token = self.token().await;
        self.client_with_authorization(&format!("Bearer {token}"))
    }

    /// A progenitor client that sends `authorization` on every request.
    pub fn client_with_authorization(&self, authorization: &str) -> crate::client::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            authorization.parse().expect("a valid header value"),
        );
        let http = reqwest::Client::builder().default_headers(headers).build().expect("a client");
        crate::client::Client::new_with_client(&self.base_url(), http)
    }

    /// Sends exactly these bytes as one request to the server (no proxy), and checks the response
    /// against the contract like the proxy does. `path` includes `/@api`.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> RawResponse {
        let response = http_request(self.server_addr(), method, path, headers, body).await;
        let method: Method = method.parse().expect("a valid method");
        // Operations are matched on the path alone.
        let path_only = path.split_once('?').map_or(path, |(p, _)| p);
        self.shared.record(&method, path_only, &response);
        response
    }

    /// Sends a JSON request as `bearer` (a full `Bearer ...` value) to `path` (with `/@api`),
    /// straight to the server, checked against the contract like every response.
    pub async fn api(
        &self,
        bearer: &str,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> RawResponse {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.raw(
            method,
            path,
            &[("authorization", bearer), ("content-type", "application/json")],
            body.as_bytes(),
        )
        .await
    }

    /// Runs a command on the simulated host directly (test set-up), which must succeed.
    pub fn dokku(&self, argv: &[&str]) -> dokku_sim::SimOutput {
        match self.sim().run(argv, None) {
            dokku_sim::SimOutcome::Completed(out) if out.status == 0 => out,
            other => panic!("dokku {argv:?} failed: {other:?}"),
        }
    }

    /// The Dokku commands run since the last call (their argv), for counting invocations.
    pub fn take_dokku_calls(&self) -> Vec<Vec<String>> {
        let calls = self.sim().invocations().into_iter().map(|i| i.argv).collect();
        self.sim().clear_invocations();
        calls
    }

    /// Polls the job at `location` (`/@api/queueJobs/{id}`) until it has ended; returns its
    /// `data`.
    pub async fn wait_job(&self, bearer: &str, location: &str) -> serde_json::Value {
        for _ in 0..400 {
            let r = self.api(bearer, "GET", location, None).await;
            assert_eq!(r.status, 200, "{}", r.text());
            let body = r.json();
            if matches!(body["data"]["attributes"]["state"].as_str(), Some("completed" | "failed"))
            {
                return body["data"].clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("{location} did not end within 20 s");
    }

    /// Stops everything; fails the test if any response broke the contract.
    pub async fn finish(mut self) {
        self.proxy.abort();
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("the server shuts down cleanly");
        }
        let violations = self.shared.violations.lock().expect("not poisoned");
        assert!(
            violations.is_empty(),
            "responses that break the contract:\n{}",
            violations.join("\n")
        );
    }
}

async fn start_server(
    config: &dokku_pro_server::config::Config,
    dir: &std::path::Path,
) -> dokku_pro_server::Server {
    let log = dokku_pro_server::logging::file_logger(
        &dir.join("server.log"),
        dokku_pro_server::config::LogLevel::Debug,
    );
    let server = dokku_pro_server::start(config, log).await.expect("the server starts");
    // Tests count the Dokku commands their requests cost: the setup checks' own, which run in
    // the background from the start, are done before the test begins.
    server.setup_checks_done().await;
    server
}

/// Sends exactly these bytes as one HTTP/1.1 request to `addr` (`connection: close`) and parses
/// the response; no contract check (see [`TestServer::raw`] for one that checks). `path`
/// includes `/@api`.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n", addr);
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    if !chunked && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-length")) {
        request.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    if chunked {
        for chunk in body.chunks(16 * 1024) {
            bytes.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            bytes.extend_from_slice(chunk);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"0\r\n\r\n");
    } else {
        bytes.extend_from_slice(body);
    }
    send_bytes(addr, bytes).await
}

pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = ((b[0] as u32) << 16) | ((b[1] as u32) << 8) | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Writes `bytes` to a new connection and reads the response until the server closes it (the
/// request says `connection: close`). The server may answer before it has read the whole body, as
/// it does when it refuses one by its `Content-Length`; a failed write is then expected.
async fn send_bytes(addr: SocketAddr, bytes: Vec<u8>) -> RawResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect to the server");
    let _ = stream.write_all(&bytes).await;
    let mut received = Vec::new();
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(30), stream.read_to_end(&mut received));
    let _ = read.await.expect("the server answers within 30 s");
    parse_response(&received)
}

/// Parses one HTTP/1.1 response (`Content-Length` or chunked body).
pub fn parse_response(bytes: &[u8]) -> RawResponse {
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(bytes)));
    let head = std::str::from_utf8(&bytes[..head_end]).expect("an ASCII response head");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("a status line");
    let status = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status code");
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("a header line");
        headers.append(
            http::HeaderName::from_bytes(name.trim().as_bytes()).expect("a header name"),
            http::HeaderValue::from_str(value.trim()).expect("a header value"),
        );
    }
    let rest = &bytes[head_end + 4..];
    let chunked = headers.get(http::header::TRANSFER_ENCODING).is_some_and(|v| v == "chunked");
    let body = if chunked { dechunk(rest) } else { rest.to_vec() };
    RawResponse { status, headers, body: Bytes::from(body) }
}

fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n").expect("a chunk size line");
        let size = std::str::from_utf8(&rest[..line_end])
            .ok()
            .and_then(|s| usize::from_str_radix(s, 16).ok());
        let size = size.expect("a hexadecimal chunk size");
        rest = &rest[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

async fn run_proxy(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        let shared = shared.clone();
        let service = hyper::service::service_fn(move |req| {
            let shared = shared.clone();
            async move { Ok::<_, Infallible>(forward(&shared, req).await) }
        });
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn forward(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let upstream = *shared.upstream.lock().expect("not poisoned");
    let url = format!("http://{upstream}{path_and_query}");
    let mut outgoing = shared.http.request(parts.method.clone(), url).body(body);
    for (name, value) in &parts.headers {
        if name != http::header::HOST && name != http::header::CONTENT_LENGTH {
            outgoing = outgoing.header(name, value);
        }
    }
    let incoming = outgoing.send().await.expect("the server answers");
    let status = incoming.status().as_u16();
    let headers = incoming.headers().clone();
    let body = incoming.bytes().await.expect("the server sends a body");
    let response = RawResponse { status, headers, body };
    shared.record(&parts.method, parts.uri.path(), &response);
    let mut out = Response::builder().status(response.status);
    for (name, value) in &response.headers {
        out = out.header(name, value);
    }
    out.body(Full::new(response.body)).expect("a valid response")
}
