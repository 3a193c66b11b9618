//! uLoad's tags: per owner, the slug unique per owner.

use std::collections::HashSet;

use serde_json::Value;
use uload_core::slug;

use super::{checked_id, opt, times, Known, Plan, Row};
use crate::fields::text;
use crate::read::Collections;

pub(super) fn tags(
    c: &Collections,
    now: &str,
    p: &mut Plan,
    k: &mut Known,
    tick: &mut dyn FnMut(),
) {
    // Tags: per owner, slug unique per owner; uLoad's slug is kept when it is one the
    // worker would write (`caf-tipps` stays), else made from the name.
    let mut tag_slugs = HashSet::new();
    for r in &c.tags {
        tick();
        let Some(id) = checked_id(r, "tags", p) else {
            continue;
        };
        let name = text(r, &["name"]).unwrap_or_default();
        let tag_slug = text(r, &["slug"])
            .filter(|s| slug::slugify(s) == *s)
            .unwrap_or_else(|| slug::slugify(&name));
        if name.is_empty() || name.chars().count() > 50 || tag_slug.is_empty() {
            p.skip(
                "tags",
                &id,
                "name must be 1 to 50 characters with a letter or digit",
            );
            continue;
        }
        let owner = match k.owner_of(r) {
            Ok(o) => o,
            Err(o) => {
                p.skip(
                    "tags",
                    &id,
                    format!("its owner {o} is not among the imported users"),
                );
                continue;
            }
        };
        if !tag_slugs.insert((owner.clone(), tag_slug.clone())) {
            p.skip(
                "tags",
                &id,
                format!("another tag of this owner is already '{tag_slug}'"),
            );
            continue;
        }
        k.tag_owner.insert(id.clone(), owner.clone());
        let mut row = Row::new();
        row.insert("id", Value::from(id.clone()));
        row.insert("user_id", opt(owner));
        row.insert("name", Value::from(name));
        row.insert("slug", Value::from(tag_slug));
        row.insert("color", opt(text(r, &["color"])));
        let (created, updated, _) = times(r, None, now);
        row.insert("created_at", Value::from(created));
        row.insert("updated_at", Value::from(updated));
        p.push("tags", format!("tags:{id}"), row);
        p.mapped("tags");
    }
}
