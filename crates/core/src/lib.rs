//! The pure core: no `worker` types, no I/O. Everything here is unit-tested natively
//! with `cargo test`, so the rules of the service can be checked in milliseconds.

pub mod abuse;
pub mod audit;
pub mod backup;
pub mod cache;
pub mod click;
pub mod click_budget;
pub mod code;
pub mod cors;
pub mod fields;
pub mod link;
pub mod listing;
pub mod metrics;
pub mod operation;
pub mod origin;
pub mod outbox;
pub mod pages;
pub mod precondition;
pub mod problem;
pub mod ratelimit;
pub mod redirect;
pub mod redirect_limit;
pub mod report;
pub mod restore;
pub mod route;
pub mod scope;
pub mod secret;
pub mod slug;
pub mod stats;
pub mod tag;
pub mod target;
pub mod time;
pub mod token;
pub mod unlock;
pub mod useragent;
pub mod username;
