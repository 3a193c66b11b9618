//! One shard of the metrics: sums the snapshots isolates send and answers with the sum.
//! Isolates send at most every 10 s to one of the shards, so each sees a few requests per
//! second per thousand isolates.

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use uload_core::metrics::Snapshot;

#[cfg(feature = "api")]
#[durable_object]
pub struct MetricsAggregator {
    state: State,
}

#[cfg(feature = "api")]
impl DurableObject for MetricsAggregator {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let delta: Snapshot = crate::objects::read_call(&mut req).await?;
        let storage = self.state.storage();
        // Stored as JSON text: exact integers, whatever the runtime's number types.
        let stored: Option<String> = storage.get("total").await?;
        let mut total: Snapshot = stored
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        if !delta.is_empty() {
            total.merge(&delta);
            let text = serde_json::to_string(&total)
                .map_err(|e| worker::Error::RustError(e.to_string()))?;
            storage.put("total", text).await?;
        }
        Response::from_json(&total)
    }
}
