//! Resources: the three operations through the generated client and raw requests, every response
//! checked against the seed by the harness; values are stored at once, one at a time, and a
//! restart job makes them live.

use std::time::Duration;

use dokku_pro_tests::client::types;
use dokku_pro_tests::harness::TestServer;
use dokku_sim::SimOutcome;
use serde_json::{Value, json};

const APP: &str = "node-js-app";

fn dokku(server: &TestServer, argv: &[&str]) {
    let out = server.sim().run(argv, None);
    assert!(matches!(out, SimOutcome::Completed(ref o) if o.status == 0), "{argv:?}: {out:?}");
}

async fn start() -> (TestServer, String) {
    let server = TestServer::start().await;
    dokku(&server, &["apps:create", APP]);
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

fn resource_body(process_type: &str, resource_type: &str, name: &str, value: &str) -> Value {
    json!({"data": {"type": "resources", "attributes": {"app_id": APP,
        "process_type": process_type, "resource_type": resource_type, "name": name,
        "value": value}}})
}

/// The ids `GET /apps/{app}/resources` lists, with their values.
async fn listed(server: &TestServer, bearer: &str) -> Vec<(String, String)> {
    let (status, _, r) =
        call(server, bearer, "GET", &format!("/@api/apps/{APP}/resources"), None).await;
    assert_eq!(status, 200, "{r}");
    r["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = r["id"].as_str().unwrap().to_string();
            (id, r["attributes"]["value"].as_str().unwrap().to_string())
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(i, v)| (i.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn every_set_value_in_one_dokku_call() {
    let (server, _) = start().await;
    dokku(&server, &["resource:limit", "--memory", "1g", "--cpu", "2", APP]);
    dokku(&server, &["resource:reserve", "--memory", "512m", APP]);
    dokku(&server, &["resource:limit", "--network-ingress", "10", "--process-type", "web", APP]);
    dokku(&server, &["resource:reserve", "--nvidia-gpu", "1", "--process-type", "worker", APP]);
    dokku(&server, &["resource:limit", "--memory-swap", "2g", "--process-type", "build", APP]);
    let client = server.client().await;
    dokku_calls(&server);

    let r = client.get_resources_for_app().app_id(APP).send().await.unwrap().into_inner();
    let calls = dokku_calls(&server);
    assert_eq!(calls, [["resource:report", APP, "--format", "json"]], "one call per read");

    let ids: Vec<&str> = r.data.iter().map(|r| r.id.as_deref().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "node-js-app:_default_:limit:cpu",
            "node-js-app:_default_:limit:memory",
            "node-js-app:_default_:reserve:memory",
            "node-js-app:build:limit:memory-swap",
            "node-js-app:web:limit:network-ingress",
            "node-js-app:worker:reserve:nvidia-gpu",
        ]
    );
    let gpu = r.data[5].clone();
    assert_eq!(gpu.type_, Some(types::ResourceType::Resources));
    let a = gpu.attributes.unwrap();
    assert_eq!(a.app_id.as_deref(), Some(APP));
    assert_eq!(a.process_type.as_deref(), Some("worker"));
    assert_eq!(a.resource_type, Some(types::ResourceAttributesResourceType::Reserve));
    assert_eq!(a.name, Some(types::ResourceAttributesName::NvidiaGpu));
    assert_eq!(a.value.as_deref(), Some("1"));

    // Nothing set: an empty list.
    dokku(&server, &["apps:create", "empty-app"]);
    let r = client.get_resources_for_app().app_id("empty-app").send().await.unwrap();
    assert!(r.into_inner().data.is_empty());
    server.finish().await;
}

#[tokio::test]
async fn setting_a_value_stores_it_and_queues_a_restart() {
    let (server, bearer) = start().await;
    server.sim().mark_deployed(APP, &["web", "worker"]).unwrap();
    let client = server.client().await;
    dokku_calls(&server);

    let body: types::AddResourceBody =
        serde_json::from_value(resource_body("web", "limit", "memory-swap", "1024MB")).unwrap();
    let r = client.add_resource().body(body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let location = r.headers()["content-location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/@api/queueJobs/"), "{location}");
    let resource = r.into_inner().data.unwrap();
    assert_eq!(resource.id.as_deref(), Some("node-js-app:web:limit:memory-swap"));
    assert_eq!(resource.attributes.unwrap().value.as_deref(), Some("1024MB"));
    let job = wait_job(&server, &bearer, &location).await;
    assert_eq!(job["attributes"]["state"], "completed", "{job}");
    assert_eq!(job["attributes"]["command"], json!(["dokku", "ps:restart", APP]));
    let calls = dokku_calls(&server);
    assert_eq!(
        calls[0],
        ["resource:limit", "--memory-swap", "1024MB", "--process-type", "web", APP],
        "{calls:?}"
    );
    assert!(calls.iter().any(|c| c == &["ps:restart", APP]), "{calls:?}");

    // App-wide values go without --process-type; a reservation uses resource:reserve.
    let (status, location, r) = call(
        &server,
        &bearer,
        "POST",
        "/@api/resources",
        Some(resource_body("_default_", "reserve", "cpu", "1.5")),
    )
    .await;
    assert_eq!(status, 202, "{r}");
    assert_eq!(r["data"]["id"], "node-js-app:_default_:reserve:cpu");
    assert_eq!(r["data"]["attributes"]["resource_type"], "reserve");
    let job = wait_job(&server, &bearer, &location.expect("a Content-Location")).await;
    assert_eq!(job["attributes"]["state"], "completed", "{job}");
    assert_eq!(dokku_calls(&server)[0], ["resource:reserve", "--cpu", "1.5", APP]);

    // Setting again replaces the value.
    let (status, _, _) = call(
        &server,
        &bearer,
        "POST",
        "/@api/resources",
        Some(resource_body("web", "limit", "memory-swap", "2g")),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(
        listed(&server, &bearer).await,
        pairs(&[
            ("node-js-app:_default_:reserve:cpu", "1.5"),
            ("node-js-app:web:limit:memory-swap", "2g"),
        ])
    );
    server.finish().await;
}

#[tokio::test]
async fn clearing_one_value_leaves_every_other() {
    let (server, bearer) = start().await;
    server.sim().mark_deployed(APP, &["web"]).unwrap();
    dokku(&server, &["resource:limit", "--memory", "1g", "--cpu", "2", APP]);
    dokku(&server, &["resource:reserve", "--memory", "512m", APP]);
    dokku(&server, &["resource:limit", "--memory", "256m", "--process-type", "web", APP]);
    dokku(&server, &["resource:reserve", "--memory", "128m", "--process-type", "web", APP]);
    dokku_calls(&server);

    let client = server.client().await;
    let r = client
        .delete_resource()
        .resource_id(format!("{APP}:_default_:limit:memory"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let location = r.headers()["content-location"].to_str().unwrap().to_string();
    let job = wait_job(&server, &bearer, &location).await;
    assert_eq!(job["attributes"]["state"], "completed", "{job}");
    let calls = dokku_calls(&server);
    assert_eq!(calls[0], ["resource:report", APP, "--format", "json"]);
    assert_eq!(calls[1], ["resource:limit", "--memory", "clear", APP]);
    assert!(calls.iter().all(|c| !c[0].ends_with("-clear")), "never limit-clear: {calls:?}");
    assert_eq!(
        listed(&server, &bearer).await,
        pairs(&[
            ("node-js-app:_default_:limit:cpu", "2"),
            ("node-js-app:_default_:reserve:memory", "512m"),
            ("node-js-app:web:limit:memory", "256m"),
            ("node-js-app:web:reserve:memory", "128m"),
        ])
    );

    dokku_calls(&server);
    let (status, location, _) = call(
        &server,
        &bearer,
        "DELETE",
        &format!("/@api/resources/{APP}:web:reserve:memory"),
        None,
    )
    .await;
    assert_eq!(status, 202);
    wait_job(&server, &bearer, &location.expect("a Content-Location")).await;
    assert_eq!(
        dokku_calls(&server)[1],
        ["resource:reserve", "--memory", "clear", "--process-type", "web", APP]
    );
    assert_eq!(
        listed(&server, &bearer).await,
        pairs(&[
            ("node-js-app:_default_:limit:cpu", "2"),
            ("node-js-app:_default_:reserve:memory", "512m"),
            ("node-js-app:web:limit:memory", "256m"),
        ])
    );

    // Clearing what is not set (any more, or ever): 404, and nothing is cleared or queued.
    dokku_calls(&server);
    for id in [
        format!("{APP}:_default_:limit:memory"),
        format!("{APP}:web:limit:cpu"),
        format!("{APP}:worker:limit:memory"),
    ] {
        let (status, location, r) =
            call(&server, &bearer, "DELETE", &format!("/@api/resources/{id}"), None).await;
        assert_eq!((status, location), (404, None), "{id}: {r}");
    }
    let (_, _, r) =
        call(&server, &bearer, "DELETE", &format!("/@api/resources/{APP}:web:limit:cpu"), None)
            .await;
    assert_eq!(r["errors"][0]["title"], "no cpu limit is set for process type web of node-js-app");
    assert!(dokku_calls(&server).iter().all(|c| c[0] == "resource:report"), "only reads");
    server.finish().await;
}

#[tokio::test]
async fn invalid_input_never_reaches_dokku_and_unknown_apps_are_404() {
    let (server, bearer) = start().await;
    dokku_calls(&server);
    let bodies = [
        resource_body("web", "limit", "memory", ""),
        resource_body("web", "limit", "memory", "clear"),
        resource_body("web", "limit", "memory", "1;reboot"),
        resource_body("web", "limit", "memory", "--cpu"),
        resource_body("web", "limit", "memory", "512 m"),
        resource_body("web", "limit", "memory", "-1"),
        resource_body("web", "limit", "memory", &"9".repeat(33)),
        resource_body("Web", "limit", "memory", "1g"),
        resource_body("", "limit", "memory", "1g"),
        resource_body("--app", "limit", "memory", "1g"),
        resource_body("web", "limits", "memory", "1g"),
        resource_body("web", "limit", "memory_swap", "1g"),
        resource_body("web", "limit", "pids", "1"),
        json!({"data": {"attributes": {"app_id": APP, "process_type": "web", "resource_type": "limit", "name": "cpu"}}}),
        json!({"data": {"attributes": {"app_id": "Bad App", "process_type": "web", "resource_type": "limit", "name": "cpu", "value": "1"}}}),
        json!({"data": {"id": "x:web:limit:cpu", "attributes": {"app_id": APP, "process_type": "web", "resource_type": "limit", "name": "cpu", "value": "1"}}}),
    ];
    for body in bodies {
        let (status, location, r) =
            call(&server, &bearer, "POST", "/@api/resources", Some(body.clone())).await;
        assert_eq!((status, location), (400, None), "{body}: {r}");
    }
    let (_, _, r) = call(
        &server,
        &bearer,
        "POST",
        "/@api/resources",
        Some(resource_body("web", "limit", "memory", "clear")),
    )
    .await;
    assert_eq!(
        r["errors"][0]["title"],
        "invalid resource value \"clear\": to clear a value, delete the resource"
    );
    for id in [
        format!("{APP}:web:limit"),
        format!("{APP}:web:limit:cpu:extra"),
        format!("{APP}:web:limits:cpu"),
        format!("{APP}:web:limit:memory_swap"),
        format!("{APP}::limit:cpu"),
        format!("{APP}:Web:limit:cpu"),
        "Bad_App!:web:limit:cpu".to_string(),
    ] {
        let (status, _, r) =
            call(&server, &bearer, "DELETE", &format!("/@api/resources/{id}"), None).await;
        assert_eq!(status, 400, "{id}: {r}");
    }
    assert!(dokku_calls(&server).is_empty(), "invalid input never reaches Dokku");

    let missing = "no-such-app";
    let (status, _, r) =
        call(&server, &bearer, "GET", &format!("/@api/apps/{missing}/resources"), None).await;
    assert_eq!(
        (status, r["errors"][0]["title"].as_str()),
        (404, Some("App no-such-app does not exist"))
    );
    let mut body = resource_body("web", "limit", "cpu", "1");
    body["data"]["attributes"]["app_id"] = json!(missing);
    let (status, _, _) = call(&server, &bearer, "POST", "/@api/resources", Some(body)).await;
    assert_eq!(status, 404);
    let (status, _, _) =
        call(&server, &bearer, "DELETE", &format!("/@api/resources/{missing}:web:limit:cpu"), None)
            .await;
    assert_eq!(status, 404);
    let jobs = server
        .jobs()
        .list(dokku_pro_server::jobs::ListFilter { limit: 100, ..Default::default() })
        .await
        .unwrap();
    assert!(jobs.is_empty(), "no job for a refused change");
    server.finish().await;
}
