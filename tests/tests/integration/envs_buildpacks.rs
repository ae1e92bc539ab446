//! Environment variables and buildpacks: reads in one Dokku call, writes that change Dokku's
//! stored state at once and answer 202 with the job that makes them live.

use dokku_pro_tests::fixtures::{APP, server_with_app, server_with_app_configured};
use dokku_pro_tests::harness::RawResponse;
use serde_json::{Value, json};

fn location(r: &RawResponse) -> String {
    assert_eq!(r.status, 202, "{}", r.text());
    let location = r.header("content-location").expect("Content-Location").to_string();
    assert!(location.starts_with("/@api/queueJobs/"), "{location}");
    location
}

fn env_body(app: &str, key: &str, value: &str) -> Value {
    json!({"data": {"type": "envs", "attributes": {"app_id": app, "key": key, "value": value}}})
}

#[tokio::test]
async fn env_values_of_any_content_are_stored_exactly() {
    let (server, bearer) = server_with_app().await;
    let values = [
        ("PLAIN", "hello"),
        ("SPACES", "a b  c "),
        ("QUOTES", r#"it's "quoted" \ back"#),
        ("SHELL", "$(reboot) `id` ; rm -rf / && echo | cat > x"),
        ("UNICODE", "ünïcödé ✓ 🚀"),
        ("MULTILINE", "line1\nline2\n"),
        ("EQUALS", "a=b=c"),
        ("DASHES", "-n"),
        ("EMPTY", ""),
    ];
    for (key, value) in values {
        let r = server.api(&bearer, "POST", "/@api/envs", Some(env_body(APP, key, value))).await;
        let job = location(&r);
        assert_eq!(r.json()["data"]["id"], format!("{APP}:{key}"));
        assert_eq!(r.json()["data"]["attributes"]["value"], value);
        let job = server.wait_job(&bearer, &job).await;
        assert_eq!(job["attributes"]["state"], "completed", "{job}");
    }
    server.take_dokku_calls();
    let client = server.client().await;
    let listed = client.get_env_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(server.take_dokku_calls().len(), 1, "one call per read");
    for (key, value) in values {
        let env = listed
            .data
            .iter()
            .find(|e| e.attributes.as_ref().unwrap().key.as_deref() == Some(key))
            .unwrap();
        assert_eq!(env.attributes.as_ref().unwrap().value.as_deref(), Some(value), "{key}");
    }
    // Set through stdin: no value ever became an argument.
    let all_args: Vec<String> =
        server.sim().invocations().into_iter().flat_map(|i| i.argv).collect();
    assert!(!all_args.iter().any(|a| a.contains("reboot")));
    server.finish().await;
}

#[tokio::test]
async fn older_hosts_get_the_value_base64_encoded() {
    let (server, bearer) =
        server_with_app_configured(|c| c.host.sim.version = "0.36.0".into()).await;
    let value = "multi\nline 'q' $(x)";
    let r = server.api(&bearer, "POST", "/@api/envs", Some(env_body(APP, "K", value))).await;
    location(&r);
    let calls = server.take_dokku_calls();
    let set = calls.iter().find(|c| c.iter().any(|a| a == "config:set")).expect("config:set ran");
    assert!(set.contains(&"--encoded".to_string()), "{set:?}");
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/envs"), None).await;
    assert_eq!(r.json()["data"][0]["attributes"]["value"], value);
    server.finish().await;
}

#[tokio::test]
async fn env_deletes_bad_input_and_unknown_apps() {
    let (server, bearer) = server_with_app().await;
    location(&server.api(&bearer, "POST", "/@api/envs", Some(env_body(APP, "GONE", "x"))).await);
    let r = server.api(&bearer, "DELETE", &format!("/@api/envs/{APP}:GONE"), None).await;
    let job = location(&r);
    assert!(r.body.is_empty());
    server.wait_job(&bearer, &job).await;
    let r = server.api(&bearer, "DELETE", &format!("/@api/envs/{APP}:GONE"), None).await;
    assert_eq!(r.status, 404, "deleting what is absent");
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/envs"), None).await;
    // Left: the NO_VHOST=1 Dokku gives a new app on a host without a global domain.
    let data = r.json()["data"].clone();
    let keys: Vec<&str> =
        data.as_array().unwrap().iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(keys, [format!("{APP}:NO_VHOST")]);

    server.take_dokku_calls();
    for (app, key, value) in [
        (APP, "1BAD", "x"),
        (APP, "A-B", "x"),
        (APP, "--force", "x"),
        (APP, "K", "nul\u{0}byte"),
        ("Bad App", "K", "x"),
    ] {
        let r = server.api(&bearer, "POST", "/@api/envs", Some(env_body(app, key, value))).await;
        assert_eq!(r.status, 400, "{app} {key}");
    }
    let r = server
        .api(
            &bearer,
            "POST",
            "/@api/envs",
            Some(json!({"data": {"attributes": {"app_id": APP, "key": "K"}}})),
        )
        .await;
    assert_eq!(r.status, 400, "value is required");
    assert!(server.take_dokku_calls().is_empty(), "invalid input never reaches Dokku");
    let r =
        server.api(&bearer, "POST", "/@api/envs", Some(env_body("no-such-app", "K", "v"))).await;
    assert_eq!(r.status, 404);
    let r = server.api(&bearer, "GET", "/@api/apps/no-such-app/envs", None).await;
    assert_eq!(r.status, 404);
    server.finish().await;
}

#[tokio::test]
async fn a_burst_of_env_changes_on_a_deployed_app_restarts_fewer_times() {
    // A slow host, so the first restart is still running while the rest of the burst arrives.
    let (server, bearer) = server_with_app_configured(|c| c.host.sim.latency_ms = 150).await;
    server.sim().mark_deployed(APP, &["web"]).unwrap();
    let requests = (0..5).map(|i| {
        server.api(&bearer, "POST", "/@api/envs", Some(env_body(APP, &format!("K{i}"), "v")))
    });
    let jobs: Vec<String> =
        futures::future::join_all(requests).await.iter().map(location).collect();
    for job in &jobs {
        assert_eq!(server.wait_job(&bearer, job).await["attributes"]["state"], "completed");
    }
    let restarts = server
        .sim()
        .invocations()
        .iter()
        .filter(|i| i.argv.first().map(String::as_str) == Some("ps:restart"))
        .count();
    // Changes arriving while a restart waits join it (the exact count depends on timing; the
    // jobs tests pin coalescing down exactly).
    assert!((1..5).contains(&restarts), "coalesced: {restarts} restarts for 5 changes");
    server.finish().await;
}

fn buildpack_body(app: &str, buildpack: &str, position: Option<i64>) -> Value {
    let mut attributes = json!({"app_id": app, "buildpack": buildpack});
    if let Some(p) = position {
        attributes["position"] = json!(p);
    }
    json!({"data": {"type": "buildpacks", "attributes": attributes}})
}

#[tokio::test]
async fn buildpacks_keep_their_positions_and_ids_hold_slashes() {
    let (server, bearer) = server_with_app().await;
    let node = "https://github.com/heroku/heroku-buildpack-nodejs.git";
    let python = "https://github.com/heroku/heroku-buildpack-python.git#v250";
    let r = server
        .api(&bearer, "POST", "/@api/buildpacks", Some(buildpack_body(APP, node, None)))
        .await;
    let first = location(&r);
    assert_eq!(r.json()["data"]["attributes"]["position"], 1);
    assert_eq!(server.wait_job(&bearer, &first).await["attributes"]["state"], "completed");
    let r = server
        .api(&bearer, "POST", "/@api/buildpacks", Some(buildpack_body(APP, python, Some(1))))
        .await;
    let second = location(&r);
    assert_eq!(r.json()["data"]["attributes"]["position"], 1);
    // The shorthand is stored as Dokku expands it.
    let r = server
        .api(&bearer, "POST", "/@api/buildpacks", Some(buildpack_body(APP, "heroku/ruby", None)))
        .await;
    let third = location(&r);
    let ruby = "https://github.com/heroku/heroku-buildpack-ruby.git";
    assert_eq!(r.json()["data"]["attributes"]["buildpack"], ruby);
    for job in [second, third] {
        server.wait_job(&bearer, &job).await;
    }

    server.take_dokku_calls();
    let client = server.client().await;
    let listed = client.get_buildpacks_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(server.take_dokku_calls().len(), 1, "one call per read");
    let got: Vec<_> = listed
        .data
        .iter()
        .map(|b| {
            let a = b.attributes.as_ref().unwrap();
            (a.buildpack.clone().unwrap(), a.position.unwrap())
        })
        .collect();
    assert_eq!(got, [(python.to_string(), 1), (node.to_string(), 2), (ruby.to_string(), 3)]);

    // Duplicates are 409, by the stored form too.
    let r = server
        .api(&bearer, "POST", "/@api/buildpacks", Some(buildpack_body(APP, node, None)))
        .await;
    assert_eq!(r.status, 409);
    let r = server
        .api(&bearer, "POST", "/@api/buildpacks", Some(buildpack_body(APP, "heroku/ruby", None)))
        .await;
    assert_eq!(r.status, 409);

    // Deleting by a percent-encoded URL id, by the generated client, and by shorthand.
    let r = server.api(&bearer, "DELETE", &format!("/@api/buildpacks/{APP}:https%3A%2F%2Fgithub.com%2Fheroku%2Fheroku-buildpack-nodejs.git"), None).await;
    location(&r);
    client.delete_buildpack().buildpack_id(format!("{APP}:{python}")).send().await.unwrap();
    let r =
        server.api(&bearer, "DELETE", &format!("/@api/buildpacks/{APP}:heroku%2Fruby"), None).await;
    location(&r);
    let r =
        server.api(&bearer, "DELETE", &format!("/@api/buildpacks/{APP}:heroku%2Fruby"), None).await;
    assert_eq!(r.status, 404, "deleting what is absent");
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/buildpacks"), None).await;
    assert_eq!(r.json()["data"], json!([]));
    server.finish().await;
}

#[tokio::test]
async fn invalid_buildpacks_never_reach_dokku() {
    let (server, bearer) = server_with_app().await;
    server.take_dokku_calls();
    for bad in ["nodejs", "--index", "https://x/$(id)", "docker://x", "a b/c", ""] {
        let r = server
            .api(&bearer, "POST", "/@api/buildpacks", Some(buildpack_body(APP, bad, None)))
            .await;
        assert_eq!(r.status, 400, "{bad}");
    }
    for position in [0, -1, 1000] {
        let r = server
            .api(
                &bearer,
                "POST",
                "/@api/buildpacks",
                Some(buildpack_body(APP, "heroku/go", Some(position))),
            )
            .await;
        assert_eq!(r.status, 400, "position {position}");
    }
    let r = server.api(&bearer, "DELETE", "/@api/buildpacks/no-colon", None).await;
    assert_eq!(r.status, 400);
    assert!(server.take_dokku_calls().is_empty());
    let r = server
        .api(
            &bearer,
            "POST",
            "/@api/buildpacks",
            Some(buildpack_body("no-such-app", "heroku/go", None)),
        )
        .await;
    assert_eq!(r.status, 404);
    server.finish().await;
}
