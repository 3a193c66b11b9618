//! Idempotency-Key records in D1: the first response to a key is kept for a day and
//! replayed to retries with the same request.

use serde::Deserialize;
use worker::D1Database;

/// How long a response is kept for retries with the same Idempotency-Key.
pub const WINDOW_MS: i64 = 24 * 3600 * 1000;

use super::d1;
use super::StoreError;

pub enum Claim {
    /// This request owns the key: run it, then `complete` (or `release` on a 5xx).
    Fresh,
    /// A finished request with this key: replay its response.
    Replay { status: u16, body: String },
    /// The same key with a different request.
    Mismatch,
    /// The first request with this key has not finished yet.
    InFlight,
}

#[derive(Deserialize)]
struct Row {
    fingerprint: String,
    status: Option<f64>,
    body: Option<String>,
}

pub struct IdempotencyDb<'a> {
    pub db: &'a D1Database,
}

impl IdempotencyDb<'_> {
    pub async fn claim(
        &self,
        owner: &str,
        key: &str,
        fingerprint: &str,
        now: &str,
        expired_before: &str,
    ) -> Result<Claim, StoreError> {
        // Keys older than a day are forgotten: a retry that late is a new request.
        d1::run(
            self.db,
            "DELETE FROM idempotency_keys WHERE owner = ?1 AND key = ?2 AND created_at < ?3",
            &[owner.into(), key.into(), expired_before.into()],
        )
        .await?;
        let inserted = d1::run(
            self.db,
            "INSERT INTO idempotency_keys (owner, key, fingerprint, created_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT DO NOTHING",
            &[owner.into(), key.into(), fingerprint.into(), now.into()],
        )
        .await?;
        if inserted > 0 {
            return Ok(Claim::Fresh);
        }
        let row: Option<Row> = d1::first(
            self.db,
            "SELECT fingerprint, status, body FROM idempotency_keys WHERE owner = ?1 AND key = ?2",
            &[owner.into(), key.into()],
        )
        .await?;
        Ok(match row {
            None => Claim::InFlight, // released between our insert and select: let the client retry
            Some(r) if r.fingerprint != fingerprint => Claim::Mismatch,
            Some(Row {
                status: Some(s),
                body,
                ..
            }) => Claim::Replay {
                status: s as u16,
                body: body.unwrap_or_default(),
            },
            Some(_) => Claim::InFlight,
        })
    }

    pub async fn complete(
        &self,
        owner: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        d1::run(
            self.db,
            "UPDATE idempotency_keys SET status = ?3, body = ?4 WHERE owner = ?1 AND key = ?2",
            &[
                owner.into(),
                key.into(),
                i64::from(status).into(),
                body.into(),
            ],
        )
        .await
        .map(|_| ())
    }

    /// Forgets every record made before `before` (their retry window has passed): run daily.
    pub async fn purge(&self, before: &str) -> Result<usize, StoreError> {
        d1::run(
            self.db,
            "DELETE FROM idempotency_keys WHERE created_at < ?1",
            &[before.into()],
        )
        .await
    }

    pub async fn release(&self, owner: &str, key: &str) -> Result<(), StoreError> {
        d1::run(
            self.db,
            "DELETE FROM idempotency_keys WHERE owner = ?1 AND key = ?2",
            &[owner.into(), key.into()],
        )
        .await
        .map(|_| ())
    }
}
