//! The local and SSH executors against real processes: the `dokku-sim` binary as `dokku`, and a
//! real OpenSSH `sshd` on 127.0.0.1 whose `authorized_keys` forced command re-parses the command
//! string the way Dokku does (`xargs -n 1`) before running `dokku-sim`.
//!
//! The SSH tests need `sshd` (`.ci/run` installs openssh-server). They fail, not skip, when it
//! is missing: a green run must mean the SSH executor was tested.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use dokku_pro_server::host::local::LocalExecutor;
use dokku_pro_server::host::ssh::{Quoting, SshExecutor, SshOptions, SshTarget};
use dokku_pro_server::host::{
    DokkuCommand, Executor, Host, HostError, LockKey, Output, check_status, is_read_only,
};
use dokku_pro_server::ids::AppName;

const SIM: &str = env!("CARGO_BIN_EXE_dokku-sim");

/// Runs any command through the host the way the app layer would: a read as a read, a write
/// under the locks of the apps it names (and the SSH keys). These tests exercise transports.
async fn run_raw(host: &Host, cmd: &DokkuCommand) -> Result<Output, HostError> {
    if is_read_only(cmd) {
        return host.read(cmd).await;
    }
    let mut keys: Vec<LockKey> =
        cmd.argv().iter().filter_map(|a| AppName::parse(a).ok()).map(LockKey::App).collect();
    keys.push(LockKey::SshKeys);
    host.lock_all(keys).await.run_raw(cmd).await
}

async fn run_on(host: &Host, cmd: &DokkuCommand) -> Result<Output, HostError> {
    check_status(cmd, run_raw(host, cmd).await?)
}

fn local(state: &Path) -> LocalExecutor {
    LocalExecutor::new(SIM, Duration::from_secs(30))
        .with_env("DOKKU_SIM_STATE_DIR", state.display().to_string())
}

#[tokio::test]
async fn the_local_executor_runs_the_sim_binary_and_keeps_streams_apart() {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::connect(Arc::new(local(dir.path())), None).await.unwrap();
    assert_eq!(host.version().to_string(), "0.38.27");
    assert_eq!(host.kind(), "local");

    run_on(&host, &DokkuCommand::new("apps:create").arg("node-js-app")).await.unwrap();
    let err =
        run_on(&host, &DokkuCommand::new("apps:create").arg("node-js-app")).await.unwrap_err();
    assert!(
        matches!(&err, HostError::Refused { message, .. } if message == "Name is already taken"),
        "{err:?}"
    );
    let err = run_on(&host, &DokkuCommand::new("apps:report").arg("nope")).await.unwrap_err();
    assert!(
        matches!(&err, HostError::AppNotFound { message } if message == "App nope does not exist"),
        "{err:?}"
    );

    // Values of any content arrive exactly: through argv locally, through stdin for import.
    let value = "a b 'q' \"d\" $(id) `x` ; | && \\ ünï ✓";
    run_on(
        &host,
        &DokkuCommand::new("config:set")
            .arg("--no-restart")
            .arg("node-js-app")
            .secret_arg(format!("K={value}")),
    )
    .await
    .unwrap();
    let multi = serde_json::json!({"MULTI": "line1\nline2\n"}).to_string();
    run_on(
        &host,
        &DokkuCommand::new("config:import")
            .with_args(["--no-restart", "--format", "json", "node-js-app", "-"])
            .stdin(multi),
    )
    .await
    .unwrap();
    let out = run_on(
        &host,
        &DokkuCommand::new("config:export").arg("--format").arg("json").arg("node-js-app"),
    )
    .await
    .unwrap();
    let env: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(env["K"], value);
    assert_eq!(env["MULTI"], "line1\nline2\n");
    assert!(out.stderr.is_empty());

    // A prompt on a closed stdin fails at once instead of hanging.
    let out = run_raw(&host, &DokkuCommand::new("apps:destroy").arg("node-js-app")).await.unwrap();
    assert_ne!(out.status, 0);
}

#[tokio::test]
async fn the_local_executor_kills_a_command_past_its_timeout() {
    let executor = LocalExecutor::new("sleep", Duration::from_millis(200));
    let started = std::time::Instant::now();
    let err = executor.run(&DokkuCommand::new("5")).await.unwrap_err();
    assert!(matches!(err, HostError::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_missing_program_is_a_spawn_error() {
    let executor = LocalExecutor::new("/nonexistent/dokku", Duration::from_secs(1));
    let err = executor.run(&DokkuCommand::new("version")).await.unwrap_err();
    assert!(matches!(err, HostError::Spawn { .. }), "{err:?}");
}

/// A throwaway sshd on 127.0.0.1 with its own host key and two client keys: one with a forced
/// command that behaves like Dokku's (the `dokku` login), one that runs a shell (the root login).
struct Sshd {
    dir: tempfile::TempDir,
    port: u16,
    child: std::process::Child,
    dokku_key: PathBuf,
    root_key: PathBuf,
    host_pub: PathBuf,
}

fn run(cmd: &mut std::process::Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn keygen(path: &Path) {
    run(std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path));
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn find_sshd() -> PathBuf {
    for candidate in ["/usr/sbin/sshd", "/usr/bin/sshd", "/sbin/sshd"] {
        if Path::new(candidate).exists() {
            return candidate.into();
        }
    }
    panic!(
        "sshd is not installed (apt-get install openssh-server); the SSH executor tests need it"
    );
}

impl Sshd {
    fn start() -> Sshd {
        let sshd = find_sshd();
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all("/run/sshd").ok();
        keygen(&d.join("host_key"));
        keygen(&d.join("dokku_key"));
        keygen(&d.join("root_key"));
        let state = d.join("state");
        std::fs::create_dir_all(&state).unwrap();
        // What Dokku does with SSH_ORIGINAL_COMMAND: split it with xargs, one word per line.
        let forced = d.join("dokku-forced");
        std::fs::write(
            &forced,
            format!(
                "#!/usr/bin/env bash\nexport LC_ALL=C DOKKU_SIM_STATE_DIR={state}\n\
                 mapfile -t words < <(printf '%s' \"$SSH_ORIGINAL_COMMAND\" | xargs -n 1)\n\
                 exec {SIM} \"${{words[@]}}\"\n",
                state = state.display()
            ),
        )
        .unwrap();
        // The root login: a POSIX shell with `dokku` on its PATH.
        let bin = d.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(
            bin.join("dokku"),
            format!("#!/bin/sh\nDOKKU_SIM_STATE_DIR={} exec {SIM} \"$@\"\n", state.display()),
        )
        .unwrap();
        let root_shell = d.join("root-shell");
        std::fs::write(
            &root_shell,
            format!(
                "#!/bin/sh\nPATH={}:$PATH exec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n",
                bin.display()
            ),
        )
        .unwrap();
        for f in [&forced, &root_shell, &bin.join("dokku")] {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let pubkey = |name: &str| std::fs::read_to_string(d.join(format!("{name}.pub"))).unwrap();
        std::fs::write(
            d.join("authorized_keys"),
            format!(
                "command=\"{}\",no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding {}\
                 command=\"{}\",no-agent-forwarding,no-X11-forwarding,no-port-forwarding {}",
                forced.display(),
                pubkey("dokku_key"),
                root_shell.display(),
                pubkey("root_key"),
            ),
        )
        .unwrap();
        let port = free_port();
        std::fs::write(
            d.join("sshd_config"),
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
                 PidFile {}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin yes\n\
                 LogLevel VERBOSE\nMaxSessions 50\nMaxStartups 50\n",
                d.join("host_key").display(),
                d.join("authorized_keys").display(),
                d.join("sshd.pid").display(),
            ),
        )
        .unwrap();
        let child = std::process::Command::new(&sshd)
            .args(["-D", "-f"])
            .arg(d.join("sshd_config"))
            .arg("-E")
            .arg(d.join("sshd.log"))
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        // Ready when it accepts connections (give it time on a loaded machine; fail loudly if
        // it never comes up rather than letting a later step fail obscurely).
        let mut ready = false;
        for _ in 0..600 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                ready = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        assert!(ready, "sshd did not start listening on port {port}");
        Sshd {
            port,
            child,
            dokku_key: d.join("dokku_key"),
            root_key: d.join("root_key"),
            host_pub: d.join("host_key.pub"),
            dir,
        }
    }

    /// A known_hosts file that trusts this sshd's host key.
    fn known_hosts(&self) -> PathBuf {
        let path = self.dir.path().join("known_hosts");
        let key = std::fs::read_to_string(&self.host_pub).unwrap();
        std::fs::write(&path, format!("[127.0.0.1]:{} {key}", self.port)).unwrap();
        path
    }

    fn empty_known_hosts(&self) -> PathBuf {
        let path = self.dir.path().join("known_hosts.empty");
        std::fs::write(&path, "").unwrap();
        path
    }

    fn target(&self, key: &Path, known_hosts: PathBuf, quoting: Quoting) -> SshTarget {
        SshTarget {
            host: "127.0.0.1".into(),
            port: self.port,
            user: "root".into(),
            identity_file: Some(key.to_path_buf()),
            known_hosts,
            accept_new_host_key: false,
            quoting,
        }
    }

    fn options(&self) -> SshOptions {
        SshOptions {
            program: "ssh".into(),
            control_dir: self.dir.path().to_path_buf(),
            connect_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(30),
        }
    }

    fn dokku_executor(&self) -> SshExecutor {
        SshExecutor::new(
            self.target(&self.dokku_key, self.known_hosts(), Quoting::DokkuXargs),
            self.options(),
        )
    }

    /// How many SSH connections sshd has authenticated so far.
    fn logins(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("sshd.log"))
            .unwrap_or_default()
            .matches("Accepted publickey")
            .count()
    }

    /// Drops every established connection (sshd's per-connection processes), as a network
    /// failure would, leaving the listener up.
    fn drop_connections(&self) {
        let _ =
            std::process::Command::new("pkill").args(["-P", &self.child.id().to_string()]).status();
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn ssh_commands_share_one_connection_and_arguments_arrive_unaltered() {
    let sshd = Sshd::start();
    let executor = Arc::new(sshd.dokku_executor());
    let host = Host::connect(executor.clone(), None).await.unwrap();
    assert_eq!(host.kind(), "ssh");
    run_on(&host, &DokkuCommand::new("apps:create").arg("node-js-app")).await.unwrap();
    let hostile = [
        "a b",
        "it's",
        r#"dq " and \ backslash"#,
        "$(touch /tmp/pwned-by-dokku-pro-api)",
        "`id`",
        "; rm -rf / ; echo",
        "x && y || z | w > v",
        "*",
        "ünïcödé ✓",
        "--force",
        "trailing space ",
    ];
    for (i, value) in hostile.iter().enumerate() {
        run_on(
            &host,
            &DokkuCommand::new("config:set")
                .arg("--no-restart")
                .arg("node-js-app")
                .secret_arg(format!("K{i}={value}")),
        )
        .await
        .unwrap();
    }
    let out = run_on(
        &host,
        &DokkuCommand::new("config:export").arg("--format").arg("json").arg("node-js-app"),
    )
    .await
    .unwrap();
    let env: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    for (i, value) in hostile.iter().enumerate() {
        assert_eq!(env[format!("K{i}")], *value, "K{i}");
    }
    assert!(!Path::new("/tmp/pwned-by-dokku-pro-api").exists());
    // Exit statuses come back through ssh.
    let err = run_on(&host, &DokkuCommand::new("apps:report").arg("nope")).await.unwrap_err();
    assert!(matches!(err, HostError::AppNotFound { .. }), "{err:?}");
    // Data on stdin (what env values with newlines use).
    let json = serde_json::json!({"MULTI": "l1\nl2"}).to_string();
    run_on(
        &host,
        &DokkuCommand::new("config:import")
            .with_args(["--no-restart", "--format", "json", "node-js-app", "-"])
            .stdin(json),
    )
    .await
    .unwrap();
    let out = run_on(&host, &DokkuCommand::new("config:get").arg("node-js-app").arg("MULTI"))
        .await
        .unwrap();
    assert_eq!(out.stdout, "l1\nl2\n");
    // What cannot travel is refused before anything is sent.
    let err = run_on(&host, &DokkuCommand::new("config:set").arg("node-js-app").arg("-n"))
        .await
        .unwrap_err();
    assert!(matches!(err, HostError::Unsendable { .. }), "{err:?}");
    assert_eq!(sshd.logins(), 1, "one handshake for every command");
    executor.close().await;
}

#[tokio::test]
async fn a_dropped_connection_is_re_established() {
    let sshd = Sshd::start();
    let executor = Arc::new(sshd.dokku_executor());
    let host = Host::connect(executor.clone(), None).await.unwrap();
    assert_eq!(sshd.logins(), 1);
    sshd.drop_connections();
    run_on(&host, &DokkuCommand::new("apps:create").arg("after-the-drop")).await.unwrap();
    let out =
        run_on(&host, &DokkuCommand::new("apps:list").arg("--format").arg("json")).await.unwrap();
    assert!(out.stdout.contains("after-the-drop"));
    assert_eq!(sshd.logins(), 2, "one new handshake after the drop, then reuse");
    executor.close().await;
}

#[tokio::test]
async fn an_unknown_host_key_is_refused() {
    let sshd = Sshd::start();
    let target = sshd.target(&sshd.dokku_key, sshd.empty_known_hosts(), Quoting::DokkuXargs);
    let executor = SshExecutor::new(target, sshd.options());
    let err = executor.run(&DokkuCommand::new("version")).await.unwrap_err();
    match err {
        HostError::Transport { detail } => {
            assert!(detail.contains("Host key verification failed"), "{detail}")
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
    assert_eq!(sshd.logins(), 0);
}

#[tokio::test]
async fn a_pinned_fingerprint_is_checked() {
    let sshd = Sshd::start();
    let listed =
        std::process::Command::new("ssh-keygen").arg("-lf").arg(&sshd.host_pub).output().unwrap();
    let fingerprint =
        String::from_utf8(listed.stdout).unwrap().split_whitespace().nth(1).unwrap().to_string();
    let pinned = sshd.dir.path().join("pinned_known_hosts");
    dokku_pro_server::host::ssh::pin_host_key(
        Path::new("ssh-keyscan"),
        Path::new("ssh-keygen"),
        "127.0.0.1",
        sshd.port,
        &fingerprint,
        &pinned,
    )
    .await
    .unwrap();
    let executor =
        SshExecutor::new(sshd.target(&sshd.dokku_key, pinned, Quoting::DokkuXargs), sshd.options());
    assert_eq!(
        executor.run(&DokkuCommand::new("version")).await.unwrap().stdout,
        "dokku version 0.38.27\n"
    );
    executor.close().await;

    let wrong = dokku_pro_server::host::ssh::pin_host_key(
        Path::new("ssh-keyscan"),
        Path::new("ssh-keygen"),
        "127.0.0.1",
        sshd.port,
        "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &sshd.dir.path().join("wrong_known_hosts"),
    )
    .await;
    assert!(matches!(wrong, Err(HostError::Transport { .. })), "{wrong:?}");
}

#[tokio::test]
async fn root_only_commands_use_the_root_login_with_shell_quoting() {
    let sshd = Sshd::start();
    let dokku = Arc::new(sshd.dokku_executor());
    let root = Arc::new(SshExecutor::new(
        sshd.target(&sshd.root_key, sshd.known_hosts(), Quoting::PosixShell),
        sshd.options(),
    ));
    let host = Host::connect(dokku.clone(), Some(root.clone())).await.unwrap();
    let key = std::fs::read_to_string(format!("{}.pub", sshd.dokku_key.display())).unwrap();
    let out = run_on(
        &host,
        &DokkuCommand::new("ssh-keys:add").arg("admin user's key").stdin(key).as_root(),
    )
    .await
    .unwrap();
    assert!(out.stdout.trim().starts_with("SHA256:"), "{out:?}");
    let listed = run_on(&host, &DokkuCommand::new("ssh-keys:list").arg("--format").arg("json"))
        .await
        .unwrap();
    assert!(listed.stdout.contains("admin user's key"), "{}", listed.stdout);

    // Without a root login, root-only commands are refused with a clear error.
    let no_root = Host::connect(dokku.clone(), None).await.unwrap();
    let err = run_on(&no_root, &DokkuCommand::new("ssh-keys:remove").arg("x").as_root())
        .await
        .unwrap_err();
    assert!(matches!(err, HostError::NoRootLogin { .. }), "{err:?}");
    dokku.close().await;
    root.close().await;
}

#[tokio::test]
async fn an_old_dokku_is_refused_with_both_versions_named() {
    let dir = tempfile::tempdir().unwrap();
    let executor = local(dir.path()).with_env("DOKKU_SIM_VERSION", "0.33.9");
    let err = Host::connect(Arc::new(executor), None).await.err().expect("refused");
    assert_eq!(
        err.to_string(),
        "the Dokku host runs version 0.33.9, older than the oldest supported version 0.34.0; upgrade Dokku"
    );
}

#[tokio::test]
async fn the_sim_binary_takes_its_latency_knob() {
    let dir = tempfile::tempdir().unwrap();
    let executor = local(dir.path()).with_env("DOKKU_SIM_LATENCY_MS", "300");
    let started = std::time::Instant::now();
    let out = executor.run(&DokkuCommand::new("version")).await.unwrap();
    assert_eq!(out.stdout, "dokku version 0.38.27\n");
    assert!(started.elapsed() >= Duration::from_millis(300));
}
