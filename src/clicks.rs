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
        let count = sql
            .exec("SELECT count FROM counter WHERE id = 1", None)?
            .one::<Row>()?
            .count as u64;
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
    crate::objects::call(env, BINDING, &name, "click counter", &Consume { max, cost }).await
}
