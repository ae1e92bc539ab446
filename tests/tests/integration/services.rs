//! Datastores and services: listing with `fields`/`include`, create, get by bare or qualified
//! id, delete, link and unlink, through the generated client and raw requests; every response is
//! checked against the seed by the harness, and the Dokku calls are counted on the simulated host.

use dokku_pro_tests::client::types;
use dokku_pro_tests::harness::TestServer;
use serde_json::{Value, json};

const APP: &str = "node-js-app";

/// The datastores the simulated host has installed, in the order they are listed.
const INSTALLED: [&str; 4] = ["mongo", "mysql", "postgres", "redis"];

async fn server_with_app() -> (TestServer, String) {
    let server = TestServer::start().await;
    let out = server.sim().run(&["apps:create", APP], None);
    assert!(matches!(out, dokku_sim::SimOutcome::Completed(ref o) if o.status == 0));
    let bearer = format!("Bearer {}", server.token().await);
    server.sim().clear_invocations();
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

/// Like [`call`], but through the validating proxy: `raw` would check the response against the
/// route of the whole `path?query` string, which names no route.
async fn get(server: &TestServer, bearer: &str, path_and_query: &str) -> (u16, Value) {
    let base = server.base_url();
    let url = format!("{}{}", base.trim_end_matches("/@api"), path_and_query);
    let r = reqwest::Client::new().get(url).header("authorization", bearer).send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.bytes().await.unwrap();
    let json = if body.is_empty() { Value::Null } else { serde_json::from_slice(&body).unwrap() };
    (status, json)
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

fn create_body(id: &str) -> Value {
    json!({"data": {"type": "services", "id": id}})
}

async fn create(server: &TestServer, bearer: &str, id: &str) {
    let (status, body) =
        call(server, bearer, "POST", "/@api/services", Some(create_body(id))).await;
    assert_eq!(status, 201, "{id}: {body}");
}

fn link_body(ids: &[&str]) -> Value {
    json!({"data": ids.iter().map(|id| json!({"type": "services", "id": id})).collect::<Vec<_>>()})
}

/// `(service_type, id)` of each listed service.
fn listed(body: &Value) -> Vec<(String, String)> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["attributes"]["service_type"].as_str().unwrap().to_string(),
                s["id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn attribute_names(service: &Value) -> Vec<String> {
    let mut names: Vec<String> =
        service["attributes"].as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

fn count(calls: &[Vec<String>], pred: impl Fn(&[String]) -> bool) -> usize {
    calls.iter().filter(|c| pred(c)).count()
}

#[tokio::test]
async fn datastores_are_the_installed_official_plugins_in_one_call() {
    let (server, _) = server_with_app().await;
    let client = server.client().await;
    server.sim().clear_invocations();
    let datastores = client.get_datastores().send().await.unwrap();
    let names: Vec<&str> = datastores.data.iter().map(|d| d.id.as_deref().unwrap()).collect();
    assert_eq!(names, INSTALLED);
    let first = &datastores.data[0];
    assert_eq!(first.type_, Some(types::DatastoreType::Datastores));
    assert_eq!(first.attributes.as_ref().unwrap().id.as_deref(), Some("mongo"));
    assert_eq!(dokku_calls(&server), [["plugin:list", "--format", "json"]]);
    server.finish().await;

    // Before 0.38.22 `plugin:list` has no JSON form: the text table is read instead.
    let server = TestServer::start_with(|c| c.host.sim.version = "0.38.21".into()).await;
    let bearer = format!("Bearer {}", server.token().await);
    server.sim().clear_invocations();
    let (status, body) = call(&server, &bearer, "GET", "/@api/datastores", None).await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> =
        body["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(names, INSTALLED);
    assert_eq!(dokku_calls(&server), [["plugin:list"]]);
    server.finish().await;
}

#[tokio::test]
async fn create_answers_201_with_the_service_and_refuses_bad_ids_before_dokku() {
    let (server, bearer) = server_with_app().await;
    let client = server.client().await;
    server.sim().clear_invocations();

    let body = types::AddServiceBody {
        data: Some(types::ServiceCreate {
            attributes: Default::default(),
            id: Some("postgres:lollipop".into()),
            type_: Some(types::ServiceCreateType::Services),
        }),
    };
    let created = client.add_service().body(body).send().await.unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let service = created.data.as_ref().unwrap();
    assert_eq!(service.id.as_deref(), Some("lollipop"));
    assert_eq!(service.type_, Some(types::ServiceType::Services));
    let a = service.attributes.as_ref().unwrap();
    assert_eq!(a.service_type.as_deref(), Some("postgres"));
    assert!(a.dsn.as_deref().unwrap().starts_with("postgres://postgres:"), "{:?}", a.dsn);
    assert_eq!(a.status.as_deref(), Some("running"));
    assert_eq!(a.image.as_deref(), Some("postgres:18.4"));
    assert_eq!(a.service_dir.as_deref(), Some("/var/lib/dokku/services/postgres/lollipop"));
    assert_eq!(a.config_dir.as_deref(), Some("/var/lib/dokku/services/postgres/lollipop/data"));
    assert_eq!(a.container_id.as_ref().map(String::len), Some(64));
    // Empty values are omitted: no links, no config options, no exposed ports.
    assert!(a.links.is_empty() && a.exposed_ports.is_empty() && a.config_options.is_none());
    assert_eq!(
        dokku_calls(&server),
        [vec!["postgres:create", "lollipop"], vec!["postgres:info", "lollipop"]]
    );

    // The same id again: 409 with Dokku's message.
    let (status, body) =
        call(&server, &bearer, "POST", "/@api/services", Some(create_body("postgres:lollipop")))
            .await;
    assert_eq!((status, title(&body)), (409, "Postgres service lollipop already exists"));
    // The same name on another datastore is a different service.
    create(&server, &bearer, "redis:lollipop").await;

    // An image for the new service.
    let (status, body) = call(
        &server,
        &bearer,
        "POST",
        "/@api/services",
        Some(json!({"data": {"type": "services", "id": "postgres:pg16", "attributes": {"image": "postgres:16"}}})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["attributes"]["image"], "postgres:16");
    server.sim().clear_invocations();

    // A datastore plugin that is official but not installed: Dokku says the command is unknown.
    let (status, body) =
        call(&server, &bearer, "POST", "/@api/services", Some(create_body("clickhouse:x"))).await;
    assert_eq!(status, 400);
    assert!(title(&body).contains("clickhouse is not installed"), "{body}");
    assert_eq!(dokku_calls(&server).len(), 1);

    // Everything else is refused before Dokku.
    let bad: [(Value, &str); 9] = [
        (create_body("foo:x"), "unknown datastore \"foo\""),
        (create_body("lollipop"), "expected `datastore:name`"),
        (create_body("postgres:a.b"), "invalid service name \"a.b\""),
        (create_body("postgres:-n"), "invalid service name \"-n\""),
        (create_body("postgres:"), "invalid service name \"\""),
        (json!({"data": {"type": "services"}}), "`data.id` is required"),
        (json!({}), "the body needs `data`"),
        (
            json!({"data": {"id": "postgres:x", "attributes": {"password": "hunter2"}}}),
            "unsupported service attribute \"password\"",
        ),
        (
            json!({"data": {"id": "postgres:x", "attributes": {"image": "pg@sha256:abc"}}}),
            "invalid image",
        ),
    ];
    for (body, expected) in bad {
        let (status, answer) =
            call(&server, &bearer, "POST", "/@api/services", Some(body.clone())).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(title(&answer).contains(expected), "{body}: {answer}");
    }
    let (status, _) = call(
        &server,
        &bearer,
        "POST",
        "/@api/services",
        Some(json!({"data": {"type": "apps", "id": "postgres:x"}})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(dokku_calls(&server), Vec::<Vec<String>>::new());
    server.finish().await;
}

#[tokio::test]
async fn listing_costs_one_info_per_service_and_fields_select_attributes() {
    let (server, bearer) = server_with_app().await;
    for id in ["postgres:a", "postgres:b", "redis:c"] {
        create(&server, &bearer, id).await;
    }
    server.sim().clear_invocations();

    // N = 3 services on P = 4 datastores: 1 + P + N invocations.
    let (status, body) = call(&server, &bearer, "GET", "/@api/services", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        listed(&body),
        [
            ("postgres".into(), "a".into()),
            ("postgres".into(), "b".into()),
            ("redis".into(), "c".into())
        ]
    );
    let all = attribute_names(&body["data"][0]);
    assert_eq!(
        all,
        [
            "config_dir",
            "container_id",
            "data_dir",
            "dsn",
            "image",
            "internal_ip",
            "service_dir",
            "service_type",
            "status"
        ]
    );
    let calls = dokku_calls(&server);
    assert_eq!(calls.len(), 1 + 4 + 3, "{calls:?}");
    assert_eq!(count(&calls, |c| c == ["plugin:list", "--format", "json"]), 1);
    for ds in INSTALLED {
        assert_eq!(count(&calls, |c| c == ["--quiet", &format!("{ds}:list")]), 1, "{calls:?}");
    }
    assert_eq!(count(&calls, |c| c[0].ends_with(":info") && c.len() == 2), 3, "{calls:?}");

    // A comma list and repeated keys select the same attributes; `service_type` always comes.
    for query in ["fields=dsn,status", "fields=dsn&fields=status", "fields=status%2Cdsn"] {
        let (status, body) = get(&server, &bearer, &format!("/@api/services?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        for service in body["data"].as_array().unwrap() {
            assert_eq!(attribute_names(service), ["dsn", "service_type", "status"], "{query}");
        }
    }
    let (_, star) = get(&server, &bearer, "/@api/services?fields=*").await;
    assert_eq!(attribute_names(&star["data"][0]), all);
    let (_, mixed) = get(&server, &bearer, "/@api/services?fields=dsn,*").await;
    assert_eq!(attribute_names(&mixed["data"][0]), all);
    server.sim().clear_invocations();

    // No attribute asked for: no `<p>:info` at all.
    let (status, body) = get(&server, &bearer, "/@api/services?fields=").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"][2],
        json!({"id": "c", "type": "services", "attributes": {"service_type": "redis"}})
    );
    assert_eq!(dokku_calls(&server).len(), 1 + 4);

    // The generated client sends a list as repeated keys.
    let client = server.client().await;
    let services = client
        .get_services()
        .fields(vec![types::GetServicesFieldsItem::Links, types::GetServicesFieldsItem::Image])
        .send()
        .await
        .unwrap();
    assert_eq!(services.data.len(), 3);
    let a = services.data[0].attributes.as_ref().unwrap();
    assert_eq!(a.image.as_deref(), Some("postgres:18.4"));
    assert!(a.dsn.is_none() && a.status.is_none());
    server.sim().clear_invocations();

    // An unknown field is a 400 naming it, before Dokku.
    for query in ["fields=bogus", "fields=dsn,service_type", "fields=dsn&fields=DSN"] {
        let (status, body) = get(&server, &bearer, &format!("/@api/services?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
    }
    let (status, body) = get(&server, &bearer, "/@api/services/a?fields=nope").await;
    assert_eq!(status, 400);
    assert!(title(&body).contains("`nope`"), "{body}");
    assert_eq!(dokku_calls(&server), Vec::<Vec<String>>::new());
    server.finish().await;
}

#[tokio::test]
async fn get_by_bare_or_qualified_name_and_ambiguous_names() {
    let (server, bearer) = server_with_app().await;
    for id in ["postgres:lollipop", "postgres:shared", "redis:shared"] {
        create(&server, &bearer, id).await;
    }
    let client = server.client().await;
    server.sim().clear_invocations();

    // Qualified: one `<p>:info`.
    let service =
        client.get_service_by_id().service_name("postgres:lollipop").send().await.unwrap();
    assert_eq!(service.data.as_ref().unwrap().id.as_deref(), Some("lollipop"));
    assert_eq!(dokku_calls(&server), [["postgres:info", "lollipop"]]);

    // Bare: `plugin:list`, then `<p>:info` on each datastore.
    let service = client
        .get_service_by_id()
        .service_name("lollipop")
        .fields(vec![types::GetServiceByIdFieldsItem::Status])
        .send()
        .await
        .unwrap();
    let a = service.data.as_ref().unwrap().attributes.as_ref().unwrap();
    assert_eq!(a.service_type.as_deref(), Some("postgres"));
    assert_eq!(a.status.as_deref(), Some("running"));
    assert!(a.dsn.is_none());
    assert_eq!(dokku_calls(&server).len(), 1 + 4);

    // The same name on two datastores: 400 naming both qualified ids.
    let (status, body) = call(&server, &bearer, "GET", "/@api/services/shared", None).await;
    assert_eq!(status, 400);
    assert!(title(&body).contains("use one of postgres:shared, redis:shared"), "{body}");
    let (status, body) = call(&server, &bearer, "GET", "/@api/services/redis%3Ashared", None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["service_type"], "redis");

    // Unknown services are 404; malformed ids 400 before Dokku.
    for id in ["nothing", "postgres:nothing"] {
        let (status, body) =
            call(&server, &bearer, "GET", &format!("/@api/services/{id}"), None).await;
        assert_eq!((status, title(&body)), (404, format!("Service {id} does not exist").as_str()));
    }
    let (status, body) = call(&server, &bearer, "GET", "/@api/services/clickhouse:x", None).await;
    assert_eq!(status, 400);
    assert!(title(&body).contains("not installed"), "{body}");
    server.sim().clear_invocations();
    for id in ["a.b", "foo:x", "postgres:a%20b", "-x"] {
        let (status, body) =
            call(&server, &bearer, "GET", &format!("/@api/services/{id}"), None).await;
        assert_eq!(status, 400, "{id}: {body}");
    }
    assert_eq!(dokku_calls(&server), Vec::<Vec<String>>::new());
    server.finish().await;
}

#[tokio::test]
async fn link_list_for_app_unlink_and_delete() {
    let (server, bearer) = server_with_app().await;
    for id in ["postgres:lollipop", "redis:cache", "redis:lollipop"] {
        create(&server, &bearer, id).await;
    }
    let client = server.client().await;
    server.sim().clear_invocations();

    // One service: one command, no `--no-restart` (the app restarts to see its new env).
    let body = types::LinkServiceToAppBody {
        data: vec![types::ServiceLink {
            id: Some("postgres:lollipop".into()),
            type_: Some(types::ServiceLinkType::Services),
        }],
    };
    let linked = client.link_service_to_app().app_id(APP).body(body).send().await.unwrap();
    assert_eq!(linked.status().as_u16(), 204);
    assert_eq!(dokku_calls(&server), [["postgres:link", "lollipop", APP]]);

    // Linked again: Dokku's refusal.
    let path = format!("/@api/apps/{APP}/relationships/services");
    let (status, body) =
        call(&server, &bearer, "POST", &path, Some(link_body(&["postgres:lollipop"]))).await;
    assert_eq!((status, title(&body)), (400, "Already linked as DATABASE_URL"));

    // The app's services: 1 + P `<p>:app-links` + L `<p>:info`.
    server.sim().clear_invocations();
    let services = client.get_services_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(services.data.len(), 1);
    let a = services.data[0].attributes.as_ref().unwrap();
    assert_eq!(a.links, [APP]);
    assert_eq!(a.service_type.as_deref(), Some("postgres"));
    let calls = dokku_calls(&server);
    assert_eq!(calls.len(), 1 + 4 + 1, "{calls:?}");
    assert_eq!(count(&calls, |c| c[0].ends_with(":app-links") && c[1] == APP), 4);
    let (status, body) =
        get(&server, &bearer, &format!("/@api/apps/{APP}/services?include=links")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"],
        json!([{"id": "lollipop", "type": "services", "attributes": {"service_type": "postgres", "links": [APP]}}])
    );
    server.sim().clear_invocations();
    let (status, body) =
        get(&server, &bearer, &format!("/@api/apps/{APP}/services?include=")).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"][0]["attributes"], json!({"service_type": "postgres"}));
    assert_eq!(dokku_calls(&server).len(), 1 + 4);

    // A linked service cannot be deleted: Dokku's message.
    let (status, body) =
        call(&server, &bearer, "DELETE", "/@api/services/postgres:lollipop", None).await;
    assert_eq!((status, title(&body)), (400, "Cannot delete linked service"));

    // Several services on a deployed app: checked first, then linked with one restart.
    server.sim().mark_deployed(APP, &["web"]).unwrap();
    server.sim().clear_invocations();
    let (status, body) = call(
        &server,
        &bearer,
        "POST",
        &path,
        Some(link_body(&["redis:cache", "postgres:lollipop"])),
    )
    .await;
    assert_eq!((status, title(&body)), (400, "postgres:lollipop is already linked to node-js-app"));
    // Nothing changed: only the checks ran.
    assert!(dokku_calls(&server).iter().all(|c| c[0].ends_with(":linked")));
    let (status, body) =
        call(&server, &bearer, "POST", &path, Some(link_body(&["redis:cache", "redis:lollipop"])))
            .await;
    assert_eq!(status, 204, "{body}");
    let calls = dokku_calls(&server);
    let changes: Vec<&Vec<String>> = calls.iter().filter(|c| !c[0].ends_with(":linked")).collect();
    assert_eq!(
        changes,
        [
            &vec!["redis:link".to_string(), "cache".into(), APP.into(), "--no-restart".into()],
            &vec!["redis:link".to_string(), "lollipop".into(), APP.into()],
        ]
    );
    assert_eq!(count(&calls, |c| c[0] == "redis:linked"), 2);
    let (_, body) =
        get(&server, &bearer, &format!("/@api/apps/{APP}/services?include=status")).await;
    assert_eq!(
        listed(&body),
        [
            ("postgres".into(), "lollipop".into()),
            ("redis".into(), "cache".into()),
            ("redis".into(), "lollipop".into())
        ]
    );

    // Unlink: the same rules; a service that is not linked is Dokku's refusal.
    let (status, _) =
        call(&server, &bearer, "DELETE", &path, Some(link_body(&["postgres:lollipop"]))).await;
    assert_eq!(status, 204);
    let (status, body) =
        call(&server, &bearer, "DELETE", &path, Some(link_body(&["postgres:lollipop"]))).await;
    assert_eq!((status, title(&body)), (400, "Not linked to app node-js-app"));
    let unlink = client
        .unlink_service_from_app()
        .app_id(APP)
        .body(types::UnlinkServiceFromAppBody {
            data: vec![
                types::ServiceLink { id: Some("redis:cache".into()), type_: None },
                types::ServiceLink { id: Some("redis:lollipop".into()), type_: None },
            ],
        })
        .send()
        .await
        .unwrap();
    assert_eq!(unlink.status().as_u16(), 204);
    let (_, body) =
        call(&server, &bearer, "GET", &format!("/@api/apps/{APP}/services"), None).await;
    assert_eq!(body["data"], json!([]));

    // Unlinked, it can go: a bare name that is ambiguous is refused; qualified works.
    let (status, body) = call(&server, &bearer, "DELETE", "/@api/services/lollipop", None).await;
    assert_eq!(status, 400);
    assert!(title(&body).contains("postgres:lollipop, redis:lollipop"), "{body}");
    server.sim().clear_invocations();
    let (status, _) =
        call(&server, &bearer, "DELETE", "/@api/services/postgres:lollipop", None).await;
    assert_eq!(status, 204);
    assert_eq!(dokku_calls(&server), [["--force", "postgres:destroy", "lollipop"]]);
    // Now the bare name is unique: found with `<p>:exists` on each datastore.
    let deleted = client.delete_service().service_name("lollipop").send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let calls = dokku_calls(&server);
    assert_eq!(calls.len(), 1 + 4 + 1, "{calls:?}");
    assert_eq!(calls.last().unwrap(), &["--force", "redis:destroy", "lollipop"]);
    for id in ["lollipop", "redis:lollipop"] {
        let (status, body) =
            call(&server, &bearer, "DELETE", &format!("/@api/services/{id}"), None).await;
        assert_eq!((status, title(&body)), (404, format!("Service {id} does not exist").as_str()));
    }
    server.finish().await;
}

#[tokio::test]
async fn link_errors_unknown_apps_and_bodies() {
    let (server, bearer) = server_with_app().await;
    create(&server, &bearer, "postgres:lollipop").await;
    server.sim().clear_invocations();

    // Unknown app: 404 from Dokku, for link, unlink and the listing.
    for method in ["POST", "DELETE"] {
        let (status, body) = call(
            &server,
            &bearer,
            method,
            "/@api/apps/ghost/relationships/services",
            Some(link_body(&["postgres:lollipop"])),
        )
        .await;
        assert_eq!((status, title(&body)), (404, "App ghost does not exist"), "{method}");
    }
    let (status, body) = call(&server, &bearer, "GET", "/@api/apps/ghost/services", None).await;
    assert_eq!((status, title(&body)), (404, "App ghost does not exist"));
    // An unknown service in the body is Dokku's refusal, 400.
    let path = format!("/@api/apps/{APP}/relationships/services");
    let (status, body) =
        call(&server, &bearer, "POST", &path, Some(link_body(&["postgres:nope"]))).await;
    assert_eq!((status, title(&body)), (400, "Postgres service nope does not exist"));
    let (status, body) = call(
        &server,
        &bearer,
        "POST",
        &path,
        Some(link_body(&["postgres:lollipop", "postgres:nope"])),
    )
    .await;
    assert_eq!((status, title(&body)), (400, "Postgres service nope does not exist"));
    let (_, body) =
        call(&server, &bearer, "GET", &format!("/@api/apps/{APP}/services"), None).await;
    assert_eq!(body["data"], json!([]), "a failed multi-link changes nothing");
    server.sim().clear_invocations();

    // Bodies refused before Dokku: absent, empty, no id, bare names, unknown datastores,
    // duplicates; and a bad app name.
    let bad: [(Option<Value>, &str); 7] = [
        (None, "the body must list the services to link"),
        (Some(json!({"data": []})), "the body must list the services to link"),
        (Some(json!({})), "the body must list the services"),
        (Some(json!({"data": [{"type": "services"}]})), "needs an `id`"),
        (Some(link_body(&["lollipop"])), "expected `datastore:name`"),
        (Some(link_body(&["nosql:x"])), "unknown datastore"),
        (Some(link_body(&["postgres:lollipop", "postgres:lollipop"])), "listed twice"),
    ];
    for (body, expected) in bad {
        let (status, answer) = call(&server, &bearer, "POST", &path, body.clone()).await;
        assert_eq!(status, 400, "{body:?}: {answer}");
        assert!(title(&answer).contains(expected), "{body:?}: {answer}");
    }
    let (status, answer) = call(&server, &bearer, "DELETE", &path, None).await;
    assert_eq!(status, 400);
    assert!(title(&answer).contains("services to unlink"), "{answer}");
    let (status, _) = call(
        &server,
        &bearer,
        "POST",
        "/@api/apps/Bad_App/relationships/services",
        Some(link_body(&["postgres:lollipop"])),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(&server, &bearer, "GET", "/@api/apps/Bad_App/services", None).await;
    assert_eq!(status, 400);
    let (status, _) = get(&server, &bearer, &format!("/@api/apps/{APP}/services?include=x")).await;
    assert_eq!(status, 400);
    assert_eq!(dokku_calls(&server), Vec::<Vec<String>>::new());
    server.finish().await;
}
