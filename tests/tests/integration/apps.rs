//! Apps: create, list, read, lock and unlock, delete; through the generated client and raw
//! requests, every response checked against the seed by the harness, and the Dokku calls each
//! operation makes counted on the simulated host.

use dokku_pro_tests::client::types;
use dokku_pro_tests::harness::TestServer;
use serde_json::{Value, json};

const APP: &str = "node-js-app";

async fn call(
    server: &TestServer,
    bearer: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let headers = [("authorization", bearer), ("content-type", "application/json")];
    let r = server.raw(method, path, &headers, body.as_bytes()).await;
    let json = if r.body.is_empty() { Value::Null } else { r.json() };
    (r.status, json)
}

/// The Dokku commands run since the last call.
fn dokku_calls(server: &TestServer) -> Vec<Vec<String>> {
    let calls = server.sim().invocations().into_iter().map(|i| i.argv).collect();
    server.sim().clear_invocations();
    calls
}

fn title(body: &Value) -> &str {
    body["errors"][0]["title"].as_str().unwrap_or_default()
}

fn app_body(id: &str, locked: Option<bool>) -> types::AddAppBody {
    types::AddAppBody {
        data: Some(types::App {
            id: Some(id.to_string()),
            type_: Some(types::AppType::Apps),
            attributes: locked.map(|locked| types::AppAttributes { locked }),
        }),
    }
}

fn locked_of(app: &types::App) -> bool {
    app.attributes.as_ref().expect("attributes").locked
}

#[tokio::test]
async fn create_read_list_and_delete() {
    let server = TestServer::start().await;
    let client = server.client().await;

    let created = client.add_app().body(app_body(APP, None)).send().await.unwrap();
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(created.data.as_ref().unwrap().id.as_deref(), Some(APP));
    assert!(!locked_of(created.data.as_ref().unwrap()));
    let second = client.add_app().body(app_body("python-app", None)).send().await.unwrap();
    assert_eq!(second.data.as_ref().unwrap().type_, Some(types::AppType::Apps));

    let listed = client.get_apps().send().await.unwrap();
    let names: Vec<_> = listed.data.iter().map(|a| a.id.clone().unwrap()).collect();
    assert_eq!(names, [APP, "python-app"]);
    assert!(listed.data.iter().all(|a| !locked_of(a)));

    let one = client.get_app_by_id().app_id(APP).send().await.unwrap();
    assert_eq!(one.data.as_ref().unwrap().id.as_deref(), Some(APP));

    let deleted = client.delete_app().app_id(APP).send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    assert!(
        dokku_calls(&server).contains(&vec![
            "--force".to_string(),
            "apps:destroy".to_string(),
            APP.to_string()
        ]),
        "destroyed with --force, never through the prompt"
    );
    let bearer = format!("Bearer {}", server.token().await);
    let (status, body) = call(&server, &bearer, "GET", &format!("/@api/apps/{APP}"), None).await;
    assert_eq!((status, title(&body)), (404, "App node-js-app does not exist"));
    let names: Vec<_> = client.get_apps().send().await.unwrap().data.clone();
    assert_eq!(names.len(), 1);
    server.finish().await;
}

#[tokio::test]
async fn reads_cost_one_dokku_call_whatever_the_number_of_apps() {
    let server = TestServer::start().await;
    let client = server.client().await;

    dokku_calls(&server);
    assert!(client.get_apps().send().await.unwrap().data.is_empty());
    assert_eq!(dokku_calls(&server).len(), 1, "an empty listing is one call");

    for i in 0..12 {
        server.sim().run(&["apps:create", &format!("app-{i:02}")], None);
    }
    server.sim().run(&["apps:lock", "app-03"], None);
    dokku_calls(&server);
    let listed = client.get_apps().send().await.unwrap();
    assert_eq!(listed.data.len(), 12);
    let locked: Vec<_> =
        listed.data.iter().filter(|a| locked_of(a)).map(|a| a.id.clone().unwrap()).collect();
    assert_eq!(locked, ["app-03"]);
    assert_eq!(
        dokku_calls(&server),
        [["apps:report", "--format", "json"]],
        "twelve apps, one call"
    );

    let one = client.get_app_by_id().app_id("app-03").send().await.unwrap();
    assert!(locked_of(one.data.as_ref().unwrap()));
    assert_eq!(dokku_calls(&server), [["apps:report", "app-03", "--format", "json"]]);
    server.finish().await;
}

#[tokio::test]
async fn duplicates_are_409_and_invalid_names_never_reach_dokku() {
    let server = TestServer::start().await;
    let bearer = format!("Bearer {}", server.token().await);
    let (status, _) =
        call(&server, &bearer, "POST", "/@api/apps", Some(json!({"data": {"id": APP}}))).await;
    assert_eq!(status, 201);
    let (status, body) =
        call(&server, &bearer, "POST", "/@api/apps", Some(json!({"data": {"id": APP}}))).await;
    assert_eq!((status, title(&body)), (409, "App node-js-app already exists"));

    dokku_calls(&server);
    let long = "a".repeat(64);
    for bad in ["", "Bad", "a_b", "a/b", "a:b", "a%b", "--force", "-x", "a b", "$(id)", &long] {
        let (status, body) =
            call(&server, &bearer, "POST", "/@api/apps", Some(json!({"data": {"id": bad}}))).await;
        assert_eq!(status, 400, "{bad:?}");
        assert!(title(&body).starts_with("invalid app name"), "{bad:?}: {body}");
    }
    for body in [json!({}), json!({"data": {}}), json!({"data": {"type": "apps"}})] {
        let (status, answer) = call(&server, &bearer, "POST", "/@api/apps", Some(body)).await;
        assert_eq!(status, 400);
        assert!(title(&answer).contains("is required"), "{answer}");
    }
    // Ids with `/`, `:` and `%` in the path (percent-encoded, decoded by the router).
    for path in ["a%2Fb", "a:b", "a%3Ab", "a%25b", "Bad", "a%20b", "-x"] {
        for method in ["GET", "DELETE"] {
            let (status, _) =
                call(&server, &bearer, method, &format!("/@api/apps/{path}"), None).await;
            assert_eq!(status, 400, "{method} {path}");
        }
        let body = json!({"data": {"attributes": {"locked": true}}});
        let (status, _) =
            call(&server, &bearer, "PATCH", &format!("/@api/apps/{path}"), Some(body)).await;
        assert_eq!(status, 400, "PATCH {path}");
    }
    assert_eq!(dokku_calls(&server), Vec::<Vec<String>>::new(), "nothing reached Dokku");
    server.finish().await;
}

#[tokio::test]
async fn unknown_apps_are_404() {
    let server = TestServer::start().await;
    let bearer = format!("Bearer {}", server.token().await);
    let lock = json!({"data": {"attributes": {"locked": true}}});
    for (method, body) in [("GET", None), ("DELETE", None), ("PATCH", Some(lock))] {
        let (status, answer) = call(&server, &bearer, method, "/@api/apps/ghost", body).await;
        assert_eq!((status, title(&answer)), (404, "App ghost does not exist"), "{method}");
    }
    server.finish().await;
}

#[tokio::test]
async fn lock_and_unlock_are_idempotent() {
    let server = TestServer::start().await;
    let client = server.client().await;
    let bearer = format!("Bearer {}", server.token().await);
    client.add_app().body(app_body(APP, None)).send().await.unwrap();
    let path = format!("/@api/apps/{APP}");
    let lock = |locked: bool| {
        let attributes = json!({"locked": locked});
        json!({"data": {"type": "apps", "id": APP, "attributes": attributes}})
    };

    dokku_calls(&server);
    let (status, body) = call(&server, &bearer, "PATCH", &path, Some(lock(true))).await;
    assert_eq!((status, &body["data"]["attributes"]["locked"]), (200, &json!(true)));
    let calls = dokku_calls(&server);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1], ["apps:lock", APP]);
    let (status, _) = call(&server, &bearer, "PATCH", &path, Some(lock(true))).await;
    assert_eq!(status, 200, "locking a locked app");
    assert_eq!(dokku_calls(&server).len(), 1, "only the report: nothing to change");

    let one = client.get_app_by_id().app_id(APP).send().await.unwrap();
    assert!(locked_of(one.data.as_ref().unwrap()));
    let listed = client.get_apps().send().await.unwrap();
    assert!(locked_of(&listed.data[0]));

    // A locked app still takes configuration changes (the lock is about deploys).
    let (status, _) = call(&server, &bearer, "GET", &format!("{path}/domains"), None).await;
    assert_eq!(status, 200);

    dokku_calls(&server);
    let (status, body) = call(&server, &bearer, "PATCH", &path, Some(lock(false))).await;
    assert_eq!((status, &body["data"]["attributes"]["locked"]), (200, &json!(false)));
    assert_eq!(dokku_calls(&server)[1], ["apps:unlock", APP]);
    let (status, _) = call(&server, &bearer, "PATCH", &path, Some(lock(false))).await;
    assert_eq!(status, 200, "unlocking an unlocked app (Dokku's apps:unlock would fail)");
    assert!(dokku_calls(&server).iter().all(|c| c[0] != "apps:unlock"));

    // Without attributes nothing changes; the app is returned as it is.
    let updated = client
        .update_app()
        .app_id(APP)
        .body(types::UpdateAppBody { data: Some(types::App::default()) })
        .send()
        .await
        .unwrap();
    assert!(!locked_of(updated.data.as_ref().unwrap()));

    // Created locked; and a locked app can be deleted.
    let created = client.add_app().body(app_body("held", Some(true))).send().await.unwrap();
    assert!(locked_of(created.data.as_ref().unwrap()));
    let one = client.get_app_by_id().app_id("held").send().await.unwrap();
    assert!(locked_of(one.data.as_ref().unwrap()));
    let deleted = client.delete_app().app_id("held").send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    server.finish().await;
}

#[tokio::test]
async fn renaming_is_403_before_anything_reaches_dokku() {
    let server = TestServer::start().await;
    let bearer = format!("Bearer {}", server.token().await);
    server.sim().run(&["apps:create", APP], None);
    dokku_calls(&server);
    let body = json!({"data": {"id": "new-name", "attributes": {"locked": true}}});
    let (status, answer) =
        call(&server, &bearer, "PATCH", &format!("/@api/apps/{APP}"), Some(body)).await;
    assert_eq!(status, 403);
    assert!(title(&answer).starts_with("App renaming is not supported"), "{answer}");
    assert!(dokku_calls(&server).is_empty());
    let (status, _) =
        call(&server, &bearer, "PATCH", &format!("/@api/apps/{APP}"), Some(json!({}))).await;
    assert_eq!(status, 400, "data is required");
    server.finish().await;
}

#[tokio::test]
async fn an_older_dokku_reads_through_the_legacy_report_keys() {
    // 0.36: `apps:list` has no JSON and reports carry only `app-` prefixed keys.
    let server = TestServer::start_with(|c| c.host.sim.version = "0.36.0".into()).await;
    let client = server.client().await;
    client.add_app().body(app_body(APP, None)).send().await.unwrap();
    client.add_app().body(app_body("old-app", Some(true))).send().await.unwrap();
    dokku_calls(&server);
    let listed = client.get_apps().send().await.unwrap();
    let got: Vec<_> = listed.data.iter().map(|a| (a.id.clone().unwrap(), locked_of(a))).collect();
    assert_eq!(got, [(APP.to_string(), false), ("old-app".to_string(), true)]);
    assert_eq!(dokku_calls(&server).len(), 1);
    let one = client.get_app_by_id().app_id("old-app").send().await.unwrap();
    assert!(locked_of(one.data.as_ref().unwrap()));
    assert_eq!(dokku_calls(&server).len(), 1);
    server.finish().await;
}
