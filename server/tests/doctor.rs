//! `dokku-pro-api doctor`, run as a process: the same configuration as `serve` (file and
//! `--sim`), one table or JSON, a fix for each problem, exit 1 on a blocker. (Against the real
//! Dokku over SSH: `tests/tests/real_dokku.rs`.)

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_dokku-pro-api");

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

fn doctor(args: &[&str]) -> Output {
    Command::new(BIN).arg("doctor").args(args).env("COLUMNS", "200").output().unwrap()
}

/// The checks of `doctor --json ...`, and whether it exited 0.
fn doctor_json(args: &[&str]) -> (bool, Vec<Value>) {
    let mut all = args.to_vec();
    all.push("--json");
    let out = doctor(&all);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    (out.status.success(), report["checks"].as_array().unwrap().clone())
}

fn check<'a>(checks: &'a [Value], name: &str) -> &'a Value {
    checks
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name}: {checks:?}"))
}

fn write_config(dir: &Path, body: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, body).unwrap();
    path
}

#[test]
fn doctor_finds_nothing_to_fix_on_the_simulated_host() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Before the first start: nothing exists yet, and that is fine.
    let (ok, checks) = doctor_json(&["--sim", "--data-dir", data.to_str().unwrap()]);
    assert!(ok, "{checks:#?}");
    assert_eq!(check(&checks, "database")["status"], "skip");
    assert!(!data.exists(), "doctor created nothing");

    // After a start (the server made its directory and database).
    let out = Command::new(BIN)
        .args(["user", "add", "alice", "--data-dir"])
        .arg(&data)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"a long password\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (ok, checks) = doctor_json(&["--sim", "--data-dir", data.to_str().unwrap()]);
    assert!(ok, "{checks:#?}");
    for name in [
        "config",
        "data dir",
        "data files",
        "disk space",
        "database",
        "dokku host",
        "dokku version",
        "http-auth plugin",
        "maintenance plugin",
        "datastore plugins",
        "root login",
        "proxy",
        "nginx config",
    ] {
        assert_eq!(check(&checks, name)["status"], "ok", "{name}: {:#?}", check(&checks, name));
    }
    // The clock may warn on a machine without NTP; nothing else does.
    for c in &checks {
        assert!(c["status"] == "ok" || c["name"] == "clock", "{c:#?}");
        assert_ne!(c["status"], "fail", "{c:#?}");
    }
    assert!(check(&checks, "database")["detail"].as_str().unwrap().contains("accepted a write"));
    assert!(
        check(&checks, "dokku version")["detail"].as_str().unwrap().contains("every JSON form")
    );

    // The table: one row per check, a header, and the count.
    let out = doctor(&["--sim", "--data-dir", data.to_str().unwrap()]);
    assert!(out.status.success());
    let table = text(&out.stdout);
    assert!(table.starts_with("CHECK"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("proxy") && l.contains(" ok ")), "{table}");
    assert!(table.contains(" 0 fail"), "{table}");
}

#[test]
fn an_older_simulated_dokku_is_supported_with_its_fallbacks_named() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "data_dir = \"{}\"\n[host]\nkind = \"sim\"\n[host.sim]\nversion = \"0.36.0\"\n",
            dir.path().join("data").display()
        ),
    );
    let (ok, checks) = doctor_json(&["--config", config.to_str().unwrap()]);
    assert!(ok, "{checks:#?}");
    let version = check(&checks, "dokku version");
    assert_eq!(version["status"], "ok");
    assert!(version["detail"].as_str().unwrap().contains("plugin:list JSON (from 0.38.22)"));
    // No --global reports before 0.38.0: the proxy cannot be asked.
    assert_eq!(check(&checks, "proxy")["status"], "skip");
}

#[test]
fn a_failing_nginx_check_is_a_warning_with_what_nginx_said() {
    // What `dokku nginx:validate-config` prints when nginx may not write its pid file (a
    // read-only /run): Dokku's verdict on each app's file, then nginx's own lines.
    let inject = r#"[{"subcommand":"nginx:validate-config","effect":{"exit":{"status":1,
        "stderr":" !     Failed to validate nginx config for web. Contents below...\nnginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: [emerg] open() \"/run/nginx.pid\" failed (30: Read-only file system)\nnginx: configuration file /etc/nginx/nginx.conf test failed\n"}}}]"#;
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["doctor", "--json", "--dokku-path", env!("CARGO_BIN_EXE_dokku-sim"), "--data-dir"])
        .arg(dir.path().join("data"))
        .env("DOKKU_SIM_STATE_DIR", dir.path().join("sim"))
        .env("DOKKU_SIM_INJECT", inject)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    assert!(out.status.success(), "a warning, not a blocker: {report:#}");
    let checks = report["checks"].as_array().unwrap();
    assert_eq!(check(checks, "proxy")["status"], "ok");
    let nginx = check(checks, "nginx config");
    assert_eq!(nginx["status"], "warn", "{nginx:#}");
    let detail = nginx["detail"].as_str().unwrap();
    assert!(detail.contains("refuses to create apps"), "{detail}");
    assert!(detail.contains("Failed to validate nginx config for web"), "{detail}");
    assert!(detail.contains("/run/nginx.pid\" failed (30: Read-only file system)"), "{detail}");
    assert!(!detail.contains("syntax is ok"), "{detail}");
    assert!(nginx["fix"].as_str().unwrap().contains("dokku nginx:validate-config"), "{nginx:#}");
}

#[test]
fn an_unreachable_ssh_host_is_a_blocker_with_its_fix() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on, and a host key for it, so that the connection itself fails.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!(
            "[127.0.0.1]:{port} ssh-ed25519 \
             AAAAC3NzaC1lZDI1NTE5AAAAIERYuvLE9DLBGc1ucsmRVNQy+49e4pzEhlFYJDjBM5XS\n"
        ),
    )
    .unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "data_dir = \"{}\"\n[host]\nkind = \"ssh\"\n[host.ssh]\nhost = \"127.0.0.1\"\n\
             port = {port}\nknown_hosts = \"{}\"\nconnect_timeout_seconds = 5\n",
            dir.path().join("data").display(),
            known_hosts.display()
        ),
    );
    let out = doctor(&["--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let table = text(&out.stdout);
    let row =
        table.lines().find(|l| l.starts_with("dokku host")).unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains(" fail "), "{table}");
    assert!(table.contains("check host.ssh.host and host.ssh.port"), "the fix: {table}");
    assert!(table.contains("Fix the failures first"), "{table}");

    let (ok, checks) = doctor_json(&["--config", config.to_str().unwrap()]);
    assert!(!ok);
    assert_eq!(check(&checks, "host key")["status"], "ok", "{checks:#?}");
    let detail = check(&checks, "dokku host")["detail"].as_str().unwrap();
    assert!(detail.contains("Connection refused"), "{detail}");
    assert_eq!(check(&checks, "plugins")["status"], "skip");
    assert!(
        check(&checks, "dokku host")["fix"].as_str().unwrap().contains(&format!("ssh -p {port}"))
    );
}

#[test]
fn an_unknown_host_key_is_a_blocker_with_its_fix() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "data_dir = \"{}\"\n[host]\nkind = \"ssh\"\n[host.ssh]\nhost = \"127.0.0.1\"\n\
             port = 2\nknown_hosts = \"{}\"\nconnect_timeout_seconds = 2\n",
            dir.path().join("data").display(),
            dir.path().join("missing_known_hosts").display()
        ),
    );
    let (ok, checks) = doctor_json(&["--config", config.to_str().unwrap()]);
    assert!(!ok);
    let host_key = check(&checks, "host key");
    assert_eq!(host_key["status"], "fail", "{checks:#?}");
    assert!(host_key["fix"].as_str().unwrap().contains("ssh-keyscan -p 2 127.0.0.1"), "{host_key}");
}

#[test]
fn a_data_dir_the_server_cannot_write_is_a_blocker() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    dokku_pro_server::create_data_dir(&data).unwrap();
    drop(dokku_pro_server::storage::Storage::open(&data).unwrap());
    let args = ["doctor", "--sim", "--json", "--data-dir", data.to_str().unwrap()];
    // Root writes wherever permissions say no: make the directory a read-only mount for it (in
    // a mount namespace of its own, gone with the process); other users: take the write bit.
    let root = unsafe { libc::geteuid() } == 0;
    let out = if root {
        let script = format!(
            "mount --bind {d} {d} && mount -o remount,bind,ro {d} && exec \"$0\" \"$@\"",
            d = data.display()
        );
        Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", &script, BIN])
            .args(args)
            .output()
            .unwrap()
    } else {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o500)).unwrap();
        let out = Command::new(BIN).args(args).output().unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
        out
    };
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = report["checks"].as_array().unwrap();
    let data_dir = check(checks, "data dir");
    assert_eq!(data_dir["status"], "fail", "{checks:#?}");
    if root {
        assert!(
            data_dir["detail"].as_str().unwrap().contains("read-only file system"),
            "{data_dir}"
        );
        assert!(data_dir["fix"].as_str().unwrap().contains("mount it read-write"), "{data_dir}");
    } else {
        assert!(data_dir["fix"].as_str().unwrap().contains("chown"), "{data_dir}");
    }
    assert_eq!(check(checks, "database")["status"], "fail", "{checks:#?}");
}

#[test]
fn an_invalid_configuration_is_one_failed_row() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "[host]\nkind = \"ssh\"\n");
    let out = doctor(&["--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let table = text(&out.stdout);
    let row = table.lines().find(|l| l.starts_with("config")).unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains(" fail "), "{table}");
    assert!(table.contains("host.ssh.host is not set"), "{table}");
}
