//! The server against the real Dokku 0.38.27 of the test environment, over SSH (see the
//! tests crate's `real_dokku` module: without it these skip loudly, and fail when
//! `DOKKU_REAL_REQUIRED=1`).

use dokku_pro_tests::harness::TestServer;
use dokku_pro_tests::real_dokku::RealDokku;

#[tokio::test]
async fn serve_over_ssh_reports_the_real_dokku_in_health() {
    let Some(real) = RealDokku::find("serve_over_ssh_reports_the_real_dokku_in_health") else {
        return;
    };
    assert_eq!(real.version, "0.38.27");
    let server = TestServer::start_with(|config| real.configure_ssh(config)).await;
    let response = server.raw("GET", "/@api/health", &[], b"").await;
    assert_eq!(response.status, 200, "{}", response.text());
    let attributes = &response.json()["data"]["attributes"];
    assert_eq!(attributes["dokku_version"], "0.38.27");
    assert_eq!(attributes["dokku_host"], "ssh");
    assert_eq!(attributes["status"], "ok");
    assert_eq!(attributes["storage"]["status"], "ok", "{attributes}");
    assert_eq!(attributes["host"]["status"], "ok", "{attributes}");
    // doctor's facts in short, gathered at start over the same connections.
    let checks = attributes["checks"].as_array().unwrap();
    let status = |name: &str| {
        checks.iter().find(|c| c["name"] == name).map(|c| c["status"].clone()).unwrap_or_default()
    };
    for name in [
        "dokku version",
        "http-auth plugin",
        "maintenance plugin",
        "root login",
        "proxy",
        "nginx config",
    ] {
        assert_eq!(status(name), "ok", "{name}: {attributes}");
    }
    assert_eq!(status("host clock"), "ok", "the chroot shares this machine's clock: {attributes}");
    let text = attributes.to_string();
    assert!(!text.contains("127.0.0.1") && !text.contains("/tmp"), "nothing secret: {text}");
    server.finish().await;
}

/// Runs `doctor`'s checks on `config` (as the command does) and returns them by name.
async fn diagnose(
    config: &dokku_pro_server::config::Config,
) -> std::collections::BTreeMap<&'static str, dokku_pro_server::doctor::Check> {
    let report = dokku_pro_server::doctor::diagnose(config, "test").await;
    report.checks.into_iter().map(|c| (c.name, c)).collect()
}

fn doctor_config(real: &RealDokku, dir: &std::path::Path) -> dokku_pro_server::config::Config {
    let mut config =
        dokku_pro_server::config::Config { data_dir: dir.join("data"), ..Default::default() };
    real.configure_ssh(&mut config);
    config
}

#[tokio::test]
async fn doctor_over_ssh_checks_the_real_dokku_and_names_what_breaks() {
    use dokku_pro_server::doctor::Status;
    const TEST: &str = "doctor_over_ssh_checks_the_real_dokku_and_names_what_breaks";
    let Some(real) = RealDokku::find(TEST) else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = doctor_config(&real, dir.path());
    let checks = diagnose(&config).await;
    let blockers: Vec<_> = checks.values().filter(|c| c.status == Status::Fail).collect();
    assert!(blockers.is_empty(), "{blockers:#?}");
    for name in [
        "ssh key",
        "host key",
        "dokku host",
        "dokku version",
        "http-auth plugin",
        "maintenance plugin",
        "datastore plugins",
        "root login",
        "proxy",
        "nginx config",
        "clock",
        "host clock",
    ] {
        assert_eq!(checks[name].status, Status::Ok, "{name}: {:#?}", checks[name]);
    }
    assert_eq!(
        checks["dokku version"].detail,
        "0.38.27: supported, every JSON form the server uses"
    );
    assert_eq!(checks["http-auth plugin"].detail, "http-auth 0.10.0");
    assert_eq!(checks["maintenance plugin"].detail, "maintenance 0.10.1");
    assert_eq!(checks["datastore plugins"].detail, "postgres 1.48.0");
    assert_eq!(checks["root login"].detail, "`root` is root (uid 0)");
    assert!(!dir.path().join("data").exists(), "doctor changes nothing in the data directory");

    // Another host key for the address: ssh refuses it, and the fix says how to check and record.
    let known_hosts = dir.path().join("known_hosts");
    let line = std::fs::read_to_string(&real.known_hosts).unwrap();
    let other_key = "AAAAC3NzaC1lZDI1NTE5AAAAIERYuvLE9DLBGc1ucsmRVNQy+49e4pzEhlFYJDjBM5XS";
    let host_spec = line.split_whitespace().next().unwrap();
    std::fs::write(&known_hosts, format!("{host_spec} ssh-ed25519 {other_key}\n")).unwrap();
    let mut wrong_key = doctor_config(&real, dir.path());
    wrong_key.host.ssh.known_hosts = Some(known_hosts.clone());
    let checks = diagnose(&wrong_key).await;
    let host_key = &checks["host key"];
    assert_eq!(host_key.status, Status::Fail, "{checks:#?}");
    assert!(
        host_key.detail.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
            || host_key.detail.contains("Host key verification failed"),
        "{host_key:#?}"
    );
    assert!(
        host_key.fix.as_deref().unwrap().contains("ssh-keyscan -p 2223 127.0.0.1"),
        "{host_key:#?}"
    );

    // A key Dokku does not know: the login is refused, and the fix is `ssh-keys:add`.
    let spare = real.identity_file.with_file_name("id_ed25519_second");
    let mut unknown_key = doctor_config(&real, dir.path());
    unknown_key.host.ssh.identity_file = Some(spare);
    let checks = diagnose(&unknown_key).await;
    let host = &checks["dokku host"];
    assert_eq!(host.status, Status::Fail, "{checks:#?}");
    assert!(host.detail.contains("Permission denied"), "{host:#?}");
    assert!(host.fix.as_deref().unwrap().contains("dokku ssh-keys:add"), "{host:#?}");
}

#[tokio::test]
async fn doctor_asks_sudo_whether_a_sudoer_login_may_run_the_root_only_commands() {
    use dokku_pro_server::doctor::Status;
    const TEST: &str = "doctor_asks_sudo_whether_a_sudoer_login_may_run_the_root_only_commands";
    let Some(real) = RealDokku::find(TEST) else { return };
    let sudoer = Sudoer::create(&real);
    let dir = tempfile::tempdir().unwrap();
    let mut config = doctor_config(&real, dir.path());
    config.host.ssh.root_user = Some(sudoer.user.clone());
    config.host.ssh.root_sudo = true;
    // No sudoers rule: sudo wants a password, which -n refuses. A warning (only adding and
    // removing SSH keys need it), with the rule to install.
    let checks = diagnose(&config).await;
    let root = &checks["root login"];
    assert_eq!(root.status, Status::Warn, "{root:#?}");
    assert!(root.detail.contains("a password is required"), "{root:#?}");
    assert!(root.fix.as_deref().unwrap().contains("sudoers rule"), "{root:#?}");
    // The sudoers rule the package ships, for this user: now sudo -l says yes.
    sudoer.allow();
    let checks = diagnose(&config).await;
    let root = &checks["root login"];
    assert_eq!(root.status, Status::Ok, "{root:#?}");
    assert!(root.detail.contains(&sudoer.user), "{root:#?}");
    // Its shell reads the host's clock too.
    assert_eq!(checks["host clock"].status, Status::Ok, "{checks:#?}");
}

/// A login on the Dokku host that is a sudoer, with the sudoers rule the Debian package ships
/// (for this user instead of `dokku`). Removed when dropped.
struct Sudoer<'a> {
    real: &'a RealDokku,
    user: String,
}

impl<'a> Sudoer<'a> {
    fn create(real: &'a RealDokku) -> Sudoer<'a> {
        // Unique per test: tests of this binary run at once, and each removes its user.
        let user = RealDokku::unique_name("sudo");
        let key = std::fs::read_to_string(format!("{}.pub", real.identity_file.display()))
            .expect("the client key's public half");
        let script = format!(
            "set -e; id {user} >/dev/null 2>&1 || useradd -m -s /bin/sh {user}; \
             install -d -m 700 -o {user} -g {user} /home/{user}/.ssh; \
             printf '%s\\n' '{key}' > /home/{user}/.ssh/authorized_keys; \
             chown {user}:{user} /home/{user}/.ssh/authorized_keys; \
             chmod 600 /home/{user}/.ssh/authorized_keys",
            key = key.trim()
        );
        let out = real.root(&script);
        assert!(out.status.success(), "creating {user}: {}", String::from_utf8_lossy(&out.stderr));
        Sudoer { real, user }
    }

    /// Installs the package's sudoers rule for this user.
    fn allow(&self) {
        let shipped = std::fs::read_to_string(
            dokku_pro_tests::workspace_root().join("server/debian/sudoers"),
        )
        .unwrap();
        let rule = shipped
            .lines()
            .find_map(|l| l.strip_prefix("dokku "))
            .expect("the shipped rule is for the dokku user");
        let file = format!("/etc/sudoers.d/{}", self.user);
        let out = self.real.root(&format!(
            "set -e; printf '%s\\n' '{} {rule}' > {file}.new; chmod 0440 {file}.new; \
             visudo -cf {file}.new >/dev/null; mv {file}.new {file}",
            self.user
        ));
        assert!(
            out.status.success(),
            "installing {file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Sudoer<'_> {
    fn drop(&mut self) {
        let _ = self
            .real
            .root(&format!("rm -f /etc/sudoers.d/{0}; userdel -r {0} 2>/dev/null", self.user));
    }
}

#[tokio::test]
async fn a_sudoer_login_runs_ssh_keys_add_and_remove_through_sudo() {
    const TEST: &str = "a_sudoer_login_runs_ssh_keys_add_and_remove_through_sudo";
    let Some(real) = RealDokku::find(TEST) else { return };
    let sudoer = Sudoer::create(&real);
    let server = TestServer::start_with(|config| {
        real.configure_ssh(config);
        config.host.ssh.root_user = Some(sudoer.user.clone());
        config.host.ssh.root_sudo = true;
    })
    .await;
    let bearer = server.bearer().await;
    let keys = tempfile::tempdir().unwrap();
    let key_path = keys.path().join("key");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ci", "-f"])
        .arg(&key_path)
        .status()
        .unwrap();
    assert!(status.success());
    let public = std::fs::read_to_string(key_path.with_extension("pub")).unwrap();
    let name = RealDokku::unique_name("key");
    let body = serde_json::json!({"data": {"type": "sshKeys", "attributes": {
        "username": name, "ssh_key": public.trim()}}});

    // No sudoers rule yet: sudo asks for a password, which -n refuses; a 503 that says so.
    let refused = server.api(&bearer, "POST", "/@api/sshKeys", Some(body.clone())).await;
    assert_eq!(refused.status, 503, "{}", refused.text());
    let title = refused.error_title();
    assert!(title.contains("sudo refused: sudo: a password is required"), "{title}");
    assert!(title.contains(&format!("`{}` (host.ssh.root_sudo)", sudoer.user)), "{title}");

    sudoer.allow();
    let added = server.api(&bearer, "POST", "/@api/sshKeys", Some(body)).await;
    assert_eq!(added.status, 201, "{}", added.text());
    let fingerprint = added.json()["data"]["id"].as_str().unwrap().to_string();
    let listed = real.dokku_ok(&["ssh-keys:list"]);
    assert!(listed.contains(&format!("{fingerprint} NAME=\"{name}\"")), "{listed}");

    let path = format!("/@api/sshKeys/{}", fingerprint.replace('/', "%2F"));
    let removed = server.api(&bearer, "DELETE", &path, None).await;
    assert_eq!(removed.status, 204, "{}", removed.text());
    assert!(!real.dokku_ok(&["ssh-keys:list"]).contains(&name));
    server.finish().await;
}
