//! HTTP auth and maintenance mode: the 11 operations, through the generated client and raw
//! requests, every response checked against the seed by the harness.

use dokku_pro_tests::client::types;
use dokku_pro_tests::harness::TestServer;
use serde_json::{Value, json};

const APP: &str = "node-js-app";

async fn server_with_app() -> (TestServer, String) {
    let server = TestServer::start().await;
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
    let r = server
        .raw(
            method,
            path,
            &[("authorization", bearer), ("content-type", "application/json")],
            body.as_bytes(),
        )
        .await;
    let json = if r.body.is_empty() { Value::Null } else { r.json() };
    (r.status, json)
}

/// The Dokku commands run since the last call.
fn dokku_calls(server: &TestServer) -> Vec<Vec<String>> {
    let calls = server.sim().invocations().into_iter().map(|i| i.argv).collect();
    server.sim().clear_invocations();
    calls
}

fn enabled(body: &Value) -> bool {
    body["data"][0]["attributes"]["auth_enabled"].as_bool().expect("auth_enabled")
}

#[tokio::test]
async fn enable_disable_and_read_with_one_dokku_call() {
    let (server, bearer) = server_with_app().await;
    let client = server.client().await;
    dokku_calls(&server);
    let r = client.get_http_auth_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(r.data.len(), 1);
    assert_eq!(r.data[0].id.as_deref(), Some(APP));
    assert_eq!(r.data[0].attributes.as_ref().unwrap().auth_enabled, Some(false));
    assert_eq!(dokku_calls(&server).len(), 1, "one call per read");

    let body =
        json!({"data": {"type": "httpAuths", "id": APP, "attributes": {"auth_enabled": true}}});
    let (status, r) =
        call(&server, &bearer, "PATCH", &format!("/@api/httpAuths/{APP}"), Some(body)).await;
    assert_eq!((status, r["data"]["attributes"]["auth_enabled"].as_bool()), (200, Some(true)));
    let (_, r) = call(&server, &bearer, "GET", &format!("/@api/apps/{APP}/httpAuth"), None).await;
    assert!(enabled(&r));
    // Idempotent.
    let body = json!({"data": {"attributes": {"auth_enabled": true}}});
    assert_eq!(
        call(&server, &bearer, "PATCH", &format!("/@api/httpAuths/{APP}"), Some(body)).await.0,
        200
    );

    let (status, _) = call(
        &server,
        &bearer,
        "PATCH",
        &format!("/@api/httpAuths/{APP}"),
        Some(json!({"data": {"attributes": {}}})),
    )
    .await;
    assert_eq!(status, 400, "auth_enabled is required");
    let (status, _) = call(&server, &bearer, "GET", "/@api/apps/no-such-app/httpAuth", None).await;
    assert_eq!(status, 404);
    let (status, _) = call(&server, &bearer, "GET", "/@api/apps/Bad_Name!/httpAuth", None).await;
    assert_eq!(status, 400);
    server.finish().await;
}

#[tokio::test]
async fn allowed_ips_of_every_shape_and_auth_stays_as_it_was() {
    let (server, bearer) = server_with_app().await;
    let ips = ["127.0.0.1", "::1", "10.0.0.0/8", "2001:db8::/32"];
    for ip in ips {
        let body = json!({"data": {"type": "httpAuthIPs", "attributes": {"app_id": APP, "ip_address": ip}}});
        let (status, r) = call(&server, &bearer, "POST", "/@api/httpAuthIPs", Some(body)).await;
        assert_eq!(status, 201, "{ip}: {r}");
        assert_eq!(r["data"]["id"], format!("{APP}:{ip}"));
    }
    // Dokku's add-allowed-ip turns auth on; the API promised nothing of the kind.
    let (_, r) = call(&server, &bearer, "GET", &format!("/@api/apps/{APP}/httpAuth"), None).await;
    assert!(!enabled(&r), "adding allowed IPs leaves auth disabled");

    dokku_calls(&server);
    let client = server.client().await;
    let listed = client.get_http_auth_i_ps_for_app().app_id(APP).send().await.unwrap();
    let got: Vec<_> = listed
        .data
        .iter()
        .map(|i| i.attributes.as_ref().unwrap().ip_address.clone().unwrap())
        .collect();
    assert_eq!(got, ips);
    assert_eq!(dokku_calls(&server).len(), 1, "one call per read");

    let body = json!({"data": {"attributes": {"app_id": APP, "ip_address": "::1"}}});
    assert_eq!(call(&server, &bearer, "POST", "/@api/httpAuthIPs", Some(body)).await.0, 409);
    for bad in ["1.2.3.4/33", "not-an-ip", "1.2.3.4; reboot", "$(id)"] {
        let body = json!({"data": {"attributes": {"app_id": APP, "ip_address": bad}}});
        let (status, _) = call(&server, &bearer, "POST", "/@api/httpAuthIPs", Some(body)).await;
        assert_eq!(status, 400, "{bad}");
    }
    assert!(
        dokku_calls(&server).iter().all(|c| c[0] != "http-auth:add-allowed-ip"),
        "refused before Dokku"
    );

    // Ids hold `:` (IPv6) and `/` (CIDR, percent-encoded in the path).
    client
        .delete_http_auth_ip()
        .http_auth_ip_id(format!("{APP}:2001:db8::/32"))
        .send()
        .await
        .unwrap();
    let (status, _) =
        call(&server, &bearer, "DELETE", &format!("/@api/httpAuthIPs/{APP}:10.0.0.0%2F8"), None)
            .await;
    assert_eq!(status, 204);
    let (status, _) =
        call(&server, &bearer, "DELETE", &format!("/@api/httpAuthIPs/{APP}:10.0.0.0%2F8"), None)
            .await;
    assert_eq!(status, 404, "deleting what is absent");
    let (_, r) =
        call(&server, &bearer, "GET", &format!("/@api/apps/{APP}/httpAuthIPs"), None).await;
    assert_eq!(r["data"].as_array().unwrap().len(), 2);
    let (_, r) = call(&server, &bearer, "GET", &format!("/@api/apps/{APP}/httpAuth"), None).await;
    assert!(!enabled(&r), "removing allowed IPs leaves auth disabled");
    let body = json!({"data": {"attributes": {"app_id": "no-such-app", "ip_address": "::1"}}});
    assert_eq!(call(&server, &bearer, "POST", "/@api/httpAuthIPs", Some(body)).await.0, 404);
    server.finish().await;
}

#[tokio::test]
async fn users_with_any_password_and_no_password_echoed() {
    let (server, bearer) = server_with_app().await;
    let password = r#"a "quoted" 'pass' with spaces $(id) `x` ; | ✓"#;
    let body = json!({"data": {"type": "httpAuthUsers", "attributes": {"app_id": APP, "username": "deploy.bot", "password": password}}});
    dokku_calls(&server);
    let (status, r) =
        call(&server, &bearer, "POST", "/@api/httpAuthUsers", Some(body.clone())).await;
    assert_eq!(status, 201, "{r}");
    assert_eq!(r["data"]["id"], format!("{APP}:deploy.bot"));
    assert!(r["data"]["attributes"].get("password").is_none(), "passwords are never echoed");
    let calls = dokku_calls(&server);
    let add = calls.iter().find(|c| c[0] == "http-auth:add-user").expect("add-user ran");
    assert_eq!(add[3], password, "the password reached Dokku unaltered");
    // Auth was off: it was switched on around the change and off again.
    let (_, r) = call(&server, &bearer, "GET", &format!("/@api/apps/{APP}/httpAuth"), None).await;
    assert!(!enabled(&r));

    assert_eq!(call(&server, &bearer, "POST", "/@api/httpAuthUsers", Some(body)).await.0, 409);
    let client = server.client().await;
    let users = client.get_http_auth_users_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(users.data.len(), 1);
    let attributes = users.data[0].attributes.as_ref().unwrap();
    assert_eq!(
        (attributes.username.as_deref(), attributes.password.as_deref()),
        (Some("deploy.bot"), None)
    );

    let update = json!({"data": {"attributes": {"password": "new secret with spaces"}}});
    let (status, r) = call(
        &server,
        &bearer,
        "PATCH",
        &format!("/@api/httpAuthUsers/{APP}:deploy.bot"),
        Some(update),
    )
    .await;
    assert_eq!(status, 200, "{r}");
    let rename =
        json!({"data": {"attributes": {"username": "someone-else", "password": "new secret"}}});
    let (status, _) = call(
        &server,
        &bearer,
        "PATCH",
        &format!("/@api/httpAuthUsers/{APP}:deploy.bot"),
        Some(rename),
    )
    .await;
    assert_eq!(status, 403);
    let update = json!({"data": {"attributes": {"password": "whatever pw"}}});
    let (status, _) =
        call(&server, &bearer, "PATCH", &format!("/@api/httpAuthUsers/{APP}:nobody"), Some(update))
            .await;
    assert_eq!(status, 404);

    dokku_calls(&server);
    for (name, pass) in [
        ("-rf", "long enough"),
        ("a b", "long enough"),
        ("ok", "-starts-with-dash"),
        ("ok", "line\nbreak"),
        ("ok", ""),
    ] {
        let body =
            json!({"data": {"attributes": {"app_id": APP, "username": name, "password": pass}}});
        assert_eq!(
            call(&server, &bearer, "POST", "/@api/httpAuthUsers", Some(body)).await.0,
            400,
            "{name:?} {pass:?}"
        );
    }
    assert!(dokku_calls(&server).is_empty(), "invalid input never reaches Dokku");

    let (status, _) =
        call(&server, &bearer, "DELETE", &format!("/@api/httpAuthUsers/{APP}:deploy.bot"), None)
            .await;
    assert_eq!(status, 204);
    let (status, _) =
        call(&server, &bearer, "DELETE", &format!("/@api/httpAuthUsers/{APP}:deploy.bot"), None)
            .await;
    assert_eq!(status, 404);
    server.finish().await;
}

#[tokio::test]
async fn maintenance_mode_on_and_off() {
    let (server, bearer) = server_with_app().await;
    let client = server.client().await;
    dokku_calls(&server);
    let r = client.get_maintenance_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(r.data[0].attributes.as_ref().unwrap().enabled, Some(false));
    assert_eq!(dokku_calls(&server).len(), 1, "one call per read");
    let body: types::UpdateMaintenancesBody = serde_json::from_value(
        json!({"data": {"type": "maintenances", "attributes": {"enabled": true}}}),
    )
    .unwrap();
    let r = client.update_maintenances().app_id(APP).body(body).send().await.unwrap();
    assert_eq!(r.data.as_ref().unwrap().attributes.as_ref().unwrap().enabled, Some(true));
    let (_, r) =
        call(&server, &bearer, "GET", &format!("/@api/apps/{APP}/maintenance"), None).await;
    assert_eq!(r["data"][0]["attributes"]["enabled"], true);
    let (status, _) = call(
        &server,
        &bearer,
        "PATCH",
        &format!("/@api/maintenances/{APP}"),
        Some(json!({"data": {}})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) =
        call(&server, &bearer, "GET", "/@api/apps/no-such-app/maintenance", None).await;
    assert_eq!(status, 404);
    server.finish().await;
}

#[tokio::test]
async fn on_a_host_with_no_apps_at_all_an_app_is_404_not_a_plugin_error() {
    let server = TestServer::start().await;
    let bearer = format!("Bearer {}", server.token().await);
    assert_eq!(call(&server, &bearer, "GET", "/@api/apps/ghost/httpAuth", None).await.0, 404);
    assert_eq!(call(&server, &bearer, "GET", "/@api/apps/ghost/maintenance", None).await.0, 404);
    server.finish().await;
}
