//! The random salt of one UTC day for visitor hashes: one Durable Object per day
//! (`salt:YYYY-MM-DD`), so every isolate hashes a visitor the same way that day (unique counts
//! stay right), and nobody can hash one again later: the salt is drawn at random (not
//! derived from a secret), never leaves the worker, and is deleted by the object's alarm an
//! hour after its day ends. An object asked for a day that is over refuses.

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::runtime;
use crate::store::StoreError;
use uload_core::click;

pub const BINDING: &str = "SALTS";

#[derive(Serialize, Deserialize)]
struct Ask {
    /// The UTC day, YYYY-MM-DD.
    day: String,
}

#[derive(Serialize, Deserialize)]
pub struct Salt {
    /// Hex of 32 random bytes; absent when the day is over (its salt is gone).
    pub salt: Option<String>,
}

#[cfg(feature = "api")]
#[durable_object]
pub struct DailySalt {
    state: State,
}

#[cfg(feature = "api")]
impl DurableObject for DailySalt {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let ask: Ask = crate::objects::read_call(&mut req).await?;
        let storage = self.state.storage();
        let Some(end) = click::salt_end_ms(&ask.day) else {
            return Response::error("bad day", 400);
        };
        if crate::clock::now_ms() >= end {
            // Over: whatever was kept goes, and nothing is drawn anew for a past day.
            storage.delete_all().await?;
            return Response::from_json(&Salt { salt: None });
        }
        if let Some(salt) = storage.get::<String>("salt").await? {
            return Response::from_json(&Salt { salt: Some(salt) });
        }
        let salt: String = runtime::random_bytes(32)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        storage.put("salt", &salt).await?;
        storage
            .set_alarm((end - crate::clock::now_ms()) as i64 + 1_000)
            .await?;
        Response::from_json(&Salt { salt: Some(salt) })
    }

    async fn alarm(&self) -> Result<Response> {
        self.state.storage().delete_all().await?;
        Response::ok("")
    }
}

/// The salt of `day`, drawn by its object on first use. `Ok(None)`: the day is over.
pub async fn of_day(env: &Env, day: &str) -> std::result::Result<Option<[u8; 32]>, StoreError> {
    let answer: Salt = crate::objects::call(
        env,
        BINDING,
        &format!("salt:{day}"),
        "daily salt",
        &Ask {
            day: day.to_string(),
        },
    )
    .await?;
    Ok(answer.salt.and_then(|hex| click::parse_salt(&hex)))
}
