//! The API's operations, and for each, in one place: who may call it, whether it writes,
//! and what it reads from the body. The dispatcher (`handlers::api`) and the limits ask
//! this; nothing else lists the operations.

use crate::scope::{KeyScope, Needs};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Api<'a> {
    OpenApi,
    ListLinks,
    CreateLink,
    /// Whether a code can be had (`?code=`): the dashboard's "is it free?" as you type.
    CodeAvailability,
    BulkCreate,
    BulkDelete,
    BulkUpdate,
    BulkTag,
    GetLink(&'a str),
    UpdateLink(&'a str),
    DeleteLink(&'a str),
    LinkQr(&'a str),
    LinkStats(&'a str),
    LinkClicksCsv(&'a str),
    ListTags,
    CreateTag,
    UpdateTag(&'a str),
    DeleteTag(&'a str),
    MergeTag(&'a str),
    ListApiKeys,
    CreateApiKey,
    RevokeApiKey(&'a str),
    GetUser(&'a str),
    PutUser(&'a str),
    PatchUser(&'a str),
    DeleteUser(&'a str),
    GetWorkspace(&'a str),
    PutWorkspace(&'a str),
    DeleteWorkspace(&'a str),
    ListBackups,
    CreateBackup,
    Reconcile,
    RestoreBackup(&'a str),
    GetRestoreMode,
    PutRestoreMode,
    ListDenylist,
    AddDenylist,
    RemoveDenylist,
    BlockLink(&'a str),
    UnblockLink(&'a str),
    ReleaseLink(&'a str),
    ListReports,
    AuditLog,
    ListWebhooks,
    CreateWebhook,
    GetWebhook(&'a str),
    UpdateWebhook(&'a str),
    DeleteWebhook(&'a str),
    RotateWebhookSecret(&'a str),
    TestWebhook(&'a str),
    WebhookDeliveries(&'a str),
}

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The dashboard's service token, or an API key with this scope.
    Key(KeyScope),
    /// The dashboard's service token only: accounts, keys and workspaces are its to manage.
    Service,
    /// The admin token only (operations and abuse handling); it may call nothing else.
    Admin,
}

/// What an operation reads from the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    None,
    Json,
    /// JSON, and an `Idempotency-Key` makes a retry get the first answer (the POSTs).
    Idempotent,
}

/// An operation's rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub caller: Caller,
    /// Changes the dashboard's data (refused while restore mode is on).
    pub writes: bool,
    pub body: Body,
}

const fn rules(caller: Caller, writes: bool, body: Body) -> Rules {
    Rules {
        caller,
        writes,
        body,
    }
}

impl Api<'_> {
    pub fn rules(&self) -> Rules {
        use Api::*;
        use Body::{Idempotent, Json, None as Empty};
        use Caller::{Admin, Key, Service};
        use KeyScope::{LinksRead, LinksWrite, StatsRead};
        match self {
            OpenApi | ListLinks | GetLink(_) | LinkQr(_) | ListTags | CodeAvailability => {
                rules(Key(LinksRead), false, Empty)
            }
            LinkStats(_) | LinkClicksCsv(_) => rules(Key(StatsRead), false, Empty),
            CreateLink | BulkCreate | BulkDelete | BulkUpdate | BulkTag | CreateTag
            | MergeTag(_) => rules(Key(LinksWrite), true, Idempotent),
            UpdateLink(_) | UpdateTag(_) => rules(Key(LinksWrite), true, Json),
            DeleteLink(_) | DeleteTag(_) => rules(Key(LinksWrite), true, Empty),
            CreateApiKey => rules(Service, true, Idempotent),
            PutUser(_) | PatchUser(_) | PutWorkspace(_) => rules(Service, true, Json),
            RevokeApiKey(_) | DeleteUser(_) | DeleteWorkspace(_) => rules(Service, true, Empty),
            ListApiKeys | GetWorkspace(_) | GetUser(_) => rules(Service, false, Empty),
            // Webhooks stream all of a user's link and click data: the dashboard manages
            // them (for a user, with X-Uload-User); API keys, which are scoped, cannot.
            CreateWebhook => rules(Service, true, Idempotent),
            UpdateWebhook(_) => rules(Service, true, Json),
            DeleteWebhook(_) | RotateWebhookSecret(_) | TestWebhook(_) => {
                rules(Service, true, Empty)
            }
            ListWebhooks | GetWebhook(_) | WebhookDeliveries(_) => rules(Service, false, Empty),
            // Operations: not "writes" of the dashboard's data (restore mode has its own
            // answers for them).
            PutRestoreMode | AddDenylist | BlockLink(_) => rules(Admin, false, Json),
            ListBackups | CreateBackup | Reconcile | RestoreBackup(_) | GetRestoreMode
            | ListDenylist | RemoveDenylist | UnblockLink(_) | ReleaseLink(_) | ListReports
            | AuditLog => rules(Admin, false, Empty),
        }
    }

    /// What an API key needs to call this operation.
    pub fn key_needs(&self) -> Needs {
        match self.rules().caller {
            Caller::Key(scope) => Needs::Scope(scope),
            Caller::Service | Caller::Admin => Needs::ServiceOnly,
        }
    }

    /// The operations routes, for the admin token only (and the only ones it may call).
    pub fn is_admin(&self) -> bool {
        self.rules().caller == Caller::Admin
    }

    /// Whether it changes the dashboard's data (refused while restore mode is on).
    pub fn is_write(&self) -> bool {
        self.rules().writes
    }

    /// Whether every write it makes is a link write of the link store, whose batch says
    /// whether the link triggers left webhook events to dispatch: after these, the API
    /// starts the dispatcher only when they did. The other writes (tags renamed across
    /// links, users and workspaces deleted, webhooks enabled again or tested) always start
    /// it.
    pub fn link_writes_only(&self) -> bool {
        use Api::*;
        matches!(
            self,
            CreateLink
                | UpdateLink(_)
                | DeleteLink(_)
                | BulkCreate
                | BulkDelete
                | BulkUpdate
                | BulkTag
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_writes_are_link_writes() {
        for api in [Api::CreateLink, Api::UpdateLink("x"), Api::BulkTag] {
            assert!(api.link_writes_only() && api.is_write(), "{api:?}");
        }
        // Tags are renamed and merged across links, and webhook routes raise their own
        // events: not link writes of the link store.
        for api in [
            Api::ListLinks,
            Api::UpdateTag("t"),
            Api::MergeTag("t"),
            Api::TestWebhook("w"),
            Api::UpdateWebhook("w"),
            Api::DeleteUser("u"),
        ] {
            assert!(!api.link_writes_only(), "{api:?}");
        }
    }

    #[test]
    fn every_post_takes_an_idempotency_key_and_every_admin_route_is_no_dashboard_write() {
        for api in [
            Api::CreateLink,
            Api::BulkCreate,
            Api::BulkDelete,
            Api::BulkUpdate,
            Api::BulkTag,
            Api::CreateTag,
            Api::MergeTag("t"),
            Api::CreateApiKey,
        ] {
            assert_eq!(api.rules().body, Body::Idempotent, "{api:?}");
            assert!(api.is_write(), "{api:?}");
        }
        for api in [
            Api::ListBackups,
            Api::PutRestoreMode,
            Api::AddDenylist,
            Api::BlockLink("l"),
            Api::AuditLog,
        ] {
            assert!(api.is_admin() && !api.is_write(), "{api:?}");
            assert_eq!(api.key_needs(), Needs::ServiceOnly);
        }
        assert_eq!(Api::UpdateLink("l").rules().body, Body::Json);
        assert_eq!(Api::GetLink("l").rules().body, Body::None);
        assert_eq!(
            Api::LinkStats("l").key_needs(),
            Needs::Scope(KeyScope::StatsRead)
        );
        assert!(
            !Api::PutUser("u").is_admin() && Api::PutUser("u").key_needs() == Needs::ServiceOnly
        );
    }
}
