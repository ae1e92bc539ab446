//! State survives reopening, the standalone binary's mode shares it safely between processes,
//! and invocations are recorded (the latest, in a bounded ring).

use std::sync::Arc;

use dokku_sim::{CliEnv, Invocation, RETAINED_INVOCATIONS, SimHost, SimOptions, cli_invoke};

use crate::support::*;

#[test]
fn state_survives_reopen() {
    let s = sim();
    s.app("a");
    s.ok(&["config:set", "a", "K=V"]);
    s.ok(&["postgres:create", "db"]);
    s.ok(&["postgres:link", "db", "a", "--no-restart"]);
    s.host.mark_deployed("a", &["web", "worker"]).unwrap();
    let dir = s.dir;
    drop(s.host);

    let host = SimHost::open(dir.path(), SimOptions::default()).unwrap();
    let reopened = Sim { dir, host };
    assert_eq!(reopened.stdout(&["config:get", "a", "K"]), "V\n");
    assert_eq!(reopened.stdout(&["postgres:app-links", "a"]), "db\n");
    assert_eq!(reopened.stdout(&["ps:report", "a", "--deployed"]), "true\n");
    assert_eq!(reopened.stdout(&["--quiet", "ps:scale", "a"]), "web:  1\nworker: 0\n");
    // Nothing left behind but the state (no temp files from atomic writes).
    let names: Vec<String> = std::fs::read_dir(reopened.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["state.json"]);
}

#[test]
fn invocations_are_recorded() {
    let s = sim();
    s.run(&["apps:create", "a"]);
    s.run_stdin(&["config:import", "--format", "json", "a", "-"], Some(b"{\"K\":\"V\"}"));
    s.run(&["apps:exists", "nope"]);
    assert_eq!(
        s.host.invocations(),
        [
            Invocation {
                argv: vec!["apps:create".into(), "a".into()],
                had_stdin: false,
                status: Some(0)
            },
            Invocation {
                argv: ["config:import", "--format", "json", "a", "-"].map(String::from).to_vec(),
                had_stdin: true,
                status: Some(0),
            },
            Invocation {
                argv: vec!["apps:exists".into(), "nope".into()],
                had_stdin: false,
                status: Some(20)
            },
        ]
    );
    s.host.clear_invocations();
    assert!(s.host.invocations().is_empty());
}

/// A long-running host keeps only the latest invocations: the log is a ring, not a list that
/// grows with every command (`serve --sim` under load made millions).
#[test]
fn invocation_log_is_bounded() {
    let s = sim();
    let extra = 25;
    for i in 0..RETAINED_INVOCATIONS + extra {
        s.run(&["apps:exists", &format!("app-{i}")]);
    }
    let kept = s.host.invocations();
    assert_eq!(kept.len(), RETAINED_INVOCATIONS);
    // The oldest were dropped, the newest kept, in order.
    assert_eq!(kept[0].argv, ["apps:exists".to_string(), format!("app-{extra}")]);
    let last = RETAINED_INVOCATIONS + extra - 1;
    assert_eq!(kept[kept.len() - 1].argv, ["apps:exists".to_string(), format!("app-{last}")]);
    s.host.clear_invocations();
    s.run(&["version"]);
    assert_eq!(s.host.invocations().len(), 1);
}

fn env(dir: &std::path::Path) -> CliEnv {
    CliEnv { state_dir: Some(dir.to_path_buf()), version: None, inject: None, latency_ms: None }
}

fn cli(env: &CliEnv, args: &[&str]) -> dokku_sim::SimOutput {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    cli_invoke(env, &args, || None)
}

#[test]
fn binary_mode_logs_and_shares_state() {
    let dir = tempfile::tempdir().unwrap();
    let env = env(dir.path());
    assert_eq!(cli(&env, &["apps:create", "a"]).status, 0);
    assert_eq!(cli(&env, &["--quiet", "apps:list"]).stdout, "a\n");
    let imported = cli_invoke(
        &env,
        &["config:import", "--format", "json", "a", "-"].map(String::from),
        || Some(br#"{"K":"V"}"#.to_vec()),
    );
    assert_eq!(imported.status, 0, "{imported:?}");
    // stdin is read only by commands that consume it.
    let not_read = cli_invoke(&env, &["config:keys".to_string(), "a".to_string()], || {
        panic!("config:keys must not read stdin")
    });
    assert_eq!(not_read.stdout, "K\nNO_VHOST\n");

    let log = SimHost::read_invocation_log(dir.path());
    assert_eq!(log.len(), 4);
    assert_eq!(log[0].argv, ["apps:create", "a"]);
    assert!(log[2].had_stdin);
    assert_eq!(log[3].status, Some(0));

    // An in-process host over the same directory sees what the "processes" did.
    let host = SimHost::open(dir.path(), SimOptions::default()).unwrap();
    assert_eq!(Sim { dir, host }.stdout(&["config:get", "a", "K"]), "V\n");
}

#[test]
fn binary_mode_needs_a_state_dir() {
    let out = cli(&CliEnv::default(), &["apps:list"]);
    assert_eq!(out.status, 1);
    assert!(out.stderr.contains("DOKKU_SIM_STATE_DIR"), "{out:?}");
}

#[test]
fn concurrent_processes_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().to_path_buf());
    SimHost::open_shared(&path, SimOptions::default()).unwrap().run(&["apps:create", "a"], None);
    let threads: Vec<_> = (0..12)
        .map(|i| {
            let path = Arc::clone(&path);
            std::thread::spawn(move || {
                // A host per thread, as separate processes would each have their own.
                let host = SimHost::open_shared(&path, SimOptions::default()).unwrap();
                let pair = format!("K{i:02}=v{i}");
                for _ in 0..3 {
                    host.run(&["config:set", "--no-restart", "a", &pair], None);
                }
                let env = env(&path);
                let args =
                    ["config:set", "--no-restart", "a", &format!("C{i:02}=x")].map(String::from);
                assert_eq!(cli_invoke(&env, &args, || None).status, 0);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let host = SimHost::open(&path, SimOptions::default()).unwrap();
    let keys = match host.run(&["config:keys", "a"], None) {
        dokku_sim::SimOutcome::Completed(o) => o.stdout,
        other => panic!("{other:?}"),
    };
    // 24 set here, and the NO_VHOST=1 of a new app without a global domain.
    assert_eq!(keys.lines().count(), 25, "{keys}");
    assert_eq!(SimHost::read_invocation_log(&path).len(), 1 + 12 * 4);
}
