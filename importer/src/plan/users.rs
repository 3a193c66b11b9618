//! uLoad's users: usernames kept when the worker can route them, placeholders and
//! duplicates imported without one (as `~{id}`), profiles as public as they were.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use uload_core::username;

use super::{checked_id, opt, times, Known, Plan, Row};
use crate::fields::{flag, is_placeholder_username, text};
use crate::read::Collections;

/// Users. `k.usernames`: id → the routable username, if the user has one.
pub(super) fn users(
    c: &Collections,
    now: &str,
    p: &mut Plan,
    k: &mut Known,
    tick: &mut dyn FnMut(),
) {
    // Prefixes of "name/code" codes per owner: a placeholder username with links under it
    // stays (their /u/ paths keep working).
    let mut prefixes: HashMap<String, HashSet<String>> = HashMap::new();
    for r in &c.links {
        if let (Some(owner), Some(code)) = (
            text(r, &["user_id", "user", "owner", "created_by"]),
            text(r, &["short_code", "code", "custom_code"]),
        ) {
            if let Some((prefix, _)) = code.split_once('/') {
                prefixes
                    .entry(owner)
                    .or_default()
                    .insert(prefix.to_string());
            }
        }
    }

    // Users. `k.usernames`: id → the routable username, if the user has one.
    let mut taken = HashSet::new();
    for r in &c.users {
        tick();
        let Some(id) = checked_id(r, "users", p) else {
            continue;
        };
        let raw = text(r, &["username"]);
        let has_links_under = |u: &str| prefixes.get(&id).is_some_and(|s| s.contains(u));
        let name = match raw.as_deref() {
            None => {
                p.note("users", &id, format!("no username (never finished uLoad's username step): imported as ~{id}, which no path reaches; their links keep their plain codes; no bio page until the dashboard sets a username"));
                None
            }
            Some(u) if !username::is_valid(u) => {
                p.note("users", &id, format!("username '{u}' cannot be routed (3 to 30 of a-z 0-9 _ -): imported without one, as ~{id}"));
                None
            }
            Some(u) if is_placeholder_username(u) && !has_links_under(u) => {
                p.note("users", &id, format!("username '{u}' is a placeholder uLoad generated: imported without one, as ~{id}"));
                None
            }
            Some(u) if !taken.insert(u.to_string()) => {
                p.note(
                    "users",
                    &id,
                    format!(
                        "username '{u}' is another record's too: imported without one, as ~{id}"
                    ),
                );
                None
            }
            Some(u) => Some(u.to_string()),
        };
        let mut row = Row::new();
        row.insert("id", Value::from(id.clone()));
        row.insert(
            "username",
            Value::from(name.clone().unwrap_or_else(|| format!("~{id}"))),
        );
        row.insert("display_name", opt(text(r, &["name", "display_name"])));
        row.insert("bio", opt(text(r, &["bio"])));
        // uLoad showed a bio page only when publicProfile was true, and PocketBase stores an
        // unset bool as false: copied as is, every profile stays as public as it was.
        let public = name.is_some() && flag(r, &["publicProfile", "profile_public"], false);
        row.insert("profile_public", Value::from(i64::from(public)));
        let (created, updated, _) = times(r, None, now);
        row.insert("created_at", Value::from(created));
        row.insert("updated_at", Value::from(updated));
        p.push("users", format!("users:{id}"), row);
        p.mapped("users");
        k.users.insert(id.clone());
        if let Some(n) = name {
            k.usernames.insert(id, n);
        }
    }
}
