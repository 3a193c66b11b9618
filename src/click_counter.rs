//! Exact `max_clicks`: a Durable Object per limited link holds its count. Check and
//! increment happen in one synchronous turn of the object, so with a limit of N exactly N
//! visitors are redirected however many arrive at once. Links without a limit never call it.

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::store::StoreError;

pub const BINDING: &str = "CLICKS";

#[derive(Serialize, Deserialize)]
struct Consume {
    max: u64,
    /// 1 for a click; 0 only asks whether one would still be admitted (HEAD, previews).
    cost: u64,
    /// Clicks counted before this counter existed (uLoad's, for imported links): the count
    /// is raised to it, never lowered, so seeding twice or late changes nothing.
    #[serde(default)]
    seed: u64,
}

#[derive(Serialize, Deserialize)]
pub struct Verdict {
    pub allowed: bool,
    pub count: u64,
}

#[derive(Deserialize)]
struct Row {
    count: f64,
}

#[durable_object]
pub struct ClickCounter {
    state: State,
}

impl DurableObject for ClickCounter {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        let _ = sql.exec("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL)", None);
        let _ = sql.exec(
            "INSERT OR IGNORE INTO counter (id, count) VALUES (1, 0)",
            None,
        );
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let c: Consume = req.json().await?;
        let sql = self.state.storage().sql();
        let mut count = sql
            .exec("SELECT count FROM counter WHERE id = 1", None)?
            .one::<Row>()?
            .count as u64;
        if c.seed > count {
            sql.exec(
                "UPDATE counter SET count = ? WHERE id = 1",
                vec![(c.seed as i64).into()],
            )?;
            count = c.seed;
        }
        let allowed = if c.cost == 0 {
            count < c.max
        } else {
            count + c.cost <= c.max
        };
        if allowed && c.cost > 0 {
            sql.exec(
                "UPDATE counter SET count = count + ? WHERE id = 1",
                vec![(c.cost as i64).into()],
            )?;
        }
        Response::from_json(&Verdict {
            allowed,
            count: if allowed { count + c.cost } else { count },
        })
    }
}

/// Takes one click of `link_id` (or, with `cost` 0, only asks). `Err` when the counter
/// cannot be reached: the caller fails closed, since the limit is a promise.
pub async fn consume(
    env: &Env,
    link_id: &str,
    max: u64,
    cost: u64,
) -> std::result::Result<Verdict, StoreError> {
    let name = format!("clicks:{link_id}");
    let ask = Consume { max, cost, seed: 0 };
    crate::objects::call(env, BINDING, &name, "click counter", &ask).await
}

/// Seeds the counters of imported links with what uLoad had counted (`links.limit_seed`),
/// then clears the seeds: a used-up link stays used up after the move. Run by the
/// reconcile (admin call and daily cron); returns how many counters were seeded.
pub async fn seed_imported(env: &Env) -> std::result::Result<usize, StoreError> {
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
            let name = format!("clicks:{link_id}");
            // Asks nothing (cost 0); a max that survives JSON's numbers.
            let ask = Consume {
                max: 1 << 52,
                cost: 0,
                seed,
            };
            let _: Verdict =
                crate::objects::call(env, BINDING, &name, "click counter", &ask).await?;
            done.push(link_id);
        }
        seeded += done.len();
        seeds.clear(&done).await?;
    }
}
