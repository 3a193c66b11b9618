//! What an import did, per collection, and what it deliberately leaves behind (and why).

use serde_json::{json, Map, Value};

use crate::plan::{Plan, TABLES};
use crate::read::{Collections, READ};

/// Collections of uLoad's PocketBase that are not imported, and why.
pub const NOT_READ: &[(&str, &str)] = &[
    (
        "cards",
        "bio-page cards: the worker's bio page lists links only; the dashboard keeps them",
    ),
    (
        "folders",
        "the dashboard's folders: no meaning for redirects",
    ),
    ("accounts", "account sharing: managed by the dashboard"),
    ("shared_access", "account sharing: managed by the dashboard"),
    (
        "pending_invitations",
        "open invitations: managed by the dashboard",
    ),
    (
        "notifications",
        "in-app notifications: managed by the dashboard",
    ),
    ("featurerequests", "product feedback: not link data"),
    ("featurevotes", "product feedback: not link data"),
];

/// Fields of the collections read that are not imported, and why.
pub const NOT_IMPORTED: &[(&str, &str)] = &[
    ("users.email, emailVisibility, verified", "e-mail and login stay with the dashboard (the worker never signs anyone in)"),
    ("users.passwordHash, tokenKey", "login credentials stay with the dashboard"),
    ("users.avatar, links.qr_code, workspaces.logo", "files: the worker serves no uploads (QR codes are drawn on request)"),
    ("users.isPremium, stripeCustomerId, stripeSubscriptionId, subscriptionStatus, planType, links_created_this_month, monthly_reset_date, workspaces.subscription_status", "billing stays with the dashboard"),
    ("users.location, website, github, twitter, linkedin, instagram, showClickStats, emailNotifications, defaultExpiry, profileBackground, cardCustomization", "profile settings the worker's bio page does not show"),
    ("clicks.ip_hash, analytics.ip", "raw IP addresses: the worker keeps none (no visitor hash either: uniques start with the worker)"),
    ("clicks.browser, os (as stored)", "re-derived from the User-Agent with the worker's parser, so old and new clicks agree"),
    ("tags.icon, is_public, usage_count", "the worker's tags are private labels without icons; usage is counted from the links"),
    ("workspaces.type, description, settings; workspace_members.role, permissions", "roles and settings stay with the dashboard; every accepted member may use the workspace's /w/ path"),
    ("links.account_owner, created_by (when user_id is set)", "a link belongs to one user in the worker"),
];

/// The report as JSON: per collection read / mapped / skipped / noted, rows to insert,
/// what was not read at all, and the fields left behind.
pub fn report(c: &Collections, p: &Plan, dry_run: bool) -> Value {
    let mut collections = Map::new();
    for name in READ {
        let count =
            |list: &[crate::plan::Skip]| list.iter().filter(|s| s.collection == name).count();
        collections.insert(
            name.to_string(),
            json!({
                "read": c.get(name).len(),
                "mapped": p.mapped.get(name).copied().unwrap_or(0),
                "skipped": count(&p.skipped),
                "notes": count(&p.notes),
            }),
        );
    }
    let not_read: Vec<Value> = c
        .unread
        .iter()
        .map(|name| {
            let why = NOT_READ
                .iter()
                .find(|(n, _)| n == name)
                .map_or("not a collection uLoad's link data lives in", |(_, w)| w);
            json!({ "collection": name, "why": why })
        })
        .collect();
    json!({
        "dry_run": dry_run,
        "collections": collections,
        "insert": TABLES.iter().map(|t| (t.to_string(), json!(p.count(t)))).collect::<Map<_, _>>(),
        "skipped": p.skipped.len(),
        "notes": p.notes.len(),
        "not_read": not_read,
        "not_imported": NOT_IMPORTED.iter().map(|(f, w)| json!({ "fields": f, "why": w })).collect::<Vec<_>>(),
    })
}
