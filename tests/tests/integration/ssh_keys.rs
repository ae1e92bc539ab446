//! SSH keys: add, list, get and delete by fingerprint (ids with `/` and `+`), and keys refused
//! before Dokku; every response checked against the seed by the harness, the Dokku calls counted
//! on the simulated host.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use dokku_pro_tests::client::types;
use dokku_pro_tests::harness::TestServer;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A real ECDSA key whose fingerprint (checked with `ssh-keygen -lf`) has both `/` and `+`.
const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNdH3wK10S2in1L8xce5V1Ywqpkt4dnClvQ0nQs+COqDl+LGhkGbt5g54goSeNnMbRr3DqYuUM5agpDbNqvtBA4=";
const ECDSA_FP: &str = "SHA256:g4TyLG1E6PwlI2NJOpsf0+MC4aeMcvUaxLhinM9dQ/U";
const ALLOWED: &str = "no-agent-forwarding,no-user-rc,no-X11-forwarding,no-port-forwarding";

/// A structurally valid ed25519 key with the given key bytes, and its fingerprint.
fn ed25519(seed: u8) -> (String, String) {
    let mut blob = Vec::new();
    for part in [&b"ssh-ed25519"[..], &[seed; 32][..]] {
        blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        blob.extend_from_slice(part);
    }
    let fp = format!("SHA256:{}", STANDARD_NO_PAD.encode(Sha256::digest(&blob)));
    (format!("ssh-ed25519 {}", STANDARD.encode(&blob)), fp)
}

fn add_body(username: &str, key: &str) -> Value {
    json!({"data": {"type": "sshKeys", "attributes": {"username": username, "ssh_key": key}}})
}

/// The path of a key: `/` percent-encoded, `+` literal.
fn key_path(fingerprint: &str) -> String {
    format!("/@api/sshKeys/{}", fingerprint.replace('/', "%2F"))
}

#[tokio::test]
async fn add_get_and_delete_a_key_whose_fingerprint_has_slash_and_plus() {
    let server = TestServer::start().await;
    let client = server.client().await;
    let bearer = server.bearer().await;
    server.sim().clear_invocations();

    // No keys yet: Dokku's "authorized_keys is empty" (exit 1) is an empty list.
    let keys = client.get_ss_hkeys().send().await.unwrap();
    assert!(keys.data.is_empty());
    assert_eq!(server.take_dokku_calls(), [["ssh-keys:list", "--format", "json"]]);

    let body = types::AddSshKeyBody {
        data: Some(types::SshKey {
            id: None,
            type_: Some(types::SshKeyType::SshKeys),
            attributes: Some(types::SshKeyAttributes {
                allowed_keys: None,
                ssh_key: Some(format!("{ECDSA} alice@laptop")),
                username: Some("alice".into()),
            }),
        }),
    };
    let added = client.add_ssh_key().body(body).send().await.unwrap();
    assert_eq!(added.status().as_u16(), 201);
    let added = serde_json::to_value(added.into_inner()).unwrap();
    assert_eq!(added["data"]["id"], ECDSA_FP);
    let a = &added["data"]["attributes"];
    assert_eq!(
        a,
        &json!({"username": "alice", "ssh_key": format!("{ECDSA} alice@laptop"), "allowed_keys": ALLOWED})
    );
    // The listing (for duplicate names), then one root-only command, the key on stdin.
    let invocations = server.sim().invocations();
    assert_eq!(invocations.len(), 2);
    assert_eq!(invocations[0].argv, ["ssh-keys:list", "--format", "json"]);
    assert_eq!(invocations[1].argv, ["ssh-keys:add", "alice"]);
    assert!(invocations[1].had_stdin);
    server.sim().clear_invocations();

    // Listed and found by fingerprint, one call each.
    let keys = client.get_ss_hkeys().send().await.unwrap();
    assert_eq!(keys.data.len(), 1);
    assert_eq!(serde_json::to_value(&keys.data[0]).unwrap(), added["data"]);
    assert_eq!(server.take_dokku_calls().len(), 1);
    let key = client.get_ssh_key_by_fingerprint_id().ssh_key_fingerprint_id(ECDSA_FP).send().await;
    assert_eq!(serde_json::to_value(key.unwrap().into_inner()).unwrap(), added);
    assert_eq!(server.take_dokku_calls(), [["ssh-keys:list", "--format", "json"]]);
    let r = server.api(&bearer, "GET", &key_path(ECDSA_FP), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"]["id"], ECDSA_FP);
    // `+` may also come percent-encoded.
    let encoded = key_path(ECDSA_FP).replace('+', "%2B");
    let r = server.api(&bearer, "GET", &encoded, None).await;
    assert_eq!(r.status, 200);

    // The same key under another name, or another key under the same name: 409.
    let r = server.api(&bearer, "POST", "/@api/sshKeys", Some(add_body("bob", ECDSA))).await;
    assert_eq!(r.status, 409);
    assert!(r.error_title().contains("already added"), "{}", r.text());
    let (other, other_fp) = ed25519(7);
    let r = server.api(&bearer, "POST", "/@api/sshKeys", Some(add_body("alice", &other))).await;
    assert_eq!(
        (r.status, r.error_title().as_str()),
        (409, "an SSH key named alice already exists")
    );
    // A second key, with the default options spelled out and its fingerprint as the id.
    let body = json!({"data": {"type": "sshKeys", "id": other_fp, "attributes": {
        "username": "bob@example.com", "ssh_key": other,
        "allowed_keys": "no-port-forwarding,no-X11-forwarding,no-user-rc,no-agent-forwarding"}}});
    let r = server.api(&bearer, "POST", "/@api/sshKeys", Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["data"]["id"], other_fp.as_str());
    server.sim().clear_invocations();

    // Delete: the listing (for the 404), then the root-only remove by fingerprint.
    let r = server.api(&bearer, "DELETE", &key_path(ECDSA_FP), None).await;
    assert_eq!(r.status, 204);
    assert_eq!(
        server.take_dokku_calls(),
        [
            vec!["ssh-keys:list", "--format", "json"],
            vec!["ssh-keys:remove", "--fingerprint", ECDSA_FP]
        ]
    );
    for method in ["GET", "DELETE"] {
        let r = server.api(&bearer, method, &key_path(ECDSA_FP), None).await;
        assert_eq!(
            (r.status, r.error_title().as_str()),
            (404, format!("SSH key {ECDSA_FP} does not exist").as_str())
        );
    }
    let deleted = client.delete_ssh_key().ssh_key_fingerprint_id(&other_fp).send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let keys = client.get_ss_hkeys().send().await.unwrap();
    assert!(keys.data.is_empty());
    server.finish().await;
}

#[tokio::test]
async fn invalid_keys_and_fingerprints_never_reach_dokku() {
    let server = TestServer::start().await;
    let bearer = server.bearer().await;
    server.sim().clear_invocations();
    let (key, _) = ed25519(1);
    let short = &key[..key.len() - 8];
    let mut rsa_blob = Vec::new();
    for part in [&b"ssh-rsa"[..], &[1, 0, 1][..], &[0x80; 64][..]] {
        rsa_blob.extend_from_slice(&(part.len() as u32).to_be_bytes());
        rsa_blob.extend_from_slice(part);
    }
    let small_rsa = format!("ssh-rsa {}", STANDARD.encode(&rsa_blob));
    let mislabelled = key.replace("ssh-ed25519 ", "ssh-rsa ");

    let cases: Vec<(Value, &str)> = vec![
        (add_body("alice", "not a key"), "unsupported SSH key type \"not\""),
        (add_body("alice", "ssh-dss AAAAB3NzaC1kc3MAAACBAP"), "unsupported SSH key type"),
        (add_body("alice", "ssh-ed25519 !!!notbase64"), "not valid base64"),
        (add_body("alice", short), "not a valid ssh-ed25519 key"),
        (add_body("alice", &mislabelled), "not a valid ssh-rsa key"),
        (add_body("alice", &small_rsa), "at least 1024 bits"),
        (add_body("alice", &format!("no-pty {key}")), "must start with the key type"),
        (add_body("alice", &format!("{key} a\"quote")), "must not contain quotes"),
        (add_body("alice", &format!("{key}\n{key}")), "one key on one line"),
        (add_body("alice", ""), "`ssh_key` is empty"),
        (add_body("-n", &key), "invalid username \"-n\""),
        (add_body("a b", &key), "invalid username"),
        (add_body("al\"ice", &key), "invalid username"),
        (
            json!({"data": {"attributes": {"ssh_key": key}}}),
            "`data.attributes.username` is required",
        ),
        (
            json!({"data": {"attributes": {"username": "alice"}}}),
            "`data.attributes.ssh_key` is required",
        ),
        (json!({}), "the body needs `data`"),
        (
            json!({"data": {"attributes": {"username": "alice", "ssh_key": key, "allowed_keys": "no-pty"}}}),
            "cannot set others",
        ),
        (
            json!({"data": {"attributes": {"username": "alice", "ssh_key": key, "allowed_keys": "command=\"sh\""}}}),
            "unknown SSH key option",
        ),
        (
            json!({"data": {"id": ECDSA_FP, "attributes": {"username": "alice", "ssh_key": key}}}),
            "is not this key's fingerprint",
        ),
    ];
    for (body, expected) in &cases {
        let r = server.api(&bearer, "POST", "/@api/sshKeys", Some(body.clone())).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert!(r.error_title().contains(expected), "{body}: {}", r.text());
    }
    let r = server
        .api(
            &bearer,
            "POST",
            "/@api/sshKeys",
            Some(json!({"data": {"type": "keys", "attributes": {}}})),
        )
        .await;
    assert_eq!(r.status, 400);

    // Fingerprints that cannot be one: 400 before Dokku, with a hint for a `+` read as a space.
    for id in ["nope", "SHA256:abc", "probe:id", "MD5:zz"] {
        for method in ["GET", "DELETE"] {
            let r = server.api(&bearer, method, &format!("/@api/sshKeys/{id}"), None).await;
            assert_eq!(r.status, 400, "{method} {id}: {}", r.text());
            assert!(r.error_title().contains("invalid SSH key fingerprint"), "{}", r.text());
        }
    }
    let spaced = key_path(ECDSA_FP).replace('+', "%20");
    let r = server.api(&bearer, "GET", &spaced, None).await;
    assert_eq!(r.status, 400);
    assert!(r.error_title().contains("%2B"), "{}", r.text());
    assert_eq!(server.take_dokku_calls(), Vec::<Vec<String>>::new());
    server.finish().await;
}

#[tokio::test]
async fn a_key_name_that_breaks_dokkus_json_falls_back_to_the_text_listing() {
    let server = TestServer::start().await;
    let client = server.client().await;
    // Added on the host directly (this API refuses such names): Dokku's JSON listing does not
    // escape the quote, so it is not JSON any more.
    let (key, fp) = ed25519(3);
    let out = server.sim().run(&["ssh-keys:add", "say\"hi"], Some(format!("{key}\n").as_bytes()));
    assert!(matches!(out, dokku_sim::SimOutcome::Completed(ref o) if o.status == 0));
    server.sim().clear_invocations();

    let keys = client.get_ss_hkeys().send().await.unwrap();
    assert_eq!(keys.data.len(), 1);
    let listed = serde_json::to_value(&keys.data[0]).unwrap();
    // The text form has no public keys, so `ssh_key` is omitted.
    assert_eq!(
        listed,
        json!({"id": fp, "type": "sshKeys", "attributes": {"username": "say\"hi", "allowed_keys": ALLOWED}})
    );
    assert_eq!(
        server.take_dokku_calls(),
        [vec!["ssh-keys:list", "--format", "json"], vec!["ssh-keys:list"]]
    );
    let key = client.get_ssh_key_by_fingerprint_id().ssh_key_fingerprint_id(&fp).send().await;
    assert_eq!(serde_json::to_value(key.unwrap().into_inner()).unwrap()["data"], listed);
    server.finish().await;
}

#[tokio::test]
async fn a_name_that_only_matches_another_as_a_pattern_is_not_a_duplicate_in_disguise() {
    // sshcommand finds duplicate names with `grep`, where `.` is any character.
    let server = TestServer::start().await;
    let bearer = server.bearer().await;
    let (first, _) = ed25519(1);
    let (second, _) = ed25519(2);
    let r = server.api(&bearer, "POST", "/@api/sshKeys", Some(add_body("axb", &first))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    server.take_dokku_calls();
    let r = server.api(&bearer, "POST", "/@api/sshKeys", Some(add_body("a.b", &second))).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.error_title().contains("clash with the key named axb"), "{}", r.text());
    assert!(server.take_dokku_calls().iter().all(|c| c[0] != "ssh-keys:add"));
    // A dotted name that matches nobody is fine.
    let r = server.api(&bearer, "POST", "/@api/sshKeys", Some(add_body("c.d", &second))).await;
    assert_eq!(r.status, 201, "{}", r.text());
    server.finish().await;
}
