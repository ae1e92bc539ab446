//! Black-box integration tests: the real server on 127.0.0.1:0, driven through the progenitor
//! client generated from the seed and through raw HTTP, every response checked against the
//! contract by the harness. One test binary, one module per area.

mod apps;
mod audit;
mod auth;
mod builders_schedulers;
mod docs_page;
mod document;
mod domains;
mod envs_buildpacks;
mod errors;
mod formations;
mod hostile;
mod http_auth;
mod jobs;
mod operations;
mod resources;
mod services;
mod spec_files;
mod ssh_keys;
