//! `cargo xtask bench`: builds the release server, runs it on the simulated host with no latency
//! and with a realistic per-command latency, drives it with concurrent clients, and prints one
//! table: requests per second, p50 and p99 latency, Dokku invocations per request and the
//! server's peak RSS for a representative set of operations, plus idle RSS and the time from
//! start to the first answered request. One row repeats the token-checked read while a crowd of
//! clients fails to log in, to show what a login flood costs the clients that hold a token.
//!
//! Numbers, never assertions: nothing here fails because something is slow.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// Clients sending wrong passwords at once during the login flood row.
const FLOOD_CLIENTS: usize = 32;

/// What one row of the table measures.
struct Operation {
    name: &'static str,
    method: &'static str,
    path: String,
    body: Option<String>,
}

struct Row {
    latency_ms: u64,
    name: &'static str,
    requests: usize,
    errors: usize,
    rps: f64,
    p50: Duration,
    p99: Duration,
    invocations_per_request: f64,
    peak_rss_kib: u64,
}

pub struct BenchOptions {
    pub concurrency: usize,
    pub seconds_per_operation: u64,
    pub latencies_ms: Vec<u64>,
    pub write_markdown: Option<PathBuf>,
}

pub fn run(root: &Path, options: &BenchOptions) -> Result<()> {
    eprintln!("building the release server ...");
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "dokku-pro-server",
            "--bin",
            "dokku-pro-api",
            "--bin",
            "dokku-sim",
        ])
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("the release build failed");
    }
    let binary = root.join("target/release/dokku-pro-api");
    let sim = root.join("target/release/dokku-sim");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let mut rows = Vec::new();
    let mut starts = Vec::new();
    for &latency in &options.latencies_ms {
        let (server_rows, start) = runtime.block_on(bench_one(&binary, &sim, latency, options))?;
        rows.extend(server_rows);
        starts.push((latency, start));
    }
    let table = render(&rows, &starts, options);
    println!("{table}");
    if let Some(path) = &options.write_markdown {
        std::fs::write(path, markdown(&table)?)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Time to the first answered request and memory at rest.
struct Start {
    first_answer: Duration,
    idle_rss_kib: u64,
}

struct RunningServer {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fills the simulated host before the server starts (the server reads its state at start):
/// 100 apps, 20 postgres services, a few domains and env vars on the first app.
fn seed_sim(sim: &Path, state: &Path) -> Result<()> {
    let run = |args: &[&str]| -> Result<()> {
        let out = Command::new(sim)
            .args(args)
            .env("DOKKU_SIM_STATE_DIR", state)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("running dokku-sim {args:?}"))?;
        if !out.status.success() {
            bail!("dokku-sim {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(())
    };
    for i in 0..100 {
        run(&["apps:create", &format!("app-{i:03}")])?;
    }
    for i in 0..20 {
        run(&["postgres:create", &format!("db-{i:02}")])?;
    }
    run(&["domains:add", "app-000", "app.example.com", "www.example.com"])?;
    run(&["config:set", "--no-restart", "app-000", "A=1", "B=two", "C=three"])?;
    run(&["ps:scale", "--skip-deploy", "app-000", "web=2", "worker=1"])?;
    Ok(())
}

async fn start_server(
    binary: &Path,
    sim: &Path,
    latency_ms: u64,
) -> Result<(RunningServer, Start)> {
    let dir = tempfile::tempdir()?;
    seed_sim(sim, &dir.path().join("sim"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let started = Instant::now();
    // The failed-login limits are raised so that the login flood reaches the password hashing,
    // as a crowd from many addresses would; from one address it would get 429 at once.
    let child = Command::new(binary)
        .args(["serve", "--sim", "--log-level", "warn", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--login-failure-limit", "1000000000"])
        .args(["--login-address-failure-limit", "1000000000"])
        .args(["--login-name-failure-limit", "1000000000"])
        .arg("--sim-latency-ms")
        .arg(latency_ms.to_string())
        .arg("--data-dir")
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}/@api");
    let server = RunningServer { child, base, _dir: dir };
    let client = reqwest::Client::new();
    let first_answer = loop {
        if let Ok(r) = client.get(format!("{}/health", server.base)).send().await
            && r.status().is_success()
        {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the server did not answer within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle_rss_kib = rss_kib(server.child.id(), "VmRSS")?;
    Ok((server, Start { first_answer, idle_rss_kib }))
}

fn rss_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

/// `dokku_commands_total` from the server's metrics.
async fn dokku_commands(client: &reqwest::Client, base: &str) -> Result<u64> {
    let text = client.get(format!("{base}/metrics")).send().await?.text().await?;
    text.lines()
        .find_map(|l| l.strip_prefix("dokku_commands_total "))
        .and_then(|v| v.trim().parse().ok())
        .context("the server's metrics have no dokku_commands_total")
}

async fn bench_one(
    binary: &Path,
    sim: &Path,
    latency_ms: u64,
    options: &BenchOptions,
) -> Result<(Vec<Row>, Start)> {
    let (server, start) = start_server(binary, sim, latency_ms).await?;
    let base = server.base.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(options.concurrency).build()?;
    let password = std::fs::read_to_string(server._dir.path().join("initial-admin-password"))?;
    let login: serde_json::Value = client
        .post(format!("{base}/tokens"))
        .basic_auth("admin", Some(password.trim()))
        .send()
        .await?
        .json()
        .await?;
    let token = login["id"].as_str().context("login answered no token")?.to_string();
    // A job to poll: the first write.
    let job = client
        .post(format!("{base}/envs"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"data": {"type": "envs", "attributes": {"app_id": "app-001", "key": "K", "value": "v"}}}))
        .send()
        .await?;
    let job_path = job
        .headers()
        .get("content-location")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start_matches("/@api").to_string())
        .unwrap_or_else(|| "/queueJobs/1".to_string());
    let operations = [
        Operation { name: "getQueueJob (token check only)", method: "GET", path: job_path, body: None },
        Operation { name: "getEnvForApp", method: "GET", path: "/apps/app-000/envs".into(), body: None },
        Operation { name: "getDomainsForApp", method: "GET", path: "/apps/app-000/domains".into(), body: None },
        Operation { name: "getFormationsForApp", method: "GET", path: "/apps/app-000/formations".into(), body: None },
        Operation { name: "getApps (100 apps)", method: "GET", path: "/apps".into(), body: None },
        Operation { name: "getServices (20 services)", method: "GET", path: "/services".into(), body: None },
        Operation {
            name: "addEnv (202 + job)",
            method: "POST",
            path: "/envs".into(),
            body: Some(
                serde_json::json!({"data": {"type": "envs", "attributes": {"app_id": "app-002", "key": "BENCH", "value": "1"}}})
                    .to_string(),
            ),
        },
    ];
    let flooded = Operation {
        name: "getQueueJob during a login flood",
        method: "GET",
        path: operations[0].path.clone(),
        body: None,
    };
    let mut rows = Vec::new();
    for (op, flood) in operations.iter().map(|op| (op, false)).chain([(&flooded, true)]) {
        let flood = flood.then(|| flood_logins(&base, options.seconds_per_operation));
        let before = dokku_commands(&client, &base).await?;
        let (latencies, errors) = drive(&client, &base, &token, op, options).await;
        let after = dokku_commands(&client, &base).await?;
        if let Some(flood) = flood {
            let (refused, shed) = flood.await?;
            eprintln!(
                "login flood ({FLOOD_CLIENTS} clients, {latency_ms} ms): {refused} answered 401, \
                 {shed} shed with 429"
            );
        }
        let requests = latencies.len() + errors;
        let mut sorted = latencies.clone();
        sorted.sort();
        let pick = |q: f64| {
            sorted
                .get(((sorted.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or_default()
        };
        rows.push(Row {
            latency_ms,
            name: op.name,
            requests,
            errors,
            rps: requests as f64 / options.seconds_per_operation as f64,
            p50: pick(0.50),
            p99: pick(0.99),
            invocations_per_request: (after - before) as f64 / requests.max(1) as f64,
            peak_rss_kib: rss_kib(server.child.id(), "VmHWM")?,
        });
    }
    Ok((rows, start))
}

/// [`FLOOD_CLIENTS`] clients log in with a wrong password back to back for `seconds`, each on a
/// connection of its own; returns how many logins were answered 401 and how many 429.
fn flood_logins(base: &str, seconds: u64) -> tokio::task::JoinHandle<(usize, usize)> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let url = Arc::new(format!("{base}/tokens"));
    let clients: Vec<_> = (0..FLOOD_CLIENTS)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let (mut refused, mut shed) = (0, 0);
                while Instant::now() < deadline {
                    let sent =
                        client.post(url.as_str()).basic_auth("admin", Some("not the password"));
                    match sent.send().await.map(|r| r.status().as_u16()) {
                        Ok(401) => refused += 1,
                        Ok(429) => shed += 1,
                        _ => {}
                    }
                }
                (refused, shed)
            })
        })
        .collect();
    tokio::spawn(async move {
        let mut total = (0, 0);
        for client in clients {
            if let Ok((refused, shed)) = client.await {
                total = (total.0 + refused, total.1 + shed);
            }
        }
        total
    })
}

/// `concurrency` clients send `op` back to back for the configured time.
async fn drive(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    op: &Operation,
    options: &BenchOptions,
) -> (Vec<Duration>, usize) {
    let deadline = Instant::now() + Duration::from_secs(options.seconds_per_operation);
    let url = Arc::new(format!("{base}{}", op.path));
    let mut tasks = Vec::new();
    for _ in 0..options.concurrency {
        let client = client.clone();
        let url = url.clone();
        let token = token.to_string();
        let method: reqwest::Method = op.method.parse().expect("a valid method");
        let body = op.body.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let mut request = client.request(method.clone(), url.as_str()).bearer_auth(&token);
                if let Some(body) = &body {
                    request = request.header("content-type", "application/json").body(body.clone());
                }
                let sent = Instant::now();
                match request.send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        latencies.push(sent.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((l, e)) = task.await {
            latencies.extend(l);
            errors += e;
        }
    }
    (latencies, errors)
}

fn render(rows: &[Row], starts: &[(u64, Start)], options: &BenchOptions) -> String {
    let mut out = format!(
        "{} concurrent clients, {} s per operation\n\n| Dokku latency | operation | requests | errors | req/s | p50 | p99 | Dokku calls/req | peak RSS |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n",
        options.concurrency, options.seconds_per_operation
    );
    for r in rows {
        out.push_str(&format!(
            "| {} ms | {} | {} | {} | {:.0} | {:.2} ms | {:.2} ms | {:.2} | {} MiB |\n",
            r.latency_ms,
            r.name,
            r.requests,
            r.errors,
            r.rps,
            r.p50.as_secs_f64() * 1000.0,
            r.p99.as_secs_f64() * 1000.0,
            r.invocations_per_request,
            r.peak_rss_kib / 1024,
        ));
    }
    out.push_str("\n| Dokku latency | start to first answer | idle RSS |\n|---|---:|---:|\n");
    for (latency, s) in starts {
        out.push_str(&format!(
            "| {latency} ms | {:.0} ms | {} MiB |\n",
            s.first_answer.as_secs_f64() * 1000.0,
            s.idle_rss_kib / 1024
        ));
    }
    out
}

fn markdown(table: &str) -> Result<String> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    Ok(format!(
        "# Benchmarks\n\nMeasured by `cargo xtask bench` (release build, simulated Dokku host; the latency column is the \
         simulated time every Dokku command takes). Machine: {cores} cores, {cpu}.\n\n{table}"
    ))
}
