//! A shard of a limited link (`clicks:{link}#{i}`): a slice of the link's budget, refilled
//! from the pool when it runs dry. Answers from the slice take one synchronous turn; a
//! refill awaits the pool, and other requests may run meanwhile (each reads the stored
//! slice again, so none spends a click twice).

use std::cell::{Cell, RefCell};

use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::{Answer, GrantAnswer, PoolCall, ShardCall};
use uload_core::click_budget::{Rate, Shard, ShardStep};

#[derive(Deserialize)]
struct Row {
    budget: f64,
    max: f64,
    exhausted_at: Option<f64>,
}

#[cfg(feature = "api")]
#[durable_object]
pub struct ClickShard {
    state: State,
    env: Env,
    rate: RefCell<Rate>,
    /// The link's shard count, as the pool last said (0 until the first refill).
    shards: Cell<u32>,
}

#[cfg(feature = "api")]
impl ClickShard {
    fn load(&self) -> Result<Shard> {
        let row = self
            .state
            .storage()
            .sql()
            .exec(
                "SELECT budget, max, exhausted_at FROM slice WHERE id = 1",
                None,
            )?
            .one::<Row>()?;
        Ok(Shard {
            budget: row.budget as u64,
            max: row.max as u64,
            exhausted_at: row.exhausted_at.map(|m| m as u64),
        })
    }

    fn save(&self, s: &Shard) -> Result<()> {
        self.state.storage().sql().exec(
            "UPDATE slice SET budget = ?, max = ?, exhausted_at = ? WHERE id = 1",
            vec![
                (s.budget as i64).into(),
                (s.max as i64).into(),
                s.exhausted_at.map(|m| m as i64).into(),
            ],
        )?;
        Ok(())
    }

    fn answer(&self, allowed: bool) -> Result<Response> {
        Response::from_json(&Answer {
            allowed,
            shards: self.shards.get(),
        })
    }
}

#[cfg(feature = "api")]
impl DurableObject for ClickShard {
    fn new(state: State, env: Env) -> Self {
        let sql = state.storage().sql();
        let _ = sql.exec("CREATE TABLE IF NOT EXISTS slice (id INTEGER PRIMARY KEY CHECK (id = 1), budget INTEGER NOT NULL, max INTEGER NOT NULL, exhausted_at INTEGER)", None);
        let _ = sql.exec(
            "INSERT OR IGNORE INTO slice (id, budget, max) VALUES (1, 0, 0)",
            None,
        );
        Self {
            state,
            env,
            rate: RefCell::new(Rate::default()),
            shards: Cell::new(0),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let call: ShardCall = crate::objects::read_call(&mut req).await?;
        let now = crate::clock::now_ms();
        self.rate.borrow_mut().hit(now);
        let mut slice = self.load()?;
        let before = slice.clone();
        let returned = match slice.step(call.max, call.cost) {
            ShardStep::Answer(allowed) => {
                if slice != before {
                    self.save(&slice)?;
                }
                return self.answer(allowed);
            }
            ShardStep::Refill { returned } => returned,
        };
        if returned > 0 {
            // Given back before the call: if the answer is lost, the clicks are lost to the
            // link (fewer redirects), never spent twice.
            self.save(&slice)?;
        }
        let rate = self.rate.borrow().per_second(now);
        let refill = PoolCall::refill(call.max, returned, rate, call.per_object);
        let grant: GrantAnswer = crate::objects::call(
            &self.env,
            super::BINDING,
            &super::pool_name(&call.link),
            super::DEPENDENCY,
            &refill,
        )
        .await
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.shards.set(grant.shards);
        // Read again: other requests ran while the pool answered.
        let mut slice = self.load()?;
        let allowed = slice.granted(grant.clicks, call.max, call.cost);
        self.save(&slice)?;
        self.answer(allowed)
    }
}
