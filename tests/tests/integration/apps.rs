//! Apps: create, list, read, lock and unlock, delete; through the generated client and raw
//! requests, every response checked against the seed by the harness, and the Dokku calls each
//! operation makes counted on the simulated host.

use dokku_pro_tests::client::types;
use dokku_pro_tests::fixtures::{APP, server_with_app};
use dokku_pro_tests::harness::TestServer;
use serde_json::json;

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
        server.take_dokku_calls().contains(&vec![
            "--force".to_string(),
            "apps:destroy".to_string(),
            APP.to_string()
        ]),
        "destroyed with --force, never through the prompt"
    );
    let bearer = server.bearer().await;
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}"), None).await;
    assert_eq!((r.status, r.error_title().as_str()), (404, "App node-js-app does not exist"));
    let names: Vec<_> = client.get_apps().send().await.unwrap().data.clone();
    assert_eq!(names.len(), 1);
    server.finish().await;
}

#[tokio::test]
async fn reads_cost_one_dokku_call_whatever_the_number_of_apps() {
    let server = TestServer::start().await;
    let client = server.client().await;

    server.take_dokku_calls();
    assert!(client.get_apps().send().await.unwrap().data.is_empty());
    assert_eq!(server.take_dokku_calls().len(), 1, "an empty listing is one call");

    for i in 0..12 {
        server.dokku(&["apps:create", &format!("app-{i:02}")]);
    }
    server.dokku(&["apps:lock", "app-03"]);
    server.take_dokku_calls();
    let listed = client.get_apps().send().await.unwrap();
    assert_eq!(listed.data.len(), 12);
    let locked: Vec<_> =
        listed.data.iter().filter(|a| locked_of(a)).map(|a| a.id.clone().unwrap()).collect();
    assert_eq!(locked, ["app-03"]);
    assert_eq!(
        server.take_dokku_calls(),
        [["apps:report", "--format", "json"]],
        "twelve apps, one call"
    );

    let one = client.get_app_by_id().app_id("app-03").send().await.unwrap();
    assert!(locked_of(one.data.as_ref().unwrap()));
    assert_eq!(server.take_dokku_calls(), [["apps:report", "app-03", "--format", "json"]]);
    server.finish().await;
}

#[tokio::test]
async fn duplicates_are_409_and_invalid_names_never_reach_dokku() {
    let server = TestServer::start().await;
    let bearer = server.bearer().await;
    let r = server.api(&bearer, "POST", "/@api/apps", Some(json!({"data": {"id": APP}}))).await;
    assert_eq!(r.status, 201);
    let r = server.api(&bearer, "POST", "/@api/apps", Some(json!({"data": {"id": APP}}))).await;
    assert_eq!((r.status, r.error_title().as_str()), (409, "App node-js-app already exists"));

    server.take_dokku_calls();
    let long = "a".repeat(64);
    for bad in ["", "Bad", "a_b", "a/b", "a:b", "a%b", "--force", "-x", "a b", "$(id)", &long] {
        let r = server.api(&bearer, "POST", "/@api/apps", Some(json!({"data": {"id": bad}}))).await;
        assert_eq!(r.status, 400, "{bad:?}");
        assert!(r.error_title().starts_with("invalid app name"), "{bad:?}: {}", r.text());
    }
    for (body, says) in [
        (json!({}), "the body needs `data`"),
        (json!({"data": {}}), "is required"),
        (json!({"data": {"type": "apps"}}), "is required"),
    ] {
        let r = server.api(&bearer, "POST", "/@api/apps", Some(body)).await;
        assert_eq!(r.status, 400);
        assert!(r.error_title().contains(says), "{}", r.text());
    }
    // Ids with `/`, `:` and `%` in the path (percent-encoded, decoded by the router).
    for path in ["a%2Fb", "a:b", "a%3Ab", "a%25b", "Bad", "a%20b", "-x"] {
        for method in ["GET", "DELETE"] {
            let r = server.api(&bearer, method, &format!("/@api/apps/{path}"), None).await;
            assert_eq!(r.status, 400, "{method} {path}");
        }
        let body = json!({"data": {"attributes": {"locked": true}}});
        let r = server.api(&bearer, "PATCH", &format!("/@api/apps/{path}"), Some(body)).await;
        assert_eq!(r.status, 400, "PATCH {path}");
    }
    assert_eq!(server.take_dokku_calls(), Vec::<Vec<String>>::new(), "nothing reached Dokku");
    server.finish().await;
}

#[tokio::test]
async fn unknown_apps_are_404() {
    let server = TestServer::start().await;
    let bearer = server.bearer().await;
    let lock = json!({"data": {"attributes": {"locked": true}}});
    for (method, body) in [("GET", None), ("DELETE", None), ("PATCH", Some(lock))] {
        let r = server.api(&bearer, method, "/@api/apps/ghost", body).await;
        assert_eq!(
            (r.status, r.error_title().as_str()),
            (404, "App ghost does not exist"),
            "{method}"
        );
    }
    server.finish().await;
}

#[tokio::test]
async fn lock_and_unlock_are_idempotent() {
    let server = TestServer::start().await;
    let client = server.client().await;
    let bearer = server.bearer().await;
    client.add_app().body(app_body(APP, None)).send().await.unwrap();
    let path = format!("/@api/apps/{APP}");
    let lock = |locked: bool| {
        let attributes = json!({"locked": locked});
        json!({"data": {"type": "apps", "id": APP, "attributes": attributes}})
    };

    server.take_dokku_calls();
    let r = server.api(&bearer, "PATCH", &path, Some(lock(true))).await;
    assert_eq!((r.status, &r.json()["data"]["attributes"]["locked"]), (200, &json!(true)));
    let calls = server.take_dokku_calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1], ["apps:lock", APP]);
    let r = server.api(&bearer, "PATCH", &path, Some(lock(true))).await;
    assert_eq!(r.status, 200, "locking a locked app");
    assert_eq!(server.take_dokku_calls().len(), 1, "only the report: nothing to change");

    let one = client.get_app_by_id().app_id(APP).send().await.unwrap();
    assert!(locked_of(one.data.as_ref().unwrap()));
    let listed = client.get_apps().send().await.unwrap();
    assert!(locked_of(&listed.data[0]));

    // A locked app still takes configuration changes (the lock is about deploys).
    let r = server.api(&bearer, "GET", &format!("{path}/domains"), None).await;
    assert_eq!(r.status, 200);

    server.take_dokku_calls();
    let r = server.api(&bearer, "PATCH", &path, Some(lock(false))).await;
    assert_eq!((r.status, &r.json()["data"]["attributes"]["locked"]), (200, &json!(false)));
    assert_eq!(server.take_dokku_calls()[1], ["apps:unlock", APP]);
    let r = server.api(&bearer, "PATCH", &path, Some(lock(false))).await;
    assert_eq!(r.status, 200, "unlocking an unlocked app (Dokku's apps:unlock would fail)");
    assert!(server.take_dokku_calls().iter().all(|c| c[0] != "apps:unlock"));

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
    let (server, bearer) = server_with_app().await;
    server.take_dokku_calls();
    let body = json!({"data": {"id": "new-name", "attributes": {"locked": true}}});
    let r = server.api(&bearer, "PATCH", &format!("/@api/apps/{APP}"), Some(body)).await;
    assert_eq!(r.status, 403);
    assert!(r.error_title().starts_with("App renaming is not supported"), "{}", r.text());
    assert!(server.take_dokku_calls().is_empty());
    let r = server.api(&bearer, "PATCH", &format!("/@api/apps/{APP}"), Some(json!({}))).await;
    assert_eq!(r.status, 400, "data is required");
    server.finish().await;
}

#[tokio::test]
async fn an_older_dokku_reads_through_the_legacy_report_keys() {
    // 0.36: `apps:list` has no JSON and reports carry only `app-` prefixed keys.
    let server = TestServer::start_with(|c| c.host.sim.version = "0.36.0".into()).await;
    let client = server.client().await;
    client.add_app().body(app_body(APP, None)).send().await.unwrap();
    client.add_app().body(app_body("old-app", Some(true))).send().await.unwrap();
    server.take_dokku_calls();
    let listed = client.get_apps().send().await.unwrap();
    let got: Vec<_> = listed.data.iter().map(|a| (a.id.clone().unwrap(), locked_of(a))).collect();
    assert_eq!(got, [(APP.to_string(), false), ("old-app".to_string(), true)]);
    assert_eq!(server.take_dokku_calls().len(), 1);
    let one = client.get_app_by_id().app_id("old-app").send().await.unwrap();
    assert!(locked_of(one.data.as_ref().unwrap()));
    assert_eq!(server.take_dokku_calls().len(), 1);
    server.finish().await;
}

#[tokio::test]
async fn an_empty_host_lists_no_apps_on_every_supported_version() {
    // Dokku 0.34.0 to 0.35.15 fail `apps:report --format json` when there is no app at all.
    for version in ["0.34.0", "0.35.15", "0.35.16", "0.38.27"] {
        let server = TestServer::start_with(|c| c.host.sim.version = version.into()).await;
        let client = server.client().await;
        let listed = client.get_apps().send().await.unwrap();
        assert!(listed.data.is_empty(), "{version}");
        client.add_app().body(app_body(APP, None)).send().await.unwrap();
        assert_eq!(client.get_apps().send().await.unwrap().data.len(), 1, "{version}");
        server.finish().await;
    }
}

#[tokio::test]
async fn apps_made_with_the_cli_under_dokkus_own_name_rule_are_listed_and_readable() {
    // Dokku's rule for an existing app is `^[a-z0-9][a-z0-9.-]*$`, with no length limit: an app
    // made on the host with a name past 63 characters (or with a dot) must not make the
    // listing unreadable.
    let server = TestServer::start().await;
    let client = server.client().await;
    let long = format!("{}-x", "a".repeat(70));
    for name in [long.as_str(), "dotted.name"] {
        server.dokku(&["apps:create", name]);
    }
    let listed = client.get_apps().send().await.unwrap();
    let mut names: Vec<_> = listed.data.iter().map(|a| a.id.clone().unwrap()).collect();
    names.sort();
    assert_eq!(names, [long.clone(), "dotted.name".to_string()]);
    let r = server.api(&server.bearer().await, "GET", &format!("/@api/apps/{long}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    server.finish().await;
}
