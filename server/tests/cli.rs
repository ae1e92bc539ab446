//! The `dokku-pro-api user ...` commands, run as a process.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_dokku-pro-api");

fn user(data_dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("user")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command that fails before reading (a bad argument) closes the pipe first: not an error.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn users_are_added_listed_changed_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = user(dir.path(), &["add", "bob"], "a long password\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = user(dir.path(), &["add", "alice"], "another password\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = user(dir.path(), &["list"], "");
    assert_eq!(text(&out.stdout), "alice\nbob\n");

    let out = user(dir.path(), &["add", "bob"], "a long password\n");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("user bob already exists"), "{}", text(&out.stderr));
    let out = user(dir.path(), &["add", "carol"], "short\n");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("at least 8 characters"), "{}", text(&out.stderr));
    let out = user(dir.path(), &["add", "-rf"], "a long password\n");
    assert!(!out.status.success(), "a name that looks like a flag is refused");
    let out = user(dir.path(), &["add", "bad name"], "a long password\n");
    assert!(text(&out.stderr).contains("invalid user name"), "{}", text(&out.stderr));

    let out = user(dir.path(), &["passwd", "bob"], "a new long password\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = user(dir.path(), &["passwd", "nobody"], "a new long password\n");
    assert!(text(&out.stderr).contains("user nobody does not exist"));

    let out = user(dir.path(), &["remove", "bob"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = user(dir.path(), &["list"], "");
    assert_eq!(text(&out.stdout), "alice\n");
    // The password never appears in the command's output.
    assert!(!text(&out.stderr).contains("password\n"));
}

#[test]
fn serve_refuses_to_start_without_a_usable_dokku() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--dokku-path",
            "/nonexistent/dokku",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot use the Dokku host"), "{stderr}");
    assert!(stderr.contains("/nonexistent/dokku"), "{stderr}");

    // An old Dokku is refused with both versions named.
    let out = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--dokku-path",
            env!("CARGO_BIN_EXE_dokku-sim"),
            "--data-dir",
        ])
        .arg(dir.path())
        .env("DOKKU_SIM_STATE_DIR", dir.path().join("sim"))
        .env("DOKKU_SIM_VERSION", "0.30.1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("0.30.1") && stderr.contains("0.34.0"), "{stderr}");
}

#[test]
fn sigterm_shuts_the_server_down_cleanly() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = Command::new(BIN)
        .args(["serve", "--sim", "--bind", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("listening on") {
        line.clear();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "the server exited before listening");
    }
    // Drain the rest of stderr so the server never blocks on a full pipe.
    let drain = std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
        rest
    });
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let rest = drain.join().unwrap();
    assert!(rest.contains("stopped"), "{rest}");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "the port is closed");
}

#[test]
fn the_first_start_names_the_admin_password_file_and_never_prints_the_password() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--sim", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut printed = String::new();
    // The start-up text ends with the log-in example.
    while !printed.contains("Log in:") {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            break;
        }
        printed.push_str(&line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let file = dir.path().join("initial-admin-password");
    let password = std::fs::read_to_string(&file).unwrap();
    let password = password.trim();
    assert!(password.len() >= 20, "a generated password: {password:?}");
    assert!(!printed.contains(password), "the password reached stderr:\n{printed}");
    assert!(printed.contains(&file.display().to_string()), "the file is named:\n{printed}");
}
