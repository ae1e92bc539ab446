//! The queue against the in-process simulated host (no HTTP): life cycle, coalescing, per-app
//! serialization, retries, the never-deployed shortcut, crash recovery, shutdown, cancel and
//! following. `tests/tests/integration/jobs.rs` covers the HTTP side and
//! `server/tests/jobs_crash.rs` a real SIGKILL.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dokku_sim::{Effect, Injection, SimHost, SimOptions};

use super::*;
use crate::host::simulated::SimExecutor;

struct Setup {
    dir: tempfile::TempDir,
    sim: Arc<SimHost>,
    host: Arc<Host>,
    jobs: Arc<Jobs>,
}

fn fast() -> JobSettings {
    JobSettings {
        workers: 4,
        retry_limit: 3,
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        shutdown_wait: Duration::from_secs(5),
    }
}

async fn setup(settings: JobSettings, latency_ms: u64) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let sim = Arc::new(SimHost::open(&dir.path().join("sim"), SimOptions::default()).unwrap());
    let executor = Arc::new(SimExecutor::new(sim.clone(), Duration::from_millis(latency_ms)));
    let host = Arc::new(Host::connect(executor, None).await.unwrap());
    let jobs = open(&dir, &host, settings).await;
    Setup { dir, sim, host, jobs }
}

async fn open(dir: &tempfile::TempDir, host: &Arc<Host>, settings: JobSettings) -> Arc<Jobs> {
    let storage = Storage::open(dir.path()).unwrap();
    let log = Logger::root(slog::Discard, slog::o!());
    Jobs::open(storage, host.clone(), settings, log).await.unwrap()
}

fn actor() -> Actor {
    Actor { user: "admin".into(), token_id: "jti".into() }
}

fn create_app(sim: &SimHost, app: &str, deployed: bool) {
    let out = sim.run(&["apps:create", app], None);
    assert!(matches!(out, dokku_sim::SimOutcome::Completed(ref o) if o.status == 0), "{out:?}");
    if deployed {
        sim.mark_deployed(app, &["web", "worker"]).unwrap();
    }
}

fn app(name: &str) -> AppName {
    AppName::parse(name).unwrap()
}

/// Waits until a worker has picked the job up.
async fn running(jobs: &Jobs, id: JobId) {
    tokio::time::timeout(Duration::from_secs(20), async {
        while !jobs.get(id).await.unwrap().unwrap().is_running() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the job starts within 20 s");
}

/// The argv (without `--quiet` and friends) of every invocation of `subcommand`.
fn calls(sim: &SimHost, subcommand: &str) -> Vec<Vec<String>> {
    sim.invocations()
        .into_iter()
        .map(|i| i.argv)
        .filter(|argv| argv.iter().any(|a| a == subcommand))
        .collect()
}

async fn wait(jobs: &Jobs, id: JobId) -> JobRecord {
    tokio::time::timeout(Duration::from_secs(20), jobs.wait(id))
        .await
        .expect("the job ends within 20 s")
        .unwrap()
        .expect("the job exists")
}

#[tokio::test]
async fn a_job_goes_from_pending_to_completed_and_keeps_its_record() {
    let s = setup(fast(), 0).await;
    create_app(&s.sim, "web1", true);
    let queued =
        s.jobs.enqueue(&app("web1"), ApplyAction::Rebuild, "req-1", &actor()).await.unwrap();
    assert!(!queued.coalesced);
    assert_eq!(queued.content_location(), format!("/@api/queueJobs/{}", queued.id));
    let job = s.jobs.get(queued.id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Pending);
    assert_eq!(job.status_message, "Waiting for a worker");
    assert_eq!(job.command, ["dokku", "ps:rebuild", "web1"]);
    assert_eq!(job.request_id.as_deref(), Some("req-1"));
    assert_eq!(job.actor.as_deref(), Some("admin"));
    assert_eq!(job.internal_id.len(), 22);
    assert!(job.internal_id.chars().all(|c| c.is_ascii_alphanumeric()));

    s.jobs.start();
    let job = wait(&s.jobs, queued.id).await;
    assert_eq!(job.state, JobState::Completed, "{}", job.status_message);
    assert_eq!(job.retry_count, 0);
    assert_eq!(job.status_message, "Completed: `dokku ps:rebuild web1` succeeded");
    assert!(job.finished_at_ms.is_some() && !job.is_running());
    assert_eq!(calls(&s.sim, "ps:report"), [["ps:report", "web1", "--deployed"]]);
    assert_eq!(calls(&s.sim, "ps:rebuild"), [["ps:rebuild", "web1"]]);

    let attempts = s.jobs.attempts(queued.id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome.as_deref(), Some("completed"));
    assert_eq!(attempts[0].exit_status, Some(0));
    assert!(attempts[0].worker.starts_with("worker."));

    // The events tell the whole story, output included (ps:rebuild prints a build log).
    let events = s.jobs.events(queued.id).await.unwrap();
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>());
    let statuses: Vec<String> = events
        .iter()
        .filter(|e| e.kind == EventKind::Status)
        .map(|e| {
            let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
            v["status_message"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(statuses[0], "Waiting for a worker");
    assert!(statuses[1].starts_with("Picked up by worker."), "{statuses:?}");
    assert!(statuses[2].starts_with("Running `dokku ps:rebuild web1`"), "{statuses:?}");
    assert_eq!(statuses.last().unwrap(), &job.status_message);
    let output: Vec<&str> =
        events.iter().filter(|e| e.kind == EventKind::Stdout).map(|e| e.data.as_str()).collect();
    assert!(output.iter().any(|l| l.contains("Building web1")), "{output:?}");
    assert!(events.iter().filter(|e| e.kind == EventKind::Stdout).all(|e| e.attempt == Some(1)));
}

#[tokio::test]
async fn a_burst_of_changes_becomes_one_job() {
    let s = setup(fast(), 0).await;
    create_app(&s.sim, "web1", true);
    let mut placed = Vec::new();
    for n in 0..10 {
        // Env changes queue restarts, buildpack changes rebuilds: one rebuild carries them all.
        let action = if n % 3 == 1 { ApplyAction::Rebuild } else { ApplyAction::Restart };
        placed.push(
            s.jobs.enqueue(&app("web1"), action, &format!("req-{n}"), &actor()).await.unwrap(),
        );
    }
    let id = placed[0].id;
    assert!(placed.iter().all(|p| p.id == id));
    assert!(!placed[0].coalesced && placed[1..].iter().all(|p| p.coalesced));
    let job = s.jobs.get(id).await.unwrap().unwrap();
    assert_eq!(job.command, ["dokku", "ps:rebuild", "web1"], "the restart became a rebuild");
    assert_eq!(job.request_id.as_deref(), Some("req-0"));
    assert!(job.status_message.contains("carries 10 changes"), "{}", job.status_message);
    let requests = s.jobs.requests(id).await.unwrap();
    assert_eq!(requests.len(), 10);
    assert_eq!(requests[9].request_id.as_deref(), Some("req-9"));

    s.jobs.start();
    assert_eq!(wait(&s.jobs, id).await.state, JobState::Completed);
    assert_eq!(calls(&s.sim, "ps:rebuild").len(), 1);
    assert!(calls(&s.sim, "ps:restart").is_empty());
}

#[tokio::test]
async fn jobs_of_one_app_run_in_order_one_at_a_time_and_apps_run_in_parallel() {
    let s = setup(fast(), 150).await;
    create_app(&s.sim, "app-a", true);
    create_app(&s.sim, "app-b", true);
    s.sim.clear_invocations();
    s.jobs.start();
    let mut ids = Vec::new();
    for name in ["app-a", "app-b"] {
        ids.push(s.jobs.enqueue(&app(name), ApplyAction::Rebuild, "r", &actor()).await.unwrap().id);
    }
    // A change that comes while its app's job runs cannot join it: a second job per app.
    for n in 0..2 {
        running(&s.jobs, ids[n]).await;
        let name = ["app-a", "app-b"][n];
        ids.push(s.jobs.enqueue(&app(name), ApplyAction::Restart, "r", &actor()).await.unwrap().id);
    }
    let ids = [ids[0], ids[2], ids[1], ids[3]];
    for id in &ids {
        assert_eq!(wait(&s.jobs, *id).await.state, JobState::Completed);
    }
    // The sim's log: each app's commands in job order, never interleaved with another job of
    // the same app...
    let log: Vec<Vec<String>> = s.sim.invocations().into_iter().map(|i| i.argv).collect();
    for app in ["app-a", "app-b"] {
        let own: Vec<&Vec<String>> =
            log.iter().filter(|a| a.get(1).map(String::as_str) == Some(app)).collect();
        let subcommands: Vec<&str> = own.iter().map(|a| a[0].as_str()).collect();
        assert_eq!(subcommands, ["ps:report", "ps:rebuild", "ps:report", "ps:restart"], "{log:?}");
    }
    // ... while the two apps' commands interleave (they ran at the same time).
    let first_b = log.iter().position(|a| a[1] == "app-b").unwrap();
    let last_a = log.iter().rposition(|a| a[1] == "app-a").unwrap();
    assert!(first_b < last_a, "app-b waited for app-a: {log:?}");
    // The attempts' times say the same.
    let mut spans = BTreeMap::new();
    for (n, id) in ids.iter().enumerate() {
        let attempts = s.jobs.attempts(*id).await.unwrap();
        let a = &attempts[0];
        spans.insert(n, (a.started_at_ms, a.finished_at_ms.unwrap()));
    }
    assert!(spans[&0].1 <= spans[&1].0, "app-a's jobs overlap: {spans:?}");
    assert!(spans[&2].1 <= spans[&3].0, "app-b's jobs overlap: {spans:?}");
    assert!(spans[&2].0 < spans[&0].1, "the apps did not run in parallel: {spans:?}");
}

#[tokio::test]
async fn a_deploy_lock_is_retried_until_it_is_released() {
    let s = setup(fast(), 0).await;
    create_app(&s.sim, "web1", true);
    s.sim.inject(Injection {
        subcommand: "ps:rebuild".into(),
        app: Some("web1".into()),
        times: 2,
        effect: Effect::DeployLock,
    });
    let id = s.jobs.enqueue(&app("web1"), ApplyAction::Rebuild, "r", &actor()).await.unwrap().id;
    s.jobs.start();
    let job = wait(&s.jobs, id).await;
    assert_eq!(job.state, JobState::Completed, "{}", job.status_message);
    assert_eq!(job.retry_count, 2);
    assert_eq!(
        job.status_message,
        "Completed: `dokku ps:rebuild web1` succeeded (after 2 retries)"
    );
    let outcomes: Vec<Option<String>> =
        s.jobs.attempts(id).await.unwrap().into_iter().map(|a| a.outcome).collect();
    assert_eq!(outcomes, [Some("retry".into()), Some("retry".into()), Some("completed".into())]);
    // The retrying status said why and when.
    let events = s.jobs.events(id).await.unwrap();
    let retrying: Vec<serde_json::Value> = events
        .iter()
        .filter(|e| e.kind == EventKind::Status)
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .filter(|v: &serde_json::Value| v["state"] == "retrying")
        .collect();
    let first = retrying.iter().find(|v| v["retry_count"] == 1).unwrap();
    let message = first["status_message"].as_str().unwrap();
    let expected = "Attempt 1 failed: `dokku ps:rebuild web1` exited with status 1: web1 \
                    currently has a deploy lock in place. Exiting...";
    assert!(message.starts_with(expected), "{message}");
    assert!(message.contains("retry 1 of 3 in"), "{message}");
    // The deploy-lock text (on stdout, as build capture puts it) is in the output.
    assert!(events.iter().any(|e| e.attempt == Some(1) && e.data.contains("deploy lock")));
}

#[tokio::test]
async fn a_lock_that_never_goes_fails_with_the_reason_after_the_limit() {
    let s = setup(fast(), 0).await;
    create_app(&s.sim, "web1", true);
    s.sim.inject(Injection {
        subcommand: "ps:rebuild".into(),
        app: None,
        times: 100,
        effect: Effect::DeployLock,
    });
    let id = s.jobs.enqueue(&app("web1"), ApplyAction::Rebuild, "r", &actor()).await.unwrap().id;
    s.jobs.start();
    let job = wait(&s.jobs, id).await;
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.retry_count, 3);
    assert_eq!(
        job.status_message,
        "Failed after 3 retries: `dokku ps:rebuild web1` exited with status 1: web1 currently has a \
         deploy lock in place. Exiting...; Run 'apps:unlock' to release the existing deploy lock"
    );
    assert_eq!(calls(&s.sim, "ps:rebuild").len(), 4);
}

#[tokio::test]
async fn other_failures_are_not_retried_and_dropped_connections_are() {
    let s = setup(fast(), 0).await;
    create_app(&s.sim, "web1", true);
    create_app(&s.sim, "web2", true);
    s.sim.inject(Injection {
        subcommand: "ps:restart".into(),
        app: Some("web1".into()),
        times: 1,
        effect: Effect::Exit { status: 1, stderr: " !     Something broke\n".into() },
    });
    s.sim.inject(Injection {
        subcommand: "ps:restart".into(),
        app: Some("web2".into()),
        times: 1,
        effect: Effect::TransportDrop,
    });
    let broken =
        s.jobs.enqueue(&app("web1"), ApplyAction::Restart, "r", &actor()).await.unwrap().id;
    let dropped =
        s.jobs.enqueue(&app("web2"), ApplyAction::Restart, "r", &actor()).await.unwrap().id;
    s.jobs.start();
    let job = wait(&s.jobs, broken).await;
    assert_eq!((job.state, job.retry_count), (JobState::Failed, 0));
    assert_eq!(
        job.status_message,
        "Failed: `dokku ps:restart web1` exited with status 1: Something broke"
    );
    let job = wait(&s.jobs, dropped).await;
    assert_eq!((job.state, job.retry_count), (JobState::Completed, 1), "{}", job.status_message);
}

#[tokio::test]
async fn a_never_deployed_app_completes_at_once() {
    let s = setup(fast(), 0).await;
    create_app(&s.sim, "fresh", false);
    let rebuild =
        s.jobs.enqueue(&app("fresh"), ApplyAction::Rebuild, "r", &actor()).await.unwrap().id;
    s.jobs.start();
    let job = wait(&s.jobs, rebuild).await;
    assert_eq!(job.state, JobState::Completed);
    assert_eq!(
        job.status_message,
        "App fresh has not been deployed yet: nothing to rebuild; the change applies at its first deploy"
    );
    assert!(calls(&s.sim, "ps:rebuild").is_empty(), "a rebuild would fail with `no commits`");
    assert_eq!(s.jobs.attempts(rebuild).await.unwrap()[0].outcome.as_deref(), Some("skipped"));
}

#[tokio::test]
async fn a_job_for_an_app_that_is_gone_fails() {
    let s = setup(fast(), 0).await;
    let id = s.jobs.enqueue(&app("ghost"), ApplyAction::Restart, "r", &actor()).await.unwrap().id;
    s.jobs.start();
    let job = wait(&s.jobs, id).await;
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.status_message, "Failed: App ghost does not exist");
}

#[tokio::test]
async fn jobs_interrupted_by_a_crash_run_again_at_the_next_start() {
    let s = setup(fast(), 0).await;
    create_app(&s.sim, "web1", true);
    let id = s.jobs.enqueue(&app("web1"), ApplyAction::Restart, "r", &actor()).await.unwrap().id;
    // A worker of a process that then dies: the claim stays in the database.
    let storage = Storage::open(s.dir.path()).unwrap();
    let claim = storage.call(|c| store::claim_next(c, "worker.9", now_ms())).await.unwrap();
    assert!(matches!(claim, store::Claim::Job(ref j, 1) if j.id == id));
    let later = s.jobs.enqueue(&app("web1"), ApplyAction::Restart, "r", &actor()).await.unwrap().id;
    assert_ne!(later, id, "a running job takes no more changes");
    // Nothing else of the app may start meanwhile.
    let claim = storage.call(|c| store::claim_next(c, "worker.8", now_ms())).await.unwrap();
    assert!(matches!(claim, store::Claim::Idle { .. }), "{claim:?}");
    drop(s.jobs);

    let jobs = open(&s.dir, &s.host, fast()).await;
    let job = jobs.get(id).await.unwrap().unwrap();
    assert!(!job.is_running());
    assert!(job.status_message.starts_with("Interrupted: the server stopped while it ran"));
    jobs.start();
    assert_eq!(wait(&jobs, id).await.state, JobState::Completed);
    assert_eq!(wait(&jobs, later).await.state, JobState::Completed);
    let attempts = jobs.attempts(id).await.unwrap();
    let outcomes: Vec<_> = attempts.iter().map(|a| a.outcome.as_deref()).collect();
    assert_eq!(outcomes, [Some("interrupted"), Some("completed")]);
    assert_eq!(attempts[0].worker, "worker.9");
    assert_eq!(jobs.get(id).await.unwrap().unwrap().retry_count, 0, "a crash is not a retry");
    assert_eq!(calls(&s.sim, "ps:restart").len(), 2, "the interrupted job, then the later one");
}

#[tokio::test]
async fn shutdown_lets_short_jobs_finish_and_interrupts_long_ones() {
    let settings = JobSettings { shutdown_wait: Duration::from_millis(300), ..fast() };
    let s = setup(settings, 0).await;
    create_app(&s.sim, "slow", true);
    create_app(&s.sim, "quick", true);
    create_app(&s.sim, "waiting", true);
    s.sim.inject(Injection {
        subcommand: "ps:rebuild".into(),
        app: Some("slow".into()),
        times: 1,
        effect: Effect::Delay(Duration::from_secs(3)),
    });
    s.sim.inject(Injection {
        subcommand: "ps:restart".into(),
        app: Some("quick".into()),
        times: 1,
        effect: Effect::Delay(Duration::from_millis(100)),
    });
    let slow = s.jobs.enqueue(&app("slow"), ApplyAction::Rebuild, "r", &actor()).await.unwrap().id;
    let quick =
        s.jobs.enqueue(&app("quick"), ApplyAction::Restart, "r", &actor()).await.unwrap().id;
    s.jobs.start();
    // Both are running when the shutdown begins.
    tokio::time::timeout(Duration::from_secs(10), async {
        while calls_running(&s.jobs, &[slow, quick]).await < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    let waiting =
        s.jobs.enqueue(&app("waiting"), ApplyAction::Restart, "r", &actor()).await.unwrap().id;
    s.jobs.shutdown().await;
    let get = |id| {
        let jobs = s.jobs.clone();
        async move { jobs.get(id).await.unwrap().unwrap() }
    };
    let quick_job = get(quick).await;
    assert_eq!(quick_job.state, JobState::Completed, "{}", quick_job.status_message);
    let slow_job = get(slow).await;
    assert_eq!(slow_job.state, JobState::Pending);
    assert!(!slow_job.is_running());
    assert!(slow_job.status_message.starts_with("Interrupted: the server shut down while it ran"));
    // Jobs that were only waiting may or may not have started; none is lost.
    let waiting_job = get(waiting).await;
    assert!(waiting_job.state != JobState::Failed && !waiting_job.is_running());

    let jobs = open(&s.dir, &s.host, fast()).await;
    jobs.start();
    for id in [slow, quick, waiting] {
        assert_eq!(wait(&jobs, id).await.state, JobState::Completed);
    }
}

async fn calls_running(jobs: &Jobs, ids: &[JobId]) -> usize {
    let mut n = 0;
    for id in ids {
        let job = jobs.get(*id).await.unwrap().unwrap();
        n += usize::from(job.status_message.starts_with("Running"));
    }
    n
}

#[tokio::test]
async fn only_a_job_no_worker_has_taken_can_be_canceled() {
    let s = setup(fast(), 0).await;
    create_app(&s.sim, "web1", true);
    let id = s.jobs.enqueue(&app("web1"), ApplyAction::Restart, "r", &actor()).await.unwrap().id;
    match s.jobs.cancel(id, &actor()).await.unwrap() {
        CancelOutcome::Canceled(job) => {
            assert_eq!(job.state, JobState::Failed);
            assert!(job.status_message.starts_with("Canceled by admin before it ran"));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(s.jobs.cancel(id, &actor()).await.unwrap(), CancelOutcome::Finished(_)));
    assert!(matches!(s.jobs.cancel(JobId(999), &actor()).await.unwrap(), CancelOutcome::NotFound));
    // A canceled job takes no more changes: the next one starts a new job.
    let next = s.jobs.enqueue(&app("web1"), ApplyAction::Restart, "r", &actor()).await.unwrap();
    assert!(!next.coalesced && next.id != id);
    let storage = Storage::open(s.dir.path()).unwrap();
    storage.call(|c| store::claim_next(c, "worker.1", now_ms())).await.unwrap();
    assert!(matches!(s.jobs.cancel(next.id, &actor()).await.unwrap(), CancelOutcome::Running(_)));
    s.jobs.start();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(calls(&s.sim, "ps:restart").is_empty(), "the canceled job never ran");
}

#[tokio::test]
async fn followers_get_every_event_once_live_and_after_resuming() {
    let s = setup(fast(), 100).await;
    create_app(&s.sim, "web1", true);
    s.sim.inject(Injection {
        subcommand: "ps:rebuild".into(),
        app: Some("web1".into()),
        times: 1,
        effect: Effect::DeployLock,
    });
    let id = s.jobs.enqueue(&app("web1"), ApplyAction::Rebuild, "r", &actor()).await.unwrap().id;
    let mut rx = s.jobs.follow(id, 0);
    s.jobs.start();
    // Read a few events live, then "disconnect".
    let mut seen = Vec::new();
    while seen.len() < 4 {
        match rx.recv().await.unwrap() {
            FollowItem::Event(e) => seen.push(e),
            FollowItem::KeepAlive => {}
            FollowItem::End(state) => panic!("ended early in {state:?}"),
        }
    }
    assert!(!s.jobs.get(id).await.unwrap().unwrap().state.is_final(), "seen while it ran");
    drop(rx);
    let mut rx = s.jobs.follow(id, seen.last().unwrap().seq);
    let end = loop {
        match rx.recv().await.unwrap() {
            FollowItem::Event(e) => seen.push(e),
            FollowItem::KeepAlive => {}
            FollowItem::End(state) => break state,
        }
    };
    assert_eq!(end, JobState::Completed);
    assert!(rx.recv().await.is_none(), "nothing after the end");
    assert_eq!(seen, s.jobs.events(id).await.unwrap(), "no gap, no repeat");
    // A follower of an ended job gets what is left and the end.
    let mut rx = s.jobs.follow(id, seen.last().unwrap().seq);
    assert_eq!(rx.recv().await, Some(FollowItem::End(JobState::Completed)));
}
