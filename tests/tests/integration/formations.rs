//! Formations: the three operations through the generated client and raw requests, every
//! response checked against the seed by the harness; scale changes are stored at once and a
//! restart job makes them live.

use dokku_pro_tests::client::types;
use dokku_pro_tests::fixtures::{APP, server_with_app, server_with_app_configured};
use serde_json::{Value, json};

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
    let (server, _) = server_with_app().await;
    server.sim().mark_deployed(APP, &["web", "worker"]).unwrap();
    server.dokku(&["resource:limit", "--memory", "512m", "--process-type", "web", APP]);
    server.dokku(&["resource:limit", "--memory-swap", "1g", "--process-type", "web", APP]);
    server.dokku(&["resource:reserve", "--cpu", "0.5", "--process-type", "web", APP]);
    server.dokku(&["resource:limit", "--memory", "1g", APP]);
    server.dokku(&["resource:limit", "--cpu", "2", "--process-type", "build", APP]);
    let client = server.client().await;
    server.take_dokku_calls();

    let r = client.get_formations_for_app().app_id(APP).send().await.unwrap().into_inner();
    let calls = server.take_dokku_calls();
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
    let bearer = server.bearer().await;
    let raw =
        server.api(&bearer, "GET", &format!("/@api/apps/{APP}/formations"), None).await.json();
    assert_eq!(raw["data"][1]["attributes"]["limits"], json!({}));
    assert_eq!(raw["data"].as_array().unwrap().len(), 2);
    server.finish().await;
}

#[tokio::test]
async fn hosts_before_0_38_21_read_the_quiet_text() {
    let (server, bearer) =
        server_with_app_configured(|c| c.host.sim.version = "0.36.0".into()).await;
    server.sim().mark_deployed(APP, &["web", "worker"]).unwrap();
    server.dokku(&["ps:scale", "--skip-deploy", APP, "worker=2"]);
    server.dokku(&["resource:reserve", "--memory", "256m", "--process-type", "worker", APP]);
    server.take_dokku_calls();
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/formations"), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let calls = server.take_dokku_calls();
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(calls.contains(&vec!["--quiet".to_string(), "ps:scale".into(), APP.into()]));
    assert_eq!(r.json()["data"][1]["id"], "node-js-app:worker");
    assert_eq!(r.json()["data"][1]["attributes"]["quantity"], 2);
    assert_eq!(r.json()["data"][1]["attributes"]["reserves"]["memory"], "256m");
    server.finish().await;
}

#[tokio::test]
async fn an_app_never_deployed_has_one_web_process_and_stores_new_counts() {
    let (server, bearer) = server_with_app().await;
    let client = server.client().await;
    // Dokku gives a new app one web process (the ps plugin's post-create trigger).
    let r = client.get_formations_for_app().app_id(APP).send().await.unwrap().into_inner();
    assert_eq!(r.data.len(), 1);
    assert_eq!(r.data[0].id.as_deref(), Some("node-js-app:web"));
    assert_eq!(r.data[0].attributes.as_ref().unwrap().quantity, Some(1));

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
    let job = server.wait_job(&bearer, &location).await;
    assert_eq!(job["attributes"]["state"], "completed");
    let message = job["attributes"]["status_message"].as_str().unwrap();
    assert!(message.contains("first deploy"), "{message}");

    let r = client.get_formations_for_app().app_id(APP).send().await.unwrap().into_inner();
    assert_eq!(r.data.len(), 2);
    assert_eq!(r.data[1].id.as_deref(), Some("node-js-app:worker"));
    assert_eq!(r.data[1].attributes.as_ref().unwrap().quantity, Some(2));
    server.finish().await;
}

#[tokio::test]
async fn scaling_a_deployed_app_stores_then_restarts() {
    let (server, bearer) = server_with_app().await;
    server.sim().mark_deployed(APP, &["web", "worker"]).unwrap();
    server.take_dokku_calls();

    let r = server
        .api(&bearer, "POST", "/@api/formations", Some(formation_body(APP, "worker", json!(3))))
        .await;
    assert_eq!(r.status, 202, "{}", r.text());
    assert_eq!(r.json()["data"]["id"], "node-js-app:worker");
    assert_eq!(r.json()["data"]["type"], "formations");
    assert_eq!(r.json()["data"]["attributes"]["quantity"], 3);
    let location = r.header("content-location").expect("a Content-Location").to_string();
    assert!(is_job_location(&location), "{location}");
    let job = server.wait_job(&bearer, &location).await;
    assert_eq!(job["attributes"]["state"], "completed", "{job}");
    assert_eq!(job["attributes"]["command"], json!(["dokku", "ps:restart", APP]));

    let calls = server.take_dokku_calls();
    let scales: Vec<_> = calls.iter().filter(|c| c[0] == "ps:scale").collect();
    assert_eq!(scales, [&vec!["ps:scale", "--skip-deploy", APP, "worker=3"]], "stored only");
    assert!(calls.iter().any(|c| c == &["ps:restart", APP]), "the job restarted: {calls:?}");
    let listed =
        server.api(&bearer, "GET", &format!("/@api/apps/{APP}/formations"), None).await.json();
    assert_eq!(listed["data"][1]["attributes"]["quantity"], 3);

    // Scaling up a type the Procfile lacks: Dokku's refusal is a 400, and no job is queued.
    server.take_dokku_calls();
    let r = server
        .api(&bearer, "POST", "/@api/formations", Some(formation_body(APP, "clock", json!(1))))
        .await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.header("content-location"), None);
    assert_eq!(r.json()["errors"][0]["title"], "clock is not a valid process name to scale up");
    assert!(!server.take_dokku_calls().iter().any(|c| c[0] == "ps:restart"));

    // Scaling to 0 through DELETE.
    let client = server.client().await;
    let r = client.delete_formation().formation_id(format!("{APP}:worker")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let location = r.headers()["content-location"].to_str().unwrap().to_string();
    let job = server.wait_job(&bearer, &location).await;
    assert_eq!(job["attributes"]["state"], "completed", "{job}");
    let calls = server.take_dokku_calls();
    assert!(calls.contains(&vec![
        "ps:scale".to_string(),
        "--skip-deploy".into(),
        APP.into(),
        "worker=0".into()
    ]));
    let listed =
        server.api(&bearer, "GET", &format!("/@api/apps/{APP}/formations"), None).await.json();
    assert_eq!(listed["data"][1]["attributes"]["quantity"], 0);
    server.finish().await;
}

#[tokio::test]
async fn deleting_an_unknown_process_type_is_404() {
    let (server, bearer) = server_with_app().await;
    server.sim().mark_deployed(APP, &["web"]).unwrap();
    server.take_dokku_calls();
    let r = server.api(&bearer, "DELETE", &format!("/@api/formations/{APP}:worker"), None).await;
    assert_eq!((r.status, r.header("content-location")), (404, None), "{}", r.text());
    assert_eq!(
        r.json()["errors"][0]["title"],
        "process type worker does not exist for node-js-app"
    );
    let calls = server.take_dokku_calls();
    assert_eq!(calls.len(), 1, "only the read: {calls:?}");
    assert_eq!(calls[0][0], "ps:scale");
    server.finish().await;
}

#[tokio::test]
async fn invalid_input_never_reaches_dokku_and_unknown_apps_are_404() {
    let (server, bearer) = server_with_app().await;
    server.take_dokku_calls();
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
        let r = server.api(&bearer, "POST", "/@api/formations", Some(body.clone())).await;
        assert_eq!((r.status, r.header("content-location")), (400, None), "{body}: {}", r.text());
        assert!(!r.json()["errors"][0]["title"].as_str().unwrap().is_empty());
    }
    let r = server
        .api(&bearer, "POST", "/@api/formations", Some(formation_body(APP, "web", json!(1001))))
        .await;
    assert_eq!(
        r.json()["errors"][0]["title"],
        "invalid quantity 1001: use an integer from 0 to 1000"
    );
    for id in [APP.to_string(), format!("{APP}:"), format!("{APP}:build"), format!("{APP}:Web")] {
        let r = server.api(&bearer, "DELETE", &format!("/@api/formations/{id}"), None).await;
        assert_eq!(r.status, 400, "{id}: {}", r.text());
    }
    let r = server.api(&bearer, "GET", "/@api/apps/Bad_App!/formations", None).await;
    assert_eq!(r.status, 400);
    assert!(server.take_dokku_calls().is_empty(), "invalid input never reaches Dokku");

    let missing = "no-such-app";
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{missing}/formations"), None).await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["title"], "App no-such-app does not exist");
    let r = server
        .api(&bearer, "POST", "/@api/formations", Some(formation_body(missing, "web", json!(1))))
        .await;
    assert_eq!(r.status, 404);
    let r = server.api(&bearer, "DELETE", &format!("/@api/formations/{missing}:web"), None).await;
    assert_eq!(r.status, 404);
    let jobs = server
        .jobs()
        .list(dokku_pro_server::jobs::ListFilter { limit: 100, ..Default::default() })
        .await
        .unwrap();
    assert!(jobs.is_empty(), "no job for a refused change");
    server.finish().await;
}
