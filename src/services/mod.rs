//! The service layer, between the HTTP layer (`handlers`, `app`) and the adapters
//! (`store`): work that more than one handler, a cron job or the queue consumer needs. No
//! module here imports a handler (checked by scripts/check-layout.mjs).

pub mod abuse_review;
pub mod app_status;
pub mod jobs;
pub mod kv_sync;
pub mod link_lookup;
pub mod webhooks;
