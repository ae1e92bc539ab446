//! Formations: the three operations through the generated client and raw requests, every
//! response checked against the seed by the harness; scale changes are stored at once and a
//! restart job makes them live.

use std::time::Duration;

use dokku_pro_tests::client::types;
use dokku_pro_tests::harness::TestServer;
use dokku_sim::SimOutcome;
use serde_json::{Value, json};

const APP: &str = "node-js-app";

fn create_app(server: &TestServer, app: &str) {
    let out = server.sim().run(&["apps:create", app], None);
    assert!(matches!(out, SimOutcome::Completed(ref o) if o.status == 0), "{out:?}");
}

fn dokku(server: &TestServer, argv: &[&str]) {
    let out = server.sim().run(argv, None);
    assert!(matches!(out, SimOutcome::Completed(ref o) if o.status == 0), "{argv:?}: {out:?}");
}

async fn start(version: Option<&str>) -> (TestServer, String) {
    let version = version.map(str::to_string);
    let server = TestServer::start_with(move |c| {
        if let Some(v) = version {
            c.host.sim.version = v;
        }
    })
    .await;
    create_app(&server, APP);
    let bearer = format!("Bearer {}", server.token().await);
    (server, bearer)
}

async fn call(
    server: &TestServer,
    bearer: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let r = server
        .raw(
            method,
            path,
            &[("authorization", bearer), ("content-type", "application/json")],
            body.as_bytes(),
        )
        .await;
    let location =
        r.headers.get("content-location").map(|v| v.to_str().expect("ASCII").to_string());
    let json = if r.body.is_empty() { Value::Null } else { r.json() };
    (r.status, location, json)
}

/// The Dokku commands run since the last call (argv after `dokku`).
fn dokku_calls(server: &TestServer) -> Vec<Vec<String>> {
    let calls = server.sim().invocations().into_iter().map(|i| i.argv).collect();
    server.sim().clear_invocations();
    calls
}

/// Polls the job at `location` (`/@api/queueJobs/{id}`) until it has ended; returns its `data`.
async fn wait_job(server: &TestServer, bearer: &str, location: &str) -> Value {
    for _ in 0..400 {
        let (status, _, body) = call(server, bearer, "GET", location, None).await;
        assert_eq!(status, 200, "{body}");
        if matches!(body["data"]["attributes"]["state"].as_str(), Some("completed" | "failed")) {
            return body["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{location} did not end within 20 s");
}

fn is_job_location(location: &str) -> bool {
    location
        .strip_prefix("/@api/queueJobs/")
        .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
}

fn formation_body(app: &str, process_type: &str, quantity: Value) -> Value {
    json!({"data": {"type": "formations", "attributes": {
        "app_id": app, "process_type": process_type, "quantity": quantity}}})
}

#[tokio::test]
async fn formations_with_their_own_limits_in_two_dokku_calls() {
    let (server, _) = start(None).await;
    server.sim().mark_deployed(APP, &["web", "worker"]).unwrap();
    dokku(&server, &["resource:limit", "--memory", "512m", "--process-type", "web", APP]);
    dokku(&server, &["resource:limit", "--memory-swap", "1g", "--process-type", "web", APP]);
    dokku(&server, &["resource:reserve", "--cpu", "0.5", "--process-type", "web", APP]);
    dokku(&server, &["resource:limit", "--memory", "1g", APP]);
    dokku(&server, &["resource:limit", "--cpu", "2", "--process-type", "build", APP]);
    let client = server.client().await;
    dokku_calls(&server);

    let r = client.get_formations_for_app().app_id(APP).send().await.unwrap().into_inner();
    let calls = dokku_calls(&server);
    assert_eq!(calls.len(), 2, "two calls per read: {calls:?}");
    assert!(calls.contains(&vec![
        "ps:scale".to_string(),
        APP.into(),
        "--format".into(),
        "json".into()
    ]));
    assert!(calls.iter().any(|c| c[0] == "resource:report"));

    let data = r.data;
    assert_eq!(data.len(), 2, "{data:?}");
    let web = &data[0];
    assert_eq!(web.id.as_deref(), Some("node-js-app:web"));
    assert_eq!(web.type_, Some(types::FormationType::Formations));
    let web = web.attributes.as_ref().unwrap();
    assert_eq!(
        (web.app_id.as_deref(), web.process_type.as_deref(), web.quantity),
        (Some(APP), Some("web"), Some(1))
    );
    let limits = web.limits.as_ref().unwrap();
    assert_eq!(limits.memory.as_deref(), Some("512m"));
    assert_eq!(limits.memory_swap.as_deref(), Some("1g"), "memory-swap becomes memory_swap");
    assert_eq!(limits.cpu, None);
    let reserves = web.reserves.as_ref().unwrap();
    assert_eq!(reserves.cpu.as_deref(), Some("0.5"));
    assert_eq!(reserves.memory, None);

    let worker = data[1].attributes.as_ref().unwrap();
    assert_eq!((worker.process_type.as_deref(), worker.quantity), (Some("worker"), Some(0)));
    // A type's sets show its own values only: the app-wide 1g memory limit is not copied in.
    assert_eq!(worker.limits.as_ref().unwrap().memory, None);
    assert_eq!(worker.reserves.as_ref().unwrap().cpu, None);

    // The raw body: empty sets are `{}`; `build` and `_default_` are no formations.
    let (_, _, raw) = call(
        &server,
        &format!("Bearer {}", server.token().await),
        "GET",
        &format!("/@api/apps/{APP}/formations"),
        None,
    )
    .await;
    assert_eq!(raw["data"][1]["attributes"]["limits"], json!({}));
    assert_eq!(raw["data"].as_array().unwrap().len(), 2);
    server.finish().await;
}

#[tokio::test]
async fn hosts_before_0_38_21_read_the_quiet_text() {
    let (server, bearer) = start(Some("0.36.0")).await;
    server.sim().mark_deployed(APP, &["web", "worker"]).unwrap();
    dokku(&server, &["ps:scale", "--skip-deploy", APP, "worker=2"]);
    dokku(&server, &["resource:reserve", "--memory", "256m", "--process-type", "worker", APP]);
    dokku_calls(&server);
    let (status, _, r) =
        call(&server, &bearer, "GET", &format!("/@api/apps/{APP}/formations"), None).await;
    assert_eq!(status, 200, "{r}");
    let calls = dokku_calls(&server);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls.contains(&vec!["--quiet".to_string(), "ps:scale".into(), APP.into()]));
    assert_eq!(r["data"][1]["id"], "node-js-app:worker");
    assert_eq!(r["data"][1]["attributes"]["quantity"], 2);
    assert_eq!(r["data"][1]["attributes"]["reserves"]["memory"], "256m");
    server.finish().await;
}

#[tokio::test]
async fn an_app_never_deployed_has_no_formations_until_one_is_set() {
    let (server, bearer) = start(None).await;
    let client = server.client().await;
    let r = client.get_formations_for_app().app_id(APP).send().await.unwrap();
    assert!(r.into_inner().data.is_empty());

    // Dokku only stores the count of an app never deployed; the job says so.
    let body: types::AddFormationBody =
        serde_json::from_value(formation_body(APP, "worker", json!(2))).unwrap();
    let r = client.add_formation().body(body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let location = r.headers()["content-location"].to_str().unwrap().to_string();
    assert!(is_job_location(&location), "{location}");
    let formation = r.into_inner().data.unwrap();
    assert_eq!(formation.id.as_deref(), Some("node-js-app:worker"));
    assert_eq!(formation.attributes.unwrap().quantity, Some(2));
    let job = wait_job(&server, &bearer, &location).await;
    assert_eq!(job["attributes"]["state"], "completed");
    let message = job["attributes"]["status_message"].as_str().unwrap();
    assert!(message.contains("first deploy"), "{message}");

    let r = client.get_formations_for_app().app_id(APP).send().await.unwrap().into_inner();
    assert_eq!(r.data.len(), 1);
    assert_eq!(r.data[0].attributes.as_ref().unwrap().quantity, Some(2));
    server.finish().await;
}

#[tokio::test]
async fn scaling_a_deployed_app_stores_then_restarts() {
    let (server, bearer) = start(None).await;
    server.sim().mark_deployed(APP, &["web", "worker"]).unwrap();
    dokku_calls(&server);

    let (status, location, r) = call(
        &server,
        &bearer,
        "POST",
        "/@api/formations",
        Some(formation_body(APP, "worker", json!(3))),
    )
    .await;
    assert_eq!(status, 202, "{r}");
    assert_eq!(r["data"]["id"], "node-js-app:worker");
    assert_eq!(r["data"]["type"], "formations");
    assert_eq!(r["data"]["attributes"]["quantity"], 3);
    let location = location.expect("a Content-Location");
    assert!(is_job_location(&location), "{location}");
    let job = wait_job(&server, &bearer, &location).await;
    assert_eq!(job["attributes"]["state"], "completed", "{job}");
    assert_eq!(job["attributes"]["command"], json!(["dokku", "ps:restart", APP]));

    let calls = dokku_calls(&server);
    let scales: Vec<_> = calls.iter().filter(|c| c[0] == "ps:scale").collect();
    assert_eq!(scales, [&vec!["ps:scale", "--skip-deploy", APP, "worker=3"]], "stored only");
    assert!(calls.iter().any(|c| c == &["ps:restart", APP]), "the job restarted: {calls:?}");
    let (_, _, listed) =
        call(&server, &bearer, "GET", &format!("/@api/apps/{APP}/formations"), None).await;
    assert_eq!(listed["data"][1]["attributes"]["quantity"], 3);

    // Scaling up a type the Procfile lacks: Dokku's refusal is a 400, and no job is queued.
    dokku_calls(&server);
    let (status, location, r) = call(
        &server,
        &bearer,
        "POST",
        "/@api/formations",
        Some(formation_body(APP, "clock", json!(1))),
    )
    .await;
    assert_eq!(status, 400, "{r}");
    assert_eq!(location, None);
    assert_eq!(r["errors"][0]["title"], "clock is not a valid process name to scale up");
    assert!(!dokku_calls(&server).iter().any(|c| c[0] == "ps:restart"));

    // Scaling to 0 through DELETE.
    let client = server.client().await;
    let r = client.delete_formation().formation_id(format!("{APP}:worker")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let location = r.headers()["content-location"].to_str().unwrap().to_string();
    let job = wait_job(&server, &bearer, &location).await;
    assert_eq!(job["attributes"]["state"], "completed", "{job}");
    let calls = dokku_calls(&server);
    assert!(calls.contains(&vec![
        "ps:scale".to_string(),
        "--skip-deploy".into(),
        APP.into(),
        "worker=0".into()
    ]));
    let (_, _, listed) =
        call(&server, &bearer, "GET", &format!("/@api/apps/{APP}/formations"), None).await;
    assert_eq!(listed["data"][1]["attributes"]["quantity"], 0);
    server.finish().await;
}

#[tokio::test]
async fn deleting_an_unknown_process_type_is_404() {
    let (server, bearer) = start(None).await;
    server.sim().mark_deployed(APP, &["web"]).unwrap();
    dokku_calls(&server);
    let (status, location, r) =
        call(&server, &bearer, "DELETE", &format!("/@api/formations/{APP}:worker"), None).await;
    assert_eq!((status, location), (404, None), "{r}");
    assert_eq!(r["errors"][0]["title"], "process type worker does not exist for node-js-app");
    let calls = dokku_calls(&server);
    assert_eq!(calls.len(), 1, "only the read: {calls:?}");
    assert_eq!(calls[0][0], "ps:scale");
    server.finish().await;
}

#[tokio::test]
async fn invalid_input_never_reaches_dokku_and_unknown_apps_are_404() {
    let (server, bearer) = start(None).await;
    dokku_calls(&server);
    let long = "a".repeat(64);
    let bodies = [
        formation_body(APP, "build", json!(1)),
        formation_body(APP, "Web", json!(1)),
        formation_body(APP, "-web", json!(1)),
        formation_body(APP, "we b", json!(1)),
        formation_body(APP, "_default_", json!(1)),
        formation_body(APP, &long, json!(1)),
        formation_body(APP, "web", json!(-1)),
        formation_body(APP, "web", json!(1001)),
        formation_body(APP, "web", json!(1.5)),
        formation_body(APP, "web", json!("2")),
        formation_body("Bad App", "web", json!(1)),
        formation_body(APP, "web", Value::Null),
        json!({"data": {"attributes": {"process_type": "web", "quantity": 1}}}),
        json!({"data": {"id": "other:web", "attributes": {"app_id": APP, "process_type": "web", "quantity": 1}}}),
        json!({}),
    ];
    for body in bodies {
        let (status, location, r) =
            call(&server, &bearer, "POST", "/@api/formations", Some(body.clone())).await;
        assert_eq!((status, location), (400, None), "{body}: {r}");
        assert!(!r["errors"][0]["title"].as_str().unwrap().is_empty());
    }
    let (_, _, r) = call(
        &server,
        &bearer,
        "POST",
        "/@api/formations",
        Some(formation_body(APP, "web", json!(1001))),
    )
    .await;
    assert_eq!(r["errors"][0]["title"], "invalid quantity 1001: use an integer from 0 to 1000");
    for id in [APP.to_string(), format!("{APP}:"), format!("{APP}:build"), format!("{APP}:Web")] {
        let (status, _, r) =
            call(&server, &bearer, "DELETE", &format!("/@api/formations/{id}"), None).await;
        assert_eq!(status, 400, "{id}: {r}");
    }
    let (status, _, _) =
        call(&server, &bearer, "GET", "/@api/apps/Bad_App!/formations", None).await;
    assert_eq!(status, 400);
    assert!(dokku_calls(&server).is_empty(), "invalid input never reaches Dokku");

    let missing = "no-such-app";
    let (status, _, r) =
        call(&server, &bearer, "GET", &format!("/@api/apps/{missing}/formations"), None).await;
    assert_eq!(status, 404, "{r}");
    assert_eq!(r["errors"][0]["title"], "App no-such-app does not exist");
    let (status, _, _) = call(
        &server,
        &bearer,
        "POST",
        "/@api/formations",
        Some(formation_body(missing, "web", json!(1))),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) =
        call(&server, &bearer, "DELETE", &format!("/@api/formations/{missing}:web"), None).await;
    assert_eq!(status, 404);
    let jobs = server
        .jobs()
        .list(dokku_pro_server::jobs::ListFilter { limit: 100, ..Default::default() })
        .await
        .unwrap();
    assert!(jobs.is_empty(), "no job for a refused change");
    server.finish().await;
}
