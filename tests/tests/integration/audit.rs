//! The audit log, end to end: what a mutation records (and a failed one, a login, a logout),
//! that reads record nothing, that no secret reaches the database, `GET /audit`'s filters and
//! cursor pages, a failed audit write that leaves the request alone, and retention at start.

use std::time::Duration;

use base64::Engine as _;
use dokku_pro_server::audit::Event;
use dokku_pro_server::storage::{Storage, StorageError};
use dokku_pro_tests::harness::{RawResponse, TestServer, base64_encode};
use serde_json::{Value, json};

/// The `jti` of an access token (its payload, unverified: the test only reads it).
fn jti(token: &str) -> String {
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap();
    serde_json::from_slice::<Value>(&bytes).unwrap()["jti"].as_str().unwrap().to_string()
}

/// `GET /audit?query`: its `data` (after checking the status) and the whole body.
async fn audit(server: &TestServer, bearer: &str, query: &str) -> (Vec<Value>, Value) {
    let r = server.api(bearer, "GET", &format!("/@api/audit{query}"), None).await;
    assert_eq!(r.status, 200, "{query}: {}", r.text());
    let body = r.json();
    (body["data"].as_array().unwrap().clone(), body)
}

fn attributes(events: &[Value]) -> Vec<&Value> {
    events.iter().map(|e| &e["attributes"]).collect()
}

fn operations(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["attributes"]["operation"].as_str().unwrap().to_string()).collect()
}

async fn login_as(server: &TestServer, user: &str, password: &str) -> RawResponse {
    let basic = format!("Basic {}", base64_encode(format!("{user}:{password}").as_bytes()));
    server.raw("POST", "/@api/tokens", &[("authorization", &basic)], b"").await
}

fn app_body(name: &str) -> Value {
    json!({"data": {"type": "apps", "id": name}})
}

#[tokio::test]
async fn a_mutation_is_recorded_with_who_what_and_how_it_ended() {
    let server = TestServer::start().await;
    let before = std::time::SystemTime::now();
    let login = server.login_response(None).await;
    assert_eq!(login.status, 201);
    let token = login.json()["id"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {token}");
    let add_app = server.api(&bearer, "POST", "/@api/apps", Some(app_body("web"))).await;
    assert_eq!(add_app.status, 201, "{}", add_app.text());
    let env = json!({"data": {"type": "envs", "attributes":
        {"app_id": "web", "key": "GREETING", "value": "hello world"}}});
    let add_env = server.api(&bearer, "POST", "/@api/envs", Some(env)).await;
    assert_eq!(add_env.status, 202, "{}", add_env.text());
    let job = add_env.header("content-location").unwrap().rsplit('/').next().unwrap().to_string();

    let (events, body) = audit(&server, &bearer, "").await;
    assert!(body.get("links").is_none(), "one page: {body}");
    assert_eq!(operations(&events), ["addEnv", "addApp", "login"], "newest first");
    let [env, app, login] = attributes(&events)[..] else { unreachable!() };
    assert_eq!(
        *env,
        json!({
            "time": env["time"], "duration_ms": env["duration_ms"],
            "user": "admin", "token_id": jti(&token), "operation": "addEnv", "method": "POST",
            "app": "web", "resource": "web:GREETING",
            "request_id": add_env.header("x-request-id").unwrap(),
            "status": 202, "job_id": job, "client": "127.0.0.1",
        })
    );
    assert_eq!(
        *app,
        json!({
            "time": app["time"], "duration_ms": app["duration_ms"],
            "user": "admin", "token_id": jti(&token), "operation": "addApp", "method": "POST",
            "app": "web", "request_id": add_app.header("x-request-id").unwrap(),
            "status": 201, "client": "127.0.0.1",
        })
    );
    // A login carries no token; its object is the token it issued (by id).
    assert_eq!(
        *login,
        json!({
            "time": login["time"], "duration_ms": login["duration_ms"],
            "user": "admin", "operation": "login", "method": "POST", "resource": jti(&token),
            "request_id": login["request_id"], "status": 201, "client": "127.0.0.1",
        })
    );
    let ids: Vec<i64> = events.iter().map(|e| e["id"].as_str().unwrap().parse().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    for e in attributes(&events) {
        let time = chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap()).unwrap();
        let since = before.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
        assert!(time.timestamp_millis() >= since - 1000, "{e}");
        assert!(e["duration_ms"].as_i64().unwrap() >= 0);
    }
    server.finish().await;
}

#[tokio::test]
async fn failed_mutations_logins_and_logouts_are_recorded_too() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let bearer = format!("Bearer {token}");
    // No credentials: who is unknown.
    let r = server
        .raw(
            "POST",
            "/@api/apps",
            &[("content-type", "application/json")],
            &serde_json::to_vec(&app_body("web")).unwrap(),
        )
        .await;
    assert_eq!(r.status, 401);
    // Refused by Dokku (the app does not exist) and in conflict.
    assert_eq!(server.api(&bearer, "DELETE", "/@api/envs/nope:KEY", None).await.status, 404);
    assert_eq!(server.api(&bearer, "POST", "/@api/apps", Some(app_body("web"))).await.status, 201);
    assert_eq!(server.api(&bearer, "POST", "/@api/apps", Some(app_body("web"))).await.status, 409);
    // An invalid id in the path, before anything reaches Dokku.
    assert_eq!(
        server.api(&bearer, "DELETE", "/@api/envs/web:not%20a%20key", None).await.status,
        400
    );
    // A failed login records the name it tried.
    assert_eq!(login_as(&server, "mallory", "guess").await.status, 401);
    // Logging out: the token in the path is recorded by its id only.
    let other = server.token().await;
    let r = server.raw("DELETE", &format!("/@api/tokens/{other}"), &[], b"").await;
    assert_eq!(r.status, 204);
    let r = server.raw("DELETE", "/@api/tokens/not-a-token", &[], b"").await;
    assert_eq!(r.status, 400);

    let (events, _) = audit(&server, &bearer, "").await;
    let summary: Vec<Value> = attributes(&events)
        .iter()
        .map(|e| {
            json!([e["operation"], e["status"], e["user"], e["token_id"], e["app"], e["resource"]])
        })
        .collect();
    let me = jti(&token);
    assert_eq!(
        summary,
        [
            json!(["logout", 400, null, null, null, null]),
            json!(["logout", 204, "admin", jti(&other), null, jti(&other)]),
            json!(["login", 201, "admin", null, null, jti(&other)]),
            json!(["login", 401, "mallory", null, null, null]),
            json!(["deleteEnv", 400, "admin", me, "web", "web:not a key"]),
            json!(["addApp", 409, "admin", me, "web", null]),
            json!(["addApp", 201, "admin", me, "web", null]),
            json!(["deleteEnv", 404, "admin", me, "nope", "nope:KEY"]),
            // Refused before the body was read: the app it named is not known.
            json!(["addApp", 401, null, null, null, null]),
            json!(["login", 201, "admin", null, null, me]),
        ]
    );
    server.finish().await;
}

#[tokio::test]
async fn changes_refused_before_their_handler_ran_are_recorded_too() {
    let server = TestServer::start().await;
    let token = server.token().await;
    let bearer = format!("Bearer {token}");
    let send = |method: &'static str, path: &'static str, body: Vec<u8>| {
        let server = &server;
        let bearer = bearer.clone();
        async move {
            let headers =
                [("authorization", bearer.as_str()), ("content-type", "application/json")];
            server.raw(method, path, &headers, &body).await
        }
    };
    // Not JSON (dropshot refuses it), the wrong shape and too large (the front door does).
    let unparsable = send("POST", "/@api/apps", b"{\"data\":".to_vec()).await;
    assert_eq!(unparsable.status, 400, "{}", unparsable.text());
    let shape = br#"{"data":{"attributes":["web","KEY","a secret value"]}}"#.to_vec();
    let wrong_shape = send("POST", "/@api/envs", shape).await;
    assert_eq!(wrong_shape.status, 400, "{}", wrong_shape.text());
    let large = send("POST", "/@api/domains", vec![b' '; 300 * 1024]).await;
    assert_eq!(large.status, 413, "{}", large.text());
    let refresh = br#"{"data":{"attributes":{"refresh_token":7}}}"#.to_vec();
    let basic = format!("Basic {}", base64_encode(b"admin:not the password"));
    let headers = [("authorization", basic.as_str()), ("content-type", "application/json")];
    let bad_login = server.raw("POST", "/@api/tokens", &headers, &refresh).await;
    assert_eq!(bad_login.status, 400, "{}", bad_login.text());
    // No operation there: nothing to record.
    assert_eq!(send("POST", "/@api/nowhere", b"{}".to_vec()).await.status, 404);
    assert_eq!(send("PUT", "/@api/apps", b"{}".to_vec()).await.status, 405);

    let (events, _) = audit(&server, &bearer, "").await;
    let summary: Vec<Value> = attributes(&events)
        .iter()
        .map(|e| {
            json!([
                e["operation"],
                e["method"],
                e["status"],
                e["user"],
                e["token_id"],
                e["request_id"]
            ])
        })
        .collect();
    let me = jti(&token);
    let id = |r: &RawResponse| r.header("x-request-id").unwrap().to_string();
    assert_eq!(
        summary,
        [
            json!(["login", "POST", 400, "admin", null, id(&bad_login)]),
            json!(["addDomain", "POST", 413, "admin", me, id(&large)]),
            json!(["addEnv", "POST", 400, "admin", me, id(&wrong_shape)]),
            json!(["addApp", "POST", 400, "admin", me, id(&unparsable)]),
            json!(["login", "POST", 201, "admin", null, events[4]["attributes"]["request_id"]]),
        ]
    );
    server.finish().await;
}

#[tokio::test]
async fn reads_are_not_recorded() {
    let server = TestServer::start().await;
    let bearer = server.bearer().await;
    assert_eq!(server.api(&bearer, "POST", "/@api/apps", Some(app_body("web"))).await.status, 201);
    for path in [
        "/@api/apps",
        "/@api/apps/web",
        "/@api/apps/web/envs",
        "/@api/queueJobs",
        "/@api/health",
        "/@api/audit",
    ] {
        assert_eq!(server.api(&bearer, "GET", path, None).await.status, 200, "{path}");
    }
    let (events, _) = audit(&server, &bearer, "").await;
    assert_eq!(operations(&events), ["addApp", "login"]);
    server.finish().await;
}

#[tokio::test]
async fn no_secret_reaches_the_database() {
    let server = TestServer::start().await;
    let login = server.login_response(None).await.json();
    let token = login["id"].as_str().unwrap().to_string();
    let refresh = login["attributes"]["refresh_token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {token}");
    assert_eq!(server.api(&bearer, "POST", "/@api/apps", Some(app_body("web"))).await.status, 201);
    let env_value = "env-value-4f1d9c-never-stored";
    let env = json!({"data": {"type": "envs", "attributes":
        {"app_id": "web", "key": "DATABASE_PASSWORD", "value": env_value}}});
    assert_eq!(server.api(&bearer, "POST", "/@api/envs", Some(env)).await.status, 202);
    let http_password = "http-auth-pw-8e2a7b-never-stored";
    let user = json!({"data": {"type": "httpAuthUsers", "attributes":
        {"app_id": "web", "username": "deploy", "password": http_password}}});
    assert_eq!(server.api(&bearer, "POST", "/@api/httpAuthUsers", Some(user)).await.status, 201);
    let buildpack_password = "buildpack-pw-3c5d-never-stored";
    let buildpack = json!({"data": {"type": "buildpacks", "attributes": {"app_id": "web",
        "buildpack": format!("https://bob:{buildpack_password}@git.example.com/bp.git")}}});
    assert_eq!(server.api(&bearer, "POST", "/@api/buildpacks", Some(buildpack)).await.status, 202);
    // A refresh (the refresh token in the body) and a logout (the access token in the path).
    let body = json!({"data": {"type": "tokens", "attributes": {"refresh_token": refresh}}});
    let refreshed = server
        .raw(
            "POST",
            "/@api/tokens",
            &[("content-type", "application/json")],
            body.to_string().as_bytes(),
        )
        .await;
    assert_eq!(refreshed.status, 201, "{}", refreshed.text());
    let new_token = refreshed.json()["id"].as_str().unwrap().to_string();
    assert_eq!(server.raw("DELETE", &format!("/@api/tokens/{token}"), &[], b"").await.status, 204);
    // The logout ended the refreshed session too: a new login reads the log.
    let (events, _) = audit(&server, &server.bearer().await, "").await;
    assert_eq!(
        operations(&events),
        [
            "login",
            "logout",
            "login",
            "addBuildpack",
            "addHTTPAuthUser",
            "addEnv",
            "addApp",
            "login"
        ]
    );
    assert_eq!(
        events[3]["attributes"]["resource"],
        "web:https://<redacted>@git.example.com/bp.git"
    );

    let mut stored = Vec::new();
    for name in ["dokku-pro-api.db", "dokku-pro-api.db-wal"] {
        stored.extend(std::fs::read(server.server_data_dir().join(name)).unwrap_or_default());
    }
    let contains = |needle: &str| stored.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(contains("web:DATABASE_PASSWORD"), "the events are in the files read");
    for secret in [
        env_value,
        http_password,
        buildpack_password,
        server.admin_password(),
        &token,
        &new_token,
        &refresh,
        refreshed.json()["attributes"]["refresh_token"].as_str().unwrap(),
    ] {
        assert!(!contains(secret), "{secret} is in the database");
    }
    server.finish().await;
}

#[tokio::test]
async fn the_listing_filters_and_pages_with_a_cursor_that_survives_new_events() {
    let server = TestServer::start().await;
    let bearer = server.bearer().await;
    for app in ["a1", "a2", "a3", "a4", "a5"] {
        assert_eq!(
            server.api(&bearer, "POST", "/@api/apps", Some(app_body(app))).await.status,
            201
        );
        // Distinct arrival times, for the time filters.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let storage = Storage::open(server.server_data_dir()).unwrap();
    storage
        .call_blocking(|c| dokku_pro_server::auth::users::add(c, "bob", "bob's long password"))
        .unwrap();
    let bob = login_as(&server, "bob", "bob's long password").await.json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bob = format!("Bearer {bob}");
    assert_eq!(server.api(&bob, "POST", "/@api/apps", Some(app_body("b1"))).await.status, 201);
    assert_eq!(login_as(&server, "nobody", "wrong").await.status, 401);

    let apps = |events: &[Value]| -> Vec<String> {
        events.iter().map(|e| e["attributes"]["app"].as_str().unwrap_or("-").to_string()).collect()
    };
    let (all, _) = audit(&server, &bearer, "").await;
    assert_eq!(apps(&all), ["-", "b1", "-", "a5", "a4", "a3", "a2", "a1", "-"]);
    let (events, _) = audit(&server, &bearer, "?app=a3").await;
    assert_eq!(apps(&events), ["a3"]);
    let (events, _) = audit(&server, &bearer, "?user=bob").await;
    assert_eq!(operations(&events), ["addApp", "login"]);
    let (events, _) = audit(&server, &bearer, "?user=nobody").await;
    assert_eq!(attributes(&events)[0]["status"], 401);
    let time = |i: usize| all[i]["attributes"]["time"].as_str().unwrap().to_string();
    // a2 and a3: from a2's time (included) to a4's (excluded); a '+' offset is encoded.
    let (a4, a2) = (time(4), time(6));
    let query = serde_urlencoded::to_string([("since", &a2), ("until", &a4)]).unwrap();
    let (events, _) = audit(&server, &bearer, &format!("?{query}")).await;
    assert_eq!(apps(&events), ["a3", "a2"]);
    // Unix seconds too.
    let hour_ago = chrono::DateTime::parse_from_rfc3339(&a4).unwrap().timestamp() - 3600;
    let (events, _) = audit(&server, &bearer, &format!("?since={hour_ago}&user=admin")).await;
    assert_eq!(apps(&events), ["a5", "a4", "a3", "a2", "a1", "-"]);
    let (events, _) = audit(&server, &bearer, &format!("?until={hour_ago}")).await;
    assert!(events.is_empty());

    // Pages of two, with a new event arriving after the first page: the pages go on where they
    // left off, nothing repeated or skipped, and the filters carry over.
    let (page, body) = audit(&server, &bearer, "?user=admin&limit=2").await;
    assert_eq!(apps(&page), ["a5", "a4"]);
    assert_eq!(server.api(&bearer, "POST", "/@api/apps", Some(app_body("late"))).await.status, 201);
    let mut seen = apps(&page);
    let mut next = body["links"]["next"].as_str().unwrap().to_string();
    assert!(next.starts_with("/@api/audit?cursor=") && next.contains("user=admin"), "{next}");
    loop {
        let query = next.strip_prefix("/@api/audit").unwrap().to_string();
        let (page, body) = audit(&server, &bearer, &query).await;
        assert!(page.len() <= 2);
        seen.extend(apps(&page));
        match body["links"]["next"].as_str() {
            Some(n) => next = n.to_string(),
            None => break,
        }
    }
    assert_eq!(seen, ["a5", "a4", "a3", "a2", "a1", "-"]);

    for (query, title) in [
        ("limit=0", "invalid limit \"0\": use a whole number from 1 to 500"),
        ("limit=501", "invalid limit \"501\": use a whole number from 1 to 500"),
        ("cursor=42", "invalid cursor \"42\": use the one in `links.next` of the previous page"),
        (
            "since=yesterday",
            "invalid since: \"yesterday\" is not a time: use RFC 3339 (2025-01-31T12:00:00Z) or Unix seconds",
        ),
        ("until=2025-13-01T00:00:00Z", ""),
        ("app=", ""),
        ("user=", ""),
    ] {
        let r = server.api(&bearer, "GET", &format!("/@api/audit?{query}"), None).await;
        assert_eq!(r.status, 400, "{query}: {}", r.text());
        if !title.is_empty() {
            assert_eq!(r.error_title(), title, "{query}");
        }
    }
    let r = server.raw("GET", "/@api/audit", &[], b"").await;
    assert_eq!(r.status, 401);
    server.finish().await;
}

#[tokio::test]
async fn a_failed_audit_write_leaves_the_request_alone_and_is_logged() {
    let server = TestServer::start().await;
    let bearer = server.bearer().await;
    let storage = Storage::open(server.server_data_dir()).unwrap();
    storage
        .call_blocking(|c| c.execute_batch("DROP TABLE audit_events").map_err(StorageError::from))
        .unwrap();
    let r = server.api(&bearer, "POST", "/@api/apps", Some(app_body("web"))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let request_id = r.header("x-request-id").unwrap().to_string();
    // The listing cannot read the table either; it flushes first, so the event was handled.
    assert_eq!(server.api(&bearer, "GET", "/@api/audit", None).await.status, 500);
    let line = server
        .wait_for_log_line(|l| l.contains("audit event not recorded") && l.contains(&request_id))
        .await;
    let line: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(line["level"], 50, "error level: {line}");
    assert_eq!((&line["operation"], &line["app"]), (&json!("addApp"), &json!("web")), "{line}");
    assert_eq!(line["status"].to_string().trim_matches('"'), "201", "{line}");
    server.finish().await;
}

#[tokio::test]
async fn old_events_and_finished_jobs_are_deleted_at_start_and_nothing_recent_or_waiting() {
    const DAY_MS: i64 = 24 * 3600 * 1000;
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
            as i64;
    let mut jobs = Vec::new();
    let server = TestServer::start_with(|config| {
        config.audit.retention_days = 10;
        config.jobs.retention_days = 5;
        dokku_pro_server::create_data_dir(&config.data_dir).unwrap();
        let storage = Storage::open(&config.data_dir).unwrap();
        let event = |days: i64, app: &str| Event {
            at_ms: now - days * DAY_MS,
            operation: "addApp".into(),
            method: "POST".into(),
            app: Some(app.into()),
            request_id: app.into(),
            status: 201,
            ..Event::default()
        };
        let events = [event(11, "old"), event(9, "recent")];
        storage.call_blocking(|c| dokku_pro_server::audit::store::insert(c, &events)).unwrap();
        for (state, finished_days_ago) in
            [("completed", Some(6)), ("failed", Some(4)), ("pending", None)]
        {
            let finished = finished_days_ago
                .map_or("NULL".to_string(), |d: i64| (now - d * DAY_MS).to_string());
            let id = storage
                .call_blocking(|c| {
                    c.execute(
                        &format!(
                            "INSERT INTO jobs (internal_id, app, kind, action, command, state,
                                status_message, run_after, created_at, updated_at, finished_at)
                             VALUES ('{state}', 'gone', 'restart', '{{\"kind\":\"restart\"}}', '[]',
                                '{state}', '', 0, {old}, {old}, {finished})",
                            old = now - 7 * DAY_MS,
                        ),
                        [],
                    )?;
                    Ok::<_, StorageError>(c.last_insert_rowid())
                })
                .unwrap();
            jobs.push(id);
        }
    })
    .await;
    let bearer = server.bearer().await;
    let mut left = Vec::new();
    for _ in 0..100 {
        let (all, _) = audit(&server, &bearer, "").await;
        left = all
            .iter()
            .map(|e| e["attributes"]["request_id"].as_str().unwrap().to_string())
            .filter(|id| id == "old" || id == "recent")
            .collect();
        if left == ["recent"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(left, ["recent"], "the old event goes, the recent one stays");
    let status = |id: i64| {
        let server = &server;
        let bearer = &bearer;
        async move { server.api(bearer, "GET", &format!("/@api/queueJobs/{id}"), None).await.status }
    };
    assert_eq!(status(jobs[0]).await, 404, "completed 6 days ago: deleted");
    assert_eq!(status(jobs[1]).await, 200, "failed 4 days ago: kept");
    assert_eq!(status(jobs[2]).await, 200, "queued a week ago and not finished then: kept");
    server.finish().await;
}
