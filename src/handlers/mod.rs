pub mod abuse;
pub mod admin;
pub mod api;
pub mod bio;
pub mod bulk;
pub mod health;
pub mod inspect;
pub mod keys;
pub mod limits;
pub mod links;
pub mod origin;
pub mod origin_fallback;
pub mod password;
pub mod qr;
pub mod ready;
pub mod redirect;
pub mod report;
pub mod request;
pub mod stats;
pub mod tags;
pub mod users;
pub mod visitor;
pub mod webhooks;
#[cfg(not(feature = "api"))]
pub mod whole_worker;
pub mod workspaces;

use worker::{Context, Env};

use crate::auth::Principal;
use crate::config::Config;

/// What every API handler gets: the bindings, the config, and who is calling.
pub struct Ctx<'a> {
    pub env: &'a Env,
    pub ctx: &'a Context,
    pub cfg: &'a Config,
    pub who: &'a Principal,
}

impl Ctx<'_> {
    /// For operations and abuse handling: the admin token only (ADMIN_TOKEN), never the
    /// dashboard's. `what`: the kind of route, for the message.
    pub fn require_admin(&self, what: &str) -> Result<(), crate::error::ApiError> {
        if self.who.is_admin {
            Ok(())
        } else {
            Err(crate::error::ApiError::Forbidden(format!(
                "{what} need the admin token (ADMIN_TOKEN), not the dashboard's"
            )))
        }
    }

    /// For resources the dashboard's server manages (users, workspaces): the service token
    /// only, never an API key nor the admin token. `what`: the resources, for the message.
    pub fn require_service(&self, what: &str) -> Result<(), crate::error::ApiError> {
        if self.who.is_service {
            Ok(())
        } else {
            Err(crate::error::ApiError::Forbidden(format!(
                "{what} are managed by the dashboard (service token only)"
            )))
        }
    }
}
