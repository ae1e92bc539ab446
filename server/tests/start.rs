//! The start against the real binary: it serves once Dokku has answered its version, without
//! waiting for doctor's setup checks, which `/health` shows as still running until they are in.

mod common;

use std::time::{Duration, Instant};

use common::{Options, Server, request};

#[test]
fn health_answers_while_the_setup_checks_still_run_and_shows_them_when_done() {
    // Every Dokku command takes a second: the setup checks (several commands) outlast the start.
    let args = ["--sim", "--sim-latency-ms", "1000"];
    let server = Server::start(Options { args: &args, ..Options::default() });
    let r = request(server.addr, "GET", "/@api/health", "", "");
    assert_eq!(r.status, 200, "{}", r.text);
    let checks = r.json()["data"]["attributes"]["checks"].clone();
    assert_eq!(
        checks,
        serde_json::json!([{"name": "setup checks", "status": "skip", "detail": "still running"}]),
        "{}",
        r.text
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = request(server.addr, "GET", "/@api/health", "", "");
        let body = r.json();
        let names: Vec<&str> = body["data"]["attributes"]["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        if names.contains(&"dokku version") {
            assert!(!names.contains(&"setup checks"), "{}", r.text);
            break;
        }
        assert!(Instant::now() < deadline, "the setup checks never came: {}", r.text);
        std::thread::sleep(Duration::from_millis(200));
    }
}
