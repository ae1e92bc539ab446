//! The bench's load generator: closed loop, HTTP/1.1 keep-alive, no pipelining.
//!
//! Each connection sends one pre-serialised request, reads the whole answer, and sends the next
//! one at once (closed loop: the offered load is what the server answers, so latencies are
//! service times under `connections` concurrent requests, not queueing behind a fixed rate). A
//! general-purpose client (reqwest) spent more time building and parsing requests than the
//! server spent answering them; this one does no allocation per request beyond its read buffer
//! and runs on one thread of its own, so that the server keeps the rest of the machine.
//! `ceiling` measures what it can do against a server that does nothing, which is the bound every
//! row of the table is read against.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a run measured.
pub struct Outcome {
    /// Latency of every answered request with an expected status, in microseconds.
    pub latencies_us: Vec<u32>,
    /// Requests answered with another status, or lost with their connection.
    pub errors: usize,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn requests(&self) -> usize {
        self.latencies_us.len() + self.errors
    }

    pub fn rps(&self) -> f64 {
        self.requests() as f64 / self.elapsed.as_secs_f64()
    }
}

/// The `q` quantile (0..=1) of sorted latencies in microseconds, nearest rank.
pub fn quantile(sorted: &[u32], q: f64) -> Duration {
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len().max(1));
    Duration::from_micros(sorted.get(rank - 1).copied().unwrap_or(0) as u64)
}

/// One request on a connection of its own; its status.
pub async fn once(addr: SocketAddr, request: &[u8]) -> Result<u16> {
    let mut conn = TcpStream::connect(addr).await?;
    conn.write_all(request).await?;
    let mut buffer = Vec::with_capacity(4096);
    Ok(read_response(&mut conn, &mut buffer).await?.0)
}

/// One request, serialised once.
pub fn request(
    method: &str,
    path: &str,
    host: &str,
    authorization: Option<&str>,
    body: Option<&str>,
) -> Arc<[u8]> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\n");
    if let Some(value) = authorization {
        out.push_str(&format!("Authorization: {value}\r\n"));
    }
    if let Some(body) = body {
        out.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ));
    } else {
        out.push_str("\r\n");
    }
    out.into_bytes().into()
}

/// `connections` connections send `request` back to back for `duration`, on a runtime of one
/// thread. `expected` tells an answer from an error by its status. A request still unanswered
/// 5 s after the end counts as an error (no per-request timer: arming one per request costs the
/// client more than some of the requests cost the server).
pub fn run(
    addr: SocketAddr,
    request: Arc<[u8]>,
    connections: usize,
    duration: Duration,
    expected: fn(u16) -> bool,
) -> Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                runtime.block_on(async {
                    let started = Instant::now();
                    let deadline = started + duration;
                    let tallies: Vec<_> =
                        (0..connections).map(|_| Arc::new(Mutex::new(Tally::default()))).collect();
                    let tasks: Vec<_> = tallies
                        .iter()
                        .map(|tally| {
                            let (request, tally) = (request.clone(), tally.clone());
                            tokio::spawn(connection(addr, request, deadline, expected, tally))
                        })
                        .collect();
                    let grace = tokio::time::Instant::from_std(deadline + Duration::from_secs(5));
                    for task in tasks {
                        if tokio::time::timeout_at(grace, &mut Box::pin(task)).await.is_err() {
                            // Hung: its request in flight is lost (aborted with the runtime).
                        }
                    }
                    let mut outcome =
                        Outcome { latencies_us: Vec::new(), errors: 0, elapsed: started.elapsed() };
                    outcome.elapsed = outcome.elapsed.min(duration + Duration::from_secs(5));
                    for tally in tallies {
                        let mut tally = tally.lock().unwrap_or_else(|p| p.into_inner());
                        outcome.latencies_us.append(&mut tally.latencies_us);
                        outcome.errors += tally.errors + tally.in_flight as usize;
                    }
                    Ok(outcome)
                })
            })
            .join()
            .map_err(|_| anyhow::anyhow!("the load generator's thread panicked"))?
    })
}

/// What one connection has seen so far (kept outside its task, so that a hung one still counts).
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: usize,
    in_flight: bool,
}

async fn connection(
    addr: SocketAddr,
    request: Arc<[u8]>,
    deadline: Instant,
    expected: fn(u16) -> bool,
    tally: Arc<Mutex<Tally>>,
) {
    let mut buffer = Vec::with_capacity(16 * 1024);
    let mut stream: Option<TcpStream> = None;
    while Instant::now() < deadline {
        let conn = match &mut stream {
            Some(conn) => conn,
            None => match TcpStream::connect(addr).await {
                Ok(conn) => {
                    let _ = conn.set_nodelay(true);
                    stream.insert(conn)
                }
                Err(_) => {
                    tally.lock().unwrap_or_else(|p| p.into_inner()).errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        tally.lock().unwrap_or_else(|p| p.into_inner()).in_flight = true;
        let sent = Instant::now();
        let answered = async {
            conn.write_all(&request).await?;
            read_response(conn, &mut buffer).await
        }
        .await;
        let latency = sent.elapsed();
        let mut tally = tally.lock().unwrap_or_else(|p| p.into_inner());
        tally.in_flight = false;
        match answered {
            Ok((status, keep_alive)) => {
                if expected(status) {
                    tally.latencies_us.push(latency.as_micros().min(u32::MAX as u128) as u32);
                } else {
                    tally.errors += 1;
                }
                if !keep_alive {
                    stream = None;
                }
            }
            Err(_) => {
                tally.errors += 1;
                stream = None;
            }
        }
    }
}

/// Reads one response (status line, headers, a body framed by Content-Length or chunked) and
/// returns its status and whether the connection stays open. Bytes past the response cannot be
/// there: requests are never pipelined.
async fn read_response(conn: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<(u16, bool)> {
    buffer.clear();
    let head_end = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            break end + 4;
        }
        fill(conn, buffer).await?;
    };
    let head =
        std::str::from_utf8(&buffer[..head_end]).context("a response head that is not text")?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .context("no status line")?;
    let (mut length, mut chunked, mut keep_alive) = (None, false, true);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().context("a bad Content-Length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            keep_alive = !value.eq_ignore_ascii_case("close");
        }
    }
    if chunked {
        let mut at = head_end;
        loop {
            let line_end = loop {
                if let Some(end) = find(&buffer[at..], b"\r\n") {
                    break at + end;
                }
                fill(conn, buffer).await?;
            };
            let size_text = std::str::from_utf8(&buffer[at..line_end])?;
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .context("a bad chunk size")?;
            // The chunk, its CRLF; the last chunk is followed by the (empty) trailer's CRLF.
            let next = line_end + 2 + size + 2;
            while buffer.len() < next {
                fill(conn, buffer).await?;
            }
            at = next;
            if size == 0 {
                break;
            }
        }
    } else if let Some(length) = length {
        while buffer.len() < head_end + length {
            fill(conn, buffer).await?;
        }
    } else if status >= 200 && status != 204 && status != 304 {
        // A body up to the end of the connection.
        while conn.read_buf(buffer).await? > 0 {}
        keep_alive = false;
    }
    Ok((status, keep_alive))
}

async fn fill(conn: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<()> {
    if buffer.capacity() - buffer.len() < 4096 {
        buffer.reserve(16 * 1024);
    }
    if conn.read_buf(buffer).await? == 0 {
        bail!("the server closed the connection");
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The generator's own ceiling: the same run against a server on one thread that answers every
/// request with a canned 200 without looking at it beyond its end. No server can be measured
/// faster than this, and a row near it says more about the client than about the server.
pub fn ceiling(connections: usize, duration: Duration) -> Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let server = std::thread::spawn(move || {
        runtime.block_on(async move {
            loop {
                let Ok((mut conn, _)) = listener.accept().await else { return };
                tokio::spawn(async move {
                    let _ = conn.set_nodelay(true);
                    let mut buffer = Vec::with_capacity(4096);
                    const ANSWER: &[u8] =
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 15\r\n\r\n{\"status\":\"ok\"}";
                    loop {
                        match conn.read_buf(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        // One answer per complete request head (they carry no body).
                        while let Some(end) = find(&buffer, b"\r\n\r\n") {
                            buffer.drain(..end + 4);
                            if conn.write_all(ANSWER).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        })
    });
    let request = request("GET", "/health", "127.0.0.1", None, None);
    let outcome = run(addr, request, connections, duration, |s| s == 200);
    drop(server); // the thread ends with the process; nothing waits for it
    outcome
}
