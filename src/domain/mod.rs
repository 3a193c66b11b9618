//! The pure core: no `worker` types, no I/O. Everything here is unit-tested natively
//! with `cargo test`, so the rules of the service can be checked in milliseconds.

pub mod cache;
pub mod code;
pub mod link;
pub mod problem;
pub mod redirect;
pub mod route;
pub mod target;
pub mod token;
