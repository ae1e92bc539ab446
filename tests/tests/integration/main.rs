//! Black-box integration tests: the real server on 127.0.0.1:0, driven through the progenitor
//! client generated from the seed and through raw HTTP, every response checked against the
//! contract by the harness. One test binary, one module per area.

mod auth;
mod document;
mod errors;
mod http_auth;
mod operations;
mod spec_files;
