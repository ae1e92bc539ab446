//! The audit log without HTTP: what is taken from paths and bodies, what is cleaned, the
//! writer, the listing and the pruning. `tests/tests/integration/audit.rs` covers the requests.

use serde_json::json;

use super::*;

fn event(at_ms: i64, user: &str, app: Option<&str>) -> Event {
    Event {
        at_ms,
        user: Some(user.into()),
        token_id: Some("jti".into()),
        operation: "addApp".into(),
        method: "POST".into(),
        app: app.map(str::to_string),
        request_id: format!("req-{at_ms}"),
        status: 201,
        ..Event::default()
    }
}

fn storage() -> (tempfile::TempDir, Storage) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(dir.path()).unwrap();
    (dir, storage)
}

fn quiet() -> Logger {
    Logger::root(slog::Discard, slog::o!())
}

#[test]
fn paths_name_the_app_and_the_object_and_never_the_token() {
    assert_eq!(path_target([("appId", "web")]), (Some("web".into()), None));
    assert_eq!(
        path_target([("envId", "web:GREETING")]),
        (Some("web".into()), Some("web:GREETING".into()))
    );
    assert_eq!(
        path_target([("resourceId", "web:worker:limit:cpu")]),
        (Some("web".into()), Some("web:worker:limit:cpu".into()))
    );
    assert_eq!(path_target([("serviceName", "postgres:db")]), (None, Some("postgres:db".into())));
    assert_eq!(path_target([("queueJobId", "7")]), (None, Some("7".into())));
    assert_eq!(path_target([("tokenId", "eyJhbGciOi.secret.token")]), (None, None));
    // A buildpack URL with credentials in it keeps the URL, not the credentials.
    let (_, resource) =
        path_target([("buildpackId", "web:https://bob:hunter2@git.example/bp.git")]);
    assert_eq!(resource.as_deref(), Some("web:https://<redacted>@git.example/bp.git"));
}

#[test]
fn bodies_give_naming_attributes_and_never_values() {
    let env =
        json!({"type": "envs", "attributes": {"app_id": "web", "key": "K", "value": "s3cret"}});
    assert_eq!(body_target("addEnv", &env), (Some("web".into()), Some("web:K".into())));
    let user = json!({"attributes": {"app_id": "web", "username": "u", "password": "hunter2"}});
    assert_eq!(body_target("addHTTPAuthUser", &user), (Some("web".into()), Some("web:u".into())));
    let resource = json!({"attributes": {"app_id": "web", "process_type": "worker",
        "resource_type": "limit", "name": "cpu", "value": "2"}});
    assert_eq!(
        body_target("addResource", &resource),
        (Some("web".into()), Some("web:worker:limit:cpu".into()))
    );
    let app = json!({"type": "apps", "id": "web", "attributes": {"locked": true}});
    assert_eq!(body_target("addApp", &app), (Some("web".into()), None));
    let service = json!({"type": "services", "id": "postgres:db"});
    assert_eq!(body_target("addService", &service), (None, Some("postgres:db".into())));
    let key = json!({"attributes": {"username": "alice", "ssh_key": "ssh-ed25519 AAAA..."}});
    assert_eq!(body_target("addSSHKey", &key), (None, Some("alice".into())));
    // A naming attribute missing: no object rather than half of one.
    let partial = json!({"attributes": {"app_id": "web"}});
    assert_eq!(body_target("addEnv", &partial), (Some("web".into()), None));
    // Not a string: nothing.
    let odd = json!({"attributes": {"app_id": 7, "key": ["K"]}});
    assert_eq!(body_target("addEnv", &odd), (None, None));
}

#[test]
fn clean_redacts_url_credentials_replaces_controls_and_bounds_length() {
    assert_eq!(clean("https://user:pw@host/x"), "https://<redacted>@host/x");
    assert_eq!(
        clean("git://tok@h/r and https://a@b/c"),
        "git://<redacted>@h/r and https://<redacted>@b/c"
    );
    assert_eq!(clean("https://host/x@y"), "https://host/x@y", "an @ in the path is not a login");
    assert_eq!(clean("git@github.com:org/repo"), "git@github.com:org/repo");
    assert_eq!(clean("a dpr_abcdefghijkl b"), "a <redacted> b", "a refresh token");
    assert_eq!(clean("eyJhbGciOi.eyJzdWIi.sig"), "<redacted>", "a JWT");
    assert_eq!(clean("a\nb\u{1b}[31m"), "a\u{fffd}b\u{fffd}[31m");
    let long = "é".repeat(1000);
    let cleaned = clean(&long);
    assert_eq!(cleaned.chars().count(), MAX_FIELD_CHARS);
    assert!(cleaned.ends_with('…'));
    assert_eq!(clean(&"x".repeat(MAX_FIELD_CHARS)), "x".repeat(MAX_FIELD_CHARS));
}

#[test]
fn times_are_rfc_3339_or_unix_seconds() {
    assert_eq!(parse_time("1700000000"), Ok(1_700_000_000_000));
    assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
    assert_eq!(parse_time("2023-11-14T23:13:20.5+01:00"), Ok(1_700_000_000_500));
    assert_eq!(format_time(1_700_000_000_500), "2023-11-14T22:13:20.500Z");
    assert_eq!(parse_time(&format_time(1_700_000_000_500)), Ok(1_700_000_000_500));
    for bad in ["yesterday", "2023-11-14", "", "99999999999999999"] {
        assert!(parse_time(bad).is_err(), "{bad}");
    }
}

#[test]
fn cursors_round_trip_and_refuse_anything_else() {
    let cursor = cursor_after(42);
    assert_eq!(parse_cursor(&cursor), Some(42));
    assert!(!cursor.contains("42"), "opaque: {cursor}");
    for bad in ["42", "", "!!", &cursor_after(0), "YmVmb3JlOng"] {
        assert_eq!(parse_cursor(bad), None, "{bad}");
    }
}

#[test]
fn listing_filters_and_pages_newest_first() {
    let (_dir, storage) = storage();
    let events = vec![
        event(1000, "alice", Some("web")),
        event(2000, "bob", Some("web")),
        event(3000, "alice", Some("api")),
        event(4000, "alice", None),
    ];
    storage.call_blocking(|c| store::insert(c, &events)).unwrap();
    let list = |filter: Filter| {
        storage
            .call_blocking(|c| store::list(c, &filter))
            .unwrap()
            .iter()
            .map(|e| e.at_ms)
            .collect::<Vec<_>>()
    };
    let all = Filter { limit: 10, ..Filter::default() };
    assert_eq!(list(all.clone()), [4000, 3000, 2000, 1000]);
    assert_eq!(list(Filter { app: Some("web".into()), ..all.clone() }), [2000, 1000]);
    assert_eq!(list(Filter { user: Some("alice".into()), ..all.clone() }), [4000, 3000, 1000]);
    assert_eq!(
        list(Filter { since_ms: Some(2000), until_ms: Some(4000), ..all.clone() }),
        [3000, 2000]
    );
    assert_eq!(list(Filter { limit: 2, ..all.clone() }), [4000, 3000]);
    let stored = storage.call_blocking(|c| store::list(c, &all)).unwrap();
    let third = stored[1].id;
    assert_eq!(list(Filter { before_id: Some(third), ..all.clone() }), [2000, 1000]);
    assert_eq!(stored[3], Event { id: stored[3].id, ..events[0].clone() }, "stored as given");
}

#[test]
fn pruning_deletes_old_events_in_batches() {
    let (_dir, storage) = storage();
    let events: Vec<Event> = (0..25).map(|i| event(i * 10, "a", None)).collect();
    storage.call_blocking(|c| store::insert(c, &events)).unwrap();
    assert_eq!(storage.call_blocking(|c| store::prune(c, 100, 4)).unwrap(), 4);
    assert_eq!(storage.call_blocking(|c| store::prune(c, 100, 100)).unwrap(), 6);
    assert_eq!(storage.call_blocking(|c| store::prune(c, 100, 100)).unwrap(), 0);
    let left =
        storage.call_blocking(|c| store::list(c, &Filter { limit: 100, ..Filter::default() }));
    assert_eq!(left.unwrap().len(), 15, "events at 100 and later stay");
}

#[tokio::test]
async fn the_writer_stores_in_order_and_flush_waits_for_it() {
    let (_dir, storage) = storage();
    let audit = AuditLog::start(storage.clone(), quiet());
    for i in 0..600 {
        audit.record(event(i, "a", None)).await;
    }
    audit.flush().await;
    let stored = audit.list(Filter { limit: 1000, ..Filter::default() }).await.unwrap();
    assert_eq!(stored.len(), 600);
    assert!(stored.windows(2).all(|w| w[0].id > w[1].id && w[0].at_ms > w[1].at_ms));
    audit.shutdown().await;
    audit.record(event(9999, "late", None)).await;
    audit.record_now(event(9999, "late", None));
}

#[tokio::test]
async fn an_event_the_database_refuses_is_logged_at_error_level() {
    let (_dir, storage) = storage();
    storage
        .call_blocking(|c| c.execute_batch("DROP TABLE audit_events").map_err(StorageError::from))
        .unwrap();
    let (log, lines) = capture();
    let audit = AuditLog::start(storage, log);
    audit.record(event(5, "mallory", Some("web"))).await;
    audit.flush().await;
    let lines = lines.lock().unwrap().join("\n");
    assert!(lines.contains("Error audit event not recorded"), "{lines}");
    assert!(lines.contains("mallory") && lines.contains("req-5"), "{lines}");
}

/// A logger that keeps its lines (message and key-values, as text).
fn capture() -> (Logger, Arc<Mutex<Vec<String>>>) {
    struct Capture(Arc<Mutex<Vec<String>>>);
    struct Collect(String);
    impl slog::Serializer for Collect {
        fn emit_arguments(&mut self, key: slog::Key, val: &std::fmt::Arguments) -> slog::Result {
            self.0.push_str(&format!(" {key}={val}"));
            Ok(())
        }
    }
    impl slog::Drain for Capture {
        type Ok = ();
        type Err = slog::Never;
        fn log(
            &self,
            record: &slog::Record,
            values: &slog::OwnedKVList,
        ) -> Result<(), slog::Never> {
            use slog::KV as _;
            let mut out = Collect(format!("{:?} {}", record.level(), record.msg()));
            let _ = record.kv().serialize(record, &mut out);
            let _ = values.serialize(record, &mut out);
            self.0.lock().unwrap().push(out.0);
            Ok(())
        }
    }
    let lines = Arc::new(Mutex::new(Vec::new()));
    (Logger::root(Capture(lines.clone()), slog::o!()), lines)
}
