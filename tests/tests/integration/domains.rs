//! Domains: list, add and delete, through the generated client and raw requests, every response
//! checked against the seed by the harness, the Dokku calls counted on the simulated host.

use dokku_pro_tests::client::types;
use dokku_pro_tests::fixtures::{APP, server_with_app, server_with_app_configured};
use dokku_pro_tests::harness::TestServer;
use serde_json::{Value, json};

fn add_body(app: &str, domain: &str) -> Value {
    json!({"data": {"type": "domains", "attributes": {"app_id": app, "domain": domain}}})
}

async fn domains_of(server: &TestServer, bearer: &str, app: &str) -> Vec<String> {
    let r = server.api(bearer, "GET", &format!("/@api/apps/{app}/domains"), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["attributes"]["domain"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn add_list_and_delete_with_one_call_per_read() {
    let (server, bearer) = server_with_app().await;
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
    let r = server
        .api(
            &bearer,
            "POST",
            "/@api/domains",
            Some(json!({"data": {"id": "node-js-app:*.example.org"}})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["data"]["attributes"], json!({"app_id": APP, "domain": "*.example.org"}));

    server.take_dokku_calls();
    let listed = client.get_domains_for_app().app_id(APP).send().await.unwrap();
    let ids: Vec<_> = listed.data.iter().map(|d| d.id.clone().unwrap()).collect();
    assert_eq!(ids, ["node-js-app:node-js-app.example.com", "node-js-app:*.example.org"]);
    assert_eq!(server.take_dokku_calls(), [["domains:report", APP, "--format", "json"]]);

    // The client percent-encodes the id; `:` stays split at the first one.
    let deleted =
        client.delete_domain().domain_id("node-js-app:*.example.org").send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let r = server
        .api(&bearer, "DELETE", "/@api/domains/node-js-app%3Anode-js-app.example.com", None)
        .await;
    assert_eq!(r.status, 204);
    assert!(domains_of(&server, &bearer, APP).await.is_empty());
    server.finish().await;
}

#[tokio::test]
async fn duplicates_are_409_and_absent_domains_404() {
    let (server, bearer) = server_with_app().await;
    let r = server.api(&bearer, "POST", "/@api/domains", Some(add_body(APP, "example.com"))).await;
    assert_eq!(r.status, 201);
    server.take_dokku_calls();
    for dup in ["example.com", "EXAMPLE.com"] {
        let r = server.api(&bearer, "POST", "/@api/domains", Some(add_body(APP, dup))).await;
        assert_eq!(
            (r.status, r.error_title().as_str()),
            (409, "Domain example.com is already added to app node-js-app")
        );
    }
    assert!(server.take_dokku_calls().iter().all(|c| c[0] != "domains:add"), "read, not written");
    assert_eq!(domains_of(&server, &bearer, APP).await, ["example.com"]);

    let r = server.api(&bearer, "DELETE", "/@api/domains/node-js-app:other.com", None).await;
    assert_eq!(
        (r.status, r.error_title().as_str()),
        (404, "Domain other.com is not added to app node-js-app")
    );
    assert!(server.take_dokku_calls().iter().all(|c| c[0] != "domains:remove"));
    // Case-insensitive, and the stored spelling is what goes.
    let r = server.api(&bearer, "DELETE", "/@api/domains/node-js-app:Example.COM", None).await;
    assert_eq!(r.status, 204);
    assert!(domains_of(&server, &bearer, APP).await.is_empty());
    let r = server.api(&bearer, "DELETE", "/@api/domains/node-js-app:example.com", None).await;
    assert_eq!(r.status, 404, "deleting twice");
    server.finish().await;
}

#[tokio::test]
async fn deleting_removes_exactly_the_domain_named() {
    let (server, bearer) = server_with_app().await;
    // Dokku removes with a sed regex: `.` matches any character and `.*` anything.
    for domain in ["a.example.com", "axexample.com", "www.*", "www.example.com", "b.example.com"] {
        let r = server.api(&bearer, "POST", "/@api/domains", Some(add_body(APP, domain))).await;
        assert_eq!(r.status, 201, "{domain}: {}", r.text());
    }
    server.take_dokku_calls();
    let r = server.api(&bearer, "DELETE", "/@api/domains/node-js-app:a.example.com", None).await;
    assert_eq!(r.status, 204);
    assert_eq!(
        domains_of(&server, &bearer, APP).await,
        ["axexample.com", "www.*", "www.example.com", "b.example.com"]
    );
    let r = server.api(&bearer, "DELETE", "/@api/domains/node-js-app:www.*", None).await;
    assert_eq!(r.status, 204);
    assert_eq!(
        domains_of(&server, &bearer, APP).await,
        ["axexample.com", "www.example.com", "b.example.com"]
    );
    assert!(
        server.take_dokku_calls().iter().any(|c| c[0] == "domains:set"),
        "rewritten, not sed-removed"
    );
    // No collateral: the plain remove.
    let r = server.api(&bearer, "DELETE", "/@api/domains/node-js-app:b.example.com", None).await;
    assert_eq!(r.status, 204);
    let calls = server.take_dokku_calls();
    assert!(
        calls.contains(&vec!["domains:remove".into(), APP.into(), "b.example.com".into()]),
        "{calls:?}"
    );
    assert_eq!(domains_of(&server, &bearer, APP).await, ["axexample.com", "www.example.com"]);

    // A domain the API would not add (added with the CLI) can still be deleted through it.
    server.dokku(&["domains:add", APP, "w*w.example.com"]);
    let r =
        server.api(&bearer, "POST", "/@api/domains", Some(add_body(APP, "w*x.example.com"))).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let r = server.api(&bearer, "DELETE", "/@api/domains/node-js-app:w*w.example.com", None).await;
    assert_eq!(r.status, 204);
    assert_eq!(domains_of(&server, &bearer, APP).await, ["axexample.com", "www.example.com"]);
    server.finish().await;
}

#[tokio::test]
async fn invalid_domains_and_ids_never_reach_dokku() {
    let (server, bearer) = server_with_app().await;
    server.take_dokku_calls();
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
        let r = server.api(&bearer, "POST", "/@api/domains", Some(add_body(APP, bad))).await;
        assert_eq!(r.status, 400, "{bad:?}");
        assert!(r.error_title().starts_with("invalid domain name"), "{bad:?}: {}", r.text());
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
        let r = server.api(&bearer, "POST", "/@api/domains", Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
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
        let r = server.api(&bearer, "DELETE", &format!("/@api/domains/{id}"), None).await;
        assert_eq!(r.status, 400, "{id}");
    }
    for app in ["a%2Fb", "a:b", "a%25b", "Bad"] {
        let r = server.api(&bearer, "GET", &format!("/@api/apps/{app}/domains"), None).await;
        assert_eq!(r.status, 400, "{app}");
    }
    assert_eq!(server.take_dokku_calls(), Vec::<Vec<String>>::new(), "nothing reached Dokku");
    server.finish().await;
}

#[tokio::test]
async fn an_unknown_app_is_404() {
    let (server, bearer) = server_with_app().await;
    let r = server.api(&bearer, "GET", "/@api/apps/ghost/domains", None).await;
    assert_eq!((r.status, r.error_title().as_str()), (404, "App ghost does not exist"));
    let r =
        server.api(&bearer, "POST", "/@api/domains", Some(add_body("ghost", "example.com"))).await;
    assert_eq!((r.status, r.error_title().as_str()), (404, "App ghost does not exist"));
    let r = server.api(&bearer, "DELETE", "/@api/domains/ghost:example.com", None).await;
    assert_eq!((r.status, r.error_title().as_str()), (404, "App ghost does not exist"));
    server.finish().await;
}

#[tokio::test]
async fn an_older_dokku_lists_through_the_vhosts_flag() {
    // 0.36: domains:report has no JSON; the single-value flag is one call too.
    let (server, bearer) =
        server_with_app_configured(|c| c.host.sim.version = "0.36.0".into()).await;
    for domain in ["example.com", "www.example.com"] {
        let r = server.api(&bearer, "POST", "/@api/domains", Some(add_body(APP, domain))).await;
        assert_eq!(r.status, 201);
    }
    server.take_dokku_calls();
    assert_eq!(domains_of(&server, &bearer, APP).await, ["example.com", "www.example.com"]);
    assert_eq!(server.take_dokku_calls(), [["domains:report", APP, "--domains-app-vhosts"]]);
    let r = server.api(&bearer, "DELETE", "/@api/domains/node-js-app:example.com", None).await;
    assert_eq!(r.status, 204);
    assert_eq!(domains_of(&server, &bearer, APP).await, ["www.example.com"]);
    // Added behind the API's back between its read and its write (here: a read that saw
    // nothing): Dokku's "Skipping ... already added" is 409 too.
    server.sim().inject(dokku_sim::Injection {
        subcommand: "domains:report".into(),
        app: Some(APP.into()),
        times: 1,
        effect: dokku_sim::Effect::Exit { status: 0, stderr: String::new() },
    });
    let r =
        server.api(&bearer, "POST", "/@api/domains", Some(add_body(APP, "www.example.com"))).await;
    assert_eq!(
        (r.status, r.error_title().as_str()),
        (409, "Domain www.example.com is already added to app node-js-app")
    );
    let r = server.api(&bearer, "GET", "/@api/apps/ghost/domains", None).await;
    assert_eq!(r.status, 404);
    server.finish().await;
}
