//! A server started the way a service manager would start it, for the tests that check how it
//! is deployed (the Debian package's systemd unit, the container image): a shell script run as
//! root by `unshare` in private mount, UTS and pid namespaces, which sets up the file system the
//! deployment gives the server and then `exec`s it. The server is pid 1 of its pid namespace,
//! so everything it starts ends with it. Needs root.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Quotes a word for the scripts these tests generate (POSIX shell, single quotes).
pub fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// The server, running. Killed when dropped (a test that fails leaves nothing running).
pub struct Sandboxed {
    unshare: Child,
    log: PathBuf,
    _log_dir: tempfile::TempDir,
}

impl Sandboxed {
    /// Runs `script` (bash, as root) in new mount, UTS and pid namespaces; its output goes to a
    /// log file.
    pub fn start(script: &str) -> Sandboxed {
        let log_dir = tempfile::tempdir().expect("a temporary directory");
        let log = log_dir.path().join("output.log");
        let file = std::fs::File::create(&log).expect("the log file");
        let unshare = Command::new("unshare")
            .args(["--mount", "--uts", "--pid", "--fork", "--propagation", "private"])
            .args(["--", "bash", "-c", script])
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("the log file"))
            .stderr(file)
            .spawn()
            .expect("unshare runs (util-linux)");
        Sandboxed { unshare, log, _log_dir: log_dir }
    }

    /// The server's pid: unshare's child, which `exec`d into it.
    pub fn server_pid(&self) -> Option<u32> {
        let pid = self.unshare.id();
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
        children.split_whitespace().next()?.parse().ok()
    }

    /// The real and effective uids of the server process.
    pub fn server_uids(&self) -> Vec<u32> {
        let pid = self.server_pid().expect("the server runs");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("its status");
        let line = status.lines().find(|l| l.starts_with("Uid:")).expect("a Uid line");
        line.split_whitespace().skip(1).map(|u| u.parse().expect("a uid")).collect()
    }

    /// What the script and the server printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `url` answers 200 (a `/health` with its setup checks in) and returns its JSON
    /// body; panics with the log after 60 s.
    pub async fn wait_for(&self, url: &str) -> serde_json::Value {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = http.get(url).send().await
                && response.status() == 200
            {
                let body: serde_json::Value = response.json().await.expect("a JSON body");
                if !crate::setup_checks_pending(&body) {
                    return body;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{url} did not answer within 60 s; the output:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Sends SIGTERM (what `systemctl stop` and `docker stop` send) and returns the exit status
    /// and the whole output.
    pub fn stop(mut self) -> (ExitStatus, String) {
        if let Some(pid) = self.server_pid() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.unshare.try_wait().expect("waiting for unshare") {
                return (status, self.log());
            }
            assert!(Instant::now() < deadline, "the server did not stop within 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Sandboxed {
    fn drop(&mut self) {
        // The server first: killing unshare does not reach it (and --kill-child would not
        // either: the parent-death signal is cleared when the server's user is set).
        if let Some(pid) = self.server_pid() {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}

/// Whether this process runs as root (the sandboxed tests need it).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A free TCP port on 127.0.0.1 (for a server that is told its port by a configuration file).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
