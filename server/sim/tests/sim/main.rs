//! Integration tests of the simulated Dokku host, one binary with a module per area.

mod support;

mod deploy;
mod errors;
mod fidelity;
mod injections;
mod persistence;
mod recordings;
mod services;
mod versions;
