//! `spec/` holds the seed unchanged.

use sha2::{Digest, Sha256};

use dokku_pro_tests::workspace_root;

#[test]
fn the_seed_is_the_recorded_byte_identical_copy() {
    let bytes = std::fs::read(workspace_root().join("spec/dokku-pro.openapi.yaml")).unwrap();
    let digest = format!("{:x}", Sha256::digest(&bytes));
    let readme = std::fs::read_to_string(workspace_root().join("spec/README.md")).unwrap();
    assert!(
        readme.contains(&format!("sha256 `{digest}`")),
        "spec/dokku-pro.openapi.yaml has sha256 {digest}, which spec/README.md does not record"
    );
    // Where the shared original is at hand (developer machines and CI), compare bytes too.
    let shared = workspace_root().join("../shared/spec/dokku-pro.openapi.yaml");
    if let Ok(original) = std::fs::read(&shared) {
        assert!(original == bytes, "spec/dokku-pro.openapi.yaml differs from {}", shared.display());
    }
}
