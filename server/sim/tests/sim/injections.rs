//! Failure injection: deploy locks, exits, transport drops and delays, counted down.

use std::time::{Duration, Instant};

use dokku_sim::{CliEnv, Effect, Injection, SimOutcome, cli_invoke};

use crate::support::*;

fn injection(subcommand: &str, app: Option<&str>, times: u32, effect: Effect) -> Injection {
    Injection { subcommand: subcommand.into(), app: app.map(String::from), times, effect }
}

#[test]
fn deploy_lock_counts_down_per_app() {
    let s = sim();
    s.app("web1");
    s.app("web2");
    s.host.mark_deployed("web1", &["web"]).unwrap();
    s.host.mark_deployed("web2", &["web"]).unwrap();
    s.host.inject(injection("ps:rebuild", Some("web1"), 2, Effect::DeployLock));
    s.host.clear_invocations();

    // What a real ps:rebuild prints while another deploy holds the lock (recorded): the
    // trigger's failure, then ps:rebuild's report of it, all on stdout (build capture).
    let failure = " !     web1 currently has a deploy lock in place. Exiting...\n !     Run 'apps:unlock' to release the existing deploy lock\n";
    let lock = format!("{failure} !     {failure}\n");
    assert_eq!(s.run(&["ps:rebuild", "web2"]).status, 0);
    for _ in 0..2 {
        let out = s.run(&["--force", "ps:rebuild", "web1"]);
        // Build capture: the failure arrives on stdout.
        assert_eq!((out.status, out.stdout.as_str(), out.stderr.as_str()), (1, lock.as_str(), ""));
    }
    assert_eq!(s.run(&["ps:rebuild", "web1"]).status, 0);
    let statuses: Vec<Option<i32>> = s.host.invocations().iter().map(|i| i.status).collect();
    assert_eq!(statuses, [Some(0), Some(1), Some(1), Some(0)]);
}

/// Only builds take Dokku's deploy lock: a restart (or a config change) never meets it, so such
/// an injection is refused rather than simulating what cannot happen.
#[test]
#[should_panic(expected = "only builds (ps:rebuild, sim:deploy) take Dokku's deploy lock")]
fn deploy_lock_cannot_be_injected_into_a_restart() {
    let s = sim();
    s.host.inject(injection("ps:restart", None, 1, Effect::DeployLock));
}

#[test]
fn a_wildcard_deploy_lock_waits_for_a_build() {
    let s = sim();
    s.app("a");
    s.host.inject(injection("*", None, 1, Effect::DeployLock));
    assert_eq!(s.run(&["ps:restart", "a"]).status, 0);
    assert_eq!(s.run(&["config:set", "a", "K=V"]).status, 0);
    assert_eq!(
        s.run(&["ps:rebuild", "a"]).stdout.lines().next().unwrap(),
        " !     a currently has a deploy lock in place. Exiting..."
    );
}

#[test]
fn exit_and_wildcard() {
    let s = sim();
    s.host.inject(injection("*", None, 1, Effect::Exit { status: 42, stderr: "boom\n".into() }));
    let out = s.run(&["apps:list"]);
    assert_eq!((out.status, out.stdout.as_str(), out.stderr.as_str()), (42, "", "boom\n"));
    assert_eq!(s.run(&["apps:list"]).status, 0);
}

#[test]
fn transport_drop() {
    let s = sim();
    s.host.inject(injection("apps:create", None, 1, Effect::TransportDrop));
    assert_eq!(s.host.run(&["apps:create", "a"], None), SimOutcome::TransportDropped);
    assert_eq!(s.host.invocations().last().unwrap().status, None);
    // The command never reached the host.
    assert_eq!(s.stdout(&["apps:list", "--format", "json"]), "[]\n");
}

#[test]
fn delay_then_answer() {
    let s = sim();
    s.app("a");
    s.host.inject(injection("ps:scale", Some("a"), 1, Effect::Delay(Duration::from_millis(150))));
    let start = Instant::now();
    let out = s.ok(&["ps:scale", "a"]);
    assert!(start.elapsed() >= Duration::from_millis(150));
    assert!(out.stdout.starts_with("-----> Scaling for a\n"));
    let start = Instant::now();
    s.ok(&["ps:scale", "a"]);
    assert!(start.elapsed() < Duration::from_millis(150));
}

#[test]
fn binary_injections_count_down_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let inject = r#"[{"subcommand":"apps:list","times":2,"effect":"transport_drop"},
                     {"subcommand":"apps:create","app":"x","effect":{"exit":{"status":7,"stderr":"nope\n"}}}]"#;
    let env = CliEnv {
        state_dir: Some(dir.path().to_path_buf()),
        version: None,
        inject: Some(inject.to_string()),
        latency_ms: None,
    };
    let run = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        cli_invoke(&env, &args, || None)
    };
    for _ in 0..2 {
        let out = run(&["apps:list"]);
        assert_eq!(out.status, 255);
        assert_eq!(out.stderr, "ssh: connect to host dokku-sim port 22: Connection refused\n");
    }
    assert_eq!(run(&["apps:list"]).status, 0);
    assert_eq!(run(&["apps:create", "y"]).status, 0);
    assert_eq!(run(&["apps:create", "x"]).status, 7);
    assert_eq!(run(&["apps:create", "x"]).status, 0);
    let log = dokku_sim::SimHost::read_invocation_log(dir.path());
    let statuses: Vec<Option<i32>> = log.iter().map(|i| i.status).collect();
    assert_eq!(statuses, [None, None, Some(0), Some(0), Some(7), Some(0)]);

    let bad = CliEnv { inject: Some("{".into()), ..env.clone() };
    let out = cli_invoke(&bad, &["apps:list".to_string()], || None);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("DOKKU_SIM_INJECT"), "{out:?}");
}
