//! The front door against the real binary: what unauthenticated and slow clients can hold, how
//! the server stops, that it listens on one port, the body check on the decoded path, and that
//! every 5xx reaches the log at `--log-level warn`. Timeouts are configured short; no test
//! asserts how fast anything is, only that it happens (within generous bounds).

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use base64::Engine as _;
use common::{DOKKU, Options, Server, parse, request};

/// Whether the server closes `stream` (end of file, or a reset) within `within`, reading and
/// discarding what it sends until then.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut sink = [0u8; 4096];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        stream.set_read_timeout(Some(left.max(Duration::from_millis(1)))).unwrap();
        match stream.read(&mut sink) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
    false
}

/// A connection that has sent half a request head.
fn slowloris(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(b"GET /@api/health HTTP/1.1\r\nhost: x\r\n").unwrap();
    stream
}

/// A kept-alive connection that has had one answer.
fn kept_alive(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(b"GET /@api/health HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(str::to_string))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    stream
}

#[test]
fn idle_sockets_at_a_low_open_file_limit_do_not_lock_out_a_client() {
    let server = Server::start(Options { open_files: Some((256, 256)), ..Options::default() });
    // More idle sockets than the process has descriptors.
    let idle: Vec<TcpStream> = (0..400).map(|_| TcpStream::connect(server.addr).unwrap()).collect();
    let r = request(server.addr, "GET", "/@api/health", "", "");
    assert_eq!(r.status, 200, "{}", r.text);
    drop(idle);
    let log = server.stderr();
    assert!(log.contains("the open-file limit is too low for max_connections"), "{log}");
}

#[test]
fn the_open_file_limit_is_raised_at_start_to_what_the_cap_needs() {
    // A soft limit under what 1,000 connections need, and this process's hard limit above it
    // (raising a hard limit needs CAP_SYS_RESOURCE, which even root may lack in a container).
    let args = ["--sim", "--max-connections", "1000"];
    let hard =
        rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum.unwrap_or(65536);
    assert!(hard >= 2000, "this test needs a hard open-file limit of 2000 or more, not {hard}");
    let limits = Some((256, hard));
    let server = Server::start(Options { args: &args, open_files: limits, ..Options::default() });
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.child.id())).unwrap();
    let soft: u64 = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{limits}"));
    assert!((1000..=hard).contains(&soft), "the soft limit stayed at {soft}");
    let log = server.stderr();
    assert!(log.contains("raised the open-file limit"), "{log}");
    // Past the soft limit it started with, a client is still served.
    let idle: Vec<TcpStream> = (0..400).map(|_| TcpStream::connect(server.addr).unwrap()).collect();
    assert_eq!(request(server.addr, "GET", "/@api/health", "", "").status, 200);
    drop(idle);
}

#[test]
fn at_the_cap_with_every_connection_busy_a_client_is_refused_clearly() {
    let args = ["--sim", "--max-connections", "2"];
    let server = Server::start(Options { args: &args, ..Options::default() });
    // Two requests in progress: their bodies have not all come.
    let busy: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            s.write_all(b"POST /@api/apps HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{")
                .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let r = request(server.addr, "GET", "/@api/health", "", "");
    assert_eq!(r.status, 503, "{}", r.text);
    assert!(r.head.to_ascii_lowercase().contains("retry-after: 1"), "{}", r.head);
    assert!(r.title().contains("connection limit"), "{}", r.text);
    drop(busy);
}

#[test]
fn slowloris_connections_are_closed_after_the_header_timeout() {
    let args = ["--sim", "--header-read-timeout-seconds", "1"];
    let server = Server::start(Options { args: &args, ..Options::default() });
    let mut sockets: Vec<TcpStream> = (0..20).map(|_| slowloris(server.addr)).collect();
    // Keep dribbling header lines, as slowloris does.
    for n in 0..3 {
        std::thread::sleep(Duration::from_millis(200));
        for s in &mut sockets {
            let _ = write!(s, "x-{n}: y\r\n");
        }
    }
    for mut s in sockets {
        assert!(closed_within(&mut s, Duration::from_secs(15)), "a slowloris connection stayed");
    }
    assert_eq!(request(server.addr, "GET", "/@api/health", "", "").status, 200);
}

#[test]
fn a_body_that_never_comes_whole_gets_408_after_the_body_timeout() {
    let args = ["--sim", "--body-read-timeout-seconds", "1"];
    let server = Server::start(Options { args: &args, ..Options::default() });
    let mut stream = TcpStream::connect(server.addr).unwrap();
    // A head that promises 100 bytes, and one of them.
    stream
        .write_all(
            b"POST /@api/envs HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
              content-length: 100\r\n\r\n{",
        )
        .unwrap();
    let sent = Instant::now();
    stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    assert!(sent.elapsed() < Duration::from_secs(15), "the connection was held past the timeout");
    let answer = parse(&response);
    assert_eq!(answer.status, 408, "{}", String::from_utf8_lossy(&response));
    assert_eq!(request(server.addr, "GET", "/@api/health", "", "").status, 200);
}

#[test]
fn idle_keep_alive_connections_are_closed_after_the_idle_timeout() {
    let args = ["--sim", "--idle-timeout-seconds", "1"];
    let server = Server::start(Options { args: &args, ..Options::default() });
    for mut s in (0..10).map(|_| kept_alive(server.addr)).collect::<Vec<_>>() {
        assert!(closed_within(&mut s, Duration::from_secs(15)), "an idle connection stayed");
    }
}

#[test]
fn sigterm_with_idle_and_slowloris_connections_open_stops_at_once() {
    // Timeouts and grace period far longer than the test waits: only shutdown closes them.
    let args = [
        "--sim",
        "--header-read-timeout-seconds",
        "300",
        "--idle-timeout-seconds",
        "300",
        "--shutdown-grace-seconds",
        "300",
    ];
    let mut server = Server::start(Options { args: &args, ..Options::default() });
    let mut open: Vec<TcpStream> = (0..10).map(|_| kept_alive(server.addr)).collect();
    open.extend((0..10).map(|_| slowloris(server.addr)));
    open.extend((0..10).map(|_| TcpStream::connect(server.addr).unwrap()));
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.terminate(Duration::from_secs(30)), "the server still runs after SIGTERM");
    assert!(server.stderr().contains("stopped"), "{}", server.stderr());
}

/// The inodes of the listening TCP sockets in `/proc/net/tcp{,6}` and their ports.
fn listening_sockets() -> Vec<(u64, u16)> {
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else { continue };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is ADDR:PORT in hex; state 0A is LISTEN; field 9 is the inode.
            if fields.get(3) != Some(&"0A") {
                continue;
            }
            let port = u16::from_str_radix(fields[1].rsplit(':').next().unwrap(), 16).unwrap();
            out.push((fields[9].parse().unwrap(), port));
        }
    }
    out
}

#[test]
fn the_server_listens_on_one_tcp_port_only() {
    let server = Server::start(Options::default());
    let _ = request(server.addr, "GET", "/@api/health", "", "");
    let fd_dir = format!("/proc/{}/fd", server.child.id());
    let inodes: Vec<u64> = std::fs::read_dir(&fd_dir)
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.unwrap().path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            target.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect();
    let ports: Vec<u16> = listening_sockets()
        .into_iter()
        .filter(|(inode, _)| inodes.contains(inode))
        .map(|(_, port)| port)
        .collect();
    assert_eq!(ports, [server.addr.port()], "the process listens on {ports:?}");
}

#[test]
fn a_json_body_is_checked_on_the_decoded_path() {
    let server = Server::start(Options::default());
    let bearer = format!("Bearer {}", server.token());
    let app = r#"{"data":{"type":"apps","id":"decoded"}}"#;
    assert_eq!(request(server.addr, "POST", "/@api/apps", &bearer, app).status, 201);
    // Read by position, this array would set KEY=value on the app.
    let array = r#"{"data":{"type":"envs","attributes":["decoded","KEY","value"]}}"#;
    for path in ["/@api/%65nvs", "/%40api/envs", "//@api//envs/"] {
        let r = request(server.addr, "POST", path, &bearer, array);
        assert_eq!(r.status, 400, "{path}: {}", r.text);
        assert!(r.title().contains("invalid type: array, expected an object"), "{}", r.text);
    }
    let r = request(server.addr, "post", "/@api/envs", &bearer, array);
    assert_eq!(r.status, 400, "lower-case method: {}", r.text);
    let envs = request(server.addr, "GET", "/@api/apps/decoded/envs", &bearer, "");
    assert_eq!(envs.status, 200, "{}", envs.text);
    assert!(!envs.text.contains("KEY"), "{}", envs.text);
}

#[test]
fn a_handler_past_the_handler_timeout_gets_504_and_its_command_still_completes() {
    // Every Dokku command takes twice the handler timeout; the timeout is long enough for a
    // login (password hashing) on a busy machine.
    let args = ["--sim", "--sim-latency-ms", "8000", "--handler-timeout-seconds", "4"];
    let server = Server::start(Options { args: &args, ..Options::default() });
    let bearer = format!("Bearer {}", server.token());
    let app = r#"{"data":{"type":"apps","id":"slow-app"}}"#;
    let r = request(server.addr, "POST", "/@api/apps", &bearer, app);
    assert_eq!(r.status, 504, "{}", r.text);
    assert!(r.title().contains("still running"), "{}", r.text);
    // Shutdown waits for the handler, whose Dokku command was not cut off: after a restart
    // (without the latency), the app is there.
    let dir = server.stop(Duration::from_secs(120));
    let server = Server::start_in(dir, Options::default());
    let bearer = format!("Bearer {}", server.token());
    let r = request(server.addr, "GET", "/@api/apps/slow-app", &bearer, "");
    assert_eq!(r.status, 200, "{}", r.text);
}

#[test]
fn every_5xx_is_logged_at_error_level_with_its_cause_at_log_level_warn() {
    let inject = r#"[{"subcommand":"apps:report","times":3,
        "effect":{"exit":{"status":3,"stderr":"database or disk is full\n"}}}]"#;
    let args = ["--host-kind", "local", "--dokku-path", DOKKU, "--log-level", "warn"];
    let env = [("DOKKU_SIM_INJECT", inject.to_string())];
    let server = Server::start(Options { args: &args, env: &env, ..Options::default() });
    let bearer = format!("Bearer {}", server.token());
    let r = request(server.addr, "GET", "/@api/apps", &bearer, "");
    assert_eq!(r.status, 500, "{}", r.text);
    assert!(!r.text.contains("disk is full"), "the cause stays out of the answer: {}", r.text);
    let request_id = r
        .head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("x-request-id:").map(str::to_string))
        .unwrap();
    let start = Instant::now();
    let line = loop {
        let log = server.stderr();
        if let Some(line) = log.lines().find(|l| l.contains("database or disk is full")) {
            break line.to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no log line for the 500:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    };
    for part in ["ERRO", "500", "GET", "/@api/apps", request_id.trim()] {
        assert!(line.contains(part), "{part} in {line}");
    }
}

#[test]
fn no_log_line_carries_a_token_or_a_forged_line() {
    let server = Server::start(Options::default());
    let token = server.token();
    // A user name with a newline and an ANSI escape, as a forger would send it.
    let forged = "bob\n2026-01-01T00:00:00Z INFO dokku-pro-api: admin logged in\u{1b}[2J";
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{forged}:wrong"));
    let r = request(server.addr, "POST", "/@api/tokens", &format!("Basic {basic}"), "");
    assert_eq!(r.status, 401);
    // Tokens where no path rule expects them: a percent-encoded `tokens`, a query, a 404's path.
    let bearer = format!("Bearer {token}");
    let encoded = format!("/@api/%74okens/{token}");
    assert_eq!(request(server.addr, "DELETE", &encoded, &bearer, "").status, 204);
    let token = server.token();
    let bearer = format!("Bearer {token}");
    request(server.addr, "GET", &format!("/@api/apps?token={token}"), &bearer, "");
    request(server.addr, "GET", &format!("/@api/no/such/{token}"), &bearer, "");
    let stderr = server.stderr();
    let secret = token.rsplit('.').next().unwrap();
    assert!(!stderr.contains(secret), "a token reached the log:\n{stderr}");
    assert!(!stderr.contains("\u{1b}"), "an escape reached the log");
    assert!(
        !stderr.lines().any(|l| l.starts_with("2026-01-01T00:00:00Z INFO")),
        "a forged line:\n{stderr}"
    );
    assert!(stderr.contains("bob\\n2026"), "the user name is logged, escaped:\n{stderr}");
}
