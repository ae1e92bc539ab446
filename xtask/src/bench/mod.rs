//! `cargo xtask bench`: builds the release server, runs it on the simulated host with no latency
//! and with a realistic per-command latency, drives it with the load generator of `load.rs`, and
//! prints one table: requests per second, p50, p99 and p99.9 latency, errors, Dokku invocations
//! per request and the server's peak RSS for a representative set of operations, plus idle RSS
//! and the time from exec to the first answered request.
//!
//! It checks itself twice: the load generator's ceiling against a server that does nothing
//! (`/health` and the token-checked read are read against it), and an independent `wrk` run of
//! the token-checked read when `wrk` is installed. With `--real-dokku` it also measures the reads
//! over the SSH executor against the real Dokku of the test environment, next to the bare
//! `ssh ... config:export` they are built on.
//!
//! Numbers, never assertions: nothing here fails because something is slow.

mod load;

use std::net::SocketAddr;
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
    /// `Authorization` header value.
    authorization: String,
    body: Option<String>,
}

struct Row {
    setting: String,
    name: &'static str,
    requests: usize,
    errors: usize,
    rps: f64,
    p50: Duration,
    p99: Duration,
    p999: Duration,
    invocations_per_request: f64,
    peak_rss_kib: u64,
}

pub struct BenchOptions {
    pub connections: usize,
    pub seconds_per_operation: u64,
    pub latencies_ms: Vec<u64>,
    pub real_dokku: Option<PathBuf>,
    pub write_markdown: Option<PathBuf>,
}

pub fn run(root: &Path, options: &BenchOptions) -> Result<()> {
    eprintln!("building the release server ...");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "-p", "dokku-pro-server"])
        .args(["--bin", "dokku-pro-api", "--bin", "dokku-sim"])
        .current_dir(root)
        .status()?;
    if !status.success() {
        bail!("the release build failed");
    }
    let binary = root.join("target/release/dokku-pro-api");
    let sim = root.join("target/release/dokku-sim");
    let duration = Duration::from_secs(options.seconds_per_operation);

    eprintln!("measuring the load generator's ceiling ...");
    let ceiling = load::ceiling(options.connections, duration)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let mut rows = Vec::new();
    let mut starts = Vec::new();
    let mut wrk = None;
    for &latency in &options.latencies_ms {
        eprintln!("simulated host, {latency} ms per Dokku command ...");
        let mut server = runtime.block_on(start_sim_server(&binary, &sim, latency))?;
        let setting = format!("sim, {latency} ms");
        let (server_rows, token_read) =
            runtime.block_on(bench_server(&server, &setting, true, options))?;
        rows.extend(server_rows);
        if wrk.is_none() && latency == 0 {
            wrk = Some(wrk_check(&server, &token_read, options)?);
        }
        starts.push((format!("{setting}, first start (creates the admin)"), server.start));
        let restart = runtime.block_on(server.restart())?;
        starts.push((format!("{setting}, restart"), restart));
    }
    let mut ssh = None;
    if let Some(ssh_config) = &options.real_dokku {
        eprintln!("real Dokku over SSH ...");
        let (ssh_rows, bare) = runtime.block_on(bench_real_dokku(&binary, ssh_config, options))?;
        rows.extend(ssh_rows);
        ssh = Some(bare);
    }
    let table = render(&rows, &starts, &ceiling, wrk.flatten(), ssh, options);
    println!("{table}");
    if let Some(path) = &options.write_markdown {
        std::fs::write(path, markdown(&table, options)?)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Time from exec to the first answered request, and memory at rest after it.
#[derive(Clone, Copy)]
struct Start {
    first_answer: Duration,
    idle_rss_kib: u64,
    /// The anonymous (private) part of it; the rest is the program's own pages, mapped from the
    /// page cache and shared.
    idle_anon_kib: u64,
}

struct RunningServer {
    child: Child,
    addr: SocketAddr,
    base: String,
    data_dir: tempfile::TempDir,
    command: Command,
    start: Start,
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

async fn start_sim_server(binary: &Path, sim: &Path, latency_ms: u64) -> Result<RunningServer> {
    let dir = tempfile::tempdir()?;
    seed_sim(sim, &dir.path().join("sim"))?;
    let mut command = Command::new(binary);
    command.args(["serve", "--sim", "--sim-latency-ms", &latency_ms.to_string()]);
    start_server(command, dir).await
}

/// Starts `command` (a `serve` without `--bind`, `--data-dir` or `--log-level`) and waits for
/// its first answer.
async fn start_server(mut command: Command, dir: tempfile::TempDir) -> Result<RunningServer> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    // The failed-login limits are raised so that the login flood reaches the password hashing,
    // as a crowd from many addresses would; from one address it would get 429 at once.
    command
        .args(["--log-level", "warn", "--bind", &addr.to_string()])
        .args(["--login-failure-limit", "1000000000"])
        .args(["--login-address-failure-limit", "1000000000"])
        .args(["--login-name-failure-limit", "1000000000"])
        .arg("--data-dir")
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let (child, start) = spawn_and_wait(&mut command, addr).await?;
    Ok(RunningServer {
        child,
        addr,
        base: format!("http://{addr}/@api"),
        data_dir: dir,
        command,
        start,
    })
}

/// Spawns the server and measures its start: exec to the first `200` from `/health` (a bare
/// request on a raw socket, polled every millisecond, so that the probe adds nothing to what it
/// measures), then its memory half a second later.
async fn spawn_and_wait(command: &mut Command, addr: SocketAddr) -> Result<(Child, Start)> {
    let started = Instant::now();
    let mut child = command.spawn()?;
    let probe = load::request("GET", "/@api/health", "127.0.0.1", None, None);
    let first_answer = loop {
        if load::once(addr, &probe).await.is_ok_and(|status| status == 200) {
            break started.elapsed();
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            bail!("the server did not answer within 60 s");
        }
        if let Some(status) = child.try_wait()? {
            bail!("the server exited at start ({status})");
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start = Start {
        first_answer,
        idle_rss_kib: rss_kib(child.id(), "VmRSS")?,
        idle_anon_kib: rss_kib(child.id(), "RssAnon")?,
    };
    Ok((child, start))
}

impl RunningServer {
    /// Stops the server (SIGTERM, as a service manager would) and starts it again on the same
    /// data: the start of every run after the first, with the admin and the key already made.
    async fn restart(&mut self) -> Result<Start> {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        self.child.wait()?;
        let (child, start) = spawn_and_wait(&mut self.command, self.addr).await?;
        self.child = child;
        Ok(start)
    }
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

/// The admin's password and a bearer token for it.
async fn log_in(client: &reqwest::Client, server: &RunningServer) -> Result<(String, String)> {
    let password = std::fs::read_to_string(server.data_dir.path().join("initial-admin-password"))?;
    let password = password.trim().to_string();
    let login: serde_json::Value = client
        .post(format!("{}/tokens", server.base))
        .basic_auth("admin", Some(&password))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = login["id"].as_str().context("login answered no token")?.to_string();
    Ok((password, token))
}

fn basic(password: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{password}"))
    )
}

/// The rows for one server: `/health`, the token-checked read, one-app reads, the lists, a
/// write and a login; with `flood`, the token-checked read again during a login flood.
/// Returns the rows and the token-checked read (for the `wrk` check).
async fn bench_server(
    server: &RunningServer,
    setting: &str,
    flood: bool,
    options: &BenchOptions,
) -> Result<(Vec<Row>, Operation)> {
    let client = reqwest::Client::new();
    let (password, token) = log_in(&client, server).await?;
    let bearer = format!("Bearer {token}");
    // A job to poll: the first write.
    let job = client
        .post(format!("{}/envs", server.base))
        .header("authorization", &bearer)
        .json(&serde_json::json!({"data": {"type": "envs", "attributes": {"app_id": "app-001", "key": "K", "value": "v"}}}))
        .send()
        .await?
        .error_for_status()?;
    let job_path = job
        .headers()
        .get("content-location")
        .and_then(|v| v.to_str().ok())
        .context("a 202 without Content-Location")?
        .to_string();
    let get = |name, path: &str| Operation {
        name,
        method: "GET",
        path: format!("/@api{path}"),
        authorization: bearer.clone(),
        body: None,
    };
    let token_read = Operation { path: job_path, ..get("getQueueJob (token check only)", "") };
    let operations = [
        Operation { authorization: String::new(), ..get("health (no token, no Dokku)", "/health") },
        Operation { path: token_read.path.clone(), ..get(token_read.name, "") },
        get("getEnvForApp", "/apps/app-000/envs"),
        get("getDomainsForApp", "/apps/app-000/domains"),
        get("getFormationsForApp", "/apps/app-000/formations"),
        get("getApps (100 apps)", "/apps"),
        get("getServices (20 services)", "/services"),
        Operation {
            method: "POST",
            body: Some(
                serde_json::json!({"data": {"type": "envs", "attributes": {"app_id": "app-002", "key": "BENCH", "value": "1"}}})
                    .to_string(),
            ),
            ..get("addEnv (202 + job)", "/envs")
        },
        Operation {
            method: "POST",
            authorization: basic(&password),
            ..get("login (POST /tokens, right password)", "/tokens")
        },
    ];
    let mut rows = Vec::new();
    for op in &operations {
        rows.push(measure(server, &client, setting, op, options, false).await?);
    }
    if flood {
        let op = Operation {
            path: token_read.path.clone(),
            ..get("getQueueJob during a login flood", "")
        };
        rows.push(measure(server, &client, setting, &op, options, true).await?);
    }
    Ok((rows, token_read))
}

/// Drives `op` for the configured time and makes its row.
async fn measure(
    server: &RunningServer,
    client: &reqwest::Client,
    setting: &str,
    op: &Operation,
    options: &BenchOptions,
    flood: bool,
) -> Result<Row> {
    let flood = flood.then(|| flood_logins(&server.base, options.seconds_per_operation));
    let before = dokku_commands(client, &server.base).await?;
    let request = load::request(
        op.method,
        &op.path,
        "127.0.0.1",
        (!op.authorization.is_empty()).then_some(op.authorization.as_str()),
        op.body.as_deref(),
    );
    let outcome = tokio::task::block_in_place(|| {
        load::run(
            server.addr,
            request,
            options.connections,
            Duration::from_secs(options.seconds_per_operation),
            |status| (200..300).contains(&status),
        )
    })?;
    let after = dokku_commands(client, &server.base).await?;
    if let Some(flood) = flood {
        let (refused, shed) = flood.await?;
        eprintln!(
            "  login flood ({FLOOD_CLIENTS} clients): {refused} answered 401, {shed} shed with 429"
        );
    }
    let mut sorted = outcome.latencies_us.clone();
    sorted.sort_unstable();
    Ok(Row {
        setting: setting.to_string(),
        name: op.name,
        requests: outcome.requests(),
        errors: outcome.errors,
        rps: outcome.rps(),
        p50: load::quantile(&sorted, 0.50),
        p99: load::quantile(&sorted, 0.99),
        p999: load::quantile(&sorted, 0.999),
        // The metrics reads themselves cost no Dokku call.
        invocations_per_request: after.saturating_sub(before) as f64
            / outcome.requests().max(1) as f64,
        peak_rss_kib: rss_kib(server.child.id(), "VmHWM")?,
    })
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

/// What an independent client measures for the token-checked read: `wrk` with one thread and the
/// same connections. `None` when `wrk` is not installed.
struct Wrk {
    rps: f64,
    ours_rps: f64,
}

fn wrk_check(
    server: &RunningServer,
    op: &Operation,
    options: &BenchOptions,
) -> Result<Option<Wrk>> {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("wrk is not installed (apt-get install wrk): no independent check");
        return Ok(None);
    }
    let duration = Duration::from_secs(options.seconds_per_operation);
    // Ours first, right before wrk, so that both see the same server state.
    let ours = load::run(
        server.addr,
        load::request("GET", &op.path, "127.0.0.1", Some(&op.authorization), None),
        options.connections,
        duration,
        |status| status == 200,
    )?;
    let out = Command::new("wrk")
        .args(["-t1", "-c", &options.connections.to_string()])
        .args(["-d", &format!("{}s", options.seconds_per_operation)])
        .args(["-H", &format!("Authorization: {}", op.authorization)])
        .arg(format!("http://{}{}", server.addr, op.path))
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .with_context(|| format!("wrk printed no Requests/sec: {text}"))?;
    if text.contains("Non-2xx") {
        bail!("wrk saw errors: {text}");
    }
    Ok(Some(Wrk { rps, ours_rps: ours.rps() }))
}

/// The bare command the SSH reads are built on, timed on its own.
struct BareSsh {
    p50: Duration,
    api_p50: Duration,
}

/// The one-app reads over the SSH executor against the real Dokku of the test environment
/// (`ssh_config` has its `real-dokku` host), one connection at a time so that every request is
/// one Dokku call; and `ssh ... config:export` through one master connection, as the server
/// holds it, for the same number of rounds.
async fn bench_real_dokku(
    binary: &Path,
    ssh_config: &Path,
    options: &BenchOptions,
) -> Result<(Vec<Row>, BareSsh)> {
    let text = std::fs::read_to_string(ssh_config)
        .with_context(|| format!("reading {}", ssh_config.display()))?;
    let field = |name: &str| {
        text.split("Host ")
            .find(|block| block.starts_with("real-dokku\n"))
            .and_then(|block| {
                block
                    .lines()
                    .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_string()))
            })
            .with_context(|| format!("{} has no {name} for Host real-dokku", ssh_config.display()))
    };
    let (host, port) = (field("HostName")?, field("Port")?);
    let (identity, known_hosts) = (field("IdentityFile")?, field("UserKnownHostsFile")?);
    let app = format!("bench-{}", std::process::id());
    let ssh = |args: &[&str]| -> Result<std::process::Output> {
        Ok(Command::new("ssh")
            .arg("-F")
            .arg(ssh_config)
            .args(["-o", "BatchMode=yes", "real-dokku", "--"])
            .args(args)
            .stdin(Stdio::null())
            .output()?)
    };
    let created = ssh(&["apps:create", &app])?;
    if !created.status.success() {
        bail!("apps:create on the real Dokku: {}", String::from_utf8_lossy(&created.stderr));
    }
    let result = async {
        ssh(&["config:set", "--no-restart", &app, "A=1", "B=two"])?;
        ssh(&["domains:add", &app, "bench.example.com"])?;
        let dir = tempfile::tempdir()?;
        let mut command = Command::new(binary);
        command
            .args(["serve", "--host-kind", "ssh", "--ssh-host", &host, "--ssh-port", &port])
            .args(["--ssh-user", "dokku", "--ssh-identity-file", &identity])
            .args(["--ssh-known-hosts", &known_hosts]);
        let server = start_server(command, dir).await?;
        let client = reqwest::Client::new();
        let (_, token) = log_in(&client, &server).await?;
        let bearer = format!("Bearer {token}");
        let one = BenchOptions {
            connections: 1,
            real_dokku: None,
            write_markdown: None,
            latencies_ms: vec![],
            ..*options
        };
        let mut rows = Vec::new();
        for (name, path) in [
            ("getEnvForApp", format!("/@api/apps/{app}/envs")),
            ("getDomainsForApp", format!("/@api/apps/{app}/domains")),
        ] {
            let op =
                Operation { name, method: "GET", path, authorization: bearer.clone(), body: None };
            rows.push(
                measure(&server, &client, "real Dokku over SSH, 1 connection", &op, &one, false)
                    .await?,
            );
        }
        // The bare command through a master connection held open for the whole loop.
        let control = tempfile::tempdir()?;
        let control_path = control.path().join("master");
        let master = |extra: &[&str]| {
            let mut c = Command::new("ssh");
            c.arg("-F")
                .arg(ssh_config)
                .args([
                    "-o",
                    "BatchMode=yes",
                    "-o",
                    "ControlMaster=auto",
                    "-o",
                    "ControlPersist=60",
                ])
                .arg("-o")
                .arg(format!("ControlPath={}", control_path.display()))
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            c
        };
        master(&["real-dokku", "--", "version"]).status()?;
        let mut bare = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(options.seconds_per_operation);
        while Instant::now() < deadline {
            let sent = Instant::now();
            if master(&["real-dokku", "--", "config:export", &app]).status()?.success() {
                bare.push(sent.elapsed().as_micros() as u32);
            }
        }
        let _ = master(&["-O", "exit", "real-dokku"]).status();
        bare.sort_unstable();
        let api_p50 = rows[0].p50;
        Ok::<_, anyhow::Error>((rows, BareSsh { p50: load::quantile(&bare, 0.5), api_p50 }))
    }
    .await;
    let _ = ssh(&["--force", "apps:destroy", &app]);
    result
}

fn millis(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn render(
    rows: &[Row],
    starts: &[(String, Start)],
    ceiling: &load::Outcome,
    wrk: Option<Wrk>,
    ssh: Option<BareSsh>,
    options: &BenchOptions,
) -> String {
    let mut out = format!(
        "Closed loop: {} keep-alive connections (no pipelining), each sending its next request as \
         soon as the last is answered, {} s per row, from one client thread.\n\n",
        options.connections, options.seconds_per_operation
    );
    out.push_str(&format!(
        "The load generator's ceiling (the same connections against a server that answers every \
         request with a canned 200 and does nothing else): **{:.0} req/s**.\n\n",
        ceiling.rps()
    ));
    out.push_str(
        "| host | operation | requests | errors | req/s | p50 | p99 | p99.9 | Dokku calls/req | peak RSS |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.0} | {} | {} | {} | {:.2} | {} MiB |\n",
            r.setting,
            r.name,
            r.requests,
            r.errors,
            r.rps,
            millis(r.p50),
            millis(r.p99),
            millis(r.p999),
            r.invocations_per_request,
            r.peak_rss_kib / 1024,
        ));
    }
    for health in rows.iter().filter(|r| r.name.starts_with("health")) {
        let share = health.rps / ceiling.rps().max(1.0);
        let verdict = if share < 0.8 {
            "the server, not the client, sets the pace"
        } else {
            "close to the ceiling: the client may be what limits the cheapest rows"
        };
        out.push_str(&format!(
            "\nSelf-check ({}): `/health` ran at {:.0} % of the load generator's ceiling; {verdict}.\n",
            health.setting,
            100.0 * share
        ));
    }
    if let Some(wrk) = wrk {
        out.push_str(&format!(
            "\nIndependent check, token-checked read, simulated host at 0 ms: `wrk -t1 -c{}` \
             {:.0} req/s, this bench {:.0} req/s, back to back ({:+.0} %).\n",
            options.connections,
            wrk.rps,
            wrk.ours_rps,
            100.0 * (wrk.ours_rps - wrk.rps) / wrk.rps.max(1.0)
        ));
    }
    if let Some(ssh) = ssh {
        out.push_str(&format!(
            "\nReal Dokku over SSH: the bare `ssh ... config:export` through a master connection \
             takes {} (p50); `GET /apps/{{app}}/envs`, which runs that command, takes {}: the \
             server's own cost over the bare command is {:+.2} ms.\n",
            millis(ssh.p50),
            millis(ssh.api_p50),
            (ssh.api_p50.as_secs_f64() - ssh.p50.as_secs_f64()) * 1000.0
        ));
    }
    out.push_str(
        "\n| start | exec to first answer | idle RSS | of which private (anonymous) |\n\
         |---|---:|---:|---:|\n",
    );
    for (setting, s) in starts {
        out.push_str(&format!(
            "| {setting} | {:.0} ms | {:.1} MiB | {:.1} MiB |\n",
            s.first_answer.as_secs_f64() * 1000.0,
            s.idle_rss_kib as f64 / 1024.0,
            s.idle_anon_kib as f64 / 1024.0
        ));
    }
    out
}

fn markdown(table: &str, options: &BenchOptions) -> Result<String> {
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
    let real = if options.real_dokku.is_some() { " --real-dokku" } else { "" };
    Ok(format!(
        "# Benchmarks\n\nMeasured by `cargo xtask bench --connections {} --seconds {}{real} --write \
         BENCHMARKS.md` (release build; \"sim, N ms\" is the simulated Dokku host taking N ms per \
         command). Machine: {cores} cores, {cpu}; server and load generator share it.\n\n{table}",
        options.connections, options.seconds_per_operation
    ))
}
