//! The container image (`Dockerfile`), checked as far as a machine without a Docker engine or a
//! registry can check it honestly:
//!
//! * the build stage builds the binary this test runs, with the same command, and the runtime
//!   stage copies it from where that command leaves it;
//! * the binary needs nothing the runtime base lacks: only glibc and libgcc, at a glibc version
//!   Debian 12 has;
//! * the runtime stage's user (not root, created with the uid `USER` names), environment,
//!   working directory, `ENTRYPOINT` and `CMD`, read from the Dockerfile, run the release binary
//!   against the real Dokku over SSH, with the configuration found through the environment in
//!   the mounted data directory, as the README's deployment sets it up; `docker stop`'s SIGTERM
//!   ends it cleanly.
//!
//! Not checked here: that the base images exist and build (`rust:*-slim-bookworm`,
//! `debian:bookworm-slim`), apt inside the image, and Dokku building and running it.

use std::path::Path;
use std::process::Command;

use dokku_pro_tests::real_dokku::{self, RealDokku};
use dokku_pro_tests::sandbox::{Sandboxed, free_port, is_root, quote};

const TEST: &str = "the_runtime_stage_runs_the_release_binary_against_real_dokku";

/// One stage of the Dockerfile: its `FROM` line and its instructions (continuations joined).
struct Stage {
    from: String,
    instructions: Vec<(String, String)>,
}

impl Stage {
    fn all(&self, name: &str) -> Vec<&str> {
        self.instructions.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    fn one(&self, name: &str) -> &str {
        let all = self.all(name);
        assert_eq!(all.len(), 1, "the stage `{}` should have one {name}", self.from);
        all[0]
    }

    /// An exec-form instruction (`["a", "b"]`) as its words.
    fn exec_form(&self, name: &str) -> Vec<String> {
        serde_json::from_str(self.one(name))
            .unwrap_or_else(|e| panic!("{name} is not in exec form (a JSON array): {e}"))
    }

    /// `ENV K=V` lines as pairs.
    fn env(&self) -> Vec<(String, String)> {
        self.all("ENV")
            .iter()
            .map(|e| {
                let (k, v) = e.split_once('=').expect("ENV KEY=VALUE");
                (k.to_string(), v.to_string())
            })
            .collect()
    }
}

fn parse_dockerfile(text: &str) -> Vec<Stage> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(start) => current.push_str(start),
            None => {
                current.push_str(line);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    let mut stages: Vec<Stage> = Vec::new();
    for line in joined.iter().filter(|l| !l.is_empty()) {
        let (instruction, rest) = line.split_once(' ').expect("INSTRUCTION arguments");
        let rest = rest.split_whitespace().collect::<Vec<_>>().join(" ");
        if instruction == "FROM" {
            stages.push(Stage { from: rest, instructions: Vec::new() });
        } else {
            stages.last_mut().expect("FROM first").instructions.push((instruction.into(), rest));
        }
    }
    stages
}

fn workspace_file(path: &str) -> String {
    std::fs::read_to_string(dokku_pro_tests::workspace_root().join(path)).unwrap()
}

fn release_binary() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| dokku_pro_tests::workspace_root().join("target"), Into::into)
        .join("release/dokku-pro-api")
}

#[test]
fn the_dockerfile_builds_and_ships_what_this_test_runs() {
    let stages = parse_dockerfile(&workspace_file("Dockerfile"));
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    let (build, run) = (&stages[0], &stages[1]);
    assert!(build.from.starts_with("rust:") && build.from.ends_with("-slim-bookworm AS build"));
    // The runtime base has the glibc the build stage links against (both Debian 12).
    assert_eq!(run.from, "debian:bookworm-slim");
    let build_dir = build.one("WORKDIR");
    let compile = build.one("RUN");
    // The same command `cargo xtask deb` runs, so the binary tested below is the image's.
    assert!(
        compile.contains("cargo build --release --locked -p dokku-pro-server --bin dokku-pro-api"),
        "{compile}"
    );
    assert_eq!(
        run.one("COPY"),
        format!(
            "--from=build {build_dir}/target/release/dokku-pro-api /usr/local/bin/dokku-pro-api"
        )
    );
    // Not root, and the user exists in the image with that uid.
    let user = run.one("USER");
    let (uid, gid) = user.split_once(':').expect("USER uid:gid");
    assert_ne!(uid, "0");
    let setup = run.one("RUN");
    assert!(setup.contains(&format!("useradd --system --uid {uid} --user-group")), "{setup}");
    assert!(setup.contains("openssh-client"), "the SSH executor drives ssh: {setup}");
    assert_eq!(uid, gid);
    assert_eq!(run.exec_form("ENTRYPOINT"), ["/usr/local/bin/dokku-pro-api"]);
    assert_eq!(run.exec_form("CMD"), ["serve"]);
    let ignored = workspace_file(".dockerignore");
    assert!(ignored.lines().any(|l| l == "target"), "the build context leaves out target/");
}

#[test]
fn the_binary_needs_only_what_debian_slim_has() {
    let binary = release_binary();
    if !binary.exists() {
        return real_dokku::skip(
            "the_binary_needs_only_what_debian_slim_has",
            "no release build (cargo xtask deb builds it)",
        );
    }
    let headers = Command::new("objdump").arg("-p").arg(&binary).output().unwrap();
    let headers = String::from_utf8_lossy(&headers.stdout);
    let needed: Vec<&str> =
        headers.lines().filter_map(|l| l.trim().strip_prefix("NEEDED")).map(str::trim).collect();
    for library in &needed {
        assert!(
            ["libc.so.6", "libm.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2"].contains(library),
            "the binary needs {library}, which debian:bookworm-slim may not have ({needed:?})"
        );
    }
    // Debian 12 has glibc 2.36.
    let symbols = Command::new("objdump").arg("-T").arg(&binary).output().unwrap();
    let newest = String::from_utf8_lossy(&symbols.stdout)
        .split_whitespace()
        .filter_map(|w| w.trim_matches(['(', ')']).strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
        })
        .max()
        .expect("glibc symbols");
    assert!(newest <= (2, 36), "the binary needs glibc {newest:?}; Debian 12 has 2.36");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_runtime_stage_runs_the_release_binary_against_real_dokku() {
    let Some(real) = RealDokku::find(TEST) else { return };
    if !is_root() {
        return real_dokku::skip(TEST, "rebuilding the image's file system needs root");
    }
    let binary = release_binary();
    if !binary.exists() {
        return real_dokku::skip(TEST, "no release build (cargo xtask deb builds it)");
    }
    let stages = parse_dockerfile(&workspace_file("Dockerfile"));
    let run = &stages[1];
    let (uid, gid) = run.one("USER").split_once(':').unwrap();
    let env = run.env();
    let config_path = &env.iter().find(|(k, _)| k == "DOKKU_PRO_API_CONFIG").unwrap().1;
    let data_dir = Path::new(config_path).parent().unwrap().display().to_string();
    assert_eq!(run.one("WORKDIR"), data_dir);
    let command: Vec<String> =
        run.exec_form("ENTRYPOINT").into_iter().chain(run.exec_form("CMD")).collect();

    // The mounted data directory as the README prepares it: the configuration, the SSH key and
    // the host's known_hosts line, owned by the image's user. (The README's config listens on
    // 0.0.0.0:5000 inside the container; here a free port on loopback.)
    let staged = tempfile::tempdir().unwrap();
    let port = free_port();
    std::fs::copy(&real.identity_file, staged.path().join("id_ed25519")).unwrap();
    std::fs::copy(&real.known_hosts, staged.path().join("known_hosts")).unwrap();
    std::fs::write(
        staged.path().join("config.toml"),
        format!(
            "bind = \"127.0.0.1:{port}\"\ndata_dir = \"{data_dir}\"\n[host]\nkind = \"ssh\"\n\
             [host.ssh]\nhost = \"{}\"\nport = {}\nuser = \"dokku\"\n\
             identity_file = \"{data_dir}/id_ed25519\"\nknown_hosts = \"{data_dir}/known_hosts\"\n\
             root_user = \"root\"\n",
            real.host, real.port
        ),
    )
    .unwrap();

    // The image's file system on this machine's: its binary at the ENTRYPOINT path, its user
    // in /etc/passwd, the volume bind-mounted at the data directory (as `docker run -v` does).
    // In a private mount namespace, so the machine itself is unchanged.
    let (q_data, q_staged) = (quote(&data_dir), quote(&staged.path().display().to_string()));
    let entrypoint = Path::new(&command[0]);
    let bin_dir = quote(&entrypoint.parent().unwrap().display().to_string());
    let mut script = format!(
        "set -euo pipefail\n\
         mkdir -p /tmp/image-$$ && mount -t tmpfs tmpfs /tmp/image-$$\n\
         cp /etc/passwd /etc/group /tmp/image-$$/\n\
         echo 'dokku-pro-api:x:{uid}:{gid}::{data_dir}:/usr/sbin/nologin' >> /tmp/image-$$/passwd\n\
         echo 'dokku-pro-api:x:{gid}:' >> /tmp/image-$$/group\n\
         mount --bind /tmp/image-$$/passwd /etc/passwd\n\
         mount --bind /tmp/image-$$/group /etc/group\n\
         mount -t tmpfs tmpfs {bin_dir}\n\
         cp {} {}\n\
         mount -t tmpfs tmpfs {parent}\n\
         mkdir -m 0700 {q_data}\n\
         chmod 0700 {q_staged}\n\
         chmod 0600 {q_staged}/id_ed25519\n\
         chown -R {uid}:{gid} {q_staged}\n\
         mount --bind {q_staged} {q_data}\n\
         cd {q_data}\n",
        quote(&binary.display().to_string()),
        quote(&command[0]),
        parent = quote(&Path::new(&data_dir).parent().unwrap().display().to_string()),
    );
    // Docker's environment for the process: PATH, HOME of the user, then ENV.
    let mut vars = vec![
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
        format!("HOME={data_dir}"),
    ];
    vars.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
    script += &format!(
        "exec setpriv --reuid={uid} --regid={gid} --clear-groups env -i {} {}\n",
        vars.iter().map(|v| quote(v)).collect::<Vec<_>>().join(" "),
        command.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" ")
    );
    let running = Sandboxed::start(&script);
    let api = format!("http://127.0.0.1:{port}/@api");
    let health = running.wait_for(&format!("{api}/health")).await;
    assert_eq!(health["data"]["attributes"]["dokku_host"], "ssh");
    assert_eq!(health["data"]["attributes"]["dokku_version"], real.version.as_str());
    let uids = running.server_uids();
    assert!(uids.iter().all(|u| u.to_string() == uid), "the server runs as {uids:?}");

    // The first start wrote the admin password into the volume (owner-only) and printed only
    // where it is; it works.
    let output = running.log();
    let password_file = format!("{data_dir}/initial-admin-password");
    assert!(output.contains(&password_file), "the log names the password file:\n{output}");
    let on_volume = staged.path().join("initial-admin-password");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&on_volume).unwrap().permissions(),
    );
    assert_eq!(mode & 0o077, 0, "the password file is owner-only");
    let password = std::fs::read_to_string(&on_volume).unwrap().trim().to_string();
    assert!(!output.contains(&password), "the password itself is never logged");
    let http = reqwest::Client::new();
    let login = http.post(format!("{api}/tokens")).basic_auth("admin", Some(&password));
    let token: serde_json::Value = login.send().await.unwrap().json().await.unwrap();
    let bearer = format!("Bearer {}", token["id"].as_str().expect("a token"));
    let apps = http.get(format!("{api}/apps")).header("authorization", bearer).send().await;
    assert_eq!(apps.unwrap().status(), 200);

    let (status, output) = running.stop();
    assert!(status.success(), "SIGTERM (docker stop) did not end it cleanly:\n{output}");
}
