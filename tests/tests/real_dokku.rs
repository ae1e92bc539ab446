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
    server.finish().await;
}

/// A login on the Dokku host that is a sudoer, with the sudoers rule the Debian package ships
/// (for this user instead of `dokku`). Removed when dropped.
struct Sudoer<'a> {
    real: &'a RealDokku,
    user: String,
}

impl<'a> Sudoer<'a> {
    fn create(real: &'a RealDokku) -> Sudoer<'a> {
        let user = format!("ci-sudo-{}", std::process::id());
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
