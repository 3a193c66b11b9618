//! What abuse handling needs below the HTTP layer: the denylist as this isolate knows it
//! (the screen of link writes reads it), and the daily re-check that holds links a newer
//! denylist entry refuses. The rules are `uload_core::abuse`; the admin routes are
//! `handlers::abuse`.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::json;
use worker::Env;

use crate::store::abuse_db::AbuseDb;
use crate::store::d1;
use crate::store::StoreError;
use crate::{log, metrics};
use uload_core::abuse::{self, Denylist};

/// How long an isolate trusts the denylist it read (admin changes reach every isolate
/// within this; the isolate that made the change forgets its copy at once).
const DENYLIST_TTL_MS: u64 = 30_000;

thread_local! {
    static DENYLIST: RefCell<Option<(Rc<Denylist>, u64)>> = const { RefCell::new(None) };
}

pub async fn denylist(env: &Env) -> Result<Rc<Denylist>, StoreError> {
    let now = crate::clock::now_ms();
    if let Some((list, at)) = DENYLIST.with(|d| d.borrow().clone()) {
        if now.saturating_sub(at) < DENYLIST_TTL_MS {
            return Ok(list);
        }
    }
    let db = d1::database(env)?;
    let list = Rc::new(AbuseDb { db: &db }.denylist().await?);
    DENYLIST.with(|d| *d.borrow_mut() = Some((list.clone(), now)));
    Ok(list)
}

/// After an admin change: this isolate reads the denylist again at its next screen.
pub fn forget_denylist() {
    DENYLIST.with(|d| *d.borrow_mut() = None);
}

/// The daily re-check (backup cron, before the KV audit): active links made or changed
/// before a denylist entry, that the entry refuses, are held for review, never disabled: a
/// person decides, so a too-broad entry cannot take innocent links down, and a link the
/// admin released (changed after the entry) is not held again. The KV audit that follows
/// publishes the holds. Returns how many links it held.
pub async fn recheck(env: &Env) -> Result<usize, StoreError> {
    let db = d1::database(env)?;
    let store = AbuseDb { db: &db };
    let now = crate::clock::now_iso();
    let mut held = 0;
    for entry in store.entries().await? {
        let one = match entry.kind.as_str() {
            "domain" => Denylist {
                domains: vec![entry.value.clone()],
                terms: vec![],
            },
            _ => Denylist {
                domains: vec![],
                terms: vec![entry.value.clone()],
            },
        };
        for (id, urls) in store
            .unchecked_mentioning(&entry.value, &entry.created_at)
            .await?
        {
            let refused = urls.iter().any(|u| abuse::check(u, &one).is_err());
            if refused && store.hold(&id, &now).await? {
                held += 1;
            }
        }
    }
    if held > 0 {
        metrics::record(|m| m.inc("links_held_total", &[], held as u64));
        log::warn("abuse_recheck_held", json!({ "links": held }));
    }
    Ok(held)
}
