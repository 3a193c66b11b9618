//! Exact `max_clicks` at any rate: a pool object per limited link (`ClickCounter`) and, for a
//! link busier than one object can take, shards that hold slices of its budget
//! (`ClickShard`). The rules are `uload_core::click_budget`; this module calls the objects
//! and remembers, per isolate, what their answers taught it: how many shards a link has, and
//! under which `max` it had nothing left (refusals then cost no call at all, which matters
//! for a giveaway link that runs out while the crowd keeps coming). Links without a limit
//! never call any of it.

mod pool;
mod shard;

use std::cell::RefCell;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use worker::Env;

use crate::store::StoreError;
use crate::{metrics, objects};
use uload_core::click_budget;

#[cfg(feature = "api")]
pub use pool::ClickCounter;
#[cfg(feature = "api")]
pub use shard::ClickShard;

pub const BINDING: &str = "CLICKS";
pub const SHARDS_BINDING: &str = "CLICK_SHARDS";
const DEPENDENCY: &str = "click counter";

/// What a call asks of a link's pool.
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Op {
    /// A visitor's click straight from the pool (`cost` 0 only asks whether one is left).
    Take,
    /// A shard's refill.
    Refill,
}

/// A call to a link's pool. One flat struct rather than an enum with data: serde's tagged
/// enums cost kilobytes of wasm.
#[derive(Serialize, Deserialize)]
struct PoolCall {
    op: Op,
    max: u64,
    per_object: u64,
    #[serde(default)]
    cost: u64,
    /// Clicks counted before this counter existed (uLoad's, for imported links): the count
    /// is raised to it, never lowered, so seeding twice or late changes nothing.
    #[serde(default)]
    seed: u64,
    /// Refill: clicks a shard gives back, and its own calls per second.
    #[serde(default)]
    returned: u64,
    #[serde(default)]
    rate: u64,
}

impl PoolCall {
    fn take(max: u64, cost: u64, per_object: u64) -> Self {
        PoolCall {
            op: Op::Take,
            max,
            per_object,
            cost,
            seed: 0,
            returned: 0,
            rate: 0,
        }
    }

    fn refill(max: u64, returned: u64, rate: u64, per_object: u64) -> Self {
        PoolCall {
            op: Op::Refill,
            returned,
            rate,
            ..PoolCall::take(max, 0, per_object)
        }
    }
}

/// A call to one shard of a link.
#[derive(Serialize, Deserialize)]
struct ShardCall {
    link: String,
    max: u64,
    cost: u64,
    per_object: u64,
}

/// An object's answer to a visitor's request: admitted or not, and how many shards the link
/// has as far as that object knows (0: it does not know).
#[derive(Serialize, Deserialize)]
struct Answer {
    allowed: bool,
    shards: u32,
}

#[derive(Serialize, Deserialize)]
struct GrantAnswer {
    clicks: u64,
    shards: u32,
}

pub struct Verdict {
    pub allowed: bool,
}

fn pool_name(link_id: &str) -> String {
    format!("clicks:{link_id}")
}

fn shard_name(link_id: &str, shard: u32) -> String {
    format!("clicks:{link_id}#{shard}")
}

/// What this isolate learned of a link's counter.
#[derive(Clone, Copy, Default)]
struct Known {
    shards: u32,
    exhausted_at: Option<u64>,
}

/// Links whose counters this isolate has asked; cleared when it grows past this many.
const KNOWN_CAPACITY: usize = 10_000;

thread_local! {
    static KNOWN: RefCell<HashMap<String, Known>> = RefCell::new(HashMap::new());
}

fn known(link_id: &str) -> Known {
    KNOWN.with(|k| k.borrow().get(link_id).copied().unwrap_or_default())
}

fn learn(link_id: &str, f: impl FnOnce(&mut Known)) {
    KNOWN.with(|k| {
        let mut k = k.borrow_mut();
        if k.len() >= KNOWN_CAPACITY && !k.contains_key(link_id) {
            k.clear();
        }
        f(k.entry(link_id.to_string()).or_default());
    });
}

/// An object's answer says how many shards the link has; the count only ever grows.
fn learn_shards(link_id: &str, shards: u32) {
    learn(link_id, |k| k.shards = k.shards.max(shards));
}

fn counted(object: &'static str) {
    metrics::record(|m| m.inc("click_counter_calls_total", &[("object", object)], 1));
}

/// Takes one click of `link_id` (or, with `cost` 0, only asks). `Err` when no answer can
/// be trusted (the pool, or a shard that might hold the rest, cannot be reached): the caller
/// fails closed, since the limit is a promise.
pub async fn consume(
    env: &Env,
    link_id: &str,
    max: u64,
    cost: u64,
    per_object: u64,
) -> Result<Verdict, StoreError> {
    let k = known(link_id);
    if k.exhausted_at == Some(max) {
        return Ok(Verdict { allowed: false });
    }
    if k.shards <= 1 {
        counted("pool");
        let call = PoolCall::take(max, cost, per_object);
        let a: Answer = objects::call(env, BINDING, &pool_name(link_id), DEPENDENCY, &call).await?;
        learn_shards(link_id, a.shards);
        if a.allowed || a.shards <= 1 {
            if !a.allowed {
                learn(link_id, |k| k.exhausted_at = Some(max));
            }
            return Ok(Verdict { allowed: a.allowed });
        }
        // Spread, and the pool itself is dry: the rest is in the shards.
    }
    let shards = known(link_id).shards;
    let start = u32::from_le_bytes(
        crate::runtime::random_bytes(4)
            .try_into()
            .unwrap_or_default(),
    );
    let call = ShardCall {
        link: link_id.to_string(),
        max,
        cost,
        per_object,
    };
    let mut unreachable = None;
    for i in click_budget::scan(start, shards) {
        counted("shard");
        let answer: Result<Answer, _> = objects::call(
            env,
            SHARDS_BINDING,
            &shard_name(link_id, i),
            DEPENDENCY,
            &call,
        )
        .await;
        match answer {
            Ok(a) => {
                learn_shards(link_id, a.shards);
                if a.allowed {
                    return Ok(Verdict { allowed: true });
                }
            }
            // Another shard may still admit the visitor; this one is asked again next time.
            Err(e) => unreachable = Some(e),
        }
    }
    if let Some(e) = unreachable {
        return Err(e);
    }
    // Every shard said no, and a shard only says no once the pool had nothing left for it:
    // under this `max`, no click is left anywhere.
    learn(link_id, |k| k.exhausted_at = Some(max));
    Ok(Verdict { allowed: false })
}

/// Seeds the counters of imported links with what uLoad had counted (`links.limit_seed`),
/// then clears the seeds: a used-up link stays used up after the move. Run by the
/// reconcile (admin call and daily cron); returns how many counters were seeded.
pub async fn seed_imported(env: &Env) -> Result<usize, StoreError> {
    let db = crate::store::d1::database(env)?;
    let seeds = crate::store::limit_seeds::LimitSeeds { db: &db };
    let mut seeded = 0;
    loop {
        let page = seeds.pending(100).await?;
        if page.is_empty() {
            return Ok(seeded);
        }
        let mut done = Vec::new();
        for (link_id, seed) in page {
            // Asks nothing (cost 0); a max that survives JSON's numbers.
            let call = PoolCall {
                seed,
                ..PoolCall::take(1 << 52, 0, click_budget::DEFAULT_PER_OBJECT)
            };
            let _: Answer =
                objects::call(env, BINDING, &pool_name(&link_id), DEPENDENCY, &call).await?;
            done.push(link_id);
        }
        seeded += done.len();
        seeds.clear(&done).await?;
    }
}
