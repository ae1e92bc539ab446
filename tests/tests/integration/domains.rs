//! Domains: list, add and delete, through the generated client and raw requests, every response
//! checked against the seed by the harness, the Dokku calls counted on the simulated host.

use dokku_pro_tests::client::types;
use dokku_pro_tests::harness::TestServer;
use serde_json::{Value, json};

const APP: &str = "node-js-app";

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

fn add_body(app: &str, domain: &str) -> Value {
    json!({"data": {"type": "domains", "attributes": {"app_id": app, "domain": domain}}})
}

async fn domains_of(server: &TestServer, bearer: &str, app: &str) -> Vec<String> {
    let (status, body) =
        call(server, bearer, "GET", &format!("/@api/apps/{app}/domains"), None).await;
    assert_eq!(status, 200, "{body}");
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attributes"]["domain"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn add_list_and_delete_with_one_call_per_read() {
    let (server, bearer) = server_with_app(None).await;
    let client = server.client().await;

    let body = types::AddDomainBody {
        data: Some(types::Domain {
            id: None,
            type_: Some(types::DomainType::Domains),
            attributes: Some(types::DomainAttributes {
                app_id: Some(APP.into()),
                domain: Some("node-js-app.example.com".into()),
            }),
        }),
    };
    let added = client.add_domain().body(body).send().await.unwrap();
    assert_eq!(added.status().as_u16(), 201);
    assert_eq!(
        added.data.as_ref().unwrap().id.as_deref(),
        Some("node-js-app:node-js-app.example.com")
    );
    // By id alone, too.
    let (status, body) = call(
        &server,
        &bearer,
        "POST",
        "/@api/domains",
        Some(json!({"data": {"id": "node-js-app:*.example.org"}})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["attributes"], json!({"app_id": APP, "domain": "*.example.org"}));

    dokku_calls(&server);
    let listed = client.get_domains_for_app().app_id(APP).send().await.unwrap();
    let ids: Vec<_> = listed.data.iter().map(|d| d.id.clone().unwrap()).collect();
    assert_eq!(ids, ["node-js-app:node-js-app.example.com", "node-js-app:*.example.org"]);
    assert_eq!(dokku_calls(&server), [["domains:report", APP, "--format", "json"]]);

    // The client percent-encodes the id; `:` stays split at the first one.
    let deleted =
        client.delete_domain().domain_id("node-js-app:*.example.org").send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let (status, _) = call(
        &server,
        &bearer,
        "DELETE",
        "/@api/domains/node-js-app%3Anode-js-app.example.com",
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(domains_of(&server, &bearer, APP).await.is_empty());
    server.finish().await;
}

#[tokio::test]
async fn duplicates_are_409_and_absent_domains_404() {
    let (server, bearer) = server_with_app(None).await;
    let (status, _) =
        call(&server, &bearer, "POST", "/@api/domains", Some(add_body(APP, "example.com"))).await;
    assert_eq!(status, 201);
    dokku_calls(&server);
    for dup in ["example.com", "EXAMPLE.com"] {
        let (status, body) =
            call(&server, &bearer, "POST", "/@api/domains", Some(add_body(APP, dup))).await;
        assert_eq!(
            (status, title(&body)),
            (409, "Domain example.com is already added to app node-js-app")
        );
    }
    assert!(dokku_calls(&server).iter().all(|c| c[0] != "domains:add"), "read, not written");
    assert_eq!(domains_of(&server, &bearer, APP).await, ["example.com"]);

    let (status, body) =
        call(&server, &bearer, "DELETE", "/@api/domains/node-js-app:other.com", None).await;
    assert_eq!((status, title(&body)), (404, "Domain other.com is not added to app node-js-app"));
    assert!(dokku_calls(&server).iter().all(|c| c[0] != "domains:remove"));
    // Case-insensitive, and the stored spelling is what goes.
    let (status, _) =
        call(&server, &bearer, "DELETE", "/@api/domains/node-js-app:Example.COM", None).await;
    assert_eq!(status, 204);
    assert!(domains_of(&server, &bearer, APP).await.is_empty());
    let (status, _) =
        call(&server, &bearer, "DELETE", "/@api/domains/node-js-app:example.com", None).await;
    assert_eq!(status, 404, "deleting twice");
    server.finish().await;
}

#[tokio::test]
async fn deleting_removes_exactly_the_domain_named() {
    let (server, bearer) = server_with_app(None).await;
    // Dokku removes with a sed regex: `.` matches any character and `.*` anything.
    for domain in ["a.example.com", "axexample.com", "www.*", "www.example.com", "b.example.com"] {
        let (status, body) =
            call(&server, &bearer, "POST", "/@api/domains", Some(add_body(APP, domain))).await;
        assert_eq!(status, 201, "{domain}: {body}");
    }
    dokku_calls(&server);
    let (status, _) =
        call(&server, &bearer, "DELETE", "/@api/domains/node-js-app:a.example.com", None).await;
    assert_eq!(status, 204);
    assert_eq!(
        domains_of(&server, &bearer, APP).await,
        ["axexample.com", "www.*", "www.example.com", "b.example.com"]
    );
    let (status, _) =
        call(&server, &bearer, "DELETE", "/@api/domains/node-js-app:www.*", None).await;
    assert_eq!(status, 204);
    assert_eq!(
        domains_of(&server, &bearer, APP).await,
        ["axexample.com", "www.example.com", "b.example.com"]
    );
    assert!(
        dokku_calls(&server).iter().any(|c| c[0] == "domains:set"),
        "rewritten, not sed-removed"
    );
    // No collateral: the plain remove.
    let (status, _) =
        call(&server, &bearer, "DELETE", "/@api/domains/node-js-app:b.example.com", None).await;
    assert_eq!(status, 204);
    let calls = dokku_calls(&server);
    assert!(
        calls.contains(&vec!["domains:remove".into(), APP.into(), "b.example.com".into()]),
        "{calls:?}"
    );
    assert_eq!(domains_of(&server, &bearer, APP).await, ["axexample.com", "www.example.com"]);

    // A domain the API would not add (added with the CLI) can still be deleted through it.
    server.sim().run(&["domains:add", APP, "w*w.example.com"], None);
    let (status, body) =
        call(&server, &bearer, "POST", "/@api/domains", Some(add_body(APP, "w*x.example.com")))
            .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) =
        call(&server, &bearer, "DELETE", "/@api/domains/node-js-app:w*w.example.com", None).await;
    assert_eq!(status, 204);
    assert_eq!(domains_of(&server, &bearer, APP).await, ["axexample.com", "www.example.com"]);
    server.finish().await;
}

#[tokio::test]
async fn invalid_domains_and_ids_never_reach_dokku() {
    let (server, bearer) = server_with_app(None).await;
    dokku_calls(&server);
    let long = format!("{}.com", "a".repeat(64));
    for bad in [
        "",
        "exa mple.com",
        "-x.com",
        "a/b",
        "a:b",
        "a%b",
        "$(id)",
        "a..b",
        "example.com.",
        "x*y.com",
        &long,
    ] {
        let (status, body) =
            call(&server, &bearer, "POST", "/@api/domains", Some(add_body(APP, bad))).await;
        assert_eq!(status, 400, "{bad:?}");
        assert!(title(&body).starts_with("invalid domain name"), "{bad:?}: {body}");
    }
    let bodies = [
        json!({"data": {"attributes": {"domain": "example.com"}}}),
        json!({"data": {"attributes": {"app_id": APP}}}),
        json!({"data": {"id": "node-js-app:example.com", "attributes": {"app_id": "other-app"}}}),
        json!({"data": {"id": "node-js-app:example.com", "attributes": {"domain": "other.com"}}}),
        json!({"data": {"id": "node-js-app"}}),
        json!({"data": {"attributes": {"app_id": "Bad_App", "domain": "example.com"}}}),
        json!({}),
    ];
    for body in bodies {
        let (status, answer) =
            call(&server, &bearer, "POST", "/@api/domains", Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    for id in [
        "node-js-app",
        "node-js-app:",
        "node-js-app:a%2Fb",
        "node-js-app:a%25b",
        "Bad:x.com",
        "a%2Fb:x.com",
        "node-js-app:x.com:1",
        ":x.com",
    ] {
        let (status, _) =
            call(&server, &bearer, "DELETE", &format!("/@api/domains/{id}"), None).await;
        assert_eq!(status, 400, "{id}");
    }
    for app in ["a%2Fb", "a:b", "a%25b", "Bad"] {
        let (status, _) =
            call(&server, &bearer, "GET", &format!("/@api/apps/{app}/domains"), None).await;
        assert_eq!(status, 400, "{app}");
    }
    assert_eq!(dokku_calls(&server), Vec::<Vec<String>>::new(), "nothing reached Dokku");
    server.finish().await;
}

#[tokio::test]
async fn an_unknown_app_is_404() {
    let (server, bearer) = server_with_app(None).await;
    let (status, body) = call(&server, &bearer, "GET", "/@api/apps/ghost/domains", None).await;
    assert_eq!((status, title(&body)), (404, "App ghost does not exist"));
    let (status, body) =
        call(&server, &bearer, "POST", "/@api/domains", Some(add_body("ghost", "example.com")))
            .await;
    assert_eq!((status, title(&body)), (404, "App ghost does not exist"));
    let (status, body) =
        call(&server, &bearer, "DELETE", "/@api/domains/ghost:example.com", None).await;
    assert_eq!((status, title(&body)), (404, "App ghost does not exist"));
    server.finish().await;
}

#[tokio::test]
async fn an_older_dokku_lists_through_the_vhosts_flag() {
    // 0.36: domains:report has no JSON; the single-value flag is one call too.
    let (server, bearer) = server_with_app(Some("0.36.0")).await;
    for domain in ["example.com", "www.example.com"] {
        let (status, _) =
            call(&server, &bearer, "POST", "/@api/domains", Some(add_body(APP, domain))).await;
        assert_eq!(status, 201);
    }
    dokku_calls(&server);
    assert_eq!(domains_of(&server, &bearer, APP).await, ["example.com", "www.example.com"]);
    assert_eq!(dokku_calls(&server), [["domains:report", APP, "--domains-app-vhosts"]]);
    let (status, _) =
        call(&server, &bearer, "DELETE", "/@api/domains/node-js-app:example.com", None).await;
    assert_eq!(status, 204);
    assert_eq!(domains_of(&server, &bearer, APP).await, ["www.example.com"]);
    // Added behind the API's back between its read and its write (here: a read that saw
    // nothing): Dokku's "Skipping ... already added" is 409 too.
    server.sim().inject(dokku_sim::Injection {
        subcommand: "domains:report".into(),
        app: Some(APP.into()),
        times: 1,
        effect: dokku_sim::Effect::Exit { status: 0, stderr: String::new() },
    });
    let (status, body) =
        call(&server, &bearer, "POST", "/@api/domains", Some(add_body(APP, "www.example.com")))
            .await;
    assert_eq!(
        (status, title(&body)),
        (409, "Domain www.example.com is already added to app node-js-app")
    );
    let (status, _) = call(&server, &bearer, "GET", "/@api/apps/ghost/domains", None).await;
    assert_eq!(status, 404);
    server.finish().await;
}
