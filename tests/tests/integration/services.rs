//! Datastores and services: listing with `fields`/`include`, create, get by bare or qualified
//! id, delete, link and unlink, through the generated client and raw requests; every response is
//! checked against the seed by the harness, and the Dokku calls are counted on the simulated host.

use dokku_pro_tests::client::types;
use dokku_pro_tests::fixtures::{APP, server_with_app};
use dokku_pro_tests::harness::TestServer;
use serde_json::{Value, json};

/// The datastores the simulated host has installed, in the order they are listed.
const INSTALLED: [&str; 4] = ["mongo", "mysql", "postgres", "redis"];

fn create_body(id: &str) -> Value {
    json!({"data": {"type": "services", "id": id}})
}

async fn create(server: &TestServer, bearer: &str, id: &str) {
    let r = server.api(bearer, "POST", "/@api/services", Some(create_body(id))).await;
    assert_eq!(r.status, 201, "{id}: {}", r.text());
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
    assert_eq!(server.take_dokku_calls(), [["plugin:list", "--format", "json"]]);
    server.finish().await;

    // Before 0.38.22 `plugin:list` has no JSON form: the text table is read instead.
    let server = TestServer::start_with(|c| c.host.sim.version = "0.38.21".into()).await;
    let bearer = server.bearer().await;
    server.sim().clear_invocations();
    let r = server.api(&bearer, "GET", "/@api/datastores", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    let names: Vec<&str> =
        body["data"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap()).collect();
    assert_eq!(names, INSTALLED);
    assert_eq!(server.take_dokku_calls(), [["plugin:list"]]);
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
        server.take_dokku_calls(),
        [vec!["postgres:create", "lollipop"], vec!["postgres:info", "lollipop"]]
    );

    // The same id again: 409 with Dokku's message.
    let r =
        server.api(&bearer, "POST", "/@api/services", Some(create_body("postgres:lollipop"))).await;
    assert_eq!(
        (r.status, r.error_title().as_str()),
        (409, "Postgres service lollipop already exists")
    );
    // The same name on another datastore is a different service.
    create(&server, &bearer, "redis:lollipop").await;

    // An image for the new service.
    let r = server.api(&bearer, "POST",
        "/@api/services",
        Some(json!({"data": {"type": "services", "id": "postgres:pg16", "attributes": {"image": "postgres:16"}}})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["data"]["attributes"]["image"], "postgres:16");
    server.sim().clear_invocations();

    // A datastore plugin that is official but not installed: Dokku says the command is unknown.
    let r = server.api(&bearer, "POST", "/@api/services", Some(create_body("clickhouse:x"))).await;
    assert_eq!(r.status, 400);
    assert!(r.error_title().contains("clickhouse is not installed"), "{}", r.text());
    assert_eq!(server.take_dokku_calls().len(), 1);

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
        let r = server.api(&bearer, "POST", "/@api/services", Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert!(r.error_title().contains(expected), "{body}: {}", r.text());
    }
    let r = server
        .api(
            &bearer,
            "POST",
            "/@api/services",
            Some(json!({"data": {"type": "apps", "id": "postgres:x"}})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(server.take_dokku_calls(), Vec::<Vec<String>>::new());
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
    let r = server.api(&bearer, "GET", "/@api/services", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
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
    let calls = server.take_dokku_calls();
    assert_eq!(calls.len(), 1 + 4 + 3, "{calls:?}");
    assert_eq!(count(&calls, |c| c == ["plugin:list", "--format", "json"]), 1);
    for ds in INSTALLED {
        assert_eq!(count(&calls, |c| c == ["--quiet", &format!("{ds}:list")]), 1, "{calls:?}");
    }
    assert_eq!(count(&calls, |c| c[0].ends_with(":info") && c.len() == 2), 3, "{calls:?}");

    // A comma list and repeated keys select the same attributes; `service_type` always comes.
    for query in ["fields=dsn,status", "fields=dsn&fields=status", "fields=status%2Cdsn"] {
        let r = server.api(&bearer, "GET", &format!("/@api/services?{query}"), None).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text());
        for service in r.json()["data"].as_array().unwrap() {
            assert_eq!(attribute_names(service), ["dsn", "service_type", "status"], "{query}");
        }
    }
    let star = server.api(&bearer, "GET", "/@api/services?fields=*", None).await.json();
    assert_eq!(attribute_names(&star["data"][0]), all);
    let mixed = server.api(&bearer, "GET", "/@api/services?fields=dsn,*", None).await.json();
    assert_eq!(attribute_names(&mixed["data"][0]), all);
    server.sim().clear_invocations();

    // No attribute asked for: no `<p>:info` at all.
    let r = server.api(&bearer, "GET", "/@api/services?fields=", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["data"][2],
        json!({"id": "c", "type": "services", "attributes": {"service_type": "redis"}})
    );
    assert_eq!(server.take_dokku_calls().len(), 1 + 4);

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
        let r = server.api(&bearer, "GET", &format!("/@api/services?{query}"), None).await;
        assert_eq!(r.status, 400, "{query}: {}", r.text());
    }
    let r = server.api(&bearer, "GET", "/@api/services/a?fields=nope", None).await;
    assert_eq!(r.status, 400);
    assert!(r.error_title().contains("`nope`"), "{}", r.text());
    assert_eq!(server.take_dokku_calls(), Vec::<Vec<String>>::new());
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
    assert_eq!(server.take_dokku_calls(), [["postgres:info", "lollipop"]]);

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
    assert_eq!(server.take_dokku_calls().len(), 1 + 4);

    // The same name on two datastores: 400 naming both qualified ids.
    let r = server.api(&bearer, "GET", "/@api/services/shared", None).await;
    assert_eq!(r.status, 400);
    assert!(r.error_title().contains("use one of postgres:shared, redis:shared"), "{}", r.text());
    let r = server.api(&bearer, "GET", "/@api/services/redis%3Ashared", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"]["attributes"]["service_type"], "redis");

    // Unknown services are 404; malformed ids 400 before Dokku.
    for id in ["nothing", "postgres:nothing"] {
        let r = server.api(&bearer, "GET", &format!("/@api/services/{id}"), None).await;
        assert_eq!(
            (r.status, r.error_title().as_str()),
            (404, format!("Service {id} does not exist").as_str())
        );
    }
    let r = server.api(&bearer, "GET", "/@api/services/clickhouse:x", None).await;
    assert_eq!(r.status, 400);
    assert!(r.error_title().contains("not installed"), "{}", r.text());
    server.sim().clear_invocations();
    for id in ["a.b", "foo:x", "postgres:a%20b", "-x"] {
        let r = server.api(&bearer, "GET", &format!("/@api/services/{id}"), None).await;
        assert_eq!(r.status, 400, "{id}: {}", r.text());
    }
    assert_eq!(server.take_dokku_calls(), Vec::<Vec<String>>::new());
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
    assert_eq!(server.take_dokku_calls(), [["postgres:link", "lollipop", APP]]);

    // Linked again: Dokku's refusal.
    let path = format!("/@api/apps/{APP}/relationships/services");
    let r = server.api(&bearer, "POST", &path, Some(link_body(&["postgres:lollipop"]))).await;
    assert_eq!((r.status, r.error_title().as_str()), (400, "Already linked as DATABASE_URL"));

    // The app's services: 1 + P `<p>:app-links` + L `<p>:info`.
    server.sim().clear_invocations();
    let services = client.get_services_for_app().app_id(APP).send().await.unwrap();
    assert_eq!(services.data.len(), 1);
    let a = services.data[0].attributes.as_ref().unwrap();
    assert_eq!(a.links, [APP]);
    assert_eq!(a.service_type.as_deref(), Some("postgres"));
    let calls = server.take_dokku_calls();
    assert_eq!(calls.len(), 1 + 4 + 1, "{calls:?}");
    assert_eq!(count(&calls, |c| c[0].ends_with(":app-links") && c[1] == APP), 4);
    let r =
        server.api(&bearer, "GET", &format!("/@api/apps/{APP}/services?include=links"), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["data"],
        json!([{"id": "lollipop", "type": "services", "attributes": {"service_type": "postgres", "links": [APP]}}])
    );
    server.sim().clear_invocations();
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/services?include="), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"][0]["attributes"], json!({"service_type": "postgres"}));
    assert_eq!(server.take_dokku_calls().len(), 1 + 4);

    // A linked service cannot be deleted: Dokku's message.
    let r = server.api(&bearer, "DELETE", "/@api/services/postgres:lollipop", None).await;
    assert_eq!((r.status, r.error_title().as_str()), (400, "Cannot delete linked service"));

    // Several services on a deployed app: checked first, then linked with one restart.
    server.sim().mark_deployed(APP, &["web"]).unwrap();
    server.sim().clear_invocations();
    let r = server
        .api(&bearer, "POST", &path, Some(link_body(&["redis:cache", "postgres:lollipop"])))
        .await;
    assert_eq!(
        (r.status, r.error_title().as_str()),
        (400, "postgres:lollipop is already linked to node-js-app")
    );
    // Nothing changed: only the checks ran.
    assert!(server.take_dokku_calls().iter().all(|c| c[0].ends_with(":linked")));
    let r = server
        .api(&bearer, "POST", &path, Some(link_body(&["redis:cache", "redis:lollipop"])))
        .await;
    assert_eq!(r.status, 204, "{}", r.text());
    let calls = server.take_dokku_calls();
    let changes: Vec<&Vec<String>> = calls.iter().filter(|c| !c[0].ends_with(":linked")).collect();
    assert_eq!(
        changes,
        [
            &vec!["redis:link".to_string(), "cache".into(), APP.into(), "--no-restart".into()],
            &vec!["redis:link".to_string(), "lollipop".into(), APP.into()],
        ]
    );
    assert_eq!(count(&calls, |c| c[0] == "redis:linked"), 2);
    let body = server
        .api(&bearer, "GET", &format!("/@api/apps/{APP}/services?include=status"), None)
        .await
        .json();
    assert_eq!(
        listed(&body),
        [
            ("postgres".into(), "lollipop".into()),
            ("redis".into(), "cache".into()),
            ("redis".into(), "lollipop".into())
        ]
    );

    // Unlink: the same rules; a service that is not linked is Dokku's refusal.
    let r = server.api(&bearer, "DELETE", &path, Some(link_body(&["postgres:lollipop"]))).await;
    assert_eq!(r.status, 204);
    let r = server.api(&bearer, "DELETE", &path, Some(link_body(&["postgres:lollipop"]))).await;
    assert_eq!((r.status, r.error_title().as_str()), (400, "Not linked to app node-js-app"));
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
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/services"), None).await;
    assert_eq!(r.json()["data"], json!([]));

    // Unlinked, it can go: a bare name that is ambiguous is refused; qualified works.
    let r = server.api(&bearer, "DELETE", "/@api/services/lollipop", None).await;
    assert_eq!(r.status, 400);
    assert!(r.error_title().contains("postgres:lollipop, redis:lollipop"), "{}", r.text());
    server.sim().clear_invocations();
    let r = server.api(&bearer, "DELETE", "/@api/services/postgres:lollipop", None).await;
    assert_eq!(r.status, 204);
    assert_eq!(server.take_dokku_calls(), [["--force", "postgres:destroy", "lollipop"]]);
    // Now the bare name is unique: found with `<p>:exists` on each datastore.
    let deleted = client.delete_service().service_name("lollipop").send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let calls = server.take_dokku_calls();
    assert_eq!(calls.len(), 1 + 4 + 1, "{calls:?}");
    assert_eq!(calls.last().unwrap(), &["--force", "redis:destroy", "lollipop"]);
    for id in ["lollipop", "redis:lollipop"] {
        let r = server.api(&bearer, "DELETE", &format!("/@api/services/{id}"), None).await;
        assert_eq!(
            (r.status, r.error_title().as_str()),
            (404, format!("Service {id} does not exist").as_str())
        );
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
        let r = server
            .api(
                &bearer,
                method,
                "/@api/apps/ghost/relationships/services",
                Some(link_body(&["postgres:lollipop"])),
            )
            .await;
        assert_eq!(
            (r.status, r.error_title().as_str()),
            (404, "App ghost does not exist"),
            "{method}"
        );
    }
    let r = server.api(&bearer, "GET", "/@api/apps/ghost/services", None).await;
    assert_eq!((r.status, r.error_title().as_str()), (404, "App ghost does not exist"));
    // An unknown service in the body is Dokku's refusal, 400.
    let path = format!("/@api/apps/{APP}/relationships/services");
    let r = server.api(&bearer, "POST", &path, Some(link_body(&["postgres:nope"]))).await;
    assert_eq!((r.status, r.error_title().as_str()), (400, "Postgres service nope does not exist"));
    let r = server
        .api(&bearer, "POST", &path, Some(link_body(&["postgres:lollipop", "postgres:nope"])))
        .await;
    assert_eq!((r.status, r.error_title().as_str()), (400, "Postgres service nope does not exist"));
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/services"), None).await;
    assert_eq!(r.json()["data"], json!([]), "a failed multi-link changes nothing");
    server.sim().clear_invocations();

    // Bodies refused before Dokku: absent, empty, no id, invalid names, unknown datastores,
    // duplicates; and a bad app name.
    let bad: [(Option<Value>, &str); 7] = [
        (None, "the body must list the services to link"),
        (Some(json!({"data": []})), "the body must list the services to link"),
        (Some(json!({})), "the body must list the services"),
        (Some(json!({"data": [{"type": "services"}]})), "needs an `id`"),
        (Some(link_body(&["lol.lipop"])), "invalid service name"),
        (Some(link_body(&["nosql:x"])), "unknown datastore"),
        (Some(link_body(&["postgres:lollipop", "postgres:lollipop"])), "listed twice"),
    ];
    for (body, expected) in bad {
        let r = server.api(&bearer, "POST", &path, body.clone()).await;
        assert_eq!(r.status, 400, "{body:?}: {}", r.text());
        assert!(r.error_title().contains(expected), "{body:?}: {}", r.text());
    }
    let r = server.api(&bearer, "DELETE", &path, None).await;
    assert_eq!(r.status, 400);
    assert!(r.error_title().contains("services to unlink"), "{}", r.text());
    let r = server
        .api(
            &bearer,
            "POST",
            "/@api/apps/Bad_App/relationships/services",
            Some(link_body(&["postgres:lollipop"])),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = server.api(&bearer, "GET", "/@api/apps/Bad_App/services", None).await;
    assert_eq!(r.status, 400);
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/services?include=x"), None).await;
    assert_eq!(r.status, 400);
    assert_eq!(server.take_dokku_calls(), Vec::<Vec<String>>::new());
    server.finish().await;
}

#[tokio::test]
async fn link_bodies_take_the_bare_names_the_listing_shows() {
    let (server, bearer) = server_with_app().await;
    create(&server, &bearer, "postgres:lollipop").await;
    let path = format!("/@api/apps/{APP}/relationships/services");
    // `GET /services` lists `id: "lollipop"`: that id links.
    let listed = server.api(&bearer, "GET", "/@api/services", None).await.json();
    assert_eq!(listed["data"][0]["id"], "lollipop");
    let r = server.api(&bearer, "POST", &path, Some(link_body(&["lollipop"]))).await;
    assert_eq!(r.status, 204, "{}", r.text());
    let r = server.api(&bearer, "GET", &format!("/@api/apps/{APP}/services"), None).await;
    assert_eq!(r.json()["data"][0]["id"], "lollipop");
    let r = server.api(&bearer, "DELETE", &path, Some(link_body(&["lollipop"]))).await;
    assert_eq!(r.status, 204, "{}", r.text());
    // A bare name no datastore has, and one that two have.
    let r = server.api(&bearer, "POST", &path, Some(link_body(&["nope"]))).await;
    assert_eq!((r.status, r.error_title().as_str()), (400, "Service nope does not exist"));
    create(&server, &bearer, "redis:lollipop").await;
    let r = server.api(&bearer, "POST", &path, Some(link_body(&["lollipop"]))).await;
    assert_eq!(r.status, 400, "{}", r.text());
    let title = r.error_title();
    assert!(title.contains("postgres:lollipop") && title.contains("redis:lollipop"), "{title}");
    // The same service named twice, bare and qualified.
    let r = server
        .api(&bearer, "POST", &path, Some(link_body(&["redis:lollipop", "redis:lollipop"])))
        .await;
    assert!(r.error_title().contains("listed twice"), "{}", r.text());
    server.finish().await;
}
