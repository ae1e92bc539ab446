//! Root-only commands on the local host kind: `host.root_command` against the `dokku-sim` binary.
//!
//! Real Dokku refuses `ssh-keys:add|remove` from anyone but root, and re-executes everything
//! else as the `dokku` user. The `dokku` program here is a wrapper around `dokku-sim` that does
//! the same refusal unless it was started through the root command, and the root command is a
//! stand-in for `sudo -n` that records its calls. (The same path through the real `sudo` and the
//! real Dokku is the package test of the tests crate.)

use std::path::{Path, PathBuf};
use std::sync::Arc;

use dokku_pro_api::error::ApiError;
use dokku_pro_server::config::{HostConfig, HostKind};
use dokku_pro_server::host::{DokkuCommand, HostError, LockKey, setup};
use dokku_pro_server::ids::AppName;

const SIM: &str = env!("CARGO_BIN_EXE_dokku-sim");
const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIERYuvLE9DLBGc1ucsmRVNQy+49e4pzEhlFYJDjBM5XS alice@example\n";

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    /// `dokku` (refuses root-only commands unless run through `sudo`), and two `sudo` stand-ins:
    /// one that runs its command as "root" and logs it, one that refuses like a sudo with no rule.
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let state = d.join("state");
        std::fs::create_dir_all(&state).unwrap();
        script(
            &d.join("dokku"),
            &format!(
                "#!/bin/sh\n\
                 case \"$1\" in ssh-keys:add|ssh-keys:remove)\n\
                   if [ \"$FAKE_ROOT\" != 1 ]; then echo ' !     This command must be run as root' >&2; exit 1; fi;;\n\
                 esac\n\
                 echo \"$FAKE_ROOT $*\" >> {log}\n\
                 DOKKU_SIM_STATE_DIR={state} exec {SIM} \"$@\"\n",
                log = d.join("dokku.log").display(),
                state = state.display()
            ),
        );
        script(
            &d.join("sudo"),
            &format!(
                "#!/bin/sh\n[ \"$1\" = -n ] || {{ echo 'sudo: expected -n' >&2; exit 99; }}\nshift\n\
                 echo \"$*\" >> {log}\nFAKE_ROOT=1 exec \"$@\"\n",
                log = d.join("sudo.log").display()
            ),
        );
        script(
            &d.join("sudo-refuses"),
            "#!/bin/sh\necho 'sudo: a password is required' >&2\nexit 1\n",
        );
        Fixture { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn config(&self, root_command: Option<Vec<String>>) -> HostConfig {
        HostConfig {
            kind: HostKind::Local,
            dokku_path: self.path("dokku"),
            root_command,
            ..HostConfig::default()
        }
    }

    fn sudo(&self, program: &str) -> Option<Vec<String>> {
        Some(vec![
            self.path(program).display().to_string(),
            "-n".into(),
            self.path("dokku").display().to_string(),
        ])
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }
}

fn script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn add_key() -> DokkuCommand {
    DokkuCommand::new("ssh-keys:add").arg("alice").stdin(KEY).as_root()
}

#[tokio::test]
async fn root_only_commands_go_through_the_root_command_and_nothing_else_does() {
    let f = Fixture::new();
    let data = f.path("data");
    let connected = setup::connect(&f.config(f.sudo("sudo")), &data).await.unwrap();
    let host = Arc::clone(&connected.host);
    assert_eq!(host.kind(), "local");

    let app = AppName::parse_new("node-js-app").unwrap();
    host.lock(LockKey::App(app))
        .await
        .run(&DokkuCommand::new("apps:create").arg("node-js-app"))
        .await
        .unwrap();
    let keys = host.lock(LockKey::SshKeys).await;
    let out = keys.run(&add_key()).await.unwrap();
    assert!(out.stdout.trim().starts_with("SHA256:"), "{out:?}");
    let listed =
        host.read(&DokkuCommand::new("ssh-keys:list").arg("--format").arg("json")).await.unwrap();
    assert!(listed.stdout.contains("alice"), "{}", listed.stdout);
    let fingerprint = out.stdout.trim().to_string();
    keys.run(
        &DokkuCommand::new("ssh-keys:remove").arg("--fingerprint").arg(&fingerprint).as_root(),
    )
    .await
    .unwrap();

    // sudo saw exactly the two root-only commands, with the configured prefix.
    let dokku = f.path("dokku").display().to_string();
    assert_eq!(
        f.log("sudo.log"),
        format!(
            "{dokku} ssh-keys:add alice\n{dokku} ssh-keys:remove --fingerprint {fingerprint}\n"
        )
    );
    // And everything else ran as the server's own user.
    let calls = f.log("dokku.log");
    assert!(calls.lines().any(|l| l == " apps:create node-js-app"), "{calls}");
    assert!(calls.lines().any(|l| l == " ssh-keys:list --format json"), "{calls}");
    assert!(calls.lines().any(|l| l == "1 ssh-keys:add alice"), "{calls}");
}

#[tokio::test]
async fn without_a_root_command_dokkus_refusal_says_to_set_one() {
    let f = Fixture::new();
    let connected = setup::connect(&f.config(None), &f.path("data")).await.unwrap();
    let err = connected.host.lock(LockKey::SshKeys).await.run(&add_key()).await.unwrap_err();
    assert!(matches!(err, HostError::NoRootLogin { .. }), "{err:?}");
    let api = ApiError::from(err);
    assert_eq!(api.status().as_u16(), 503);
    let title = api.title();
    assert!(title.contains("Dokku said: This command must be run as root"), "{title}");
    assert!(title.contains("set host.root_command"), "{title}");
    assert!(!title.contains("host.ssh"), "a local server is not told about SSH: {title}");
}

#[tokio::test]
async fn a_sudo_that_refuses_is_a_503_naming_the_root_command() {
    let f = Fixture::new();
    let connected =
        setup::connect(&f.config(f.sudo("sudo-refuses")), &f.path("data")).await.unwrap();
    let api = ApiError::from(
        connected.host.lock(LockKey::SshKeys).await.run(&add_key()).await.unwrap_err(),
    );
    assert_eq!(api.status().as_u16(), 503);
    let title = api.title();
    assert!(title.contains("sudo refused: sudo: a password is required"), "{title}");
    assert!(title.contains("host.root_command is `"), "{title}");
    assert!(title.contains("sudo-refuses -n "), "{title}");
}
