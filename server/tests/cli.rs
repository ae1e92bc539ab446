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

/// `dokku-pro-api audit ...` on a data directory.
fn audit(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN).arg("audit").args(args).arg("--data-dir").arg(data_dir).output().unwrap()
}

#[test]
fn the_audit_command_shows_the_log_as_a_table_or_json_lines() {
    use dokku_pro_server::audit::{Event, store};
    let dir = tempfile::tempdir().unwrap();
    let out = audit(dir.path(), &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no database at"), "{}", text(&out.stderr));

    let storage = dokku_pro_server::storage::Storage::open(dir.path()).unwrap();
    let event =
        |at_ms: i64, user: Option<&str>, operation: &str, app: Option<&str>, status| Event {
            at_ms,
            duration_ms: 3,
            user: user.map(str::to_string),
            token_id: user.map(|_| "tok1".to_string()),
            operation: operation.into(),
            method: "POST".into(),
            app: app.map(str::to_string),
            resource: app.map(|a| format!("{a}:KEY")),
            request_id: format!("req-{at_ms}"),
            status,
            job_id: (status == 202).then_some(7),
            client: Some("127.0.0.1".into()),
            ..Event::default()
        };
    let events = [
        event(1_700_000_000_000, Some("admin"), "login", None, 201),
        event(1_700_000_001_000, Some("admin"), "addEnv", Some("web"), 202),
        event(1_700_000_002_000, None, "addApp", None, 401),
        event(1_700_000_003_000, Some("bob"), "addEnv", Some("api"), 404),
    ];
    storage.call_blocking(|c| store::insert(c, &events)).unwrap();
    drop(storage);

    let out = audit(dir.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "{table}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "TIME",
            "USER",
            "OPERATION",
            "STATUS",
            "APP",
            "RESOURCE",
            "JOB",
            "TOKEN",
            "CLIENT",
            "REQUEST"
        ]
    );
    let row = |i: usize| lines[i].split_whitespace().collect::<Vec<_>>();
    assert_eq!(
        row(1),
        [
            "2023-11-14T22:13:23.000Z",
            "bob",
            "addEnv",
            "404",
            "api",
            "api:KEY",
            "-",
            "tok1",
            "127.0.0.1",
            "req-1700000003000"
        ]
    );
    assert_eq!(
        row(2),
        [
            "2023-11-14T22:13:22.000Z",
            "-",
            "addApp",
            "401",
            "-",
            "-",
            "-",
            "-",
            "127.0.0.1",
            "req-1700000002000"
        ]
    );
    assert_eq!(row(3)[6], "7");
    // Columns line up: every row's second column starts where the header's does.
    let user_column = lines[0].find("USER").unwrap();
    assert!(lines[1..].iter().all(|l| l[user_column - 2..user_column] == *"  "));

    let out = audit(dir.path(), &["--app", "web", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: Vec<serde_json::Value> =
        text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(
        json,
        [serde_json::json!({
            "id": "2", "time": "2023-11-14T22:13:21.000Z", "duration_ms": 3, "user": "admin",
            "token_id": "tok1", "operation": "addEnv", "method": "POST", "app": "web",
            "resource": "web:KEY", "request_id": "req-1700000001000", "status": 202,
            "job_id": "7", "client": "127.0.0.1",
        })]
    );

    let ops = |args: &[&str]| -> Vec<String> {
        let out = audit(dir.path(), &[args, &["--json"]].concat());
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                format!("{}@{}", v["operation"].as_str().unwrap(), v["id"].as_str().unwrap())
            })
            .collect()
    };
    assert_eq!(ops(&["--user", "admin"]), ["addEnv@2", "login@1"]);
    assert_eq!(
        ops(&["--since", "2023-11-14T22:13:21Z", "--until", "1700000003"]),
        ["addApp@3", "addEnv@2"]
    );
    assert_eq!(ops(&["--limit", "1"]), ["addEnv@4"]);
    assert_eq!(ops(&["--user", "nobody"]), Vec::<String>::new());

    let out = audit(dir.path(), &["--since", "last tuesday"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--since: \"last tuesday\" is not a time"),
        "{}",
        text(&out.stderr)
    );
}
