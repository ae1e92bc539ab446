//! The served OpenAPI document: it is what the trait renders, it is checked in, and it differs
//! from the seed only as `spec/contract-diff.txt` explains.

use dokku_codegen::contract::{Allowlist, compare};
use dokku_pro_tests::contract::load_seed;
use dokku_pro_tests::harness::TestServer;
use dokku_pro_tests::workspace_root;

#[tokio::test]
async fn the_document_is_served_and_matches_the_checked_in_copy() {
    let server = TestServer::start().await;
    let response = server.raw("GET", "/@api/openapi.json", &[], b"").await;
    assert_eq!(response.status, 200);
    let served = response.json();
    assert_eq!(served, dokku_pro_api::openapi::document());
    let checked_in: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("spec/generated/dokku-pro.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        served, checked_in,
        "spec/generated/dokku-pro.json is stale: run `cargo xtask openapi generate`"
    );
    server.finish().await;
}

#[tokio::test]
async fn every_seed_operation_is_served_with_its_method_path_id_and_success_status() {
    let seed = load_seed();
    let served = dokku_pro_api::openapi::document();
    let mut count = 0;
    for (path, item) in seed["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let ours = &served["paths"][path][method];
            assert_eq!(ours["operationId"], op["operationId"], "{method} {path}");
            let success = |o: &serde_json::Value| -> Vec<String> {
                o["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .filter(|k| k.starts_with('2'))
                    .cloned()
                    .collect()
            };
            assert_eq!(success(ours), success(op), "{method} {path}");
            count += 1;
        }
    }
    assert_eq!(count, 54);
}

#[test]
fn the_contract_differs_from_the_seed_only_as_documented() {
    let served = dokku_pro_api::openapi::document();
    let differences = compare(&load_seed(), &served);
    let text = std::fs::read_to_string(workspace_root().join("spec/contract-diff.txt")).unwrap();
    let report = Allowlist::parse(&text).unwrap().check(&differences);
    assert!(report.unlisted.is_empty(), "unlisted differences:\n{}", report.unlisted.join("\n"));
    let stale: Vec<_> = report.stale.iter().map(|e| e.pattern.clone()).collect();
    assert!(stale.is_empty(), "entries matching nothing:\n{}", stale.join("\n"));
}

#[test]
fn the_check_catches_a_changed_operation() {
    // The comparison is only worth something if it notices drift: break one thing and look.
    let mut served = dokku_pro_api::openapi::document();
    served["paths"]["/apps"]["get"]["operationId"] = "listApps".into();
    served["paths"]["/apps/{appId}"]["get"]["parameters"][0]["required"] = false.into();
    served["paths"]["/envs"]["post"]["responses"].as_object_mut().unwrap().remove("202");
    let differences = compare(&load_seed(), &served);
    let text = std::fs::read_to_string(workspace_root().join("spec/contract-diff.txt")).unwrap();
    let report = Allowlist::parse(&text).unwrap().check(&differences);
    let unlisted = report.unlisted.join("\n");
    assert!(unlisted.contains("getApps: operationId"), "{unlisted}");
    assert!(
        unlisted.contains("getAppById: parameter path `appId`: required seed true served false"),
        "{unlisted}"
    );
    assert!(unlisted.contains("addEnv: response 202 missing"), "{unlisted}");
}
