//! The Dokku host layer (being written).

pub mod command;
pub mod parse;
