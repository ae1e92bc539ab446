//! Authentication, end to end: every operation refuses every kind of bad credential with 401
//! and `WWW-Authenticate`; login, refresh, rotation, replay detection, logout, use limits under
//! concurrency, failed-login limiting, persistence across a restart, and no secret in the log.

use base64::Engine as _;
use dokku_pro_tests::contract::load_seed;
use dokku_pro_tests::harness::{RawResponse, TestServer};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

const JSON: (&str, &str) = ("content-type", "application/json");

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Signs claims with the server's own key (read from its data directory).
fn sign_with_server_key(server: &TestServer, claims: &serde_json::Value) -> String {
    let text = std::fs::read_to_string(server.server_data_dir().join("jwt-signing.key")).unwrap();
    let key = base64::engine::general_purpose::STANDARD.decode(text.trim()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(&key))
        .unwrap()
}

async fn request(
    server: &TestServer,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: &[u8],
) -> RawResponse {
    let mut headers = vec![JSON];
    if let Some(a) = authorization {
        headers.push(("authorization", a));
    }
    server.raw(method, path, &headers, body).await
}

fn assert_401(r: &RawResponse, what: &str) {
    assert_eq!(r.status, 401, "{what}: {}", String::from_utf8_lossy(&r.body));
    let challenge = r.headers.get("www-authenticate").map(|v| v.to_str().unwrap().to_string());
    assert!(challenge.as_deref().is_some_and(|c| c.starts_with("Bearer")), "{what}: {challenge:?}");
    assert_eq!(r.json()["errors"][0]["status"], 401);
}

#[tokio::test]
async fn every_secured_operation_refuses_every_bad_credential() {
    let server = TestServer::start().await;
    let claims = |exp: i64, jti: &str| json!({"iss": "dokku-pro-api", "sub": "admin", "jti": jti, "iat": now() - 10, "exp": exp});
    let wrong_key = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(now() + 3600, "x"),
        &EncodingKey::from_secret(b"not the server's key, not the server's key"),
    )
    .unwrap();
    let alg_none = format!(
        "{}.{}.",
        b64url(br#"{"alg":"none","typ":"JWT"}"#),
        b64url(claims(now() + 3600, "x").to_string().as_bytes())
    );
    let hs512 =
        jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims(now() + 3600, "x"), &{
            let text =
                std::fs::read_to_string(server.server_data_dir().join("jwt-signing.key")).unwrap();
            EncodingKey::from_secret(
                &base64::engine::general_purpose::STANDARD.decode(text.trim()).unwrap(),
            )
        })
        .unwrap();
    let expired = sign_with_server_key(&server, &claims(now() - 1, "expired-one"));

    let revoked = server.token().await;
    let r = request(&server, "DELETE", &format!("/@api/tokens/{revoked}"), None, b"").await;
    assert_eq!(r.status, 204);

    let limited = server
        .login_response(Some(json!({"data": {"type": "tokens", "attributes": {"uses": 1}}})))
        .await;
    let spent = limited.json()["id"].as_str().unwrap().to_string();
    let r = request(&server, "GET", "/@api/apps", Some(&format!("Bearer {spent}")), b"").await;
    assert_ne!(r.status, 401, "the one use is allowed");
    let refresh = server.login_response(None).await.json()["attributes"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();

    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("admin:{}", server.admin_password()))
    );
    let bad: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("garbage", Some("Bearer garbage".into())),
        ("wrong key", Some(format!("Bearer {wrong_key}"))),
        ("alg none", Some(format!("Bearer {alg_none}"))),
        ("another algorithm", Some(format!("Bearer {hs512}"))),
        ("expired", Some(format!("Bearer {expired}"))),
        ("revoked", Some(format!("Bearer {revoked}"))),
        ("spent uses", Some(format!("Bearer {spent}"))),
        ("refresh token as bearer", Some(format!("Bearer {refresh}"))),
        ("basic credentials", Some(basic)),
        ("unknown scheme", Some("Digest abc".into())),
    ];
    let seed = load_seed();
    let mut checked = 0;
    for (path, item) in seed["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let secured_by_bearer_only = op["security"] == json!([{"bearer_auth": []}]);
            if !secured_by_bearer_only {
                continue;
            }
            let concrete: Vec<&str> =
                path.split('/').map(|s| if s.starts_with('{') { "probe" } else { s }).collect();
            let url = format!("/@api{}", concrete.join("/"));
            let body: &[u8] = match op["requestBody"]["content"]["application/json"]["schema"]["properties"]["data"]["type"].as_str() {
                Some("array") => br#"{"data":[]}"#,
                _ if op.get("requestBody").is_some() => br#"{"data":{}}"#,
                _ => b"",
            };
            for (what, authorization) in &bad {
                let r =
                    request(&server, &method.to_uppercase(), &url, authorization.as_deref(), body)
                        .await;
                assert_401(&r, &format!("{} with {what}", op["operationId"]));
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 52, "every operation but login and logout takes a bearer token");
    server.finish().await;
}

#[tokio::test]
async fn two_authorization_headers_are_refused() {
    let server = TestServer::start().await;
    let good = format!("Bearer {}", server.token().await);
    let r = server
        .raw(
            "GET",
            "/@api/apps",
            &[("authorization", &good), ("authorization", "Bearer garbage")],
            b"",
        )
        .await;
    assert_401(&r, "two Authorization headers");
    assert_eq!(r.error_title(), "send exactly one Authorization header");
    server.finish().await;
}

#[tokio::test]
async fn login_returns_the_token_at_top_level_and_under_data() {
    let server = TestServer::start().await;
    let r = server.login_response(None).await;
    assert_eq!(r.status, 201);
    let body = r.json();
    assert_eq!(body["type"], "tokens");
    assert_eq!(
        body["data"],
        json!({"id": body["id"], "type": "tokens", "attributes": body["attributes"]})
    );
    let attributes = &body["attributes"];
    assert!(attributes["refresh_token"].as_str().unwrap().starts_with("dpr_"));
    let expires = attributes["access_token_expires"].as_i64().unwrap();
    assert!((now() + 3590..=now() + 3610).contains(&expires), "1 h by default");
    let refresh_expires = attributes["refresh_token_expires"].as_i64().unwrap();
    assert!(
        (now() + 30 * 86400 - 10..=now() + 30 * 86400 + 10).contains(&refresh_expires),
        "30 d by default"
    );
    assert!(attributes.get("uses").is_none());

    // The generated client reads it too.
    let client =
        server.client_with_authorization(&format!("Bearer {}", body["id"].as_str().unwrap()));
    let r = client
        .login()
        .body(
            serde_json::from_value::<dokku_pro_tests::client::types::LoginBody>(
                json!({"data": {"type": "tokens", "attributes": {"uses": 3}}}),
            )
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.attributes.as_ref().unwrap().uses,
        Some(3),
        "a bearer token can mint a use-limited one"
    );

    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("admin:wrong password")
    );
    let r = request(&server, "POST", "/@api/tokens", Some(&wrong), b"").await;
    assert_eq!(r.status, 401);
    let r = request(&server, "POST", "/@api/tokens", None, b"").await;
    assert_eq!(r.status, 401);
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("admin:{}", server.admin_password()))
    );
    for bad in [
        &br#"{"data":"#[..],
        br#"{"data":{"type":"nope"}}"#,
        br#"{"data":{"attributes":{"uses":0}}}"#,
        br#"{"data":{"attributes":{"uses":"x"}}}"#,
    ] {
        let r = request(&server, "POST", "/@api/tokens", Some(&basic), bad).await;
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(bad));
    }
    server.finish().await;
}

#[tokio::test]
async fn refresh_rotates_and_a_replay_revokes_the_family() {
    let server = TestServer::start().await;
    let first = server.login_response(None).await.json();
    let refresh = |token: &str| {
        json!({"data": {"type": "tokens", "attributes": {"refresh_token": token}}}).to_string()
    };

    let r = request(
        &server,
        "POST",
        "/@api/tokens",
        None,
        refresh(first["attributes"]["refresh_token"].as_str().unwrap()).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let second = r.json();
    assert_ne!(second["attributes"]["refresh_token"], first["attributes"]["refresh_token"]);
    let second_bearer = format!("Bearer {}", second["id"].as_str().unwrap());
    assert_ne!(request(&server, "GET", "/@api/apps", Some(&second_bearer), b"").await.status, 401);

    // The first refresh token is spent: presenting it again is a replay.
    let r = request(
        &server,
        "POST",
        "/@api/tokens",
        None,
        refresh(first["attributes"]["refresh_token"].as_str().unwrap()).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(r.error_title().contains("already used"), "{}", r.error_title());
    // ... which revoked everything descended from it.
    assert_401(
        &request(&server, "GET", "/@api/apps", Some(&second_bearer), b"").await,
        "a token of a replayed family",
    );
    let r = request(
        &server,
        "POST",
        "/@api/tokens",
        None,
        refresh(second["attributes"]["refresh_token"].as_str().unwrap()).as_bytes(),
    )
    .await;
    assert_eq!(r.status, 401);

    let r = request(&server, "POST", "/@api/tokens", None, refresh("dpr_never_issued").as_bytes())
        .await;
    assert_eq!(
        (r.status, r.error_title()),
        (404, "Token being refreshed was not found".to_string())
    );
    server.finish().await;
}

#[tokio::test]
async fn logout_revokes_the_token_and_its_refresh_token() {
    let server = TestServer::start().await;
    let login = server.login_response(None).await.json();
    let token = login["id"].as_str().unwrap();
    let r = request(&server, "DELETE", &format!("/@api/tokens/{token}"), None, b"").await;
    assert_eq!(r.status, 204);
    let r = request(&server, "DELETE", &format!("/@api/tokens/{token}"), None, b"").await;
    assert_eq!(r.status, 204, "repeating a logout is fine");
    assert_401(
        &request(&server, "GET", "/@api/apps", Some(&format!("Bearer {token}")), b"").await,
        "after logout",
    );
    let body =
        json!({"data": {"attributes": {"refresh_token": login["attributes"]["refresh_token"]}}})
            .to_string();
    let r = request(&server, "POST", "/@api/tokens", None, body.as_bytes()).await;
    assert_eq!(r.status, 401, "its refresh token is revoked too");
    let r = request(&server, "DELETE", "/@api/tokens/not-a-token-of-ours", None, b"").await;
    assert_eq!(r.status, 400);
    server.finish().await;
}

#[tokio::test]
async fn a_use_limited_token_cannot_be_overspent_by_concurrent_requests() {
    let server = TestServer::start().await;
    let r = server.login_response(Some(json!({"data": {"attributes": {"uses": 5}}}))).await;
    assert_eq!(r.json()["attributes"]["uses"], 5);
    let bearer = format!("Bearer {}", r.json()["id"].as_str().unwrap());
    let requests = (0..30).map(|_| request(&server, "GET", "/@api/apps", Some(&bearer), b""));
    let statuses: Vec<u16> =
        futures::future::join_all(requests).await.into_iter().map(|r| r.status).collect();
    let allowed = statuses.iter().filter(|s| **s != 401).count();
    assert_eq!(allowed, 5, "{statuses:?}");
    server.finish().await;
}

#[tokio::test]
async fn repeated_failed_logins_get_429_with_retry_after() {
    let server = TestServer::start_with(|c| c.auth.login_failure_limit = 3).await;
    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("admin:wrong password")
    );
    for _ in 0..3 {
        assert_eq!(request(&server, "POST", "/@api/tokens", Some(&wrong), b"").await.status, 401);
    }
    let r = request(&server, "POST", "/@api/tokens", Some(&wrong), b"").await;
    assert_eq!(r.status, 429);
    let retry_after: u64 = r.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    assert_eq!(r.json()["errors"][0]["meta"]["retry_after"], retry_after);
    // The right password is refused too from this address (the limit is per address and name).
    assert_eq!(server.login_response(None).await.status, 429);
    server.finish().await;
}

#[tokio::test]
async fn tokens_and_revocations_survive_a_restart() {
    let mut server = TestServer::start().await;
    let kept = server.token().await;
    let revoked = server.token().await;
    assert_eq!(
        request(&server, "DELETE", &format!("/@api/tokens/{revoked}"), None, b"").await.status,
        204
    );
    server.restart().await;
    assert_ne!(
        request(&server, "GET", "/@api/apps", Some(&format!("Bearer {kept}")), b"").await.status,
        401
    );
    assert_401(
        &request(&server, "GET", "/@api/apps", Some(&format!("Bearer {revoked}")), b"").await,
        "revoked before the restart",
    );
    assert_eq!(server.login_response(None).await.status, 201, "the admin password still works");
    server.finish().await;
}

#[tokio::test]
async fn no_secret_reaches_the_log() {
    let server = TestServer::start().await;
    let login = server.login_response(None).await.json();
    let token = login["id"].as_str().unwrap().to_string();
    let refresh_token = login["attributes"]["refresh_token"].as_str().unwrap().to_string();
    let body = json!({"data": {"attributes": {"refresh_token": refresh_token}}}).to_string();
    let refreshed =
        request(&server, "POST", "/@api/tokens", Some(&format!("Bearer {token}")), body.as_bytes())
            .await
            .json();
    request(&server, "GET", "/@api/apps", Some(&format!("Bearer {token}")), b"").await;
    let wrong = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("admin:a-wrong-password")
    );
    request(&server, "POST", "/@api/tokens", Some(&wrong), b"").await;
    request(&server, "DELETE", &format!("/@api/tokens/{token}"), None, b"").await;
    // The drain is asynchronous: read the log once the last request's line is in it.
    server
        .wait_for_log_line(|l| {
            l.contains("request completed") && l.contains("\"method\":\"DELETE\"")
        })
        .await;
    let log = server.log_text();
    assert!(
        log.contains("token issued") && log.contains("request completed"),
        "the log was captured: {log}"
    );
    let secrets = [
        server.admin_password().to_string(),
        "a-wrong-password".to_string(),
        token.clone(),
        // The signature part alone must not appear either.
        token.rsplit('.').next().unwrap().to_string(),
        refresh_token,
        refreshed["id"].as_str().unwrap().to_string(),
        refreshed["attributes"]["refresh_token"].as_str().unwrap().to_string(),
    ];
    for secret in secrets {
        assert!(!log.contains(&secret), "the log contains a secret: {secret}");
    }
    server.finish().await;
}

#[tokio::test]
async fn the_first_start_writes_the_admin_password_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let server = TestServer::start().await;
    let path = server.server_data_dir().join("initial-admin-password");
    assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), server.admin_password());
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let key = server.server_data_dir().join("jwt-signing.key");
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let dir = std::fs::metadata(server.server_data_dir()).unwrap().permissions().mode();
    assert_eq!(dir & 0o777, 0o700);
    server.finish().await;
}

#[tokio::test]
async fn removing_a_user_from_another_process_revokes_their_tokens_within_seconds() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let bearer = format!("Bearer {token}");
    assert_ne!(request(&server, "GET", "/@api/apps", Some(&bearer), b"").await.status, 401);
    // What `dokku-pro-api user remove admin` does, through its own database connection.
    let minted = mint(&server, &token, json!({})).await.json();
    let minted = format!("Bearer {}", minted["id"].as_str().unwrap());
    assert_ne!(request(&server, "GET", "/@api/apps", Some(&minted), b"").await.status, 401);
    let storage = dokku_pro_server::storage::Storage::open(server.server_data_dir()).unwrap();
    storage.call_blocking(|c| dokku_pro_server::auth::users::remove(c, "admin")).unwrap();
    let mut status = 0;
    for _ in 0..50 {
        status = request(&server, "GET", "/@api/apps", Some(&bearer), b"").await.status;
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 401, "the server noticed the revocation");
    let status = request(&server, "GET", "/@api/apps", Some(&minted), b"").await.status;
    assert_eq!(status, 401, "a token minted from a token of the removed user");
    server.finish().await;
}

/// `{"data":{"type":"tokens","attributes":...}}`
fn tokens_body(attributes: serde_json::Value) -> Vec<u8> {
    json!({"data": {"type": "tokens", "attributes": attributes}}).to_string().into_bytes()
}

/// `POST /tokens` with `parent` as the bearer: a token minted from a token.
async fn mint(server: &TestServer, parent: &str, attributes: serde_json::Value) -> RawResponse {
    let bearer = format!("Bearer {parent}");
    request(server, "POST", "/@api/tokens", Some(&bearer), &tokens_body(attributes)).await
}

/// `POST /tokens` with a refresh token (and more attributes), no credentials.
async fn refresh_with(
    server: &TestServer,
    token: &serde_json::Value,
    mut attributes: serde_json::Value,
) -> RawResponse {
    attributes["refresh_token"] = token["attributes"]["refresh_token"].clone();
    request(server, "POST", "/@api/tokens", None, &tokens_body(attributes)).await
}

/// The status of a token-checked read with `token` (the `id` of a token answer).
async fn read_with(server: &TestServer, token: &serde_json::Value) -> u16 {
    let bearer = format!("Bearer {}", token["id"].as_str().unwrap());
    request(server, "GET", "/@api/apps", Some(&bearer), b"").await.status
}

fn created(r: RawResponse, what: &str) -> serde_json::Value {
    assert_eq!(r.status, 201, "{what}: {}", r.text());
    r.json()
}

fn expiries(token: &serde_json::Value) -> (i64, i64) {
    let a = &token["attributes"];
    (a["access_token_expires"].as_i64().unwrap(), a["refresh_token_expires"].as_i64().unwrap())
}

#[tokio::test]
async fn a_token_minted_from_a_token_is_never_worth_more_than_its_parent() {
    let server = TestServer::start().await;
    let parent = created(
        server.login_response(Some(json!({"data": {"attributes": {"uses": 2}}}))).await,
        "login",
    );
    let (parent_access, _) = expiries(&parent);

    // Without `uses`, the child takes every use the parent has left; the parent keeps none.
    let child = created(mint(&server, parent["id"].as_str().unwrap(), json!({})).await, "mint");
    assert_eq!(child["attributes"]["uses"], 2, "a child of a limited parent is limited");
    let (access, refresh) = expiries(&child);
    assert!(access <= parent_access, "the child's access token outlives its parent's");
    assert!(
        refresh <= parent_access,
        "the child's refresh token outlives its parent's access token"
    );
    assert_eq!(read_with(&server, &parent).await, 401, "the parent's uses went to the child");

    // Refreshing the child keeps the ceiling and the uses.
    let refreshed = created(refresh_with(&server, &child, json!({})).await, "refresh the child");
    assert_eq!(refreshed["attributes"]["uses"], 2);
    let (access, refresh) = expiries(&refreshed);
    assert!(access <= parent_access && refresh <= parent_access, "{refreshed}");
    assert_ne!(read_with(&server, &refreshed).await, 401);
    assert_ne!(read_with(&server, &refreshed).await, 401);
    assert_eq!(read_with(&server, &refreshed).await, 401, "two uses, no more");
    assert_eq!(read_with(&server, &child).await, 401, "the uses moved to the refreshed pair");

    // A limited parent cannot give more uses than it has left, and giving some keeps the rest.
    let parent = created(
        server.login_response(Some(json!({"data": {"attributes": {"uses": 3}}}))).await,
        "login",
    );
    let r = mint(&server, parent["id"].as_str().unwrap(), json!({"uses": 5})).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let child =
        created(mint(&server, parent["id"].as_str().unwrap(), json!({"uses": 1})).await, "mint");
    assert_eq!(child["attributes"]["uses"], 1);
    assert_ne!(read_with(&server, &parent).await, 401);
    assert_ne!(read_with(&server, &parent).await, 401);
    assert_eq!(read_with(&server, &parent).await, 401, "3 uses: one given away, two spent");
    assert_ne!(read_with(&server, &child).await, 401);
    assert_eq!(read_with(&server, &child).await, 401);
    let r = mint(&server, parent["id"].as_str().unwrap(), json!({})).await;
    assert_eq!((r.status, r.error_title().as_str()), (401, "the token has no uses left"));

    // An unlimited parent may mint a limited child, which expires with the parent.
    let parent = created(server.login_response(None).await, "login");
    let child =
        created(mint(&server, parent["id"].as_str().unwrap(), json!({"uses": 4})).await, "mint");
    assert_eq!(child["attributes"]["uses"], 4);
    assert!(expiries(&child).1 <= expiries(&parent).0);
    server.finish().await;
}

#[tokio::test]
async fn logging_out_a_parent_revokes_every_token_minted_from_it() {
    let server = TestServer::start().await;
    let parent = created(server.login_response(None).await, "login");
    let id = |t: &serde_json::Value| t["id"].as_str().unwrap().to_string();
    let child = created(mint(&server, &id(&parent), json!({})).await, "mint");
    let grandchild = created(mint(&server, &id(&child), json!({"uses": 3})).await, "mint");
    let sibling = created(mint(&server, &id(&parent), json!({})).await, "mint");
    let refreshed_child = created(refresh_with(&server, &child, json!({})).await, "refresh");
    for t in [&parent, &child, &grandchild, &sibling, &refreshed_child] {
        assert_ne!(read_with(&server, t).await, 401, "{t}");
    }

    // Logging out a child reaches neither its parent nor its siblings.
    let r = request(&server, "DELETE", &format!("/@api/tokens/{}", id(&sibling)), None, b"").await;
    assert_eq!(r.status, 204);
    assert_eq!(read_with(&server, &sibling).await, 401);
    let r = refresh_with(&server, &sibling, json!({})).await;
    assert_eq!((r.status, r.error_title().as_str()), (401, "the token has been revoked"));
    assert_ne!(read_with(&server, &parent).await, 401, "a refresh after logout is no replay");
    assert_ne!(read_with(&server, &refreshed_child).await, 401);

    // Logging out the parent revokes everything minted from it, refreshed or not.
    let r = request(&server, "DELETE", &format!("/@api/tokens/{}", id(&parent)), None, b"").await;
    assert_eq!(r.status, 204);
    for (what, t) in [
        ("parent", &parent),
        ("child", &child),
        ("grandchild", &grandchild),
        ("refreshed child", &refreshed_child),
    ] {
        assert_401(
            &request(&server, "GET", "/@api/apps", Some(&format!("Bearer {}", id(t))), b"").await,
            what,
        );
    }
    let r = refresh_with(&server, &refreshed_child, json!({})).await;
    assert_eq!(r.status, 401, "the refresh token of a revoked child: {}", r.text());
    let r = refresh_with(&server, &grandchild, json!({})).await;
    assert_eq!(r.status, 401, "the refresh token of a revoked grandchild: {}", r.text());
    let r = mint(&server, &id(&child), json!({})).await;
    assert_eq!((r.status, r.error_title().as_str()), (401, "the token has been revoked"));
    server.finish().await;
}

#[tokio::test]
async fn a_replayed_refresh_token_revokes_the_tokens_minted_in_its_family() {
    let server = TestServer::start().await;
    let id = |t: &serde_json::Value| t["id"].as_str().unwrap().to_string();
    let login = created(server.login_response(None).await, "login");
    let refreshed = created(refresh_with(&server, &login, json!({})).await, "refresh");
    let child = created(mint(&server, &id(&refreshed), json!({})).await, "mint");
    let grandchild = created(mint(&server, &id(&child), json!({"uses": 5})).await, "mint");
    let refreshed_child = created(refresh_with(&server, &child, json!({})).await, "refresh");
    for t in [&refreshed, &grandchild, &refreshed_child] {
        assert_ne!(read_with(&server, t).await, 401, "{t}");
    }

    // The login's refresh token was spent: presenting it again revokes the whole family,
    // tokens minted from its tokens included.
    let r = refresh_with(&server, &login, json!({})).await;
    assert_eq!(r.status, 401);
    assert!(r.error_title().contains("already used"), "{}", r.error_title());
    for (what, t) in [
        ("refreshed", &refreshed),
        ("grandchild", &grandchild),
        ("refreshed child", &refreshed_child),
    ] {
        assert_eq!(read_with(&server, t).await, 401, "{what} survived the replay");
    }
    let r = refresh_with(&server, &refreshed_child, json!({})).await;
    assert_eq!(r.status, 401, "{}", r.text());
    server.finish().await;
}

#[tokio::test]
async fn refreshing_a_use_limited_pair_keeps_its_limit() {
    let server = TestServer::start().await;
    let first = created(
        server.login_response(Some(json!({"data": {"attributes": {"uses": 3}}}))).await,
        "login",
    );
    assert_ne!(read_with(&server, &first).await, 401);
    let second = created(refresh_with(&server, &first, json!({})).await, "refresh");
    assert_eq!(second["attributes"]["uses"], 2, "the uses left, not unlimited");
    assert_eq!(read_with(&server, &first).await, 401, "the old access token's uses moved");

    // `uses` may lower the limit, never raise it; a refused refresh spends nothing.
    let r = refresh_with(&server, &second, json!({"uses": 5})).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let third = created(refresh_with(&server, &second, json!({"uses": 1})).await, "refresh lower");
    assert_eq!(third["attributes"]["uses"], 1);
    assert_ne!(read_with(&server, &third).await, 401);
    assert_eq!(read_with(&server, &third).await, 401);

    // A pair with no uses left cannot be refreshed into one with more.
    let r = refresh_with(&server, &third, json!({})).await;
    assert_eq!((r.status, r.error_title().as_str()), (401, "the token has no uses left"));
    server.finish().await;
}

/// Sends one request from `source` (any 127.0.0.0/8 address reaches the loopback listener), so
/// the server sees another client address.
async fn request_from(
    server: &TestServer,
    source: std::net::IpAddr,
    authorization: &str,
) -> RawResponse {
    forwarded_request_from(server, source, None, authorization).await
}

/// A login from `source`, with an `X-Forwarded-For` header when `forwarded_for` is given.
async fn forwarded_request_from(
    server: &TestServer,
    source: std::net::IpAddr,
    forwarded_for: Option<&str>,
    authorization: &str,
) -> RawResponse {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(std::net::SocketAddr::new(source, 0)).unwrap();
    let mut stream = socket.connect(server.server_addr()).await.unwrap();
    let forwarded = forwarded_for.map(|f| format!("x-forwarded-for: {f}\r\n")).unwrap_or_default();
    let head = format!(
        "POST /@api/tokens HTTP/1.1\r\nhost: {}\r\nauthorization: {authorization}\r\n\
         {forwarded}content-length: 0\r\nconnection: close\r\n\r\n",
        server.server_addr()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    stream.read_to_end(&mut received).await.unwrap();
    dokku_pro_tests::harness::parse_response(&received)
}

#[tokio::test]
async fn an_attack_on_a_user_name_does_not_lock_out_the_owner_at_another_address() {
    let server = TestServer::start_with(|c| c.auth.login_failure_limit = 3).await;
    let basic = |password: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("admin:{password}"))
        )
    };
    let attacker: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    let owner: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(request_from(&server, attacker, &basic("a wrong guess")).await.status);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429, 429, 429, 429]);
    // The attacker's address is refused even with the right password ...
    let r = request_from(&server, attacker, &basic(server.admin_password())).await;
    assert_eq!(r.status, 429, "{}", r.text());
    // ... while the owner, elsewhere, logs in.
    let r = request_from(&server, owner, &basic(server.admin_password())).await;
    assert_eq!(r.status, 201, "the owner is locked out by someone else's failures: {}", r.text());
    server.finish().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_limits_key_on_the_forwarded_client() {
    let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    let server = TestServer::start_with(|c| {
        c.auth.login_failure_limit = 3;
        c.http.trusted_proxies = vec![proxy];
    })
    .await;
    let basic = |password: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("admin:{password}"))
        )
    };
    // An attacker behind the proxy, who also forges an address of their own in front.
    let attacker = Some("198.51.100.66, 203.0.113.9");
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = forwarded_request_from(&server, proxy, attacker, &basic("a wrong guess")).await;
        statuses.push(r.status);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    // The forged entry is the attacker's own word: the limit holds for what the proxy saw.
    let r = forwarded_request_from(&server, proxy, Some("203.0.113.9"), &basic("x")).await;
    assert_eq!(r.status, 429, "{}", r.text());
    // The owner, behind the same proxy, logs in ...
    let r =
        forwarded_request_from(&server, proxy, Some("192.0.2.10"), &basic(server.admin_password()))
            .await;
    assert_eq!(r.status, 201, "the owner is locked out through the proxy: {}", r.text());
    // ... and a peer that is not a trusted proxy cannot choose its address with the header.
    let other: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    let mut statuses = Vec::new();
    for n in 0..5 {
        let claimed = format!("192.0.2.{}", 100 + n);
        let r = forwarded_request_from(&server, other, Some(&claimed), &basic("nope")).await;
        statuses.push(r.status);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    server.finish().await;
}
