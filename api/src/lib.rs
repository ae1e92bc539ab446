//! The Dokku Pro API contract: models and the dropshot API trait generated from
//! `spec/dokku-pro.openapi.yaml` (plus `spec/extensions.openapi.yaml`), and the small hand-written
//! glue the generated code names.
//!
//! Generated at build time by the top-level `build.rs` through the `dokku-codegen` library; the
//! reviewable copy is `api/generated/dokku_api.rs` (`cargo xtask codegen` refreshes it, `--check`
//! fails when it is stale). Never edit generated code: change the spec or the generator.
//!
//! This crate does no I/O: no Dokku, no database, no sockets. The server crate implements
//! [`DokkuProApi`] and decides everything that needs state (who a token belongs to, what Dokku
//! says).
//!
//! Hand-written glue:
//! * [`error`]: `ApiError`, the spec's `{"errors":[{"status","title"}]}` envelope for every error.
//! * [`auth`]: the credential extractors (`Authorization` parsed, not verified).
//! * [`qs`]: comma-list query parameters (`?fields=dsn,status` and repeated keys).
//! * [`responses`]: 202 without a body, the login response, and an event stream (SSE).
//! * [`openapi`]: the served OpenAPI document (rendered from the trait, then post-processed).

#[allow(clippy::all, unused_imports, dead_code, missing_docs)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/dokku_api.rs"));
}

pub use generated::*;

pub mod auth;
pub mod body;
pub mod error;
pub mod openapi;
pub mod qs;
pub mod responses;

/// The path every route is mounted under (the seed's `servers[0].url`).
pub const BASE_PATH: &str = "/@api";
