//! Generates the progenitor client the black-box tests drive the server with, from the seed.
//!
//! The seed is read from `spec/` and patched in memory only (never on disk): progenitor names every
//! inline response schema `<operationId>Response` whatever its status, so the error envelope would
//! decode as the success type (progenitor reads only the success schema). The patch hoists the envelope of every
//! response with status >= 400 into `components/schemas/ErrorResponse` and refers to it.

use std::path::PathBuf;

use openapiv3::{OpenAPI, ReferenceOr, StatusCode};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let seed_path = root.join("../spec/dokku-pro.openapi.yaml");
    println!("cargo:rerun-if-changed={}", seed_path.display());
    let text = std::fs::read_to_string(&seed_path).expect("reading the seed");
    let mut spec: OpenAPI = serde_yaml::from_str(&text).expect("the seed is OpenAPI 3.0");
    hoist_error_envelopes(&mut spec);

    let mut settings = progenitor::GenerationSettings::new();
    settings
        .with_interface(progenitor::InterfaceStyle::Builder)
        .with_tag(progenitor::TagStyle::Merged);
    let tokens = progenitor::Generator::new(&settings)
        .generate_tokens(&spec)
        .expect("progenitor generates a client from the seed");
    let file: syn::File = syn::parse2(tokens).expect("the client parses");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo")).join("client.rs");
    std::fs::write(out, prettyplease::unparse(&file)).expect("writing client.rs");
}

fn hoist_error_envelopes(spec: &mut OpenAPI) {
    let components = spec.components.get_or_insert_with(Default::default);
    let mut envelope = None;
    for (_, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else { continue };
        let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in ops.into_iter().flatten() {
            for (code, response) in op.responses.responses.iter_mut() {
                let StatusCode::Code(code) = *code else { continue };
                if code < 400 {
                    continue;
                }
                let ReferenceOr::Item(response) = response else { continue };
                for media in response.content.values_mut() {
                    if let Some(schema) = media.schema.take() {
                        envelope.get_or_insert(schema);
                        media.schema =
                            Some(ReferenceOr::ref_("#/components/schemas/ErrorResponse"));
                    }
                }
            }
        }
    }
    if let Some(ReferenceOr::Item(schema)) = envelope {
        components.schemas.insert("ErrorResponse".to_string(), ReferenceOr::Item(schema));
    }
}
