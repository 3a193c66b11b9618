//! The pool of a limited link (`clicks:{link}`): how many clicks it has handed out, and over
//! how many shards the link is spread. Every call is one synchronous turn of the object.

use std::cell::RefCell;

use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::{Answer, GrantAnswer, Op, PoolCall};
use uload_core::click_budget::{Pool, Rate, Refill};

#[derive(Deserialize)]
struct Row {
    count: f64,
    shards: f64,
}

#[cfg(feature = "api")]
#[durable_object]
pub struct ClickCounter {
    state: State,
    /// Calls per second this object sees (memory only: a restart forgets a rate, not budget).
    rate: RefCell<Rate>,
}

#[cfg(feature = "api")]
impl ClickCounter {
    fn load(&self) -> Result<Pool> {
        let row = self
            .state
            .storage()
            .sql()
            .exec(
                "SELECT count, shards FROM counter, spread WHERE counter.id = 1 AND spread.id = 1",
                None,
            )?
            .one::<Row>()?;
        Ok(Pool {
            handed: row.count as u64,
            shards: row.shards as u32,
        })
    }

    fn save(&self, before: &Pool, after: &Pool) -> Result<()> {
        let sql = self.state.storage().sql();
        if after.handed != before.handed {
            sql.exec(
                "UPDATE counter SET count = ? WHERE id = 1",
                vec![(after.handed as i64).into()],
            )?;
        }
        if after.shards != before.shards {
            sql.exec(
                "UPDATE spread SET shards = ? WHERE id = 1",
                vec![i64::from(after.shards).into()],
            )?;
        }
        Ok(())
    }
}

#[cfg(feature = "api")]
impl DurableObject for ClickCounter {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        // `counter` is the table of the first counters (one per link, before shards): its
        // count is the pool's count of clicks handed out, so existing links keep theirs.
        let _ = sql.exec("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), count INTEGER NOT NULL)", None);
        let _ = sql.exec(
            "INSERT OR IGNORE INTO counter (id, count) VALUES (1, 0)",
            None,
        );
        let _ = sql.exec("CREATE TABLE IF NOT EXISTS spread (id INTEGER PRIMARY KEY CHECK (id = 1), shards INTEGER NOT NULL)", None);
        let _ = sql.exec(
            "INSERT OR IGNORE INTO spread (id, shards) VALUES (1, 1)",
            None,
        );
        Self {
            state,
            rate: RefCell::new(Rate::default()),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let call: PoolCall = crate::objects::read_call(&mut req).await?;
        let now = crate::clock::now_ms();
        self.rate.borrow_mut().hit(now);
        let before = self.load()?;
        let mut pool = before.clone();
        if call.op == Op::Refill {
            let refill = Refill {
                max: call.max,
                returned: call.returned,
                rate: call.rate,
            };
            let grant = pool.refill(&refill, call.per_object);
            self.save(&before, &pool)?;
            return Response::from_json(&GrantAnswer {
                clicks: grant.clicks,
                shards: grant.shards,
            });
        }
        pool.seed(call.seed);
        pool.observe(self.rate.borrow().per_second(now), call.per_object);
        let allowed = pool.take(call.max, call.cost);
        self.save(&before, &pool)?;
        Response::from_json(&Answer {
            allowed,
            shards: pool.shards,
        })
    }
}
