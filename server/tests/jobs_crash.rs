//! Crash safety of the job queue with real processes: the server binary runs its jobs on a slow
//! Dokku (the `dokku-sim` binary through the local executor, so every Dokku invocation is logged
//! by a process of its own), is killed with SIGKILL in the middle of a job, and restarted on the
//! same data directory. Every job must end `completed`; none may be lost, and no two commands of
//! one app may run at the same time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use dokku_pro_server::jobs::store::{self, NewJob};
use dokku_pro_server::jobs::{ApplyAction, JobId};
use dokku_pro_server::storage::Storage;
use dokku_sim::SimHost;

const SERVER: &str = env!("CARGO_BIN_EXE_dokku-pro-api");
const DOKKU: &str = env!("CARGO_BIN_EXE_dokku-sim");
/// How long every Dokku invocation takes.
const LATENCY_MS: i64 = 300;
const APPS: [&str; 3] = ["crash-a", "crash-b", "crash-c"];

fn dokku(sim_dir: &Path, args: &[&str]) {
    let out = Command::new(DOKKU).args(args).env("DOKKU_SIM_STATE_DIR", sim_dir).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Starts the server and returns it with its address (read from its stderr).
fn start(data_dir: &Path, sim_dir: &Path) -> (Child, SocketAddr) {
    let mut child = Command::new(SERVER)
        .args(["serve", "--bind", "127.0.0.1:0", "--host-kind", "local", "--dokku-path", DOKKU])
        .args(["--jobs-backoff-base-ms", "50", "--log-level", "debug", "--data-dir"])
        .arg(data_dir)
        .env("DOKKU_SIM_STATE_DIR", sim_dir)
        .env("DOKKU_SIM_LATENCY_MS", LATENCY_MS.to_string())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "the server exited before listening");
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split('/').next().unwrap().parse().unwrap();
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
    });
    (child, addr)
}

/// One HTTP/1.1 request; the status and body of the answer.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    authorization: &str,
) -> (u16, serde_json::Value) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: {authorization}\r\n\
         content-length: 0\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let text = String::from_utf8(response).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(!head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "{head}");
    (status, serde_json::from_str(body).unwrap())
}

fn token(addr: SocketAddr, data_dir: &Path) -> String {
    let password = std::fs::read_to_string(data_dir.join("initial-admin-password")).unwrap();
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{}", password.trim()));
    let (status, body) = http(addr, "POST", "/@api/tokens", &format!("Basic {basic}"));
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn db(data_dir: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("dokku-pro-api.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn
}

fn count(data_dir: &Path, sql: &str) -> i64 {
    db(data_dir).query_row(sql, [], |r| r.get(0)).unwrap()
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn jobs_survive_sigkill_and_run_again_without_overlapping() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let sim_dir = dir.path().join("sim");
    std::fs::create_dir_all(&data_dir).unwrap();
    for app in APPS {
        dokku(&sim_dir, &["apps:create", app]);
        dokku(&sim_dir, &["sim:deploy", app, "web", "worker"]);
    }

    // Queue the jobs before the first start, through the store the enqueue API uses: per app a
    // rebuild (which a restart joins).
    let storage = Storage::open(&data_dir).unwrap();
    let mut ids: Vec<JobId> = Vec::new();
    for (n, app) in APPS.iter().enumerate() {
        let actions = [ApplyAction::Rebuild, ApplyAction::Restart];
        for (k, action) in actions.into_iter().enumerate() {
            let placed = storage
                .call_blocking(|c| {
                    let new = NewJob {
                        internal_id: format!("crash{n}{k}xxxxxxxxxxxxxxxx"),
                        app: app.to_string(),
                        action,
                        request_id: "crash-test".into(),
                        actor: "admin".into(),
                    };
                    store::enqueue(c, &new, dokku_pro_server::jobs::now_ms())
                })
                .unwrap();
            if !placed.coalesced {
                ids.push(placed.id);
            }
        }
    }
    drop(storage);
    assert_eq!(ids.len(), APPS.len());

    // First run: killed while commands run.
    let (mut server, _) = start(&data_dir, &sim_dir);
    wait_for("a job's command to start", Duration::from_secs(30), || {
        count(&data_dir, "SELECT count(*) FROM jobs WHERE status_message LIKE 'Running%'") > 0
    });
    std::thread::sleep(Duration::from_millis(LATENCY_MS as u64 / 2));
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    let claimed = count(&data_dir, "SELECT count(*) FROM jobs WHERE claimed_by IS NOT NULL");
    assert!(claimed > 0, "no job was running when the server was killed");
    let unfinished =
        count(&data_dir, "SELECT count(*) FROM jobs WHERE state IN ('pending', 'retrying')");
    assert!(unfinished > 0, "every job had ended before the kill");

    // A dokku command the dead server had started still finishes on the host (as on a real one);
    // let it, so that what the log shows below is the server's doing.
    let log_len = || SimHost::read_invocation_log(&sim_dir).len();
    let mut seen = log_len();
    loop {
        std::thread::sleep(Duration::from_millis(LATENCY_MS as u64 * 2));
        let now = log_len();
        if now == seen {
            break;
        }
        seen = now;
    }

    // Second run: everything completes.
    let (mut server, addr) = start(&data_dir, &sim_dir);
    wait_for("every job to end", Duration::from_secs(60), || {
        count(&data_dir, "SELECT count(*) FROM jobs WHERE state IN ('pending', 'retrying')") == 0
    });
    let bearer = format!("Bearer {}", token(addr, &data_dir));
    for id in &ids {
        let (status, body) = http(addr, "GET", &format!("/@api/queueJobs/{id}"), &bearer);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["attributes"]["state"], "completed", "{body}");
    }
    let jobs = APPS.len() as i64;
    assert_eq!(count(&data_dir, "SELECT count(*) FROM jobs"), jobs, "no job lost or added");
    let interrupted =
        count(&data_dir, "SELECT count(*) FROM job_attempts WHERE outcome = 'interrupted'");
    assert_eq!(interrupted, claimed, "the killed attempts are recorded as interrupted");

    // The host's own log: per app, no two invocations overlapped. Each takes LATENCY_MS, and
    // the log records when each ended, so serial ones end at least that far apart.
    let log = SimHost::read_invocation_log(&sim_dir);
    let times = read_log_times(&sim_dir);
    assert_eq!(times.len(), log.len());
    for app in APPS {
        let mut ends: Vec<i64> = log
            .iter()
            .zip(&times)
            .filter(|(i, _)| i.argv.get(1).map(String::as_str) == Some(app))
            .filter(|(i, _)| !matches!(i.argv[0].as_str(), "apps:create" | "sim:deploy"))
            .map(|(_, t)| *t)
            .collect();
        ends.sort();
        for pair in ends.windows(2) {
            assert!(
                pair[1] - pair[0] >= LATENCY_MS - 20,
                "two commands of {app} ran at the same time (ended {} ms apart): {ends:?}",
                pair[1] - pair[0]
            );
        }
        let applied = |sub: &str| {
            log.iter()
                .filter(|i| i.argv[0] == sub && i.argv.get(1).map(String::as_str) == Some(app))
                .count()
        };
        assert!(applied("ps:rebuild") >= 1, "{app}: {log:?}");
        assert_eq!(applied("ps:restart"), 0, "{app}: the restart joined the rebuild");
    }
    // And the parallelism across apps was real: commands of different apps overlapped.
    let first_end = |app: &str| {
        log.iter()
            .zip(&times)
            .find(|(i, _)| i.argv[0] == "ps:report" && i.argv[1] == app)
            .map(|(_, t)| *t)
            .unwrap()
    };
    assert!((first_end(APPS[0]) - first_end(APPS[1])).abs() < LATENCY_MS);

    let status = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(status.success());
    assert!(server.wait().unwrap().success());
}

/// The `at_ms` of every line of the sim's invocation log (the public reader drops it).
fn read_log_times(sim_dir: &Path) -> Vec<i64> {
    std::fs::read_to_string(sim_dir.join("invocations.jsonl"))
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| v["at_ms"].as_i64().unwrap())
        .collect()
}

/// `POST /envs` with a JSON body; the status.
fn post_env(addr: SocketAddr, authorization: &str, app: &str, key: &str) -> Option<u16> {
    let body = serde_json::json!({"data": {"type": "envs",
        "attributes": {"app_id": app, "key": key, "value": "stored"}}})
    .to_string();
    let mut stream = TcpStream::connect(addr).ok()?;
    write!(
        stream,
        "POST /@api/envs HTTP/1.1\r\nhost: {addr}\r\nauthorization: {authorization}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split(' ').nth(1)?.parse().ok()
}

#[test]
fn a_change_that_reached_dokku_is_applied_even_if_the_server_died_before_queueing_its_job() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let sim_dir = dir.path().join("sim");
    std::fs::create_dir_all(&data_dir).unwrap();
    let apps: Vec<String> = (0..12).map(|n| format!("intent-{n}")).collect();
    for app in &apps {
        dokku(&sim_dir, &["apps:create", app]);
    }
    let (mut server, addr) = start(&data_dir, &sim_dir);
    let bearer = format!("Bearer {}", token(addr, &data_dir));
    let writes = SimHost::read_invocation_log(&sim_dir).len();
    let clients: Vec<_> = apps
        .iter()
        .map(|app| {
            let (app, bearer) = (app.clone(), bearer.clone());
            std::thread::spawn(move || post_env(addr, &bearer, &app, "FROM_THE_API"))
        })
        .collect();
    // The moment the first value is stored on the host, the others are on their way: kill.
    wait_for("a value to be stored", Duration::from_secs(30), || {
        SimHost::read_invocation_log(&sim_dir)[writes..]
            .iter()
            .any(|i| i.argv.iter().any(|a| a == "config:import"))
    });
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    for client in clients {
        let _ = client.join();
    }
    // The Dokku commands the dead server had started finish on the host, as on a real one.
    let mut seen = SimHost::read_invocation_log(&sim_dir).len();
    loop {
        std::thread::sleep(Duration::from_millis(LATENCY_MS as u64 * 2));
        let now = SimHost::read_invocation_log(&sim_dir).len();
        if now == seen {
            break;
        }
        seen = now;
    }
    let stored: Vec<&String> = apps
        .iter()
        .filter(|app| {
            let out = Command::new(DOKKU)
                .args(["config:get", app.as_str(), "FROM_THE_API"])
                .env("DOKKU_SIM_STATE_DIR", &sim_dir)
                .output()
                .unwrap();
            out.status.success()
        })
        .collect();
    let queued = |app: &str| {
        db(&data_dir)
            .query_row("SELECT count(*) FROM jobs WHERE app = ?1", [app], |r| r.get::<_, i64>(0))
            .unwrap()
    };
    let unqueued: Vec<&&String> = stored.iter().filter(|app| queued(app) == 0).collect();
    assert!(!stored.is_empty());
    assert!(stored.len() > 1, "only one value reached the host: the kill came too late");

    // The next start queues the job of every change that reached Dokku.
    let (mut server, _) = start(&data_dir, &sim_dir);
    wait_for("every stored change to have its job", Duration::from_secs(30), || {
        stored.iter().all(|app| queued(app) > 0)
    });
    wait_for("every job to end", Duration::from_secs(60), || {
        count(&data_dir, "SELECT count(*) FROM jobs WHERE state IN ('pending', 'retrying')") == 0
    });
    assert_eq!(count(&data_dir, "SELECT count(*) FROM job_intents"), 0);
    eprintln!(
        "{} values stored, {} of them without a job before the restart",
        stored.len(),
        unqueued.len()
    );
    let status = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(status.success());
    assert!(server.wait().unwrap().success());
}
