//! uLoad's workspaces (served at /w/{slug}/…; personal ones have no path of their own)
//! and their accepted members.

use std::collections::HashSet;

use serde_json::Value;

use super::{checked_id, opt, times, Known, Plan, Row};
use crate::fields::text;
use crate::read::Collections;

pub(super) fn workspaces(
    c: &Collections,
    now: &str,
    p: &mut Plan,
    k: &mut Known,
    tick: &mut dyn FnMut(),
) {
    // Workspaces: served at /w/{slug}/…; k.personal ones (no slug) have no path of their own.
    let mut slugs_seen = HashSet::new();
    let mut members_seen = HashSet::new();
    for r in &c.workspaces {
        tick();
        let Some(id) = checked_id(r, "workspaces", p) else {
            continue;
        };
        let Some(ws_slug) = text(r, &["slug"]) else {
            k.personal.insert(id.clone());
            p.note("workspaces", &id, "no slug (a personal workspace): its links are served at their plain codes, as in uLoad; not imported as a workspace");
            continue;
        };
        if !uload_core::route::is_id(&ws_slug) || ws_slug.len() > 50 {
            p.skip(
                "workspaces",
                &id,
                format!("slug '{ws_slug}' cannot be a /w/ path (1 to 50 of A-Z a-z 0-9 _ -)"),
            );
            continue;
        }
        if !slugs_seen.insert(ws_slug.clone()) {
            p.skip(
                "workspaces",
                &id,
                format!("slug '{ws_slug}' is another workspace's"),
            );
            continue;
        }
        let mut row = Row::new();
        row.insert("slug", Value::from(ws_slug.clone()));
        row.insert(
            "name",
            opt(text(r, &["name"]).map(|n| n.chars().take(100).collect())),
        );
        let (created, updated, _) = times(r, None, now);
        row.insert("created_at", Value::from(created));
        row.insert("updated_at", Value::from(updated));
        p.push("workspaces", format!("workspaces:{id}"), row);
        p.mapped("workspaces");
        // Its owner is a member, as in uLoad.
        if let Some(owner) = text(r, &["owner"]).filter(|o| k.users.contains(o)) {
            if members_seen.insert((ws_slug.clone(), owner.clone())) {
                let mut m = Row::new();
                m.insert("workspace_slug", Value::from(ws_slug.clone()));
                m.insert("user_id", Value::from(owner));
                p.push("workspace_members", format!("workspaces.owner:{id}"), m);
            }
        }
        k.workspace_slugs.insert(id, ws_slug);
    }
    for r in &c.workspace_members {
        tick();
        let Some(id) = checked_id(r, "workspace_members", p) else {
            continue;
        };
        let ws = text(r, &["workspace", "workspace_id"]).unwrap_or_default();
        let user = text(r, &["user", "user_id"]).unwrap_or_default();
        let status = text(r, &["invitation_status"]).unwrap_or_default();
        let Some(ws_slug) = k.workspace_slugs.get(&ws).cloned() else {
            if k.personal.contains(&ws) {
                p.note(
                    "workspace_members",
                    &id,
                    "a member of a personal workspace (no /w/ path): nothing to import",
                );
            } else {
                p.skip(
                    "workspace_members",
                    &id,
                    format!("workspace {ws} is not among the imported workspaces"),
                );
            }
            continue;
        };
        if !k.users.contains(&user) {
            p.skip(
                "workspace_members",
                &id,
                format!("user {user} is not among the imported users"),
            );
            continue;
        }
        if !(status.is_empty() || status == "accepted") {
            p.skip(
                "workspace_members",
                &id,
                format!("invitation {status}, not accepted: not a member"),
            );
            continue;
        }
        p.mapped("workspace_members");
        if members_seen.insert((ws_slug.clone(), user.clone())) {
            let mut m = Row::new();
            m.insert("workspace_slug", Value::from(ws_slug));
            m.insert("user_id", Value::from(user));
            p.push("workspace_members", format!("workspace_members:{id}"), m);
        }
    }
}
