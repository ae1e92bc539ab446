//! The data directory failing under a running server, with real processes:
//!
//! * it turns read-only (an ext4 file system that hits an error with `errors=remount-ro`, which
//!   the kernel makes read-only even though files are open for writing, unlike `mount -o
//!   remount,ro`, which refuses while they are): `GET /health` answers 503 naming the storage,
//!   the host still ok, and `doctor` fails on the data directory and the database;
//! * the database's `-shm` file is truncated: the next access to its mapping is a SIGBUS, and
//!   the server dies of it after one line on stderr saying what happened.
//!
//! The first needs root, a loop device, `mkfs.ext4` and `unshare`; without them it says so on
//! stderr and passes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dokku-pro-api");

/// The server process, killed if the test ends early (a failed assertion).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Waits for the server's "listening on" line; the rest of stderr is collected by a thread and
/// returned by the join handle when the process ends.
fn wait_listening(child: &mut Child) -> (SocketAddr, std::thread::JoinHandle<String>) {
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let addr = loop {
        let mut line = String::new();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "the server exited: {seen}");
        seen.push_str(&line);
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split('/').next().unwrap().parse().unwrap();
        }
    };
    let rest = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = stderr.read_to_string(&mut rest);
        seen + &rest
    });
    (addr, rest)
}

/// `GET /@api/health`: the status and the body, or `None` when the connection failed.
fn health(addr: SocketAddr) -> Option<(u16, serde_json::Value)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(stream, "GET /@api/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split("\r\n\r\n").nth(1)?;
    Some((status, serde_json::from_str(body).ok()?))
}

fn config(dir: &Path, data_dir: &Path) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "bind = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n[host]\nkind = \"sim\"\n",
            data_dir.display()
        ),
    )
    .unwrap();
    path
}

fn skip(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {why}");
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_data_dir_that_turns_read_only_makes_health_503_and_doctor_fail() {
    const TEST: &str = "a_data_dir_that_turns_read_only_makes_health_503_and_doctor_fail";
    if unsafe { libc::geteuid() } != 0 {
        return skip(TEST, "needs root (a loop-mounted ext4 file system)");
    }
    for program in ["mkfs.ext4", "unshare", "nsenter", "findmnt"] {
        if !have(program) {
            return skip(TEST, &format!("needs {program}"));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("fs.img");
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    // Sparse: the file system's 256 MiB cost a few MiB of disk.
    std::fs::File::create(&image).unwrap().set_len(256 * 1024 * 1024).unwrap();
    let mkfs = Command::new("mkfs.ext4").args(["-q", "-F"]).arg(&image).output().unwrap();
    assert!(mkfs.status.success(), "{}", String::from_utf8_lossy(&mkfs.stderr));
    let data = mnt.join("data");
    let config = config(dir.path(), &data);
    // The mount lives in the server's own mount namespace: it (and the loop device, which
    // `mount -o loop` detaches when unmounted) goes away with the process, whatever happens.
    let device_file = dir.path().join("device");
    let script = format!(
        "mount -o loop,errors=remount-ro {image} {mnt} || exit 97\n\
         findmnt -n -o SOURCE {mnt} > {device}\n\
         exec \"$0\" serve --config {config}",
        image = image.display(),
        mnt = mnt.display(),
        device = device_file.display(),
        config = config.display()
    );
    let mut server = Server(
        Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", &script, BIN])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (addr, log) = wait_listening(&mut server.0);
    let device = std::fs::read_to_string(&device_file).unwrap();
    let device = device.trim().rsplit('/').next().unwrap().to_string();

    let (status, body) = health(addr).unwrap();
    assert_eq!(status, 200, "{body}");
    let attributes = &body["data"]["attributes"];
    assert_eq!(attributes["storage"]["status"], "ok", "{body}");
    assert_eq!(attributes["host"]["status"], "ok", "{body}");
    assert_ne!(attributes["status"], "unavailable");

    // The file system meets an error: the kernel remounts it read-only at once.
    std::fs::write(format!("/sys/fs/ext4/{device}/trigger_fs_error"), "dokku-pro-api test")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let (status, body) = loop {
        let (status, body) = health(addr).expect("the server answers");
        if status == 503 || Instant::now() > deadline {
            break (status, body);
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(status, 503, "{body}");
    let title = body["errors"][0]["title"].as_str().unwrap();
    assert!(title.starts_with("storage: the database cannot be written"), "{body}");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "only the storage fails: {body}");
    let attributes = &body["data"]["attributes"];
    assert_eq!(attributes["status"], "unavailable", "{body}");
    assert_eq!(attributes["storage"]["status"], "fail", "{body}");
    assert_eq!(attributes["host"]["status"], "ok", "{body}");

    // doctor, in the server's mount namespace, names the data directory.
    // `-r`: the server's root too (entering a mount namespace alone resets the root to the
    // namespace's, which is not the server's when it runs in a chroot).
    let out = Command::new("nsenter")
        .args(["-t", &server.0.id().to_string(), "-m", "-r", BIN, "doctor", "--json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checks = report["checks"].as_array().unwrap();
    let find = |name: &str| checks.iter().find(|c| c["name"] == name).unwrap().clone();
    assert_eq!(find("data dir")["status"], "fail", "{report:#}");
    let detail = find("data dir")["detail"].as_str().unwrap().to_lowercase();
    assert!(detail.contains("read-only file system"), "{report:#}");
    assert!(find("data dir")["fix"].as_str().unwrap().contains("read-write"), "{report:#}");
    assert_eq!(find("database")["status"], "fail", "{report:#}");

    unsafe { libc::kill(server.0.id() as i32, libc::SIGTERM) };
    let status = server.0.wait().unwrap();
    let log = log.join().unwrap();
    assert!(log.contains("the database cannot be written"), "logged once, with the cause: {log}");
    assert!(
        status.code().is_some(),
        "the server stopped, not killed by a signal: {status:?}\n{log}"
    );
}

#[test]
fn a_truncated_shm_file_kills_the_server_with_one_line_on_stderr() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = config(dir.path(), &data);
    let mut server = Server(
        Command::new(BIN)
            .args(["serve", "--config"])
            .arg(&config)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (addr, log) = wait_listening(&mut server.0);
    assert_eq!(health(addr).unwrap().0, 200);
    // What SQLite maps: the WAL index. Cut it off under the server.
    let shm = data.join("dokku-pro-api.db-shm");
    assert!(std::fs::metadata(&shm).unwrap().len() > 0);
    std::fs::OpenOptions::new().write(true).open(&shm).unwrap().set_len(0).unwrap();
    // The next database access (the health check writes, once the last answer is a second
    // old) touches the mapping beyond the file's end.
    std::thread::sleep(Duration::from_millis(1100));
    let _ = health(addr);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server survived a truncated -shm file");
        let _ = health(addr);
        std::thread::sleep(Duration::from_millis(200));
    };
    let log = log.join().unwrap();
    assert_eq!(status.signal(), Some(libc::SIGBUS), "{status:?}\n{log}");
    let line = log
        .lines()
        .find(|l| l.starts_with("dokku-pro-api: fatal: SIGBUS"))
        .unwrap_or_else(|| panic!("no line about the SIGBUS:\n{log}"));
    assert!(line.contains(&shm.display().to_string()), "{line}");
    assert!(line.contains("dokku-pro-api doctor"), "{line}");
}
