//! Moving uLoad's PocketBase data into uload-edge: read every collection the worker has a
//! use for (from `pb_data/data.db`, JSON pages of the REST API, or CSV exports), map it onto
//! the D1 schema with the worker's own rules, and write SQL that is safe to run again at
//! any time (see `sql`). `read` → `plan` → `sql`, with `report` saying what happened.
//!
//! What is deliberately not carried over (`report::NOT_IMPORTED`): e-mails and login
//! credentials, files, billing, raw IP addresses; uLoad's plaintext link passwords are
//! hashed on the way (PBKDF2, as the worker does).

pub mod fields;
pub mod plan;
pub mod read;
pub mod report;
pub mod sql;

pub use fields::iso_time;
pub use plan::{plan_with, Plan, Skip, TABLES};
pub use read::{read_csv_dir, read_json_dir, read_sqlite, Collections, Record};
pub use report::report;
pub use sql::sql;

use uload_core::{secret, target};

/// `plan_with` under uLoad's own short domain and no blocked domains.
pub fn plan(c: &Collections, now: &str, progress: impl FnMut(usize, usize)) -> Plan {
    plan_with(
        c,
        now,
        &target::Policy::new(&["ulo.ad".to_string()], &[]),
        progress,
    )
}

/// Whether a stored hash is one the worker itself would write (format, cost, sizes).
pub fn is_worker_hash(phc: &str) -> bool {
    secret::PasswordHash::parse(phc).is_some_and(|h| {
        h.iterations == secret::PBKDF2_ITERATIONS
            && h.salt.len() >= secret::SALT_LEN
            && h.hash.len() == secret::HASH_LEN
    })
}

/// Derives a password hash the worker verifies: PBKDF2-HMAC-SHA256, the worker's
/// iterations and salt length, as a PHC string.
pub fn hash_password(password: &str) -> String {
    let mut salt = vec![0u8; secret::SALT_LEN];
    getrandom::fill(&mut salt).expect("the OS has randomness");
    let mut hash = vec![0u8; secret::HASH_LEN];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
        password.as_bytes(),
        &salt,
        secret::PBKDF2_ITERATIONS,
        &mut hash,
    );
    secret::PasswordHash {
        iterations: secret::PBKDF2_ITERATIONS,
        salt,
        hash,
    }
    .to_phc()
}

#[cfg(test)]
mod tests;
