//! Builders and schedulers: the installed plugins and an app's settings, through the generated
//! client and raw requests, every response checked against the seed by the harness, the Dokku
//! calls counted on the simulated host.

use dokku_pro_tests::client::types;
use dokku_pro_tests::harness::TestServer;
use serde_json::{Value, json};

const APP: &str = "node-js-app";
const BUILDERS: [&str; 7] =
    ["dockerfile", "herokuish", "lambda", "nixpacks", "null", "pack", "railpack"];
const SCHEDULERS: [&str; 3] = ["docker-local", "k3s", "null"];

async fn server_with_app(version: Option<&str>) -> (TestServer, String) {
    let server = match version {
        Some(v) => {
            let v = v.to_string();
            TestServer::start_with(move |c| c.host.sim.version = v).await
        }
        None => TestServer::start().await,
    };
    server.sim().run(&["apps:create", APP], None);
    let bearer = format!("Bearer {}", server.token().await);
    (server, bearer)
}

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

#[tokio::test]
async fn builders_and_schedulers_are_the_installed_plugins_one_call_each() {
    let (server, bearer) = server_with_app(None).await;
    let client = server.client().await;
    let plugin_list = [["plugin:list", "--format", "json"]];

    dokku_calls(&server);
    let builders = client.get_builders().send().await.unwrap();
    let names: Vec<_> = builders.data.iter().map(|b| b.id.clone().unwrap()).collect();
    assert_eq!(names, BUILDERS);
    let pack = &builders.data[5];
    assert_eq!(pack.attributes.as_ref().unwrap().name.as_deref(), Some("pack"));
    assert_eq!(pack.type_, Some(types::BuilderType::Builders));
    assert_eq!(dokku_calls(&server), plugin_list);

    let one = client.get_builder_by_id().builder_id("pack").send().await.unwrap();
    assert_eq!(one.data.as_ref().unwrap().id.as_deref(), Some("pack"));
    assert_eq!(dokku_calls(&server), plugin_list, "one call, and no root-only plugin:installed");

    let schedulers = client.get_schedulers().send().await.unwrap();
    let names: Vec<_> = schedulers.data.iter().map(|s| s.id.clone().unwrap()).collect();
    assert_eq!(names, SCHEDULERS);
    assert_eq!(dokku_calls(&server), plugin_list);
    let one = client.get_scheduler_by_id().scheduler_id("docker-local").send().await.unwrap();
    assert_eq!(
        one.data.as_ref().unwrap().attributes.as_ref().unwrap().name.as_deref(),
        Some("docker-local")
    );
    assert_eq!(dokku_calls(&server), plugin_list);

    // Not installed: 404 (the `builder`/`scheduler` core plugins themselves are not builders).
    for path in [
        "/@api/builders/kaniko",
        "/@api/builders/docker-local",
        "/@api/schedulers/nomad",
        "/@api/schedulers/pack",
    ] {
        let (status, body) = call(&server, &bearer, "GET", path, None).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (_, body) = call(&server, &bearer, "GET", "/@api/builders/kaniko", None).await;
    assert_eq!(title(&body), "Builder kaniko is not installed");

    // Invalid names, with `/`, `:` and `%`: 400 before any Dokku call.
    dokku_calls(&server);
    for id in ["a%2Fb", "builder-pack%3Ax", "a:b", "a%25b", "Pack", "-x", "a%20b"] {
        for kind in ["builders", "schedulers"] {
            let (status, body) =
                call(&server, &bearer, "GET", &format!("/@api/{kind}/{id}"), None).await;
            assert_eq!(status, 400, "{kind}/{id}: {body}");
        }
    }
    assert!(dokku_calls(&server).is_empty(), "nothing reached Dokku");
    server.finish().await;
}

#[tokio::test]
async fn builder_settings_read_and_update() {
    let (server, bearer) = server_with_app(None).await;
    let client = server.client().await;

    dokku_calls(&server);
    let read = client.get_builder_settings_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(read.data.len(), 1, "an array with the one record");
    assert_eq!(read.data[0].id.as_deref(), Some(APP));
    let attributes = read.data[0].attributes.clone().unwrap();
    assert_eq!(attributes.app_id.as_deref(), Some(APP));
    assert_eq!(attributes.selected.as_deref(), Some(""), "unset values are empty strings");
    assert_eq!(attributes.computed_selected.as_deref(), Some(""));
    assert_eq!(dokku_calls(&server), [["builder:report", APP, "--format", "json"]]);

    let body = types::UpdateBuilderSettingsBody {
        data: Some(types::BuilderSetting {
            id: Some(APP.into()),
            type_: Some(types::BuilderSettingType::BuilderSettings),
            attributes: Some(types::BuilderSettingAttributes {
                selected: Some("dockerfile".into()),
                build_dir: Some("apps/web".into()),
                ..Default::default()
            }),
        }),
    };
    let updated = client.update_builder_settings().app_id(APP).body(body).send().await.unwrap();
    let attributes = updated.data.as_ref().unwrap().attributes.clone().unwrap();
    assert_eq!(attributes.selected.as_deref(), Some("dockerfile"));
    assert_eq!(attributes.computed_selected.as_deref(), Some("dockerfile"));
    assert_eq!(attributes.build_dir.as_deref(), Some("apps/web"));
    assert_eq!(attributes.computed_build_dir.as_deref(), Some("apps/web"));
    let calls = dokku_calls(&server);
    assert!(calls.contains(&vec![
        "builder:set".into(),
        APP.into(),
        "selected".into(),
        "dockerfile".into()
    ]));
    assert!(calls.contains(&vec![
        "builder:set".into(),
        APP.into(),
        "build-dir".into(),
        "apps/web".into()
    ]));

    // Only what is given changes; "" clears; read-only attributes are ignored.
    let path = format!("/@api/builderSettings/{APP}");
    let attributes = json!({"selected": "", "computed_selected": "pack", "global_selected": "x"});
    let body = json!({"data": {"attributes": attributes}});
    let (status, body) = call(&server, &bearer, "PATCH", &path, Some(body)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["selected"], "");
    assert_eq!(body["data"]["attributes"]["build_dir"], "apps/web");
    assert_eq!(body["data"]["attributes"]["global_selected"], "");
    let calls = dokku_calls(&server);
    assert!(
        calls.contains(&vec!["builder:set".into(), APP.into(), "selected".into()]),
        "{calls:?}"
    );
    assert!(calls.iter().all(|c| c[0] != "plugin:list"), "clearing needs no installed check");

    // An unknown builder is 400 naming the installed ones; nothing is set.
    let (status, body) = call(
        &server,
        &bearer,
        "PATCH",
        &path,
        Some(json!({"data": {"attributes": {"selected": "kaniko"}}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        title(&body),
        "builder \"kaniko\" is not installed on the Dokku host \
         (installed: dockerfile, herokuish, lambda, nixpacks, null, pack, railpack)"
    );
    assert!(dokku_calls(&server).iter().all(|c| c[0] != "builder:set"));

    // Client mistakes: no Dokku call at all.
    let bad_bodies = [
        json!({"data": {"attributes": {"selected": "a/b"}}}),
        json!({"data": {"attributes": {"selected": "--global"}}}),
        json!({"data": {"attributes": {"build_dir": "../escape"}}}),
        json!({"data": {"attributes": {"build_dir": "/abs"}}}),
        json!({"data": {"id": "other-app", "attributes": {"selected": "pack"}}}),
        json!({"data": {"attributes": {"app_id": "other-app"}}}),
        json!({}),
    ];
    for body in bad_bodies {
        let (status, answer) = call(&server, &bearer, "PATCH", &path, Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    for app in ["a%2Fb", "a:b", "a%25b"] {
        let (status, _) =
            call(&server, &bearer, "GET", &format!("/@api/apps/{app}/builderSetting"), None).await;
        assert_eq!(status, 400);
        let body = json!({"data": {"attributes": {"selected": "pack"}}});
        let (status, _) =
            call(&server, &bearer, "PATCH", &format!("/@api/builderSettings/{app}"), Some(body))
                .await;
        assert_eq!(status, 400);
    }
    assert!(dokku_calls(&server).is_empty(), "nothing reached Dokku");

    // Unknown app.
    let (status, body) =
        call(&server, &bearer, "GET", "/@api/apps/ghost/builderSetting", None).await;
    assert_eq!((status, title(&body)), (404, "App ghost does not exist"));
    let body = json!({"data": {"attributes": {"build_dir": "x"}}});
    let (status, body) =
        call(&server, &bearer, "PATCH", "/@api/builderSettings/ghost", Some(body)).await;
    assert_eq!((status, title(&body)), (404, "App ghost does not exist"));
    server.finish().await;
}

#[tokio::test]
async fn scheduler_settings_read_and_update() {
    let (server, bearer) = server_with_app(None).await;
    let client = server.client().await;

    dokku_calls(&server);
    let read = client.get_scheduler_settings_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(read.data.len(), 1, "an array with the one record");
    let attributes = read.data[0].attributes.clone().unwrap();
    assert_eq!(attributes.selected.as_deref(), Some(""));
    assert_eq!(attributes.global_selected.as_deref(), Some(""));
    assert_eq!(attributes.computed_selected.as_deref(), Some("docker-local"));
    assert_eq!(dokku_calls(&server), [["scheduler:report", APP, "--format", "json"]]);

    let body = types::UpdateSchedulerSettingsBody {
        data: Some(types::SchedulerSetting {
            id: Some(APP.into()),
            type_: None,
            attributes: Some(types::SchedulerSettingAttributes {
                selected: Some("k3s".into()),
                ..Default::default()
            }),
        }),
    };
    let updated = client.update_scheduler_settings().app_id(APP).body(body).send().await.unwrap();
    let attributes = updated.data.as_ref().unwrap().attributes.clone().unwrap();
    assert_eq!(
        (attributes.selected.as_deref(), attributes.computed_selected.as_deref()),
        (Some("k3s"), Some("k3s"))
    );
    let calls = dokku_calls(&server);
    assert_eq!(calls.len(), 3, "check, set, report: {calls:?}");
    assert_eq!(calls[1], ["scheduler:set", APP, "selected", "k3s"]);

    let path = format!("/@api/schedulerSettings/{APP}");
    let (status, body) = call(
        &server,
        &bearer,
        "PATCH",
        &path,
        Some(json!({"data": {"attributes": {"selected": ""}}})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["attributes"]["computed_selected"], "docker-local");
    // Nothing to change: the settings as they are, one call.
    dokku_calls(&server);
    let (status, _) = call(&server, &bearer, "PATCH", &path, Some(json!({"data": {}}))).await;
    assert_eq!(status, 200);
    assert_eq!(dokku_calls(&server).len(), 1);

    let (status, body) = call(
        &server,
        &bearer,
        "PATCH",
        &path,
        Some(json!({"data": {"attributes": {"selected": "nomad"}}})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(title(&body).starts_with("scheduler \"nomad\" is not installed"), "{body}");
    dokku_calls(&server);
    for body in [
        json!({"data": {"attributes": {"selected": "k3s; reboot"}}}),
        json!({"data": {"id": "x", "attributes": {}}}),
    ] {
        let (status, _) = call(&server, &bearer, "PATCH", &path, Some(body)).await;
        assert_eq!(status, 400);
    }
    assert!(dokku_calls(&server).is_empty());
    let (status, _) =
        call(&server, &bearer, "GET", "/@api/apps/ghost/schedulerSetting", None).await;
    assert_eq!(status, 404);
    let body = json!({"data": {"attributes": {"selected": "k3s"}}});
    let (status, _) =
        call(&server, &bearer, "PATCH", "/@api/schedulerSettings/ghost", Some(body)).await;
    assert_eq!(status, 404);
    server.finish().await;
}

#[tokio::test]
async fn an_older_dokku_lists_plugins_as_text_and_reports_legacy_keys() {
    // 0.36: no `plugin:list --format json`, reports with only prefixed keys, and the global
    // scheduler reported as its default.
    let (server, bearer) = server_with_app(Some("0.36.0")).await;
    let client = server.client().await;
    dokku_calls(&server);
    let names: Vec<_> = client
        .get_builders()
        .send()
        .await
        .unwrap()
        .data
        .iter()
        .map(|b| b.id.clone().unwrap())
        .collect();
    assert_eq!(names, BUILDERS);
    assert_eq!(dokku_calls(&server), [["plugin:list"]]);
    let names: Vec<_> = client
        .get_schedulers()
        .send()
        .await
        .unwrap()
        .data
        .iter()
        .map(|s| s.id.clone().unwrap())
        .collect();
    assert_eq!(names, SCHEDULERS);
    client.get_scheduler_by_id().scheduler_id("k3s").send().await.unwrap();
    assert_eq!(dokku_calls(&server).len(), 2);

    let body = json!({"data": {"attributes": {"selected": "pack"}}});
    let (status, _) =
        call(&server, &bearer, "PATCH", &format!("/@api/builderSettings/{APP}"), Some(body)).await;
    assert_eq!(status, 200);
    let read = client.get_builder_settings_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(read.data[0].attributes.as_ref().unwrap().selected.as_deref(), Some("pack"));
    let read = client.get_scheduler_settings_for_app().app_id(APP).send().await.unwrap();
    let attributes = read.data[0].attributes.clone().unwrap();
    assert_eq!(attributes.global_selected.as_deref(), Some("docker-local"));
    assert_eq!(attributes.computed_selected.as_deref(), Some("docker-local"));
    server.finish().await;
}
