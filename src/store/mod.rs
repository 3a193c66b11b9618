//! Thin adapters over Cloudflare's storage bindings. They translate between domain types
//! and the bindings, and turn binding failures into `StoreError`; no rules live here.

pub mod abuse_db;
pub mod backup_db;
pub mod clicks_db;
pub mod constraint;
pub mod d1;
pub mod idempotency;
pub mod keys_db;
pub mod kv;
pub mod limit_seeds;
pub mod links_db;
pub mod operations_db;
pub mod r2;
pub mod repairs;
pub mod tags_db;
pub mod users_db;
pub mod webhooks_db;
pub mod workspaces_db;

#[derive(Debug)]
pub enum StoreError {
    /// The binding failed (down, misconfigured, over a limit). `cause` is for the logs.
    Unavailable {
        dependency: &'static str,
        cause: String,
    },
    /// A unique constraint refused the write: which one (`constraint`).
    Conflict(constraint::Constraint),
    /// Stored data that does not have the shape this version expects.
    Corrupt(String),
}

impl StoreError {
    /// A dependency that failed. One that said it is overloaded (a Durable Object queueing
    /// past its capacity, D1 with too many queries waiting) is also counted in
    /// `overloaded_total`: the callers degrade as they do for any failure, and the count
    /// tells the operator which part ran out of capacity (docs/CAPACITY.md).
    pub fn unavailable(dependency: &'static str, cause: impl ToString) -> Self {
        let cause = cause.to_string();
        if cause.to_ascii_lowercase().contains("overloaded") {
            crate::metrics::pending::record(|m| {
                m.inc("overloaded_total", &[("dependency", dependency)], 1)
            });
        }
        StoreError::Unavailable { dependency, cause }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Unavailable { dependency, cause } => write!(f, "{dependency}: {cause}"),
            StoreError::Conflict(which) => write!(f, "conflict: {which:?}"),
            StoreError::Corrupt(why) => write!(f, "corrupt record: {why}"),
        }
    }
}
