//! Background jobs over HTTP: `GET /queueJobs/{id}` (seed) and the extensions (list, cancel,
//! SSE output). No `202` operation exists yet, so jobs are queued through the server's enqueue
//! API (`TestServer::jobs`), exactly as the app layer will; everything else goes over HTTP and
//! is checked against the contract by the harness (except the event stream, which the proxy
//! would buffer: it is read straight from the server).

use std::time::Duration;

use dokku_pro_server::auth::Actor;
use dokku_pro_server::jobs::{ApplyAction, Enqueued, JobId};
use dokku_pro_tests::client::types;
use dokku_pro_tests::harness::TestServer;
use dokku_sim::{Effect, Injection};
use serde_json::Value;

fn admin() -> Actor {
    Actor { user: "admin".into(), token_id: "test".into() }
}

fn create_app(server: &TestServer, app: &str, deployed: bool) {
    server.dokku(&["apps:create", app]);
    if deployed {
        server.sim().mark_deployed(app, &["web", "worker"]).unwrap();
    }
}

/// Fast retries, so the deploy-lock tests take milliseconds.
async fn start(latency_ms: u64, backoff_base_ms: u64) -> TestServer {
    TestServer::start_with(|c| {
        c.host.sim.latency_ms = latency_ms;
        c.jobs.backoff_base_ms = backoff_base_ms;
        c.jobs.retry_limit = 3;
    })
    .await
}

async fn enqueue(server: &TestServer, app: &str, action: ApplyAction, request: &str) -> Enqueued {
    let app = dokku_pro_server::ids::AppName::parse(app).unwrap();
    server.jobs().enqueue(&app, action, request, &admin()).await.unwrap()
}

fn subcommands(server: &TestServer, subcommand: &str) -> usize {
    server.sim().invocations().iter().filter(|i| i.argv.iter().any(|a| a == subcommand)).count()
}

#[tokio::test]
async fn get_queue_job_follows_a_job_to_completion() {
    let server = start(0, 20).await;
    let client = server.client().await;
    create_app(&server, "node-js-app", true);
    let job = enqueue(&server, "node-js-app", ApplyAction::Rebuild, "req-abc").await;
    let bearer = server.bearer().await;
    let data = server.wait_job(&bearer, &job.content_location()).await;
    assert_eq!(data["id"], job.id.to_string());

    // Through the client generated from the seed: every field of QueueJob.
    server.sim().clear_invocations();
    let read = client.get_queue_job().queue_job_id(job.id.to_string()).send().await.unwrap();
    assert!(server.sim().invocations().is_empty(), "reading a job costs no Dokku call");
    let read = read.into_inner().data.expect("data");
    assert_eq!(read.type_, Some(types::QueueJobType::QueueJobs));
    let attributes = read.attributes.unwrap();
    assert_eq!(attributes.command, ["dokku", "ps:rebuild", "node-js-app"]);
    assert_eq!(attributes.request_id.as_deref(), Some("req-abc"));
    assert_eq!(attributes.retry_count, Some(0));
    assert_eq!(attributes.state, Some(types::QueueJobAttributesState::Completed));
    assert_eq!(
        attributes.status_message.as_deref(),
        Some("Completed: `dokku ps:rebuild node-js-app` succeeded")
    );
    assert_eq!(attributes.internal_id.unwrap().len(), 22);
    server.finish().await;
}

#[tokio::test]
async fn unknown_and_malformed_job_ids() {
    let server = start(0, 20).await;
    let bearer = server.bearer().await;
    server.sim().clear_invocations();
    let r = server.api(&bearer, "GET", "/@api/queueJobs/abc", None).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["errors"][0]["title"],
        "invalid queue job id \"abc\": a queue job id is a positive integer"
    );
    for bad in ["-1", "1.5", "%201"] {
        let r = server.api(&bearer, "GET", &format!("/@api/queueJobs/{bad}"), None).await;
        assert_eq!(r.status, 400, "{bad}");
    }
    for unknown in ["0", "12345", "99999999999999999999999"] {
        let r = server.api(&bearer, "GET", &format!("/@api/queueJobs/{unknown}"), None).await;
        assert_eq!(r.status, 404, "{unknown}: {}", r.text());
    }
    let body = server.api(&bearer, "GET", "/@api/queueJobs/12345", None).await.json();
    assert_eq!(body["errors"][0]["title"], "queue job 12345 does not exist");
    // Without credentials: 401, before anything is looked up.
    assert_eq!(server.raw("GET", "/@api/queueJobs/1", &[], b"").await.status, 401);
    assert!(server.sim().invocations().is_empty());
    server.finish().await;
}

#[tokio::test]
async fn ten_changes_in_a_burst_run_as_one_job() {
    // A slow restart keeps the app busy with a first job while the burst arrives: 4 s, ample for
    // ten enqueues even on a loaded 2-core machine (a fixed host latency of a few hundred
    // milliseconds was not: the first job could finish mid-burst).
    let server = start(0, 20).await;
    create_app(&server, "busy", true);
    server.sim().inject(Injection {
        subcommand: "ps:restart".into(),
        app: Some("busy".into()),
        times: 1,
        effect: Effect::Delay(Duration::from_millis(4000)),
    });
    let first = enqueue(&server, "busy", ApplyAction::Restart, "req-first").await;
    let bearer = server.bearer().await;
    let mut picked_up = false;
    for _ in 0..300 {
        let body = server.api(&bearer, "GET", &first.content_location(), None).await.json();
        let message = body["data"]["attributes"]["status_message"].as_str().unwrap().to_string();
        if message.starts_with("Picked up") || message.starts_with("Running") {
            picked_up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(picked_up, "the first job never started");
    let mut burst = Vec::new();
    for n in 0..10 {
        // Env changes queue a restart, buildpack changes a rebuild: one rebuild carries all.
        let action = if n == 4 { ApplyAction::Rebuild } else { ApplyAction::Restart };
        burst.push(enqueue(&server, "busy", action, &format!("req-{n}")).await);
    }
    assert!(burst.iter().all(|j| j.id == burst[0].id), "{burst:?}");
    assert_ne!(burst[0].id, first.id, "the running job cannot take changes made after it started");
    for job in &burst {
        let data = server.wait_job(&bearer, &job.content_location()).await;
        assert_eq!(data["attributes"]["state"], "completed", "{data}");
        assert_eq!(
            data["attributes"]["command"],
            serde_json::json!(["dokku", "ps:rebuild", "busy"])
        );
    }
    server.wait_job(&bearer, &first.content_location()).await;
    assert_eq!(subcommands(&server, "ps:restart"), 1, "the first job");
    assert_eq!(subcommands(&server, "ps:rebuild"), 1, "one job for the whole burst");
    // Serialized: the burst's job started only after the first one's command had finished.
    let log: Vec<String> =
        server.sim().invocations().into_iter().map(|i| i.argv.join(" ")).collect();
    let restart = log.iter().position(|l| l == "ps:restart busy").unwrap();
    let reports: Vec<usize> = log
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("ps:report busy"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(reports.len(), 2, "{log:?}");
    assert!(reports[0] < restart && restart < reports[1], "{log:?}");
    server.finish().await;
}

#[tokio::test]
async fn a_deploy_lock_is_retried_and_a_permanent_one_fails_with_the_reason() {
    let server = start(0, 20).await;
    create_app(&server, "locked-twice", true);
    create_app(&server, "locked-forever", true);
    server.sim().inject(Injection {
        subcommand: "ps:rebuild".into(),
        app: Some("locked-twice".into()),
        times: 2,
        effect: Effect::DeployLock,
    });
    server.sim().inject(Injection {
        subcommand: "ps:rebuild".into(),
        app: Some("locked-forever".into()),
        times: 1000,
        effect: Effect::DeployLock,
    });
    let twice = enqueue(&server, "locked-twice", ApplyAction::Rebuild, "r1").await;
    let forever = enqueue(&server, "locked-forever", ApplyAction::Rebuild, "r2").await;
    let bearer = server.bearer().await;

    let data = server.wait_job(&bearer, &twice.content_location()).await;
    assert_eq!(data["attributes"]["state"], "completed", "{data}");
    assert_eq!(data["attributes"]["retry_count"], 2);
    assert_eq!(
        data["attributes"]["status_message"],
        "Completed: `dokku ps:rebuild locked-twice` succeeded (after 2 retries)"
    );

    let data = server.wait_job(&bearer, &forever.content_location()).await;
    assert_eq!(data["attributes"]["state"], "failed", "{data}");
    assert_eq!(data["attributes"]["retry_count"], 3);
    assert_eq!(
        data["attributes"]["status_message"],
        "Failed after 3 retries: `dokku ps:rebuild locked-forever` exited with status 1: \
         locked-forever currently has a deploy lock in place. Exiting...; Run 'apps:unlock' to \
         release the existing deploy lock"
    );
    server.finish().await;
}

#[tokio::test]
async fn a_never_deployed_app_completes_with_a_note() {
    let server = start(0, 20).await;
    create_app(&server, "fresh", false);
    let job = enqueue(&server, "fresh", ApplyAction::Rebuild, "r").await;
    let bearer = server.bearer().await;
    let data = server.wait_job(&bearer, &job.content_location()).await;
    assert_eq!(data["attributes"]["state"], "completed");
    assert_eq!(
        data["attributes"]["status_message"],
        "App fresh has not been deployed yet: nothing to rebuild; the change applies at its first deploy"
    );
    assert_eq!(subcommands(&server, "ps:rebuild"), 0);
    server.finish().await;
}

#[tokio::test]
async fn list_filters_newest_first_and_pages() {
    let server = start(0, 20).await;
    create_app(&server, "a1", true);
    create_app(&server, "a2", true);
    let mut jobs: Vec<JobId> = Vec::new();
    let bearer = server.bearer().await;
    // Each waits for the previous one, so none coalesces: five jobs.
    for (app, action) in [
        ("a1", ApplyAction::Restart),
        ("a2", ApplyAction::Restart),
        ("a1", ApplyAction::Rebuild),
        ("a1", ApplyAction::Restart),
        ("a2", ApplyAction::Rebuild),
    ] {
        let job = enqueue(&server, app, action, "r").await;
        server.wait_job(&bearer, &job.content_location()).await;
        jobs.push(job.id);
    }
    server.sim().clear_invocations();
    let ids = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_string())
            .collect()
    };
    let s = |id: JobId| id.to_string();

    let r = server.api(&bearer, "GET", "/@api/queueJobs", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(ids(&body), [s(jobs[4]), s(jobs[3]), s(jobs[2]), s(jobs[1]), s(jobs[0])]);
    assert!(body.get("links").is_none(), "one page: {body}");

    let body = server.api(&bearer, "GET", "/@api/queueJobs?app=a1&limit=2", None).await.json();
    assert_eq!(ids(&body), [s(jobs[3]), s(jobs[2])]);
    let next = body["links"]["next"].as_str().unwrap().to_string();
    assert_eq!(next, format!("/@api/queueJobs?before={}&limit=2&app=a1", jobs[2]));
    let body = server.api(&bearer, "GET", &next, None).await.json();
    assert_eq!(ids(&body), [s(jobs[0])]);
    assert!(body.get("links").is_none());

    let body =
        server.api(&bearer, "GET", "/@api/queueJobs?state=pending,retrying", None).await.json();
    assert_eq!(ids(&body), Vec::<String>::new());
    let body =
        server.api(&bearer, "GET", "/@api/queueJobs?state=completed&app=a2", None).await.json();
    assert_eq!(ids(&body), [s(jobs[4]), s(jobs[1])]);

    for (query, title) in [
        ("limit=0", "invalid limit \"0\": use a whole number from 1 to 100"),
        ("limit=x", "invalid limit \"x\": use a whole number from 1 to 100"),
        ("before=-3", "invalid before \"-3\": use a job id"),
        ("app=Bad_App!", ""),
        ("state=canceled", ""),
    ] {
        let r = server.api(&bearer, "GET", &format!("/@api/queueJobs?{query}"), None).await;
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        if !title.is_empty() {
            assert_eq!(r.json()["errors"][0]["title"], title);
        }
    }
    assert!(server.sim().invocations().is_empty(), "listing jobs costs no Dokku call");
    server.finish().await;
}

#[tokio::test]
async fn only_a_job_that_has_not_started_can_be_canceled() {
    let server = start(0, 20).await;
    create_app(&server, "slow", true);
    server.sim().inject(Injection {
        subcommand: "ps:rebuild".into(),
        app: Some("slow".into()),
        times: 1,
        // Long enough that the job is surely still running when the test asks to cancel it,
        // even on a loaded machine.
        effect: Effect::Delay(Duration::from_millis(4000)),
    });
    let running = enqueue(&server, "slow", ApplyAction::Rebuild, "r1").await;
    let bearer = server.bearer().await;
    let headers = [("authorization", bearer.as_str())];
    let delete = |path: String| {
        let server = &server;
        async move {
            let r = server.raw("DELETE", &path, &headers, b"").await;
            (r.status, r.json())
        }
    };
    // Wait until the first job runs.
    let mut started = false;
    for _ in 0..300 {
        let body = server.api(&bearer, "GET", &running.content_location(), None).await.json();
        if body["data"]["attributes"]["status_message"].as_str().unwrap().starts_with("Running") {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(started, "the first job never started running");
    // A change made while the first job runs gets a job of its own, which waits.
    let waiting = enqueue(&server, "slow", ApplyAction::Restart, "r2").await;
    assert_ne!(running.id, waiting.id);
    let (status, body) = delete(running.content_location()).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["errors"][0]["title"].as_str().unwrap().contains("is running"), "{body}");

    let (status, body) = delete(waiting.content_location()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["state"], "failed");
    assert_eq!(
        body["data"]["attributes"]["status_message"],
        "Canceled by admin before it ran; the change it carries applies at the app's next deploy"
    );
    let (status, body) = delete(waiting.content_location()).await;
    assert_eq!(status, 409);
    assert!(body["errors"][0]["title"].as_str().unwrap().contains("has already ended (failed)"));
    assert_eq!(delete("/@api/queueJobs/424242".into()).await.0, 404);
    assert_eq!(delete("/@api/queueJobs/x1".into()).await.0, 400);

    let data = server.wait_job(&bearer, &running.content_location()).await;
    assert_eq!(data["attributes"]["state"], "completed");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(subcommands(&server, "ps:restart"), 0, "the canceled job never ran");
    server.finish().await;
}

/// One parsed Server-Sent Event.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    id: Option<i64>,
    event: String,
    data: String,
}

/// Reads an event stream straight from the server (the harness proxy would buffer it).
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(server: &TestServer, token: &str, id: JobId, last: Option<i64>) -> Stream {
        let url = format!("http://{}/@api/queueJobs/{id}/output", server.server_addr());
        let mut request = reqwest::Client::new().get(url).bearer_auth(token);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Stream { response, buffer: String::new() }
    }

    /// The next event (comments and the `retry:` hint skipped); `None` at the end of the stream.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = Event { id: None, event: String::new(), data: String::new() };
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        event.id = Some(v.parse().unwrap());
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        event.event = v.to_string();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        event.data = v.to_string();
                    }
                }
                if !event.event.is_empty() {
                    return Some(event);
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.response.chunk())
                .await
                .expect("an event within 20 s")
                .unwrap();
            match chunk {
                Some(bytes) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                None => {
                    assert!(self.buffer.trim().is_empty(), "a partial event: {:?}", self.buffer);
                    return None;
                }
            }
        }
    }
}

#[tokio::test]
async fn the_output_stream_is_live_and_resumes_without_gaps_or_repeats() {
    // The first rebuild meets the deploy lock; the retry waits about a second.
    let server = start(100, 1500).await;
    create_app(&server, "streamed", true);
    server.sim().inject(Injection {
        subcommand: "ps:rebuild".into(),
        app: Some("streamed".into()),
        times: 1,
        effect: Effect::DeployLock,
    });
    let token = server.token().await;
    let bearer = format!("Bearer {token}");
    let job = enqueue(&server, "streamed", ApplyAction::Rebuild, "r").await;

    // Live: everything up to the retry, while the job is still waiting for it.
    let mut stream = Stream::open(&server, &token, job.id, None).await;
    let mut seen = Vec::new();
    loop {
        let event = stream.next().await.expect("the stream goes on while the job runs");
        let retrying = event.event == "status" && event.data.contains("\"state\":\"retrying\"");
        seen.push(event);
        if retrying {
            break;
        }
    }
    let body = server.api(&bearer, "GET", &job.content_location(), None).await.json();
    assert_eq!(body["data"]["attributes"]["state"], "retrying", "the events came while it ran");
    assert!(seen.iter().any(|e| e.event == "stdout" && e.data.contains("deploy lock")), "{seen:?}");
    drop(stream);

    // Resume after the last event seen: the rest, up to the end.
    let last = seen.last().unwrap().id;
    let mut stream = Stream::open(&server, &token, job.id, last).await;
    let end = loop {
        let event = stream.next().await.expect("an end event before the stream closes");
        if event.event == "end" {
            break event;
        }
        seen.push(event);
    };
    assert_eq!(end.data, r#"{"state":"completed"}"#);
    assert_eq!(end.id, None);
    assert_eq!(stream.next().await, None, "the stream closes after `end`");

    let ids: Vec<i64> = seen.iter().map(|e| e.id.unwrap()).collect();
    assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>(), "no gap, no repeat");
    let statuses: Vec<Value> = seen
        .iter()
        .filter(|e| e.event == "status")
        .map(|e| serde_json::from_str(&e.data).unwrap())
        .collect();
    assert_eq!(statuses.first().unwrap()["status_message"], "Waiting for a worker");
    assert_eq!(statuses.last().unwrap()["state"], "completed");
    assert_eq!(statuses.last().unwrap()["retry_count"], 1);
    assert!(seen.iter().any(|e| e.event == "stdout" && e.data.contains("Building streamed")));

    // Replayed in full once the job has ended: the same events, then the end.
    let mut stream = Stream::open(&server, &token, job.id, None).await;
    let mut replay = Vec::new();
    while let Some(event) = stream.next().await {
        replay.push(event);
    }
    assert_eq!(replay.last().unwrap(), &end);
    replay.pop();
    assert_eq!(replay, seen);

    // Bad input: JSON errors, checked against the contract.
    let r = server
        .raw(
            "GET",
            &format!("/@api/queueJobs/{}/output", job.id),
            &[("authorization", &bearer), ("last-event-id", "abc")],
            b"",
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.error_title(),
        "invalid Last-Event-ID \"abc\": use the id of an event of this stream"
    );
    let r =
        server.raw("GET", "/@api/queueJobs/777/output", &[("authorization", &bearer)], b"").await;
    assert_eq!(r.status, 404);
    let r = server.raw("GET", "/@api/queueJobs/x/output", &[("authorization", &bearer)], b"").await;
    assert_eq!(r.status, 400);
    server.finish().await;
}
