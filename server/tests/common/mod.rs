//! The real binary as the tests drive it: a server process on a temporary data directory, and
//! plain HTTP/1.1 requests written by hand so that every byte on the wire is the test's.

// Each test binary that includes this module uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;

pub const SERVER: &str = env!("CARGO_BIN_EXE_dokku-pro-api");
pub const DOKKU: &str = env!("CARGO_BIN_EXE_dokku-sim");

/// A running server process; killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// Everything it wrote to stderr so far.
    stderr: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
    pub data_dir: std::path::PathBuf,
}

pub struct Options<'a> {
    pub args: &'a [&'a str],
    /// Runs the server under this open-file limit (soft, hard), through `prlimit`.
    pub open_files: Option<(u64, u64)>,
    pub env: &'a [(&'a str, String)],
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options { args: &["--sim"], open_files: None, env: &[] }
    }
}

impl Server {
    pub fn start(options: Options<'_>) -> Server {
        Server::start_in(tempfile::tempdir().unwrap(), options)
    }

    /// Starts a server on the state kept in `dir`.
    pub fn start_in(dir: tempfile::TempDir, options: Options<'_>) -> Server {
        let data_dir = dir.path().join("data");
        let mut command = match options.open_files {
            Some((soft, hard)) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={soft}:{hard}")).arg("--").arg(SERVER);
                c
            }
            None => Command::new(SERVER),
        };
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(&data_dir)
            .args(options.args)
            .envs(options.env.iter().map(|(k, v)| (k, v)))
            .env("DOKKU_SIM_STATE_DIR", dir.path().join("sim"))
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap());
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut line = String::new();
        let addr = loop {
            line.clear();
            if lines.read_line(&mut line).unwrap() == 0 {
                panic!("the server exited before listening:\n{}", stderr.lock().unwrap());
            }
            stderr.lock().unwrap().push_str(&line);
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split('/').next().unwrap().parse().unwrap();
            }
        };
        let keep = stderr.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            while lines.read_line(&mut line).is_ok_and(|n| n > 0) {
                keep.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        Server { child, addr, stderr, _dir: dir, data_dir }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The first start's admin password, from the file the server wrote it to.
    pub fn admin_password(&self) -> String {
        let password =
            std::fs::read_to_string(self.data_dir.join("initial-admin-password")).unwrap();
        password.trim().to_string()
    }

    /// A login as the admin: the whole `201` answer.
    pub fn login(&self, body: &str) -> serde_json::Value {
        let basic = basic("admin", &self.admin_password());
        let r = request(self.addr, "POST", "/@api/tokens", &basic, body);
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()
    }

    /// A login as the admin: the access token.
    pub fn token(&self) -> String {
        self.login("")["id"].as_str().unwrap().to_string()
    }

    /// Stops the server with SIGTERM (it must exit within `within`) and hands back its state.
    pub fn stop(mut self, within: Duration) -> tempfile::TempDir {
        assert!(self.terminate(within), "the server still runs after SIGTERM");
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self._dir, dir)
    }

    /// Sends SIGTERM and waits (at most `within`) for the process to exit.
    pub fn terminate(&mut self, within: Duration) -> bool {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let start = Instant::now();
        while start.elapsed() < within {
            if self.child.try_wait().unwrap().is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Answer {
    pub status: u16,
    pub head: String,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }

    pub fn title(&self) -> String {
        self.json()["errors"][0]["title"].as_str().unwrap_or_default().to_string()
    }
}

pub fn parse(bytes: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Answer { status, head: head.to_string(), text: body.to_string() }
}

/// One request on a new connection (closed after the answer); no `Authorization` header when
/// `authorization` is empty.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    authorization: &str,
    body: &str,
) -> Answer {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    exchange(stream, (method, path), authorization, "content-type: application/json\r\n", body)
}

/// One request from `source` (any 127.0.0.0/8 address reaches a loopback listener, so the server
/// sees another client), with an `X-Forwarded-For` header when `forwarded_for` is given.
pub fn request_from(
    source: IpAddr,
    addr: SocketAddr,
    forwarded_for: Option<&str>,
    (method, path): (&str, &str),
    authorization: &str,
) -> Answer {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::new(source, 0).into()).unwrap();
    socket.connect(&addr.into()).unwrap();
    let stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let forwarded = forwarded_for.map(|f| format!("x-forwarded-for: {f}\r\n")).unwrap_or_default();
    exchange(stream, (method, path), authorization, &forwarded, "")
}

/// Writes one request (`connection: close`, `extra` header lines as they are) and reads the
/// whole answer.
fn exchange(
    mut stream: TcpStream,
    (method, path): (&str, &str),
    authorization: &str,
    extra: &str,
    body: &str,
) -> Answer {
    let addr = stream.peer_addr().unwrap();
    let authorization = match authorization {
        "" => String::new(),
        value => format!("authorization: {value}\r\n"),
    };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\n{authorization}{extra}\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    parse(&response)
}

/// `Basic` credentials for `user` and `password`.
pub fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}
