//! uLoad's links: codes (with `username/code` user links) and targets checked by the
//! worker's own rules, passwords hashed or kept only in the worker's format, click counts
//! and the max_clicks seed.

use std::collections::HashSet;

use serde_json::Value;
use uload_core::{code, target};

use super::{checked_id, opt, times, Known, Plan, Row};
use crate::fields::{exact_text, flag, list, number, text, time};
use crate::read::Collections;
use crate::{hash_password, is_worker_hash};

pub(super) fn links(
    c: &Collections,
    now: &str,
    policy: &target::Policy,
    p: &mut Plan,
    k: &mut Known,
    tick: &mut dyn FnMut(),
) {
    // Links.
    let mut codes = HashSet::new();
    for r in &c.links {
        tick();
        let Some(id) = checked_id(r, "links", p) else {
            continue;
        };
        let owner = match k.owner_of(r) {
            Ok(o) => o,
            Err(o) => {
                p.skip(
                    "links",
                    &id,
                    format!("its owner {o} is not among the imported users"),
                );
                continue;
            }
        };
        let Some(raw_code) = text(r, &["short_code", "code", "custom_code", "slug"]) else {
            p.skip("links", &id, "no short code");
            continue;
        };
        let owner_name = owner.as_ref().and_then(|o| k.usernames.get(o)).cloned();
        // uLoad's user links: "username/code" (served at /u/{user}/{code}). Rows already
        // migrated to that form may still say use_username: never prefixed twice.
        let stored = if raw_code.contains('/') {
            raw_code
        } else if flag(r, &["use_username", "user_link"], false) {
            match &owner_name {
                Some(n) => format!("{n}/{raw_code}"),
                None => {
                    p.note(
                        "links",
                        &id,
                        "use_username, but its owner has no username: served at its plain code",
                    );
                    raw_code
                }
            }
        } else {
            raw_code
        };
        if let Err(e) = code::validate_stored(&stored, owner_name.as_deref()) {
            p.skip("links", &id, format!("code '{stored}': {}", e.message()));
            continue;
        }
        if codes.contains(&stored) {
            p.skip(
                "links",
                &id,
                format!("code '{stored}' is taken by another record"),
            );
            continue;
        }
        let Some(raw_url) = text(r, &["original_url", "url", "target_url", "destination"]) else {
            p.skip("links", &id, "no target URL");
            continue;
        };
        // uLoad's links work as the parser reads them: kept so (only the policy applies).
        let url = match policy.check_stored(&raw_url) {
            Ok(u) => u,
            Err(e) => {
                p.skip("links", &id, format!("target URL: {}", e.message()));
                continue;
            }
        };
        codes.insert(stored.clone());
        // A stored hash is kept only in the worker's own format and cost (a weaker one would
        // make the password cheap to guess); uLoad's plaintext passwords are hashed exactly
        // as stored: uLoad compared them exactly, spaces included.
        let mut inactive = false;
        let plain = exact_text(r, &["password"]);
        let password_hash = match (text(r, &["password_hash"]), plain) {
            (Some(h), _) if is_worker_hash(&h) => Some(h),
            (_, Some(pw)) => Some(hash_password(&pw)),
            (Some(_), None) => {
                inactive = true;
                p.note("links", &id, "its password hash is not the worker's PBKDF2 (format or cost): imported inactive, its owner sets a new password");
                None
            }
            (None, None) => None,
        };
        let clicks = k.uload_clicks.get(&id);
        let max_clicks = number(r, &["max_clicks"]).filter(|n| *n > 0);
        let uload_count = number(r, &["click_count", "clicks"]).unwrap_or(0).max(0);
        let mut row = Row::new();
        row.insert("id", Value::from(id.clone()));
        row.insert("code", Value::from(stored));
        row.insert("url", Value::from(url));
        row.insert(
            "title",
            opt(text(r, &["title"]).map(|t| t.chars().take(200).collect())),
        );
        row.insert(
            "description",
            opt(text(r, &["description"]).map(|t| t.chars().take(500).collect())),
        );
        let active = flag(r, &["is_active", "active"], true) && !inactive;
        row.insert("is_active", Value::from(i64::from(active)));
        row.insert("password_hash", opt(password_hash));
        row.insert("max_clicks", max_clicks.map_or(Value::Null, Value::from));
        // What uLoad had counted against max_clicks: every click it recorded (bots and empty
        // User-Agents too), or its counter if that is higher. The reconcile job seeds the
        // link's counter with it, so a used-up link stays used up.
        let used = clicks.map_or(0, |c| c.0 as i64).max(uload_count);
        row.insert(
            "limit_seed",
            if max_clicks.is_some() && used > 0 {
                Value::from(used)
            } else {
                Value::Null
            },
        );
        row.insert("expires_at", opt(time(r, &["expires_at", "expires"])));
        // With click records, the clicks are counted from them (exact); without, uLoad's count.
        row.insert(
            "click_count",
            Value::from(if clicks.is_some() { 0 } else { uload_count }),
        );
        row.insert(
            "last_clicked_at",
            opt(time(r, &["last_clicked_at", "last_clicked"])),
        );
        for utm in ["utm_source", "utm_medium", "utm_campaign"] {
            row.insert(utm, opt(text(r, &[utm])));
        }
        row.insert("user_id", opt(owner.clone()));
        let ws = text(r, &["workspace_id", "workspace"]);
        let ws_slug = match &ws {
            None => None,
            Some(w) if k.personal.contains(w) => None,
            Some(w) => match k.workspace_slugs.get(w) {
                Some(s) => Some(s.clone()),
                None => {
                    p.note("links", &id, format!("workspace {w} is not among the imported workspaces: imported without one"));
                    None
                }
            },
        };
        row.insert("workspace_id", opt(ws_slug));
        let (created, updated, known) =
            times(r, clicks.map(|c| &c.1).filter(|t| !t.is_empty()), now);
        if !known {
            p.note("links", &id, format!("no creation time: {created} (its update time, first click, or the import's time)"));
        }
        row.insert("created_at", Value::from(created));
        row.insert("updated_at", Value::from(updated));
        p.push("links", format!("links:{id}"), row);
        p.mapped("links");
        k.link_owner.insert(id.clone(), owner);
        for tag in list(r, &["tags"]) {
            k.legacy_tags.push((id.clone(), tag));
        }
    }
}
