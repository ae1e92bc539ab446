//! Generates the contract (models + the dropshot API trait) from `spec/` into `$OUT_DIR`.
//!
//! The generator itself lives in `xtask/codegen`, shared with `cargo xtask codegen`, which writes
//! the same text to `api/generated/dokku_api.rs` for review.

use std::path::PathBuf;

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let spec_dir = root.join("spec");
    for input in dokku_codegen::Sources::input_files(&spec_dir) {
        println!("cargo:rerun-if-changed={}", input.display());
    }
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let sources =
        dokku_codegen::Sources::load(&spec_dir).unwrap_or_else(|e| panic!("loading spec/: {e:#}"));
    let code = dokku_codegen::generate(&sources, &dokku_codegen::Options::default())
        .unwrap_or_else(|e| panic!("generating the API from spec/: {e:#}"));
    std::fs::write(out_dir.join("dokku_api.rs"), code).expect("writing dokku_api.rs");
    let document = dokku_codegen::source_document_json(&sources)
        .unwrap_or_else(|e| panic!("merging spec/: {e:#}"));
    std::fs::write(out_dir.join("source_document.json"), document)
        .expect("writing source_document.json");
}
