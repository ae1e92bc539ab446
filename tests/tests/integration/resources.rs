//! Resources: the three operations through the generated client and raw requests, every response
//! checked against the seed by the harness; values are stored at once, one at a time, and a
//! restart job makes them live.

use dokku_pro_tests::client::types;
use dokku_pro_tests::fixtures::{APP, server_with_app};
use dokku_pro_tests::harness::TestServer;
use serde_json::{Value, json};

fn resource_body(process_type: &str, resource_type: &str, name: &str, value: &str) -> Value {
    json!({"data": {"type": "resources", "attributes": {"app_id": APP,
        "process_type": process_type, "resource_type": resource_type, "name": name,
        "value": value}}})
}

/// The ids `GET /apps/{app}/resources` lists, with their values.
async fn listed(server: &TestServer, bearer: &str) -> Vec<(String, String)> {
    let r = server.api(bearer, "GET", &format!("/@api/apps/{APP}/resources"), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["data"]
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
    let (server, _) = server_with_app().await;
    server.dokku(&["resource:limit", "--memory", "1g", "--cpu", "2", APP]);
    server.dokku(&["resource:reserve", "--memory", "512m", APP]);
    server.dokku(&["resource:limit", "--network-ingress", "10", "--process-type", "web", APP]);
    server.dokku(&["resource:reserve", "--nvidia-gpu", "1", "--process-type", "worker", APP]);
    server.dokku(&["resource:limit", "--memory-swap", "2g", "--process-type", "build", APP]);
    let client = server.client().await;
    server.take_dokku_calls();

    let r = client.get_resources_for_app().app_id(APP).send().await.unwrap().into_inner();
    let calls = server.take_dokku_calls();
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
    server.dokku(&["apps:create", "empty-app"]);
    let r = client.get_resources_for_app().app_id("empty-app").send().await.unwrap();
    assert!(r.into_inner().data.is_empty());
    server.finish().await;
}

#[tokio::test]
async fn setting_a_value_stores_it_and_queues_a_restart() {
    let (server, bearer) = server_with_app().await;
    server.sim().mark_deployed(APP, &["web", "worker"]).unwrap();
    let client = server.client().await;
    server.take_dokku_calls();

    let body: types::AddResourceBody =
        serde_json::from_value(resource_body("web", "limit", "memory-swap", "1024MB")).unwrap();
    let r = client.add_resource().body(body).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let location = r.headers()["content-location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/@api/queueJobs/"), "{location}");
    let resource = r.into_inner().data.unwrap();
    assert_eq!(resource.id.as_deref(), Some("node-js-app:web:limit:memory-swap"));
    assert_eq!(resource.attributes.unwrap().value.as_deref(), Some("1024MB"));
    let job = server.wait_job(&bearer, &location).await;
    assert_eq!(job["attributes"]["state"], "completed", "{job}");
    assert_eq!(job["attributes"]["command"], json!(["dokku", "ps:restart", APP]));
    let calls = server.take_dokku_calls();
    assert_eq!(
        calls[0],
        ["resource:limit", "--memory-swap", "1024MB", "--process-type", "web", APP],
        "{calls:?}"
    );
    assert!(calls.iter().any(|c| c == &["ps:restart", APP]), "{calls:?}");

    // App-wide values go without --process-type; a reservation uses resource:reserve.
    let r = server
        .api(
            &bearer,
            "POST",
            "/@api/resources",
            Some(resource_body("_default_", "reserve", "cpu", "1.5")),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(r.json()["data"]["id"], "node-js-app:_default_:reserve:cpu");
    assert_eq!(r.json()["data"]["attributes"]["resource_type"], "reserve");
    let job =
        server.wait_job(&bearer, r.header("content-location").expect("a Content-Location")).await;
    assert_eq!(job["attributes"]["state"], "completed", "{job}");
    assert_eq!(server.take_dokku_calls()[0], ["resource:reserve", "--cpu", "1.5", APP]);

    // Setting again replaces the value.
    let r = server
        .api(
            &bearer,
            "POST",
            "/@api/resources",
            Some(resource_body("web", "limit", "memory-swap", "2g")),
        )
        .await;
    assert_eq!(r.status, 202);
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
    let (server, bearer) = server_with_app().await;
    server.sim().mark_deployed(APP, &["web"]).unwrap();
    server.dokku(&["resource:limit", "--memory", "1g", "--cpu", "2", APP]);
    server.dokku(&["resource:reserve", "--memory", "512m", APP]);
    server.dokku(&["resource:limit", "--memory", "256m", "--process-type", "web", APP]);
    server.dokku(&["resource:reserve", "--memory", "128m", "--process-type", "web", APP]);
    server.take_dokku_calls();

    let client = server.client().await;
    let r = client
        .delete_resource()
        .resource_id(format!("{APP}:_default_:limit:memory"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let location = r.headers()["content-location"].to_str().unwrap().to_string();
    let job = server.wait_job(&bearer, &location).await;
    assert_eq!(job["attributes"]["state"], "completed", "{job}");
    let calls = server.take_dokku_calls();
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

    server.take_dokku_calls();
    let r = server
        .api(&bearer, "DELETE", &format!("/@api/resources/{APP}:web:reserve:memory"), None)
        .await;
    assert_eq!(r.status, 202);
    server.wait_job(&bearer, r.header("content-location").expect("a Content-Location")).await;
    assert_eq!(
        server.take_dokku_calls()[1],
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
    server.take_dokku_calls();
    for id in [
        format!("{APP}:_default_:limit:memory"),
        format!("{APP}:web:limit:cpu"),
        format!("{APP}:worker:limit:memory"),
    ] {
        let r = server.api(&bearer, "DELETE", &format!("/@api/resources/{id}"), None).await;
        assert_eq!((r.status, r.header("content-location")), (404, None), "{id}: {}", r.text());
    }
    let r =
        server.api(&bearer, "DELETE", &format!("/@api/resources/{APP}:web:limit:cpu"), None).await;
    assert_eq!(
        r.json()["errors"][0]["title"],
        "no cpu limit is set for process type web of node-js-app"
    );
    assert!(server.take_dokku_calls().iter().all(|c| c[0] == "resource:report"), "only reads");
    server.finish().await;
}

#[tokio::test]
async fn invalid_input_never_reaches_dokku_and_unknown_apps_are_404() {
    let (server, bearer) = server_with_app().await;
    server.take_dokku_calls();
    let bodies = [
        resource_body("web", "limit", "memory", ""),
        resource_body("web", "limit", "memory", "clear"),
        resource_body("web", "limit", "memory", "1;reboot"),
        resource_body("web", "limit", "memory", "--cpu"),
        resource_body("web", "limit", "memory", "512 m"),
        resource_body("web", "limit", "memory", "-1"),
        resource_body("web", "limit", "memory", &"9".repeat(33)),
        // Out of range: more than 12 digits, whatever the unit.
        resource_body("web", "limit", "memory", "99999999999999999999999g"),
        resource_body("web", "limit", "memory", "9999999999999m"),
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
        let r = server.api(&bearer, "POST", "/@api/resources", Some(body.clone())).await;
        assert_eq!((r.status, r.header("content-location")), (400, None), "{body}: {}", r.text());
    }
    let r = server
        .api(
            &bearer,
            "POST",
            "/@api/resources",
            Some(resource_body("web", "limit", "memory", "clear")),
        )
        .await;
    assert_eq!(
        r.json()["errors"][0]["title"],
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
        let r = server.api(&bearer, "DELETE", &format!("/@api/resources/{id}"), None).await;
        assert_eq!(r.status, 400, "{id}: {}", r.text());
    }
    assert!(server.take_dokku_calls().is_empty(), "invalid input never reaches Dokku");

    let missing = "no-such-app";
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{missing}/resources"), None).await;
    assert_eq!(
        (r.status, r.json()["errors"][0]["title"].as_str()),
        (404, Some("App no-such-app does not exist"))
    );
    let mut body = resource_body("web", "limit", "cpu", "1");
    body["data"]["attributes"]["app_id"] = json!(missing);
    let r = server.api(&bearer, "POST", "/@api/resources", Some(body)).await;
    assert_eq!(r.status, 404);
    let r = server
        .api(&bearer, "DELETE", &format!("/@api/resources/{missing}:web:limit:cpu"), None)
        .await;
    assert_eq!(r.status, 404);
    let jobs = server
        .jobs()
        .list(dokku_pro_server::jobs::ListFilter { limit: 100, ..Default::default() })
        .await
        .unwrap();
    assert!(jobs.is_empty(), "no job for a refused change");
    server.finish().await;
}
