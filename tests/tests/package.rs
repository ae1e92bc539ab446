//! Proof on a real host: the Debian package (`cargo xtask deb`, path in `DOKKU_PRO_API_DEB`)
//! installed into the real-Dokku chroot with `dpkg -i`, the server started the way its systemd
//! unit starts it, a short session through the local host kind against the real Dokku, and
//! `dpkg --purge` leaving nothing behind.
//!
//! There is no systemd in the chroot, so this test reads the unit file and does what systemd
//! would: the unit's user and groups (`setpriv --init-groups`), its environment (what systemd
//! sets for a `User=` service, plus `Environment=`), its `ExecStart` command line, its file
//! descriptor limit, and its file-system sandbox, rebuilt with mounts in a private mount
//! namespace: `ProtectSystem=strict` (the root read-only, `ReadWritePaths=` writable again),
//! `ProtectHome=tmpfs` with `BindPaths=`, `PrivateTmp=`. So a path Dokku writes that the unit
//! forgot fails here as it would under systemd. Directives it does not rebuild are listed in
//! [`NOT_EMULATED`] with the reason; any other directive fails the test, so the unit cannot grow
//! a setting this test silently ignores.
//!
//! Runs as root on a machine with the chroot (`.ci/run`); skips loudly otherwise, and fails when
//! `DOKKU_REAL_REQUIRED=1`. The chroot is shared: one package test runs at a time (a lock in the
//! chroot), and the names it creates start with `ci-`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use dokku_pro_tests::real_dokku::{self, RealDokku};
use dokku_pro_tests::sandbox::{Sandboxed, free_port, is_root, quote};

const TEST: &str = "the_package_installs_runs_a_session_and_purges_cleanly";
const UNIT: &str = "/lib/systemd/system/dokku-pro-api.service";
const CONFIG: &str = "/etc/dokku-pro-api/config.toml";
const DATA_DIR: &str = "/var/lib/dokku-pro-api";
const SUDOERS: &str = "/etc/sudoers.d/dokku-pro-api";

/// `[Service]` directives this test does not rebuild, and why that is sound.
const NOT_EMULATED: &[(&str, &str)] = &[
    ("Type", "how systemd tracks start-up; the test waits for the health endpoint"),
    ("Restart", "what systemd does after a crash; the test fails on one instead"),
    ("RestartSec", "as Restart"),
    ("KillMode", "the test stops the server with SIGTERM, as KillMode=mixed does"),
    ("TimeoutStopSec", "the test gives the server the same time to stop"),
    ("ProtectControlGroups", "nothing the server or Dokku runs writes cgroups"),
    ("ProtectKernelTunables", "nothing the server or Dokku runs writes /proc/sys or /sys"),
    ("ProtectKernelModules", "nothing the server or Dokku runs loads modules"),
    ("ProtectKernelLogs", "nothing the server or Dokku runs reads the kernel log"),
    ("ProtectClock", "nothing the server or Dokku runs sets the clock"),
    ("RestrictRealtime", "nothing the server or Dokku runs asks for realtime scheduling"),
    ("RestrictSUIDSGID", "nothing the server or Dokku runs creates setuid files"),
    ("LockPersonality", "nothing the server or Dokku runs changes its execution domain"),
];

/// The unit's `[Service]` section: every directive, in order (repeats kept).
struct Unit(Vec<(String, String)>);

impl Unit {
    fn parse(text: &str) -> Unit {
        let mut section = "";
        let mut directives = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if line.starts_with('[') {
                section = if line == "[Service]" { "service" } else { "" };
                continue;
            }
            if section == "service" {
                let (key, value) = line.split_once('=').expect("KEY=VALUE");
                directives.push((key.trim().to_string(), value.trim().to_string()));
            }
        }
        Unit(directives)
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }

    fn one(&self, key: &str) -> Option<&str> {
        let values = self.all(key);
        assert!(values.len() <= 1, "{key} is set more than once");
        values.first().copied()
    }

    fn words(&self, key: &str) -> Vec<String> {
        self.all(key).iter().flat_map(|v| v.split_whitespace()).map(String::from).collect()
    }
}

/// The shell script that starts the server as the unit would, in the chroot, in the private
/// namespaces `unshare` made; `exec`s the server, so its pid is the unshare child's.
fn unit_runner(unit: &Unit, chroot: &Path, passwd: &str) -> String {
    let known: BTreeSet<&str> = [
        "User",
        "Group",
        "Environment",
        "ExecStartPre",
        "ExecStart",
        "LimitNOFILE",
        "NoNewPrivileges",
        "ProtectSystem",
        "ProtectHome",
        "BindPaths",
        "PrivateTmp",
        "ReadWritePaths",
    ]
    .into_iter()
    .chain(NOT_EMULATED.iter().map(|(k, _)| *k))
    .collect();
    for (key, _) in &unit.0 {
        assert!(
            known.contains(key.as_str()),
            "the unit sets {key}, which this test neither rebuilds nor explains: teach it"
        );
    }
    let user = unit.one("User").expect("User=");
    let group = unit.one("Group").unwrap_or(user);
    let entry = passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f[0] == user)
        .unwrap_or_else(|| panic!("no user {user} in the chroot"));
    let (home, shell) = (entry[5], entry[6]);
    assert_eq!(unit.one("ProtectSystem"), Some("strict"));
    assert_eq!(unit.one("ProtectHome"), Some("tmpfs"));
    assert_eq!(unit.one("PrivateTmp"), Some("yes"));

    let root = chroot.display().to_string();
    let r = quote(&root);
    let mut s = String::from("set -euo pipefail\nhostname dokku-chroot\n");
    // ExecStartPre=+: as root, before and outside the sandbox; `-` ignores its failure.
    for pre in unit.all("ExecStartPre") {
        let (ignore_failure, command) = match pre.strip_prefix('+') {
            Some(c) => c.strip_prefix('-').map_or((false, c), |c| (true, c)),
            None => panic!("ExecStartPre={pre}: only `+` (full privileges) is rebuilt: teach it"),
        };
        assert!(!command.contains(['"', '\'', '$', '%']), "ExecStartPre is plain words: {pre}");
        let run =
            format!("chroot {r} /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin {command}");
        s += &if ignore_failure { format!("{run} || true\n") } else { format!("{run}\n") };
    }
    // ProtectSystem=strict: the whole tree read-only but for the API file systems and
    // ReadWritePaths= (a `-` prefix: skipped when missing). The writable paths are bound first,
    // so they stay writable when the root bind becomes read-only.
    s += &format!("mount --bind {r} {r}\n");
    for path in unit.words("ReadWritePaths") {
        let (optional, path) = match path.strip_prefix('-') {
            Some(p) => (true, p.to_string()),
            None => (false, path),
        };
        let full = quote(&format!("{root}{path}"));
        if optional {
            s += &format!("if [ -e {full} ]; then mount --bind {full} {full}; fi\n");
        } else {
            s += &format!("mount --bind {full} {full}\n");
        }
    }
    // ProtectHome=tmpfs: /home, /root and /run/user empty; BindPaths= brings back what it names.
    let binds = unit.words("BindPaths");
    for (i, path) in binds.iter().enumerate() {
        s += &format!(
            "mkdir -p /tmp/unit-bind-$$-{i}; mount --bind {} /tmp/unit-bind-$$-{i}\n",
            quote(&format!("{root}{path}"))
        );
    }
    s += &format!("mount -o remount,bind,ro {r}\n");
    for dir in ["/home", "/root", "/run/user"] {
        let full = quote(&format!("{root}{dir}"));
        s += &format!("if [ -d {full} ]; then mount -t tmpfs -o mode=0755 tmpfs {full}; fi\n");
    }
    for (i, path) in binds.iter().enumerate() {
        let full = quote(&format!("{root}{path}"));
        s += &format!("mkdir -p {full}; mount --move /tmp/unit-bind-$$-{i} {full}\n");
    }
    // PrivateTmp=yes.
    for dir in ["/tmp", "/var/tmp"] {
        s += &format!("mount -t tmpfs -o mode=1777 tmpfs {}\n", quote(&format!("{root}{dir}")));
    }
    s += &format!("mount -t proc proc {r}/proc\nmount --rbind /dev {r}/dev\n");
    // LimitNOFILE=: raising the hard limit needs CAP_SYS_RESOURCE, which a container may not
    // give; then the test runs with the highest limit it may set, and says so.
    if let Some(limit) = unit.one("LimitNOFILE") {
        s += &format!(
            "ulimit -n {limit} 2>/dev/null || {{ echo \"LimitNOFILE={limit}: this machine allows \
             at most $(ulimit -Hn)\" >&2; ulimit -n \"$(ulimit -Hn)\"; }}\n"
        );
    }
    let mut setpriv =
        format!("/usr/bin/setpriv --reuid={} --regid={} --init-groups", quote(user), quote(group));
    if unit.one("NoNewPrivileges") == Some("yes") {
        setpriv.push_str(" --no-new-privs");
    }
    // What systemd puts in a User= service's environment, then Environment=.
    let mut env = vec![
        format!("HOME={home}"),
        format!("USER={user}"),
        format!("LOGNAME={user}"),
        format!("SHELL={shell}"),
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
    ];
    env.extend(unit.words("Environment"));
    let env = env.iter().map(|e| quote(e)).collect::<Vec<_>>().join(" ");
    let exec = unit.one("ExecStart").expect("ExecStart=");
    assert!(!exec.contains(['"', '\'', '$', '%']), "ExecStart is plain words: {exec}");
    s += &format!("cd /\nexec chroot {r} {setpriv} /usr/bin/env -i {env} {exec}\n");
    s
}

/// Runs a shell script as root in the chroot, in a private mount and UTS namespace with /proc
/// and /dev (as `start.sh` runs the chroot's sshd).
fn in_chroot(chroot: &Path, script: &str) -> std::process::Output {
    let wrapper = "set -e; hostname dokku-chroot; mount -t proc proc \"$0/proc\"; \
                   mount --rbind /dev \"$0/dev\"; exec chroot \"$0\" /usr/bin/env -i \
                   PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
                   /bin/bash -c \"$1\"";
    Command::new("unshare")
        .args(["--mount", "--uts", "--propagation", "private", "--", "bash", "-c", wrapper])
        .arg(chroot)
        .arg(script)
        .stdin(Stdio::null())
        .output()
        .expect("unshare runs")
}

fn in_chroot_ok(chroot: &Path, script: &str) -> String {
    let out = in_chroot(chroot, script);
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "in the chroot: {script}\n{text}");
    text
}

/// Every path under the parts of the chroot a package can leave things in. Dokku's own state,
/// logs, caches, temporary and runtime files are left out: they change under the tests (and
/// under anything else using the shared chroot) whatever this package does.
fn snapshot(chroot: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, chroot: &Path, skip: &[&str], out: &mut BTreeSet<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = format!("/{}", path.strip_prefix(chroot).unwrap().display());
            if skip.contains(&relative.as_str()) {
                continue;
            }
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            out.insert(relative);
            if is_dir {
                walk(&path, chroot, skip, out);
            }
        }
    }
    let skip = ["/var/lib/dokku", "/var/lib/apt", "/var/lib/nginx", "/home/dokku", "/root/.ssh"];
    let mut out = BTreeSet::new();
    for top in ["etc", "usr", "var/lib", "opt", "srv", "home", "root"] {
        walk(&chroot.join(top), chroot, &skip, &mut out);
    }
    out
}

/// Undoes what the test did to the shared chroot, whatever state it ended in.
struct Cleanup {
    real: RealDokku,
    app: String,
    key: String,
    deb_in_chroot: PathBuf,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = self.real.dokku(&["apps:destroy", &self.app, "--force"]);
        let _ = self.real.root(&format!("dokku ssh-keys:remove {} 2>/dev/null", self.key));
        let _ = in_chroot(&self.real.chroot, "dpkg --purge dokku-pro-api >/dev/null 2>&1 || true");
        let _ = std::fs::remove_file(&self.deb_in_chroot);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_package_installs_runs_a_session_and_purges_cleanly() {
    let Some(real) = RealDokku::find(TEST) else { return };
    let Some(deb) = std::env::var_os("DOKKU_PRO_API_DEB").map(PathBuf::from) else {
        return real_dokku::skip(TEST, "DOKKU_PRO_API_DEB is not set (cargo xtask deb builds it)");
    };
    if !is_root() {
        return real_dokku::skip(TEST, "installing a package into the chroot needs root");
    }
    let chroot = real.chroot.clone();
    // One package test at a time on this chroot.
    let lock = std::fs::File::create(chroot.join("run/ci-dokku-pro-api-package.lock")).unwrap();
    lock.lock().unwrap();

    let app = RealDokku::unique_name("pkg");
    let key_name = RealDokku::unique_name("pkgkey");
    let deb_in_chroot = chroot.join(format!("tmp/ci-dokku-pro-api-{}.deb", std::process::id()));
    let _cleanup = Cleanup {
        real: real.clone(),
        app: app.clone(),
        key: key_name.clone(),
        deb_in_chroot: deb_in_chroot.clone(),
    };
    // A leftover of an interrupted run would hide what this one installs.
    in_chroot_ok(&chroot, "dpkg --purge dokku-pro-api >/dev/null 2>&1 || true");
    let before = snapshot(&chroot);

    // dpkg -i; the postinst says where the initial admin password will be.
    std::fs::copy(&deb, &deb_in_chroot).unwrap();
    let chroot_deb = format!("/{}", deb_in_chroot.strip_prefix(&chroot).unwrap().display());
    let installed = in_chroot_ok(&chroot, &format!("dpkg -i {chroot_deb}"));
    assert!(installed.contains(&format!("{DATA_DIR}/initial-admin-password")), "{installed}");

    // What it installed, as installed.
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dokku_uid: u32 = in_chroot_ok(&chroot, "id -u dokku").trim().parse().unwrap();
    let data = std::fs::metadata(chroot.join(&DATA_DIR[1..])).unwrap();
    assert_eq!((data.uid(), data.permissions().mode() & 0o7777), (dokku_uid, 0o700));
    let sudoers = std::fs::metadata(chroot.join(&SUDOERS[1..])).unwrap();
    assert_eq!((sudoers.uid(), sudoers.permissions().mode() & 0o7777), (0, 0o440));
    in_chroot_ok(&chroot, "visudo -c >/dev/null");
    let conffiles = in_chroot_ok(&chroot, "dpkg-query -W -f='${Conffiles}' dokku-pro-api");
    assert!(conffiles.contains(CONFIG) && conffiles.contains(SUDOERS), "{conffiles}");

    // The sudoers rule: the dokku user may run exactly the two forms the server uses as root.
    let fingerprint_example = "SHA256:O5K6KJb19UkMocyY75sLQYCPT4s7FQavTOW0aPox6+8";
    let sudo_allows = |command: &str| {
        in_chroot(&chroot, &format!("su dokku -s /bin/sh -c 'sudo -n -l {command}' >/dev/null"))
            .status
            .success()
    };
    for allowed in [
        "/usr/bin/dokku ssh-keys:add alice".to_string(),
        "/usr/bin/dokku ssh-keys:add a.b@c-d_e".to_string(),
        format!("/usr/bin/dokku ssh-keys:remove --fingerprint {fingerprint_example}"),
    ] {
        assert!(sudo_allows(&allowed), "sudo refuses {allowed}");
    }
    for refused in [
        "/usr/bin/dokku ssh-keys:add".to_string(),
        "/usr/bin/dokku ssh-keys:add -h".to_string(),
        "/usr/bin/dokku ssh-keys:add alice /etc/shadow".to_string(),
        "/usr/bin/dokku ssh-keys:remove alice".to_string(),
        format!("/usr/bin/dokku ssh-keys:remove --fingerprint {fingerprint_example} x"),
        "/usr/bin/dokku plugin:install https://example.org/x.git".to_string(),
        "/usr/bin/dokku apps:list".to_string(),
        "/usr/bin/dokku --trace ssh-keys:add alice".to_string(),
        "/bin/sh".to_string(),
    ] {
        assert!(!sudo_allows(&refused), "sudo allows {refused}");
    }

    // The shipped configuration, with the one change an operator on this shared machine makes:
    // a free port instead of 127.0.0.1:5000.
    let config_path = chroot.join(&CONFIG[1..]);
    let shipped = std::fs::read_to_string(&config_path).unwrap();
    for line in [
        "bind = \"127.0.0.1:5000\"",
        "data_dir = \"/var/lib/dokku-pro-api\"",
        "kind = \"local\"",
        "root_command = [\"sudo\", \"-n\", \"/usr/bin/dokku\"]",
    ] {
        assert!(shipped.lines().any(|l| l == line), "{CONFIG} lacks `{line}`");
    }
    let port = free_port();
    std::fs::write(
        &config_path,
        shipped.replace("bind = \"127.0.0.1:5000\"", &format!("bind = \"127.0.0.1:{port}\"")),
    )
    .unwrap();

    // As on a host whose nginx is stopped: no pid file (nginx never runs in this chroot; an empty
    // one is what an earlier `nginx -t` left). The unit must cope, or Dokku's `nginx -t` fails
    // in its sandbox and so does every app created below.
    let nginx_pid = chroot.join("run/nginx.pid");
    if std::fs::read(&nginx_pid).is_ok_and(|pid| pid.is_empty()) {
        std::fs::remove_file(&nginx_pid).unwrap();
    }

    // Start it as the unit would.
    let unit = Unit::parse(&std::fs::read_to_string(chroot.join(&UNIT[1..])).unwrap());
    let passwd = std::fs::read_to_string(chroot.join("etc/passwd")).unwrap();
    let script = unit_runner(&unit, &chroot, &passwd);
    let running = Sandboxed::start(&script);
    let api = format!("http://127.0.0.1:{port}/@api");
    let health = running.wait_for(&format!("{api}/health")).await;
    let attributes = &health["data"]["attributes"];
    assert_eq!(attributes["dokku_host"], "local");
    assert_eq!(attributes["dokku_version"], real.version.as_str());
    let uids = running.server_uids();
    assert!(uids.iter().all(|&u| u == dokku_uid), "the server runs as {uids:?}");
    // Its setup checks ran in the unit's sandbox: the sudoers rule lets the root-only commands
    // through (sudo -n -l), and the database takes writes.
    assert_eq!(attributes["storage"]["status"], "ok", "{health}");
    let check = |name: &str| {
        attributes["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|c| c["name"] == name))
            .map(|c| c["status"].clone())
            .unwrap_or_default()
    };
    for name in [
        "root login",
        "data dir",
        "http-auth plugin",
        "maintenance plugin",
        "proxy",
        "nginx config",
    ] {
        assert_eq!(check(name), "ok", "{name}: {health}\n{}", running.log());
    }

    // doctor, as the service's user with the shipped configuration, while the server runs.
    let out = real.root(&format!(
        "runuser -u dokku -- dokku-pro-api doctor --json --config {CONFIG} </dev/null"
    ));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success(), "doctor found a blocker: {report:#}");
    let doctor_check = |name: &str| {
        report["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).cloned().unwrap()
    };
    for name in
        ["data dir", "data files", "database", "dokku host", "root login", "proxy", "nginx config"]
    {
        assert_eq!(doctor_check(name)["status"], "ok", "{name}: {report:#}");
    }
    let root = doctor_check("root login");
    assert!(root["detail"].as_str().unwrap().contains("sudo lets"), "{report:#}");

    // Log in with the initial admin password file (owner-only, the service's user).
    let password_path = chroot.join(&DATA_DIR[1..]).join("initial-admin-password");
    let meta = std::fs::metadata(&password_path).unwrap();
    assert_eq!((meta.uid(), meta.permissions().mode() & 0o777), (dokku_uid, 0o600));
    let password = std::fs::read_to_string(&password_path).unwrap().trim().to_string();
    let http = reqwest::Client::new();
    let login = http.post(format!("{api}/tokens")).basic_auth("admin", Some(&password));
    let token: serde_json::Value = login.send().await.unwrap().json().await.unwrap();
    let bearer = format!("Bearer {}", token["id"].as_str().expect("a token"));
    let call = |method: reqwest::Method, path: &str, body: Option<serde_json::Value>| {
        let request = http.request(method, format!("{api}{path}")).header("authorization", &bearer);
        let request = match body {
            Some(b) => request.json(&b),
            None => request,
        };
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };

    // Create an app; Dokku has it.
    let (status, body) = call(
        reqwest::Method::POST,
        "/apps",
        Some(serde_json::json!({"data": {"type": "apps", "id": app}})),
    )
    .await;
    assert_eq!(status, 201, "{body}\n{}", running.log());
    assert_eq!(real.dokku(&["apps:exists", &app]).status.code(), Some(0));

    // Set an env var; read it back with the dokku CLI.
    let value = "hello world 'quoted' $(not run)";
    let (status, body) = call(
        reqwest::Method::POST,
        "/envs",
        Some(serde_json::json!({"data": {"type": "envs", "attributes": {
            "app_id": app, "key": "GREETING", "value": value}}})),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(real.dokku_ok(&["config:get", &app, "GREETING"]), format!("{value}\n"));

    // Add an SSH key (root, through the sudoers rule); it lands in Dokku; remove it again.
    let keys = tempfile::tempdir().unwrap();
    let key_path = keys.path().join("key");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ci-package", "-f"])
        .arg(&key_path)
        .status()
        .unwrap();
    assert!(keygen.success());
    let public = std::fs::read_to_string(key_path.with_extension("pub")).unwrap();
    let (status, body) = call(
        reqwest::Method::POST,
        "/sshKeys",
        Some(serde_json::json!({"data": {"type": "sshKeys", "attributes": {
            "username": key_name, "ssh_key": public.trim()}}})),
    )
    .await;
    assert_eq!(status, 201, "{body}\n{}", running.log());
    let added: serde_json::Value = serde_json::from_str(&body).unwrap();
    let fingerprint = added["data"]["id"].as_str().unwrap().to_string();
    let listed = real.dokku_ok(&["ssh-keys:list"]);
    assert!(listed.contains(&format!("{fingerprint} NAME=\"{key_name}\"")), "{listed}");
    let (status, body) = call(
        reqwest::Method::DELETE,
        &format!("/sshKeys/{}", fingerprint.replace('/', "%2F")),
        None,
    )
    .await;
    assert_eq!(status, 204, "{body}");
    assert!(!real.dokku_ok(&["ssh-keys:list"]).contains(&key_name));

    // Destroy the app.
    let (status, body) = call(reqwest::Method::DELETE, &format!("/apps/{app}"), None).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(real.dokku(&["apps:exists", &app]).status.code(), Some(20));

    // systemctl stop: SIGTERM, a clean exit.
    let (status, output) = running.stop();
    assert!(status.success(), "the server exited with {status} on SIGTERM:\n{output}");
    assert!(!output.contains("panicked"), "{output}");

    // dpkg --remove: the program and the unit go; the data (the database with its users and
    // tokens) and the conffiles (the configuration, the sudoers rule) stay for a later install,
    // as Debian keeps them until a purge.
    in_chroot_ok(&chroot, "dpkg --remove dokku-pro-api");
    for path in ["/usr/bin/dokku-pro-api", UNIT] {
        assert!(!chroot.join(&path[1..]).exists(), "{path} is still there after remove");
    }
    for path in ["/etc/dokku-pro-api/config.toml", SUDOERS, DATA_DIR] {
        assert!(chroot.join(&path[1..]).exists(), "{path} is gone after remove (not purge)");
    }
    let kept = std::fs::read_dir(chroot.join(&DATA_DIR[1..])).unwrap().count();
    assert!(kept > 0, "the data directory was emptied by remove");

    // dpkg --purge: nothing left.
    in_chroot_ok(&chroot, "dpkg --purge dokku-pro-api");
    std::fs::remove_file(&deb_in_chroot).unwrap();
    let after = snapshot(&chroot);
    let left: Vec<_> = after.difference(&before).collect();
    let gone: Vec<_> = before.difference(&after).collect();
    assert!(left.is_empty(), "left behind after purge: {left:?}");
    assert!(gone.is_empty(), "removed by the package but not its own: {gone:?}");
    for path in [DATA_DIR, "/etc/dokku-pro-api", SUDOERS, UNIT, "/usr/bin/dokku-pro-api"] {
        assert!(!chroot.join(&path[1..]).exists(), "{path} is still there");
    }
}

#[test]
fn the_readme_shows_the_sudoers_rule_the_package_ships() {
    let root = dokku_pro_tests::workspace_root();
    let shipped = std::fs::read_to_string(root.join("server/debian/sudoers")).unwrap();
    let rule = shipped.lines().find(|l| l.starts_with("dokku ")).expect("the rule");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.lines().any(|l| l.trim() == rule), "README.md does not show `{rule}`");
    let for_the_app = rule.replacen("dokku ", "dokku-pro-api ", 1);
    assert!(readme.contains(&format!("echo '{for_the_app}'")), "the container section's rule");
}
