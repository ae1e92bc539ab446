//! Builders and schedulers: the installed plugins and an app's settings, through the generated
//! client and raw requests, every response checked against the seed by the harness, the Dokku
//! calls counted on the simulated host.

use dokku_pro_tests::client::types;
use dokku_pro_tests::fixtures::{APP, server_with_app, server_with_app_configured};
use serde_json::json;

const BUILDERS: [&str; 7] =
    ["dockerfile", "herokuish", "lambda", "nixpacks", "null", "pack", "railpack"];
const SCHEDULERS: [&str; 3] = ["docker-local", "k3s", "null"];

#[tokio::test]
async fn builders_and_schedulers_are_the_installed_plugins_one_call_each() {
    let (server, bearer) = server_with_app().await;
    let client = server.client().await;
    let plugin_list = [["plugin:list", "--format", "json"]];

    server.take_dokku_calls();
    let builders = client.get_builders().send().await.unwrap();
    let names: Vec<_> = builders.data.iter().map(|b| b.id.clone().unwrap()).collect();
    assert_eq!(names, BUILDERS);
    let pack = &builders.data[5];
    assert_eq!(pack.attributes.as_ref().unwrap().name.as_deref(), Some("pack"));
    assert_eq!(pack.type_, Some(types::BuilderType::Builders));
    assert_eq!(server.take_dokku_calls(), plugin_list);

    let one = client.get_builder_by_id().builder_id("pack").send().await.unwrap();
    assert_eq!(one.data.as_ref().unwrap().id.as_deref(), Some("pack"));
    assert_eq!(
        server.take_dokku_calls(),
        plugin_list,
        "one call, and no root-only plugin:installed"
    );

    let schedulers = client.get_schedulers().send().await.unwrap();
    let names: Vec<_> = schedulers.data.iter().map(|s| s.id.clone().unwrap()).collect();
    assert_eq!(names, SCHEDULERS);
    assert_eq!(server.take_dokku_calls(), plugin_list);
    let one = client.get_scheduler_by_id().scheduler_id("docker-local").send().await.unwrap();
    assert_eq!(
        one.data.as_ref().unwrap().attributes.as_ref().unwrap().name.as_deref(),
        Some("docker-local")
    );
    assert_eq!(server.take_dokku_calls(), plugin_list);

    // Not installed: 404 (the `builder`/`scheduler` core plugins themselves are not builders).
    for path in [
        "/@api/builders/kaniko",
        "/@api/builders/docker-local",
        "/@api/schedulers/nomad",
        "/@api/schedulers/pack",
    ] {
        let r = server.api(&bearer, "GET", path, None).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text());
    }
    let r = server.api(&bearer, "GET", "/@api/builders/kaniko", None).await;
    assert_eq!(r.error_title(), "Builder kaniko is not installed");

    // Invalid names, with `/`, `:` and `%`: 400 before any Dokku call.
    server.take_dokku_calls();
    for id in ["a%2Fb", "builder-pack%3Ax", "a:b", "a%25b", "Pack", "-x", "a%20b"] {
        for kind in ["builders", "schedulers"] {
            let r = server.api(&bearer, "GET", &format!("/@api/{kind}/{id}"), None).await;
            assert_eq!(r.status, 400, "{kind}/{id}: {}", r.text());
        }
    }
    assert!(server.take_dokku_calls().is_empty(), "nothing reached Dokku");
    server.finish().await;
}

#[tokio::test]
async fn builder_settings_read_and_update() {
    let (server, bearer) = server_with_app().await;
    let client = server.client().await;

    server.take_dokku_calls();
    let read = client.get_builder_settings_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(read.data.len(), 1, "an array with the one record");
    assert_eq!(read.data[0].id.as_deref(), Some(APP));
    let attributes = read.data[0].attributes.clone().unwrap();
    assert_eq!(attributes.app_id.as_deref(), Some(APP));
    assert_eq!(attributes.selected.as_deref(), Some(""), "unset values are empty strings");
    assert_eq!(attributes.computed_selected.as_deref(), Some(""));
    assert_eq!(server.take_dokku_calls(), [["builder:report", APP, "--format", "json"]]);

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
    let calls = server.take_dokku_calls();
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
    let r = server.api(&bearer, "PATCH", &path, Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["data"]["attributes"]["selected"], "");
    assert_eq!(body["data"]["attributes"]["build_dir"], "apps/web");
    assert_eq!(body["data"]["attributes"]["global_selected"], "");
    let calls = server.take_dokku_calls();
    assert!(
        calls.contains(&vec!["builder:set".into(), APP.into(), "selected".into()]),
        "{calls:?}"
    );
    assert!(calls.iter().all(|c| c[0] != "plugin:list"), "clearing needs no installed check");

    // An unknown builder is 400 naming the installed ones; nothing is set.
    let r = server
        .api(&bearer, "PATCH", &path, Some(json!({"data": {"attributes": {"selected": "kaniko"}}})))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.error_title(),
        "builder \"kaniko\" is not installed on the Dokku host \
         (installed: dockerfile, herokuish, lambda, nixpacks, null, pack, railpack)"
    );
    assert!(server.take_dokku_calls().iter().all(|c| c[0] != "builder:set"));

    // Client mistakes: no Dokku call at all.
    let bad_bodies = [
        json!({"data": {"attributes": {"selected": "a/b"}}}),
        json!({"data": {"attributes": {"selected": "--global"}}}),
        json!({"data": {"attributes": {"build_dir": "../escape"}}}),
        json!({"data": {"attributes": {"build_dir": "/abs"}}}),
        json!({"data": {"attributes": {"app_id": "other-app"}}}),
        json!({}),
    ];
    for body in bad_bodies {
        let r = server.api(&bearer, "PATCH", &path, Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
    }
    // Another app's id in `data.id` would rename: 403, as for every update.
    let body = json!({"data": {"id": "other-app", "attributes": {"selected": "pack"}}});
    let r = server.api(&bearer, "PATCH", &path, Some(body)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(r.error_title().starts_with("App renaming is not supported"), "{}", r.text());
    for app in ["a%2Fb", "a:b", "a%25b"] {
        let r = server.api(&bearer, "GET", &format!("/@api/apps/{app}/builderSetting"), None).await;
        assert_eq!(r.status, 400);
        let body = json!({"data": {"attributes": {"selected": "pack"}}});
        let r =
            server.api(&bearer, "PATCH", &format!("/@api/builderSettings/{app}"), Some(body)).await;
        assert_eq!(r.status, 400);
    }
    assert!(server.take_dokku_calls().is_empty(), "nothing reached Dokku");

    // Unknown app.
    let r = server.api(&bearer, "GET", "/@api/apps/ghost/builderSetting", None).await;
    assert_eq!((r.status, r.error_title().as_str()), (404, "App ghost does not exist"));
    let body = json!({"data": {"attributes": {"build_dir": "x"}}});
    let r = server.api(&bearer, "PATCH", "/@api/builderSettings/ghost", Some(body)).await;
    assert_eq!((r.status, r.error_title().as_str()), (404, "App ghost does not exist"));
    server.finish().await;
}

#[tokio::test]
async fn scheduler_settings_read_and_update() {
    let (server, bearer) = server_with_app().await;
    let client = server.client().await;

    server.take_dokku_calls();
    let read = client.get_scheduler_settings_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(read.data.len(), 1, "an array with the one record");
    let attributes = read.data[0].attributes.clone().unwrap();
    assert_eq!(attributes.selected.as_deref(), Some(""));
    assert_eq!(attributes.global_selected.as_deref(), Some(""));
    assert_eq!(attributes.computed_selected.as_deref(), Some("docker-local"));
    assert_eq!(server.take_dokku_calls(), [["scheduler:report", APP, "--format", "json"]]);

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
    let calls = server.take_dokku_calls();
    assert_eq!(calls.len(), 3, "check, set, report: {calls:?}");
    assert_eq!(calls[1], ["scheduler:set", APP, "selected", "k3s"]);

    let path = format!("/@api/schedulerSettings/{APP}");
    let r = server
        .api(&bearer, "PATCH", &path, Some(json!({"data": {"attributes": {"selected": ""}}})))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"]["attributes"]["computed_selected"], "docker-local");
    // Nothing to change: the settings as they are, one call.
    server.take_dokku_calls();
    let r = server.api(&bearer, "PATCH", &path, Some(json!({"data": {}}))).await;
    assert_eq!(r.status, 200);
    assert_eq!(server.take_dokku_calls().len(), 1);

    let r = server
        .api(&bearer, "PATCH", &path, Some(json!({"data": {"attributes": {"selected": "nomad"}}})))
        .await;
    assert_eq!(r.status, 400);
    assert!(r.error_title().starts_with("scheduler \"nomad\" is not installed"), "{}", r.text());
    server.take_dokku_calls();
    let r = server
        .api(
            &bearer,
            "PATCH",
            &path,
            Some(json!({"data": {"attributes": {"selected": "k3s; reboot"}}})),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = server
        .api(&bearer, "PATCH", &path, Some(json!({"data": {"id": "x", "attributes": {}}})))
        .await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(server.take_dokku_calls().is_empty());
    let r = server.api(&bearer, "GET", "/@api/apps/ghost/schedulerSetting", None).await;
    assert_eq!(r.status, 404);
    let body = json!({"data": {"attributes": {"selected": "k3s"}}});
    let r = server.api(&bearer, "PATCH", "/@api/schedulerSettings/ghost", Some(body)).await;
    assert_eq!(r.status, 404);
    server.finish().await;
}

#[tokio::test]
async fn an_older_dokku_lists_plugins_as_text_and_reports_legacy_keys() {
    // 0.36: no `plugin:list --format json`, reports with only prefixed keys, and the global
    // scheduler reported as its default.
    let (server, bearer) =
        server_with_app_configured(|c| c.host.sim.version = "0.36.0".into()).await;
    let client = server.client().await;
    server.take_dokku_calls();
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
    assert_eq!(server.take_dokku_calls(), [["plugin:list"]]);
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
    assert_eq!(server.take_dokku_calls().len(), 2);

    let body = json!({"data": {"attributes": {"selected": "pack"}}});
    let r = server.api(&bearer, "PATCH", &format!("/@api/builderSettings/{APP}"), Some(body)).await;
    assert_eq!(r.status, 200);
    let read = client.get_builder_settings_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(read.data[0].attributes.as_ref().unwrap().selected.as_deref(), Some("pack"));
    let read = client.get_scheduler_settings_for_app().app_id(APP).send().await.unwrap();
    let attributes = read.data[0].attributes.clone().unwrap();
    assert_eq!(attributes.global_selected.as_deref(), Some("docker-local"));
    assert_eq!(attributes.computed_selected.as_deref(), Some("docker-local"));
    server.finish().await;
}
