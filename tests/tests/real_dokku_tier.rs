//! The real-Dokku tier: all 54 operations of the seed against the real Dokku 0.38.27 of the test
//! environment, twice: through the server's SSH executor (the server in this process, over
//! SSH to the chroot), and through the local host kind (the `dokku-pro-api` binary cargo built,
//! run inside the chroot as the `dokku` user, root-only commands through `sudo` and the sudoers
//! rule the Debian package ships). Both walk the same [`walk`].
//!
//! Every response is checked against the contract (the seed's schema, and the served document's
//! for the statuses only it documents), and every change is read back from Dokku with a plain
//! `ssh` command: env values byte for byte with `config:export --format json`, the nginx include
//! the http-auth plugin renders after every user change, `DATABASE_URL` after a link, ... The
//! walk ends by checking that it reached every operation of the seed, each with a success except
//! the two that need Docker (`addService`, `deleteService`), which must answer Dokku's failure as
//! an error in the envelope.
//!
//! Not covered here, because the chroot has no Docker: creating and destroying a service
//! successfully, and a background job that deploys (the apps here are never deployed, so the
//! `ps:restart`/`ps:rebuild` jobs complete at once, as they do on a real host).
//!
//! Without the real Dokku these skip loudly; `DOKKU_REAL_REQUIRED=1` (set by `.ci/run`) makes
//! them fail instead (see the tests crate's `real_dokku` module). The local host kind needs root
//! (it enters the chroot) and an up-to-date debug build of the server binary (`cargo build -p
//! dokku-pro-server --bin dokku-pro-api`; `cargo test --workspace` builds it).
//!
//! The chroot is shared: every name starts with `ci-` and is unique to the run, and what a walk
//! creates is removed when it ends, also when it fails.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use dokku_pro_tests::contract::{Contract, load_seed};
use dokku_pro_tests::harness::{RawResponse, TestServer, base64_encode, http_request};
use dokku_pro_tests::real_dokku::{self, RealDokku};
use dokku_pro_tests::sandbox::{Sandboxed, free_port, is_root, quote};
use serde_json::{Value, json};

/// The operations that need Docker on the host: walked, but only as Dokku's failure.
const NEED_DOCKER: [&str; 2] = ["addService", "deleteService"];

/// `ssh-keys:add` and `ssh-keys:remove` rewrite `authorized_keys` without a lock: the two walks
/// of this binary take turns.
static SSH_KEYS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A client of a running server that checks every response against the contract and records
/// which operation answered what.
struct Api {
    addr: SocketAddr,
    bearer: String,
    password: String,
    contract: Contract,
    violations: Mutex<Vec<String>>,
    seen: Mutex<BTreeMap<String, BTreeSet<u16>>>,
    /// How long each request took, for the slowest ones in the log.
    timings: Mutex<Vec<(Duration, String)>>,
}

impl Api {
    /// Logs in as admin with the password (`login`, 201).
    async fn login(addr: SocketAddr, password: &str) -> Api {
        let mut api = Api {
            addr,
            bearer: String::new(),
            password: password.to_string(),
            contract: Contract::load(),
            violations: Mutex::new(Vec::new()),
            seen: Mutex::new(BTreeMap::new()),
            timings: Mutex::new(Vec::new()),
        };
        let token = api.new_token().await;
        api.bearer = format!("Bearer {token}");
        api
    }

    /// A new access token for admin (`POST /tokens` with the password).
    async fn new_token(&self) -> String {
        let basic =
            format!("Basic {}", base64_encode(format!("admin:{}", self.password).as_bytes()));
        let r = self.send("POST", "/@api/tokens", &[("authorization", &basic)], b"").await;
        assert_eq!(r.status, 201, "login: {}", r.text());
        r.json()["id"].as_str().expect("the token").to_string()
    }

    /// Sends a request and checks the response against the contract.
    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> RawResponse {
        let started = Instant::now();
        let r = http_request(self.addr, method, path, headers, body).await;
        let took = started.elapsed();
        self.timings.lock().unwrap().push((took, format!("{method} {path} {}", r.status)));
        let path_only = path.split_once('?').map_or(path, |(p, _)| p);
        let route = self.contract.route(method, path_only);
        if let Some(route) = route {
            let mut seen = self.seen.lock().unwrap();
            seen.entry(route.operation_id.clone()).or_default().insert(r.status);
        }
        if let Err(e) = self.contract.check(route, r.status, &r.headers, &r.body) {
            self.violations.lock().unwrap().push(format!("{method} {path}: {e}"));
        }
        r
    }

    /// A JSON request as admin.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> RawResponse {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let headers =
            [("authorization", self.bearer.as_str()), ("content-type", "application/json")];
        self.send(method, path, &headers, body.as_bytes()).await
    }

    /// Calls and expects `status`; returns the JSON body (`null` when there is none).
    async fn expect(&self, status: u16, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = self.call(method, path, body).await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.text());
        if r.body.is_empty() { Value::Null } else { r.json() }
    }

    /// Calls and expects an error with `status`; returns its title.
    async fn refused(&self, status: u16, method: &str, path: &str, body: Option<Value>) -> String {
        let r = self.call(method, path, body).await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.text());
        r.error_title()
    }

    /// A `202` operation: expects 202 and returns the job's location.
    async fn accepted(&self, method: &str, path: &str, body: Option<Value>) -> String {
        let r = self.call(method, path, body).await;
        assert_eq!(r.status, 202, "{method} {path}: {}", r.text());
        let location = r.header("content-location").expect("a 202 names its job").to_string();
        assert!(location.starts_with("/@api/queueJobs/"), "{location}");
        location
    }

    /// Waits until the job at `location` has ended (`getQueueJob`); it must have completed.
    async fn settle(&self, location: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let job = self.expect(200, "GET", location, None).await;
            match job["data"]["attributes"]["state"].as_str() {
                Some("completed") => return job,
                Some("failed") => panic!("the job {location} failed: {job}"),
                _ => {}
            }
            assert!(Instant::now() < deadline, "the job {location} did not end: {job}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A `202` operation whose job must complete.
    async fn applied(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let location = self.accepted(method, path, body).await;
        self.settle(&location).await
    }

    /// Fails on any response that broke the contract, and unless every operation of the seed
    /// was reached: with a success, or for [`NEED_DOCKER`], with an error.
    fn finish(self) {
        let mut timings = self.timings.into_inner().unwrap();
        let total: Duration = timings.iter().map(|(d, _)| *d).sum();
        timings.sort_by_key(|t| std::cmp::Reverse(t.0));
        eprintln!("{} requests, {:.1} s in all; the slowest:", timings.len(), total.as_secs_f64());
        for (took, what) in timings.iter().take(12) {
            eprintln!("  {:6.2} s  {what}", took.as_secs_f64());
        }
        let violations = self.violations.into_inner().unwrap();
        assert!(
            violations.is_empty(),
            "responses that break the contract:\n{}",
            violations.join("\n")
        );
        let seen = self.seen.into_inner().unwrap();
        let seed = load_seed();
        let mut operations = Vec::new();
        for item in seed["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                operations.push(op["operationId"].as_str().unwrap().to_string());
            }
        }
        assert_eq!(operations.len(), 54);
        let mut missing = Vec::new();
        for op in &operations {
            let statuses = seen.get(op).cloned().unwrap_or_default();
            let ok = if NEED_DOCKER.contains(&op.as_str()) {
                statuses.iter().any(|s| *s >= 400)
            } else {
                statuses.iter().any(|s| (200..300).contains(s))
            };
            if !ok {
                missing.push(format!("{op} ({statuses:?})"));
            }
        }
        assert!(missing.is_empty(), "operations the walk did not reach as it should: {missing:?}");
    }
}

/// A path segment, percent-encoded as a client would (`/`, `:` kept readable where allowed).
fn segment(id: &str) -> String {
    let mut out = String::new();
    for b in id.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Values that must reach Dokku's stored state byte for byte. Env values travel on stdin, so
/// nothing is refused: quotes, command substitutions, newlines, `--` words, ...
fn hostile_values() -> Vec<String> {
    [
        "it's a \"quoted\" value",
        "$(touch /tmp/ci-tier-pwned) `touch /tmp/ci-tier-pwned` ; touch /tmp/ci-tier-pwned",
        "line one\nline two\n",
        "crlf\r\nand a lone\rreturn",
        "ünïcödé ✓ 🚀 日本語",
        "a --trace --app other b",
        "-n",
        "--force",
        "tab\there  and  spaces ",
        "back\\slash \\n not a newline",
        "KEY=value\nexport EVIL=1",
        "'; echo pwned; '",
        "%s %n {{ .Env }} ${HOME}",
        "",
    ]
    .into_iter()
    .map(String::from)
    .chain(std::iter::once("x".repeat(4096)))
    .collect()
}

/// `ssh real-dokku-root -- <shell>` with `input` on stdin.
fn root_with_input(real: &RealDokku, shell: &str, input: &[u8]) -> Output {
    let mut child = real
        .ssh("real-dokku-root")
        .arg("--")
        .arg(shell)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssh runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn root_ok(real: &RealDokku, shell: &str) -> String {
    let out = real.root(shell);
    assert!(out.status.success(), "as root: {shell}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn dokku_json(real: &RealDokku, args: &[&str]) -> Value {
    let text = real.dokku_ok(args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("dokku {args:?}: not JSON ({e}): {text}"))
}

/// What the http-auth plugin left for an app: its nginx include (`None` when auth is off), and
/// the user names in its `htpasswd` with their hashes. One root `ssh`.
struct NginxAuth {
    include: Option<String>,
    htpasswd: BTreeMap<String, String>,
}

fn nginx_auth(real: &RealDokku, app: &str) -> NginxAuth {
    let dir = format!("/home/dokku/{app}");
    let text = root_ok(
        real,
        &format!(
            "if [ -f {dir}/nginx.conf.d/http-auth.conf ]; then echo present; \
             cat {dir}/nginx.conf.d/http-auth.conf; else echo absent; fi; \
             echo '=====htpasswd'; cat {dir}/htpasswd 2>/dev/null || true"
        ),
    );
    let (include, htpasswd) = text.split_once("=====htpasswd\n").expect("the marker");
    let include = match include.strip_prefix("present\n") {
        Some(text) => Some(text.to_string()),
        None => {
            assert_eq!(include, "absent\n");
            None
        }
    };
    let htpasswd = htpasswd
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (user, hash) = l.split_once(':').expect("user:hash");
            (user.to_string(), hash.to_string())
        })
        .collect();
    NginxAuth { include, htpasswd }
}

/// Whether `hash` (an htpasswd `$6$salt$...` line) is of `password`: `mkpasswd` in the chroot,
/// with the password on stdin.
fn hash_is_of(real: &RealDokku, hash: &str, password: &str) -> bool {
    let salt = hash.strip_prefix("$6$").and_then(|r| r.split('$').next()).expect("a sha-512 hash");
    let out = root_with_input(
        real,
        &format!("mkpasswd -m sha-512 -S {salt} -s"),
        format!("{password}\n").as_bytes(),
    );
    assert!(out.status.success(), "mkpasswd: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim() == hash
}

/// Reads what the API reports of an app's http-auth (enabled, users, allowed addresses) and
/// proves that the nginx include and `htpasswd` the real plugin wrote say the same: nginx
/// enforces exactly what the API reports.
async fn assert_nginx_enforces_the_report(api: &Api, real: &RealDokku, app: &str) -> NginxAuth {
    // The three reads at once: the server answers them with one `http-auth:report` (single
    // flight), and the files are read meanwhile.
    let files = tokio::task::spawn_blocking({
        let (real, app) = (real.clone(), app.to_string());
        move || nginx_auth(&real, &app)
    });
    let paths =
        ["httpAuth", "httpAuthUsers", "httpAuthIPs"].map(|p| format!("/@api/apps/{app}/{p}"));
    let (auth, users, ips) = tokio::join!(
        api.expect(200, "GET", &paths[0], None),
        api.expect(200, "GET", &paths[1], None),
        api.expect(200, "GET", &paths[2], None),
    );
    let enabled = auth["data"][0]["attributes"]["auth_enabled"].as_bool().expect("auth_enabled");
    let users: BTreeSet<String> = users["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            assert!(u["attributes"].get("password").is_none(), "a password was echoed: {u}");
            u["attributes"]["username"].as_str().unwrap().to_string()
        })
        .collect();
    let ips: Vec<String> = ips["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["attributes"]["ip_address"].as_str().unwrap().to_string())
        .collect();

    let state = files.await.expect("reading the files");
    let stored: BTreeSet<String> = state.htpasswd.keys().cloned().collect();
    assert_eq!(stored, users, "htpasswd holds the users the API reports");
    match &state.include {
        None => assert!(!enabled, "the API reports auth enabled, but nginx has no include"),
        Some(include) => {
            assert!(enabled, "the API reports auth disabled, but nginx enforces:\n{include}");
            let lines: Vec<&str> =
                include.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
            let mut expected: Vec<String> = Vec::new();
            if !ips.is_empty() {
                expected.push("satisfy any;".into());
                expected.extend(ips.iter().map(|ip| format!("allow {ip};")));
                expected.push("deny all;".into());
            }
            if !users.is_empty() {
                expected.push("auth_basic           \"Restricted\";".into());
                expected.push(format!("auth_basic_user_file /home/dokku/{app}/htpasswd;"));
            }
            assert_eq!(
                lines, expected,
                "the include nginx reads, for the reported {users:?} {ips:?}"
            );
        }
    }
    state
}

/// What a walk creates on the shared Dokku, removed when dropped (also when the walk fails).
struct Leftovers {
    real: RealDokku,
    app: String,
    service: String,
    key: String,
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        if self.real.dokku(&["apps:exists", &self.app]).status.success() {
            let _ = self.real.dokku(&["--force", "apps:destroy", &self.app]);
        }
        let _ = self.real.root(&format!(
            "rm -rf /var/lib/dokku/services/postgres/{0} /var/lib/dokku/config/postgres/{0}; \
             if grep -q 'NAME=\"{1}\"' /home/dokku/.ssh/authorized_keys; then \
             dokku ssh-keys:remove {1} >/dev/null 2>&1; fi",
            self.service, self.key
        ));
    }
}

/// The real-dokku folder (`DOKKU_REAL_DIR`, as `.ci/run` sets it; default `../shared/real-dokku`
/// beside the workspace).
fn real_dokku_dir() -> PathBuf {
    std::env::var_os("DOKKU_REAL_DIR").map_or_else(
        || dokku_pro_tests::workspace_root().join("../shared/real-dokku"),
        PathBuf::from,
    )
}

/// A postgres service as `postgres:create` would leave it, written by the real-dokku folder's
/// `seed-postgres.sh` run as root in the chroot (no Docker there to create one).
fn seed_postgres(real: &RealDokku, name: &str) {
    let script_path = real_dokku_dir().join("seed-postgres.sh");
    let script = std::fs::read(&script_path).unwrap_or_else(|e| {
        panic!("{} ({e}): set DOKKU_REAL_DIR to the real-dokku folder", script_path.display())
    });
    let out = root_with_input(real, &format!("DOKKU_CHROOT=/ bash -s {}", quote(name)), &script);
    assert!(out.status.success(), "seeding {name}: {}", String::from_utf8_lossy(&out.stderr));
}

/// Walks every operation of the seed against `real` through the server behind `api`, reading
/// every change back from Dokku. `tag` makes the names of this walk (`ssh`, `local`).
async fn walk(api: Arc<Api>, real: &RealDokku, tag: &str) {
    let app = RealDokku::unique_name(tag);
    let service = RealDokku::unique_name(&format!("{tag}db"));
    let key = RealDokku::unique_name(&format!("{tag}key"));
    let _leftovers = Leftovers {
        real: real.clone(),
        app: app.clone(),
        service: service.clone(),
        key: key.clone(),
    };
    let started = Instant::now();
    let lap = move |what: &str| {
        eprintln!("[{tag}] {what}: {:.1} s", started.elapsed().as_secs_f64());
    };

    walk_tokens(&api).await;
    walk_apps(&api, real, &app).await;
    lap("apps");
    // Before anything else changes the app's env (the first domain turns vhosts on, which
    // unsets NO_VHOST), so that the API's list and Dokku's export can be compared whole.
    walk_envs(&api, real, &app).await;
    lap("envs");

    // Two chains at once (Dokku commands are slow; the server serialises the app's changes
    // itself, with its lock): what regenerates nginx config, and the rest.
    let nginx = tokio::spawn({
        let (api, real, app, tag) = (api.clone(), real.clone(), app.clone(), tag.to_string());
        async move {
            walk_domains(&api, &real, &app).await;
            eprintln!("[{tag}] domains: {:.1} s", started.elapsed().as_secs_f64());
            walk_http_auth(&api, &real, &app).await;
            eprintln!("[{tag}] http-auth: {:.1} s", started.elapsed().as_secs_f64());
            walk_maintenance(&api, &real, &app).await;
            eprintln!("[{tag}] maintenance: {:.1} s", started.elapsed().as_secs_f64());
        }
    });
    let rest = tokio::spawn({
        let (api, real, app, tag) = (api.clone(), real.clone(), app.clone(), tag.to_string());
        async move {
            walk_buildpacks(&api, &real, &app).await;
            walk_builders_and_schedulers(&api, &real, &app).await;
            walk_formations_and_resources(&api, &real, &app).await;
            eprintln!("[{tag}] buildpacks to resources: {:.1} s", started.elapsed().as_secs_f64());
            walk_services(&api, &real, &app, &service).await;
            eprintln!("[{tag}] services: {:.1} s", started.elapsed().as_secs_f64());
            walk_ssh_keys(&api, &real, &key).await;
            eprintln!("[{tag}] ssh keys: {:.1} s", started.elapsed().as_secs_f64());
        }
    });
    for chain in [nginx, rest] {
        if let Err(e) = chain.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }

    // The app's jobs (an addition to the seed), then the app goes.
    let jobs = api.expect(200, "GET", &format!("/@api/queueJobs?app={app}"), None).await;
    let jobs = jobs["data"].as_array().unwrap();
    assert!(!jobs.is_empty(), "the walk queued jobs");
    assert!(jobs.iter().all(|j| j["attributes"]["state"] == "completed"), "{jobs:?}");
    api.expect(204, "DELETE", &format!("/@api/apps/{app}"), None).await;
    assert_eq!(real.dokku(&["apps:exists", &app]).status.code(), Some(20), "the app is gone");
    api.refused(404, "GET", &format!("/@api/apps/{app}"), None).await;
    lap("app deleted");
}

/// `login` and `logout`: a second token works, then is revoked.
async fn walk_tokens(api: &Api) {
    let token = api.new_token().await;
    let bearer = format!("Bearer {token}");
    let r = api.send("GET", "/@api/apps", &[("authorization", &bearer)], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = api.send("DELETE", &format!("/@api/tokens/{token}"), &[], b"").await;
    assert_eq!(r.status, 204, "{}", r.text());
    let r = api.send("GET", "/@api/apps", &[("authorization", &bearer)], b"").await;
    assert_eq!(r.status, 401, "a revoked token: {}", r.text());
}

async fn walk_apps(api: &Api, real: &RealDokku, app: &str) {
    let created = api
        .expect(201, "POST", "/@api/apps", Some(json!({"data": {"type": "apps", "id": app}})))
        .await;
    assert_eq!(created["data"]["id"], app);
    assert_eq!(real.dokku(&["apps:exists", app]).status.code(), Some(0));
    let title = api
        .refused(409, "POST", "/@api/apps", Some(json!({"data": {"type": "apps", "id": app}})))
        .await;
    assert!(title.contains("already"), "{title}");

    let listed = api.expect(200, "GET", "/@api/apps", None).await;
    let ids: BTreeSet<&str> =
        listed["data"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    let on_dokku: BTreeSet<String> = dokku_json(real, &["apps:list", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            a.as_str().map(String::from).unwrap_or_else(|| a["name"].as_str().unwrap().to_string())
        })
        .collect();
    assert!(ids.contains(app), "{listed}");
    // Other tests may create or destroy apps meanwhile: ours is on both lists.
    assert!(on_dokku.contains(app), "{on_dokku:?}");

    let one = api.expect(200, "GET", &format!("/@api/apps/{app}"), None).await;
    assert_eq!(one["data"]["attributes"]["locked"], false);
    for locked in [true, false] {
        let body = json!({"data": {"type": "apps", "id": app, "attributes": {"locked": locked}}});
        let r = api.expect(200, "PATCH", &format!("/@api/apps/{app}"), Some(body)).await;
        assert_eq!(r["data"]["attributes"]["locked"], locked);
        // `apps:locked` exits 0 when the app is locked.
        assert_eq!(real.dokku(&["apps:locked", app]).status.success(), locked);
        let one = api.expect(200, "GET", &format!("/@api/apps/{app}"), None).await;
        assert_eq!(one["data"]["attributes"]["locked"], locked);
    }
    api.refused(404, "GET", "/@api/apps/ci-no-such-app-here", None).await;
}

async fn walk_envs(api: &Api, real: &RealDokku, app: &str) {
    let values = hostile_values();
    let mut last = String::new();
    for (i, value) in values.iter().enumerate() {
        let body = json!({"data": {"type": "envs", "attributes": {
            "app_id": app, "key": format!("K{i}"), "value": value}}});
        last = api.accepted("POST", "/@api/envs", Some(body)).await;
    }
    api.settle(&last).await;
    let exported = dokku_json(real, &["config:export", "--format", "json", app]);
    for (i, value) in values.iter().enumerate() {
        assert_eq!(
            exported[format!("K{i}")].as_str(),
            Some(value.as_str()),
            "K{i} as Dokku has it"
        );
    }
    let pwned = real.root("test -e /tmp/ci-tier-pwned");
    assert!(!pwned.status.success(), "a value was run as a command");
    let listed = api.expect(200, "GET", &format!("/@api/apps/{app}/envs"), None).await;
    let listed: BTreeMap<String, String> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["attributes"]["app_id"], app);
            let key = e["attributes"]["key"].as_str().unwrap().to_string();
            assert_eq!(e["id"], format!("{app}:{key}"));
            (key, e["attributes"]["value"].as_str().unwrap().to_string())
        })
        .collect();
    let on_dokku: BTreeMap<String, String> = exported
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
        .collect();
    assert_eq!(listed, on_dokku, "the API lists what Dokku has, byte for byte");

    // A new value for a key replaces it.
    let body = json!({"data": {"type": "envs", "attributes": {"app_id": app, "key": "K0", "value": "replaced"}}});
    api.applied("POST", "/@api/envs", Some(body)).await;
    assert_eq!(real.dokku_ok(&["config:get", app, "K0"]), "replaced\n");

    let job =
        api.applied("DELETE", &format!("/@api/envs/{}", segment(&format!("{app}:K0"))), None).await;
    assert_eq!(job["data"]["attributes"]["command"], json!(["dokku", "ps:restart", app]), "{job}");
    let gone = real.dokku(&["config:get", app, "K0"]);
    assert!(!gone.status.success() && gone.stdout.is_empty(), "K0 is unset on Dokku");
    api.refused(404, "DELETE", &format!("/@api/envs/{app}:K0"), None).await;
    // Keys are names, refused before Dokku when they are not.
    let body = json!({"data": {"attributes": {"app_id": app, "key": "A B", "value": "x"}}});
    api.refused(400, "POST", "/@api/envs", Some(body)).await;
}

fn vhosts(real: &RealDokku, app: &str) -> BTreeSet<String> {
    let report = dokku_json(real, &["domains:report", app, "--format", "json"]);
    report["app-vhosts"].as_str().unwrap().split_whitespace().map(String::from).collect()
}

async fn walk_domains(api: &Api, real: &RealDokku, app: &str) {
    let add = |domain: &str| json!({"data": {"type": "domains", "attributes": {"app_id": app, "domain": domain}}});
    // `a.b` and `axb`: Dokku removes a domain with a sed pattern where `.` is any character.
    // (Two domains only: every domain change regenerates the app's nginx config, seconds each.)
    let domains = ["a.b.example.com", "axb.example.com"];
    for domain in domains {
        let r = api.expect(201, "POST", "/@api/domains", Some(add(domain))).await;
        assert_eq!(r["data"]["id"], format!("{app}:{domain}"));
    }
    api.refused(409, "POST", "/@api/domains", Some(add("axb.example.com"))).await;
    api.refused(400, "POST", "/@api/domains", Some(add("bad domain;reboot"))).await;
    let expected: BTreeSet<String> = domains.iter().map(|d| d.to_string()).collect();
    assert_eq!(vhosts(real, app), expected);
    let listed = api.expect(200, "GET", &format!("/@api/apps/{app}/domains"), None).await;
    let listed: BTreeSet<String> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attributes"]["domain"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, expected);

    let path = |domain: &str| format!("/@api/domains/{}", segment(&format!("{app}:{domain}")));
    api.expect(204, "DELETE", &path("a.b.example.com"), None).await;
    assert_eq!(
        vhosts(real, app),
        BTreeSet::from(["axb.example.com".to_string()]),
        "only that one went"
    );
    api.refused(404, "DELETE", &path("a.b.example.com"), None).await;
    api.expect(204, "DELETE", &path("axb.example.com"), None).await;
    assert!(vhosts(real, app).is_empty());
}

fn buildpacks_on_dokku(real: &RealDokku, app: &str) -> Vec<String> {
    let report = dokku_json(real, &["buildpacks:report", app, "--format", "json"]);
    let list = report["list"].as_str().unwrap();
    list.split(',').filter(|s| !s.is_empty()).map(String::from).collect()
}

async fn walk_buildpacks(api: &Api, real: &RealDokku, app: &str) {
    let node = "https://github.com/heroku/heroku-buildpack-nodejs.git#v1.2.3";
    let body = |buildpack: &str, position: Option<i64>| {
        let mut attributes = json!({"app_id": app, "buildpack": buildpack});
        if let Some(p) = position {
            attributes["position"] = json!(p);
        }
        json!({"data": {"type": "buildpacks", "attributes": attributes}})
    };
    api.accepted("POST", "/@api/buildpacks", Some(body(node, None))).await;
    let location =
        api.accepted("POST", "/@api/buildpacks", Some(body("heroku/ruby", Some(1)))).await;
    let job = api.settle(&location).await;
    assert_eq!(job["data"]["attributes"]["command"], json!(["dokku", "ps:rebuild", app]), "{job}");
    let ruby = "https://github.com/heroku/heroku-buildpack-ruby.git";
    assert_eq!(buildpacks_on_dokku(real, app), [ruby, node], "the shorthand as Dokku stores it");
    let listed = api.expect(200, "GET", &format!("/@api/apps/{app}/buildpacks"), None).await;
    let listed: Vec<(String, i64)> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let a = &b["attributes"];
            (a["buildpack"].as_str().unwrap().to_string(), a["position"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(listed, [(ruby.to_string(), 1), (node.to_string(), 2)]);
    let title = api.refused(409, "POST", "/@api/buildpacks", Some(body("heroku/ruby", None))).await;
    assert!(!title.is_empty());
    api.refused(400, "POST", "/@api/buildpacks", Some(body("https://x.example/a;reboot", None)))
        .await;

    api.applied(
        "DELETE",
        &format!("/@api/buildpacks/{}", segment(&format!("{app}:heroku/ruby"))),
        None,
    )
    .await;
    assert_eq!(buildpacks_on_dokku(real, app), [node]);
    api.applied("DELETE", &format!("/@api/buildpacks/{}", segment(&format!("{app}:{node}"))), None)
        .await;
    assert!(buildpacks_on_dokku(real, app).is_empty());
    api.refused(
        404,
        "DELETE",
        &format!("/@api/buildpacks/{}", segment(&format!("{app}:{node}"))),
        None,
    )
    .await;
}

/// The enabled plugins named `<prefix>-*`, without the prefix.
fn plugins_named(real: &RealDokku, prefix: &str) -> BTreeSet<String> {
    dokku_json(real, &["plugin:list", "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["enabled"] == true)
        .filter_map(|p| p["name"].as_str()?.strip_prefix(prefix).map(String::from))
        .collect()
}

fn ids(body: &Value) -> BTreeSet<String> {
    body["data"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()).collect()
}

async fn walk_builders_and_schedulers(api: &Api, real: &RealDokku, app: &str) {
    let builders = api.expect(200, "GET", "/@api/builders", None).await;
    assert_eq!(ids(&builders), plugins_named(real, "builder-"), "the installed builders");
    let one = api.expect(200, "GET", "/@api/builders/dockerfile", None).await;
    assert_eq!(one["data"]["id"], "dockerfile");
    api.refused(404, "GET", "/@api/builders/kaniko", None).await;

    let body = json!({"data": {"type": "builderSettings", "id": app, "attributes": {
        "selected": "dockerfile", "build_dir": "apps/web"}}});
    let r = api.expect(200, "PATCH", &format!("/@api/builderSettings/{app}"), Some(body)).await;
    assert_eq!(r["data"]["attributes"]["selected"], "dockerfile");
    let report = dokku_json(real, &["builder:report", app, "--format", "json"]);
    assert_eq!(
        (report["selected"].as_str(), report["build-dir"].as_str()),
        (Some("dockerfile"), Some("apps/web"))
    );
    let read = api.expect(200, "GET", &format!("/@api/apps/{app}/builderSetting"), None).await;
    let a = &read["data"][0]["attributes"];
    assert_eq!(
        (a["selected"].as_str(), a["build_dir"].as_str()),
        (Some("dockerfile"), Some("apps/web"))
    );
    assert_eq!(a["computed_selected"].as_str(), report["computed-selected"].as_str());
    // Only what is given changes; "" clears.
    let body = json!({"data": {"attributes": {"selected": ""}}});
    api.expect(200, "PATCH", &format!("/@api/builderSettings/{app}"), Some(body)).await;
    let report = dokku_json(real, &["builder:report", app, "--format", "json"]);
    assert_eq!(
        (report["selected"].as_str(), report["build-dir"].as_str()),
        (Some(""), Some("apps/web"))
    );
    // An uninstalled builder and paths out of the repository: 400, nothing set.
    for bad in [
        json!({"selected": "kaniko"}),
        json!({"build_dir": "../escape"}),
        json!({"selected": "--global"}),
    ] {
        let body = json!({"data": {"attributes": bad}});
        api.refused(400, "PATCH", &format!("/@api/builderSettings/{app}"), Some(body)).await;
    }
    let report = dokku_json(real, &["builder:report", app, "--format", "json"]);
    assert_eq!(
        (report["selected"].as_str(), report["build-dir"].as_str()),
        (Some(""), Some("apps/web")),
        "refusals changed nothing"
    );

    let schedulers = api.expect(200, "GET", "/@api/schedulers", None).await;
    assert_eq!(ids(&schedulers), plugins_named(real, "scheduler-"), "the installed schedulers");
    assert!(ids(&schedulers).contains("docker-local"));
    api.expect(200, "GET", "/@api/schedulers/docker-local", None).await;
    api.refused(404, "GET", "/@api/schedulers/k3s", None).await;
    let body =
        json!({"data": {"type": "schedulerSettings", "attributes": {"selected": "docker-local"}}});
    let r = api.expect(200, "PATCH", &format!("/@api/schedulerSettings/{app}"), Some(body)).await;
    assert_eq!(r["data"]["attributes"]["selected"], "docker-local");
    let report = dokku_json(real, &["scheduler:report", app, "--format", "json"]);
    assert_eq!(report["selected"], "docker-local");
    let read = api.expect(200, "GET", &format!("/@api/apps/{app}/schedulerSetting"), None).await;
    assert_eq!(read["data"][0]["attributes"]["selected"], "docker-local");
    assert_eq!(read["data"][0]["attributes"]["computed_selected"], report["computed-selected"]);
    let body = json!({"data": {"attributes": {"selected": ""}}});
    api.expect(200, "PATCH", &format!("/@api/schedulerSettings/{app}"), Some(body)).await;
    assert_eq!(dokku_json(real, &["scheduler:report", app, "--format", "json"])["selected"], "");
}

fn scale_on_dokku(real: &RealDokku, app: &str) -> BTreeMap<String, i64> {
    dokku_json(real, &["ps:scale", app, "--format", "json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["process_type"].as_str().unwrap().to_string(), s["quantity"].as_i64().unwrap()))
        .collect()
}

async fn walk_formations_and_resources(api: &Api, real: &RealDokku, app: &str) {
    let formation = |process_type: &str, quantity: i64| {
        json!({"data": {"type": "formations", "attributes": {
            "app_id": app, "process_type": process_type, "quantity": quantity}}})
    };
    api.accepted("POST", "/@api/formations", Some(formation("web", 2))).await;
    api.applied("POST", "/@api/formations", Some(formation("worker", 3))).await;
    let scale = scale_on_dokku(real, app);
    assert_eq!((scale.get("web"), scale.get("worker")), (Some(&2), Some(&3)), "{scale:?}");
    api.refused(400, "POST", "/@api/formations", Some(formation("we b", 1))).await;

    let resource = |process_type: &str, resource_type: &str, name: &str, value: &str| {
        json!({"data": {"type": "resources", "attributes": {"app_id": app,
            "process_type": process_type, "resource_type": resource_type, "name": name,
            "value": value}}})
    };
    api.accepted("POST", "/@api/resources", Some(resource("web", "limit", "memory", "512m"))).await;
    api.accepted("POST", "/@api/resources", Some(resource("_default_", "reserve", "cpu", "0.5")))
        .await;
    api.applied("POST", "/@api/resources", Some(resource("worker", "limit", "memory-swap", "1g")))
        .await;
    let report = dokku_json(real, &["resource:report", app, "--format", "json"]);
    let text = report.to_string();
    for value in ["512m", "0.5", "1g"] {
        assert!(text.contains(&format!("\"{value}\"")), "{value} in {text}");
    }
    api.refused(
        400,
        "POST",
        "/@api/resources",
        Some(resource("web", "limit", "memory", "512 --trace")),
    )
    .await;

    let listed = api.expect(200, "GET", &format!("/@api/apps/{app}/resources"), None).await;
    let listed: BTreeMap<String, String> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["attributes"]["value"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeMap<String, String> = [
        (format!("{app}:_default_:reserve:cpu"), "0.5"),
        (format!("{app}:web:limit:memory"), "512m"),
        (format!("{app}:worker:limit:memory-swap"), "1g"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    assert_eq!(listed, expected);

    let formations = api.expect(200, "GET", &format!("/@api/apps/{app}/formations"), None).await;
    let web = formations["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == format!("{app}:web"))
        .expect("web")
        .clone();
    assert_eq!(web["attributes"]["quantity"], 2);
    assert_eq!(web["attributes"]["limits"]["memory"], "512m", "{web}");
    let worker = formations["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == format!("{app}:worker"))
        .expect("worker")
        .clone();
    assert_eq!(worker["attributes"]["quantity"], 3);
    assert_eq!(worker["attributes"]["limits"]["memory_swap"], "1g", "{worker}");

    // Deleting one value leaves the others (never `resource:*-clear`).
    api.applied("DELETE", &format!("/@api/resources/{app}:web:limit:memory"), None).await;
    let text = dokku_json(real, &["resource:report", app, "--format", "json"]).to_string();
    assert!(
        !text.contains("\"512m\"") && text.contains("\"0.5\"") && text.contains("\"1g\""),
        "{text}"
    );
    api.refused(404, "DELETE", &format!("/@api/resources/{app}:web:limit:memory"), None).await;
    api.accepted("DELETE", &format!("/@api/resources/{app}:_default_:reserve:cpu"), None).await;
    api.applied("DELETE", &format!("/@api/resources/{app}:worker:limit:memory-swap"), None).await;
    let left = api.expect(200, "GET", &format!("/@api/apps/{app}/resources"), None).await;
    assert_eq!(left["data"], json!([]));

    let job = api.applied("DELETE", &format!("/@api/formations/{app}:worker"), None).await;
    assert_eq!(job["data"]["attributes"]["command"], json!(["dokku", "ps:restart", app]));
    assert_eq!(scale_on_dokku(real, app).get("worker").copied().unwrap_or(0), 0);
    api.refused(404, "DELETE", &format!("/@api/formations/{app}:clock"), None).await;
}

async fn walk_http_auth(api: &Api, real: &RealDokku, app: &str) {
    let switch = |enabled: bool| json!({"data": {"type": "httpAuths", "id": app, "attributes": {"auth_enabled": enabled}}});
    let user = |name: &str, password: &str| json!({"data": {"type": "httpAuthUsers", "attributes": {"app_id": app, "username": name, "password": password}}});
    let ip = |address: &str| json!({"data": {"type": "httpAuthIPs", "attributes": {"app_id": app, "ip_address": address}}});
    let state = assert_nginx_enforces_the_report(api, real, app).await;
    assert!(state.include.is_none() && state.htpasswd.is_empty());

    // Enabled with no users: the include asks for nothing yet.
    let r = api.expect(200, "PATCH", &format!("/@api/httpAuths/{app}"), Some(switch(true))).await;
    assert_eq!(r["data"]["attributes"]["auth_enabled"], true);
    let state = assert_nginx_enforces_the_report(api, real, app).await;
    assert!(state.include.is_some());

    // Users with hostile passwords, stored as sent: the htpasswd hash is of these bytes.
    let deploy_password = r#"pa$$ 'w' "o" `rd` $(id) ; | & < > ✓ ü \n"#;
    let r = api
        .expect(201, "POST", "/@api/httpAuthUsers", Some(user("deploy.bot", deploy_password)))
        .await;
    assert_eq!(r["data"]["id"], format!("{app}:deploy.bot"));
    assert!(r["data"]["attributes"].get("password").is_none(), "passwords are never echoed");
    let state = assert_nginx_enforces_the_report(api, real, app).await;
    assert!(
        state.include.as_deref().unwrap().contains("auth_basic "),
        "the first user is enforced"
    );
    assert!(hash_is_of(real, &state.htpasswd["deploy.bot"], deploy_password));
    let ops_password = "日本語 and\ttabs - not-a-flag--";
    api.expect(201, "POST", "/@api/httpAuthUsers", Some(user("ops", ops_password))).await;
    let state = assert_nginx_enforces_the_report(api, real, app).await;
    assert!(hash_is_of(real, &state.htpasswd["ops"], ops_password));
    api.refused(409, "POST", "/@api/httpAuthUsers", Some(user("ops", "again"))).await;

    // Refused before Dokku, on every host kind: a `--` word (over SSH Dokku would read it as its
    // own flag: `--trace` would print the password), a leading `-` (mkpasswd's option), a line
    // break; and a name whose sed pattern would touch another user.
    let before = nginx_auth(real, app).htpasswd;
    for (name, password) in [
        ("other", "x --trace y"),
        ("other", "x\t--app ci-elsewhere"),
        ("other", "--trace"),
        ("other", "-rf"),
        ("other", "line\nbreak"),
        ("-rf", "long enough"),
        ("a b", "long enough"),
    ] {
        let title =
            api.refused(400, "POST", "/@api/httpAuthUsers", Some(user(name, password))).await;
        assert!(
            !title.contains(password) || password.len() < 3,
            "the password is not echoed: {title}"
        );
    }
    let title = api
        .refused(
            400,
            "PATCH",
            &format!("/@api/httpAuthUsers/{app}:ops"),
            Some(json!({"data": {"attributes": {"password": "new --trace"}}})),
        )
        .await;
    assert!(title.contains("--"), "{title}");
    assert_eq!(nginx_auth(real, app).htpasswd, before, "nothing reached Dokku");

    // The plugin finds a user with a sed pattern (`.` is any character): with `deploy-bot`
    // there, changing or removing `deploy.bot` would delete `deploy-bot` too, so it is refused.
    api.expect(201, "POST", "/@api/httpAuthUsers", Some(user("deploy-bot", "long enough"))).await;
    let with_other = assert_nginx_enforces_the_report(api, real, app).await.htpasswd;
    let update = json!({"data": {"attributes": {"password": "changed"}}});
    let path = format!("/@api/httpAuthUsers/{app}:deploy.bot");
    let title = api.refused(400, "PATCH", &path, Some(update)).await;
    assert!(title.contains("deploy-bot"), "{title}");
    let title = api.refused(400, "DELETE", &path, None).await;
    assert!(title.contains("deploy-bot"), "{title}");
    assert_eq!(nginx_auth(real, app).htpasswd, with_other, "nothing changed");
    api.expect(204, "DELETE", &format!("/@api/httpAuthUsers/{app}:deploy-bot"), None).await;

    // A new password: re-hashed, still enforced.
    let new_password = "another one, with spaces and 'quotes'";
    let update =
        json!({"data": {"type": "httpAuthUsers", "attributes": {"password": new_password}}});
    api.expect(200, "PATCH", &format!("/@api/httpAuthUsers/{app}:deploy.bot"), Some(update)).await;
    let state = assert_nginx_enforces_the_report(api, real, app).await;
    assert!(hash_is_of(real, &state.htpasswd["deploy.bot"], new_password));
    assert_eq!(state.htpasswd["ops"], before["ops"], "the other user is untouched");
    api.refused(
        404,
        "PATCH",
        &format!("/@api/httpAuthUsers/{app}:nobody"),
        Some(json!({"data": {"attributes": {"password": "whatever"}}})),
    )
    .await;

    // Allowed addresses (ids hold `/` and `:`).
    for address in ["10.0.0.0/8", "2001:db8::/32", "127.0.0.1"] {
        let r = api.expect(201, "POST", "/@api/httpAuthIPs", Some(ip(address))).await;
        assert_eq!(r["data"]["id"], format!("{app}:{address}"));
        assert_nginx_enforces_the_report(api, real, app).await;
    }
    api.refused(409, "POST", "/@api/httpAuthIPs", Some(ip("127.0.0.1"))).await;
    api.refused(400, "POST", "/@api/httpAuthIPs", Some(ip("1.2.3.4; reboot"))).await;
    api.expect(
        204,
        "DELETE",
        &format!("/@api/httpAuthIPs/{}", segment(&format!("{app}:10.0.0.0/8"))),
        None,
    )
    .await;
    assert_nginx_enforces_the_report(api, real, app).await;
    api.refused(
        404,
        "DELETE",
        &format!("/@api/httpAuthIPs/{}", segment(&format!("{app}:10.0.0.0/8"))),
        None,
    )
    .await;

    // Users removed one by one; with the last one gone nginx asks for nothing.
    api.expect(204, "DELETE", &format!("/@api/httpAuthUsers/{app}:ops"), None).await;
    let state = assert_nginx_enforces_the_report(api, real, app).await;
    assert!(state.include.as_deref().unwrap().contains("auth_basic "));
    api.expect(204, "DELETE", &format!("/@api/httpAuthUsers/{app}:deploy.bot"), None).await;
    let state = assert_nginx_enforces_the_report(api, real, app).await;
    assert!(!state.include.as_deref().unwrap().contains("auth_basic"), "no user left");
    api.refused(404, "DELETE", &format!("/@api/httpAuthUsers/{app}:deploy.bot"), None).await;

    // Disabled: no include; users and addresses changed while disabled leave it disabled.
    api.expect(200, "PATCH", &format!("/@api/httpAuths/{app}"), Some(switch(false))).await;
    assert!(assert_nginx_enforces_the_report(api, real, app).await.include.is_none());
    api.expect(201, "POST", "/@api/httpAuthUsers", Some(user("late", "late password"))).await;
    api.expect(201, "POST", "/@api/httpAuthIPs", Some(ip("192.168.0.0/16"))).await;
    let state = assert_nginx_enforces_the_report(api, real, app).await;
    assert!(state.include.is_none(), "still disabled");
    assert!(hash_is_of(real, &state.htpasswd["late"], "late password"));
    // Enabled again: what was stored meanwhile is enforced.
    api.expect(200, "PATCH", &format!("/@api/httpAuths/{app}"), Some(switch(true))).await;
    let state = assert_nginx_enforces_the_report(api, real, app).await;
    let include = state.include.unwrap();
    assert!(
        include.contains("auth_basic ") && include.contains("allow 192.168.0.0/16;"),
        "{include}"
    );
    api.expect(204, "DELETE", &format!("/@api/httpAuthUsers/{app}:late"), None).await;
    api.expect(
        204,
        "DELETE",
        &format!("/@api/httpAuthIPs/{}", segment(&format!("{app}:192.168.0.0/16"))),
        None,
    )
    .await;
    api.expect(200, "PATCH", &format!("/@api/httpAuths/{app}"), Some(switch(false))).await;
    assert_nginx_enforces_the_report(api, real, app).await;
}

async fn walk_maintenance(api: &Api, real: &RealDokku, app: &str) {
    for enabled in [true, false] {
        let body = json!({"data": {"type": "maintenances", "id": app, "attributes": {"enabled": enabled}}});
        let r = api.expect(200, "PATCH", &format!("/@api/maintenances/{app}"), Some(body)).await;
        assert_eq!(r["data"]["attributes"]["enabled"], enabled);
        let on_dokku = real.dokku_ok(&["maintenance:report", app, "--maintenance-enabled"]);
        assert_eq!(on_dokku.trim(), enabled.to_string());
        let read = api.expect(200, "GET", &format!("/@api/apps/{app}/maintenance"), None).await;
        assert_eq!(read["data"][0]["attributes"]["enabled"], enabled);
    }
    api.refused(404, "GET", "/@api/apps/ci-no-such-app-here/maintenance", None).await;
}

/// Datastores and services on a seeded postgres service: list, read, link and unlink by the bare
/// name the listing shows. Creating and destroying need Docker, which this host lacks: Dokku's
/// failure is answered as an error in the envelope, and nothing is left behind.
async fn walk_services(api: &Api, real: &RealDokku, app: &str, name: &str) {
    seed_postgres(real, name);
    let datastores = api.expect(200, "GET", "/@api/datastores", None).await;
    let datastores = ids(&datastores);
    assert!(datastores.contains("postgres"), "{datastores:?}");
    let plugins = plugins_named(real, "");
    assert!(datastores.iter().all(|d| plugins.contains(d)), "{datastores:?} are installed plugins");

    let dsn = real.dokku_ok(&["postgres:info", name, "--dsn"]).trim().to_string();
    let services = api.expect(200, "GET", "/@api/services", None).await;
    let ours = services["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == name)
        .unwrap_or_else(|| panic!("{name} in {services}"))
        .clone();
    assert_eq!(ours["attributes"]["service_type"], "postgres");
    assert_eq!(ours["attributes"]["dsn"], dsn.as_str());
    let listed_on_dokku = real.dokku_ok(&["--quiet", "postgres:list"]);
    assert!(listed_on_dokku.lines().any(|l| l.trim() == name), "{listed_on_dokku}");
    let names_only = api.expect(200, "GET", "/@api/services?fields=", None).await;
    assert!(ids(&names_only).contains(name));

    for id in [name.to_string(), format!("postgres:{name}")] {
        let one = api.expect(200, "GET", &format!("/@api/services/{}", segment(&id)), None).await;
        assert_eq!(one["data"]["id"], name);
        assert_eq!(one["data"]["attributes"]["dsn"], dsn.as_str());
        assert_eq!(one["data"]["attributes"]["status"], "missing", "no container on this host");
    }
    api.refused(404, "GET", "/@api/services/postgres:ci-no-such-service", None).await;

    // Link and unlink by the bare name.
    let path = format!("/@api/apps/{app}/relationships/services");
    let link = json!({"data": [{"type": "services", "id": name}]});
    api.expect(204, "POST", &path, Some(link.clone())).await;
    let url = real.dokku_ok(&["config:get", app, "DATABASE_URL"]);
    assert_eq!(url.trim(), dsn, "the app's DATABASE_URL is the service's DSN");
    let links = real.dokku_ok(&["postgres:links", name]);
    assert!(links.lines().any(|l| l.trim() == app), "{links}");
    let linked = api.expect(200, "GET", &format!("/@api/apps/{app}/services"), None).await;
    let linked = linked["data"].as_array().unwrap();
    assert_eq!(linked.len(), 1, "{linked:?}");
    assert_eq!(linked[0]["id"], name);
    assert_eq!(linked[0]["attributes"]["links"], json!([app]));
    let title = api.refused(400, "POST", &path, Some(link.clone())).await;
    assert!(title.contains("Already linked"), "{title}");

    api.expect(204, "DELETE", &path, Some(link.clone())).await;
    let unset = real.dokku(&["config:get", app, "DATABASE_URL"]);
    assert!(!unset.status.success() && unset.stdout.is_empty(), "DATABASE_URL is unset");
    assert!(!real.dokku_ok(&["postgres:links", name]).contains(app));
    let linked = api.expect(200, "GET", &format!("/@api/apps/{app}/services"), None).await;
    assert_eq!(linked["data"], json!([]));
    let title = api.refused(400, "DELETE", &path, Some(link)).await;
    assert!(title.contains("Not linked"), "{title}");

    // Creating needs Docker: Dokku's failure, as an error with its message; nothing left.
    let new = format!("{name}-new");
    let body = json!({"data": {"type": "services", "id": format!("postgres:{new}")}});
    let r = api.call("POST", "/@api/services", Some(body)).await;
    assert!(r.status >= 400, "{}", r.text());
    let title = r.error_title();
    assert!(title.contains("creation failed"), "Dokku's message: {title}");
    assert!(!real.dokku(&["postgres:exists", &new]).status.success(), "nothing was left");
    // Destroying needs Docker too.
    let r = api.call("DELETE", &format!("/@api/services/postgres:{name}"), None).await;
    assert!(r.status >= 400, "{}", r.text());
    assert!(!r.error_title().is_empty());
}

/// SSH keys, added and removed through the root login (SSH) or sudo (local).
async fn walk_ssh_keys(api: &Api, real: &RealDokku, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("key");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ci-tier", "-f"])
        .arg(&key_path)
        .status()
        .unwrap();
    assert!(status.success());
    let public = std::fs::read_to_string(key_path.with_extension("pub")).unwrap();
    let _turn = SSH_KEYS.lock().await;
    let body = json!({"data": {"type": "sshKeys", "attributes": {"username": name, "ssh_key": public.trim()}}});
    let added = api.expect(201, "POST", "/@api/sshKeys", Some(body.clone())).await;
    let fingerprint = added["data"]["id"].as_str().unwrap().to_string();
    assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
    let listed = real.dokku_ok(&["ssh-keys:list"]);
    assert!(listed.contains(&format!("{fingerprint} NAME=\"{name}\"")), "{listed}");
    api.refused(409, "POST", "/@api/sshKeys", Some(body)).await;
    // sshcommand finds a duplicate name with `grep`, where `.` is any character: the name with
    // its second character turned into a dot is, for Dokku itself, a duplicate of this key's
    // (shown with the real command, as root, with another key) ...
    let dotted = format!("{}.{}", &name[..1], &name[2..]);
    let other = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ci-tier-other", "-f"])
        .arg(dir.path().join("other"))
        .status()
        .unwrap();
    assert!(other.success());
    let other = std::fs::read_to_string(dir.path().join("other.pub")).unwrap();
    let out = real.root(&format!("echo '{}' | dokku ssh-keys:add '{dotted}'", other.trim()));
    assert!(
        !out.status.success()
            && [&out.stdout, &out.stderr]
                .iter()
                .any(|o| String::from_utf8_lossy(o).contains("Duplicate ssh key name")),
        "real Dokku took {dotted} for a duplicate of {name}: {out:?}"
    );
    // ... so the API refuses it with a 400 that names the key it would clash with, not a 409 for
    // a name that does not exist.
    let body = json!({"data": {"type": "sshKeys", "attributes": {"username": dotted, "ssh_key": other.trim()}}});
    let title = api.refused(400, "POST", "/@api/sshKeys", Some(body)).await;
    assert!(title.contains(&format!("the key named {name}")), "{title}");
    assert!(!real.dokku_ok(&["ssh-keys:list"]).contains(&format!("NAME=\"{dotted}\"")));
    // The new key logs in to Dokku.
    let out = real
        .ssh("real-dokku")
        .args(["-o", "IdentitiesOnly=yes", "-i"])
        .arg(&key_path)
        .args(["--", "version"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("dokku version"), "{out:?}");

    let all = api.expect(200, "GET", "/@api/sshKeys", None).await;
    assert!(ids(&all).contains(&fingerprint), "{all}");
    let path = format!("/@api/sshKeys/{}", segment(&fingerprint));
    let one = api.expect(200, "GET", &path, None).await;
    assert_eq!(one["data"]["attributes"]["username"], name);
    api.expect(204, "DELETE", &path, None).await;
    assert!(!real.dokku_ok(&["ssh-keys:list"]).contains(&format!("NAME=\"{name}\"")));
    api.refused(404, "GET", &path, None).await;
    api.refused(404, "DELETE", &path, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_operation_over_ssh_against_the_real_dokku() {
    const TEST: &str = "every_operation_over_ssh_against_the_real_dokku";
    let Some(real) = RealDokku::find(TEST) else { return };
    let started = Instant::now();
    let server = TestServer::start_with(|config| real.configure_ssh(config)).await;
    let api = Arc::new(Api::login(server.server_addr(), server.admin_password()).await);
    walk(api.clone(), &real, "ssh").await;
    Arc::into_inner(api).expect("the walk is over").finish();
    server.finish().await;
    eprintln!("[ssh] the walk took {:.1} s", started.elapsed().as_secs_f64());
}

/// The server binary cargo built (`target/debug/dokku-pro-api`), if it is at least as new as
/// the sources it is built from.
fn debug_binary() -> Result<PathBuf, String> {
    let root = dokku_pro_tests::workspace_root();
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let binary = target.join("debug/dokku-pro-api");
    let built = std::fs::metadata(&binary)
        .and_then(|m| m.modified())
        .map_err(|e| format!("no {} ({e})", binary.display()))?;
    fn newest(path: &Path, newest_so_far: &mut SystemTime) {
        let Ok(meta) = std::fs::metadata(path) else { return };
        if meta.is_dir() {
            for entry in std::fs::read_dir(path).into_iter().flatten().flatten() {
                newest(&entry.path(), newest_so_far);
            }
        } else if let Ok(modified) = meta.modified() {
            *newest_so_far = (*newest_so_far).max(modified);
        }
    }
    let mut sources = SystemTime::UNIX_EPOCH;
    for dir in ["api", "spec", "server/src", "server/sim/src", "build.rs", "Cargo.lock"] {
        newest(&root.join(dir), &mut sources);
    }
    if built < sources {
        return Err(format!("{} is older than the sources", binary.display()));
    }
    Ok(binary)
}

/// The glibc version of the chroot (what its `libc.so.6` prints).
fn chroot_glibc(chroot: &Path) -> (u32, u32) {
    let out = Command::new(chroot.join("lib/x86_64-linux-gnu/libc.so.6")).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split_whitespace()
        .skip_while(|w| *w != "version")
        .nth(1)
        .unwrap_or_else(|| panic!("no version in {text}"))
        .trim_end_matches('.');
    let mut parts = version.split('.').map(|p| p.parse().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

/// The binary runs in the chroot: the libraries it needs are there, at a glibc version the
/// chroot has.
fn assert_runs_in_the_chroot(binary: &Path, chroot: &Path) {
    let headers = Command::new("objdump").arg("-p").arg(binary).output().expect("objdump runs");
    let headers = String::from_utf8_lossy(&headers.stdout);
    for library in headers.lines().filter_map(|l| l.trim().strip_prefix("NEEDED")).map(str::trim) {
        let found = ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64"]
            .iter()
            .any(|dir| chroot.join(dir).join(library).exists());
        assert!(found, "{} needs {library}, which the chroot lacks", binary.display());
    }
    let symbols = Command::new("objdump").arg("-T").arg(binary).output().unwrap();
    let needed = String::from_utf8_lossy(&symbols.stdout)
        .split_whitespace()
        .filter_map(|w| w.trim_matches(['(', ')']).strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
        })
        .max()
        .expect("glibc symbols");
    let has = chroot_glibc(chroot);
    assert!(needed <= has, "the binary needs glibc {needed:?}; the chroot has {has:?}");
}

/// The server in the chroot as the `dokku` user, on the local host kind: the script that
/// `Sandboxed` runs as root in private namespaces. `stage` (on the host) holds the configuration
/// and the data directory and is mounted at the chroot's `/mnt`; the binary is mounted into it;
/// `stage/sudoers.d` (the chroot's rules and the package's) replaces the chroot's
/// `/etc/sudoers.d` for this server alone, so the shared chroot's files stay as they are.
fn local_runner(chroot: &Path, stage: &Path, binary: &Path) -> String {
    let r = quote(&chroot.display().to_string());
    let t = quote(&stage.display().to_string());
    let b = quote(&binary.display().to_string());
    let env = [
        "HOME=/home/dokku",
        "USER=dokku",
        "LOGNAME=dokku",
        "SHELL=/bin/bash",
        "LANG=C.UTF-8",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ]
    .join(" ");
    format!(
        "set -euo pipefail\nhostname dokku-chroot\n\
         mount --bind {t} {r}/mnt\n\
         mount --bind {b} {r}/mnt/dokku-pro-api\n\
         mount --bind {t}/sudoers.d {r}/etc/sudoers.d\n\
         mount -t proc proc {r}/proc\nmount --rbind /dev {r}/dev\ncd /\n\
         exec chroot {r} /usr/bin/setpriv --reuid=dokku --regid=dokku --init-groups \
         /usr/bin/env -i {env} /mnt/dokku-pro-api serve --config /mnt/config.toml\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_operation_on_the_local_host_kind_inside_the_dokku_host() {
    const TEST: &str = "every_operation_on_the_local_host_kind_inside_the_dokku_host";
    let Some(real) = RealDokku::find(TEST) else { return };
    if !is_root() {
        return real_dokku::skip(TEST, "running the server inside the chroot needs root");
    }
    let binary = match debug_binary() {
        Ok(binary) => binary,
        Err(reason) => {
            return real_dokku::skip(
                TEST,
                &format!("{reason}: cargo build -p dokku-pro-server --bin dokku-pro-api"),
            );
        }
    };
    let started = Instant::now();
    let chroot = real.chroot.clone();
    assert_runs_in_the_chroot(&binary, &chroot);

    // The stage: configuration, data directory (the dokku user's), the binary's mount point,
    // and the sudoers rules with the package's.
    use std::os::unix::fs::{PermissionsExt, chown};
    let stage = tempfile::tempdir().unwrap();
    let s = stage.path();
    std::fs::set_permissions(s, std::fs::Permissions::from_mode(0o755)).unwrap();
    let passwd = std::fs::read_to_string(chroot.join("etc/passwd")).unwrap();
    let dokku = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f[0] == "dokku")
        .expect("the dokku user");
    let (uid, gid): (u32, u32) = (dokku[2].parse().unwrap(), dokku[3].parse().unwrap());
    std::fs::create_dir(s.join("data")).unwrap();
    chown(s.join("data"), Some(uid), Some(gid)).unwrap();
    std::fs::set_permissions(s.join("data"), std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(s.join("dokku-pro-api"), b"").unwrap();
    let port = free_port();
    std::fs::write(
        s.join("config.toml"),
        format!(
            "bind = \"127.0.0.1:{port}\"\ndata_dir = \"/mnt/data\"\nlog_level = \"debug\"\n\
             [host]\nkind = \"local\"\ndokku_path = \"/usr/bin/dokku\"\n\
             root_command = [\"sudo\", \"-n\", \"/usr/bin/dokku\"]\n"
        ),
    )
    .unwrap();
    let sudoers = s.join("sudoers.d");
    std::fs::create_dir(&sudoers).unwrap();
    std::fs::set_permissions(&sudoers, std::fs::Permissions::from_mode(0o755)).unwrap();
    for entry in std::fs::read_dir(chroot.join("etc/sudoers.d")).unwrap().flatten() {
        std::fs::copy(entry.path(), sudoers.join(entry.file_name())).unwrap();
    }
    std::fs::copy(
        dokku_pro_tests::workspace_root().join("server/debian/sudoers"),
        sudoers.join("dokku-pro-api"),
    )
    .unwrap();
    for entry in std::fs::read_dir(&sudoers).unwrap().flatten() {
        std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o440)).unwrap();
    }

    let running = Sandboxed::start(&local_runner(&chroot, s, &binary));
    let health = running.wait_for(&format!("http://127.0.0.1:{port}/@api/health")).await;
    assert_eq!(health["data"]["attributes"]["dokku_host"], "local", "{health}");
    assert_eq!(health["data"]["attributes"]["dokku_version"], real.version.as_str());
    let uids = running.server_uids();
    assert!(uids.iter().all(|&u| u == uid), "the server runs as {uids:?}, not dokku ({uid})");
    let password = std::fs::read_to_string(s.join("data/initial-admin-password")).unwrap();
    let api = Api::login(SocketAddr::from(([127, 0, 0, 1], port)), password.trim()).await;
    let api = Arc::new(api);
    walk(api.clone(), &real, "local").await;
    Arc::into_inner(api).expect("the walk is over").finish();
    let (status, output) = running.stop();
    assert!(status.success(), "the server exited with {status}:\n{output}");
    assert!(!output.contains("panicked"), "{output}");
    eprintln!("[local] the walk took {:.1} s", started.elapsed().as_secs_f64());
}
