//! uLoad's links' tags (linktags and the legacy `links.tags` field) and its clicks (both
//! click collections), counted by the worker once imported, never with an IP.

use std::collections::HashSet;

use serde_json::Value;
use uload_core::useragent;

use super::{checked_id, opt, Known, Plan, Row};
use crate::fields::{city, country_code, field, text, time};
use crate::read::Collections;

pub(super) fn link_tags(c: &Collections, p: &mut Plan, k: &mut Known, tick: &mut dyn FnMut()) {
    // Link ↔ tag: uLoad's linktags, and the legacy links.tags field where it has any.
    let legacy = std::mem::take(&mut k.legacy_tags);
    let mut assigned = HashSet::new();
    let mut assign =
        |p: &mut Plan, collection: &'static str, id: &str, key: String, link: &str, tag: &str| {
            let Some(owner) = k.link_owner.get(link) else {
                p.skip(
                    collection,
                    id,
                    format!("link {link} is not among the imported links"),
                );
                return false;
            };
            match k.tag_owner.get(tag) {
                None => {
                    p.skip(
                        collection,
                        id,
                        format!("tag {tag} is not among the imported tags"),
                    );
                    false
                }
                Some(t) if t != owner => {
                    p.skip(
                        collection,
                        id,
                        format!("tag {tag} belongs to another user than link {link}"),
                    );
                    false
                }
                Some(_) => {
                    if assigned.insert((link.to_string(), tag.to_string())) {
                        let mut lt = Row::new();
                        lt.insert("link_id", Value::from(link));
                        lt.insert("tag_id", Value::from(tag));
                        p.push("link_tags", key, lt);
                    }
                    true
                }
            }
        };
    for r in &c.linktags {
        tick();
        let Some(id) = checked_id(r, "linktags", p) else {
            continue;
        };
        let link = text(r, &["link_id", "link"]).unwrap_or_default();
        let tag = text(r, &["tag_id", "tag"]).unwrap_or_default();
        if assign(p, "linktags", &id, format!("linktags:{id}"), &link, &tag) {
            p.mapped("linktags");
        }
    }
    for (link, tag) in legacy {
        let key = format!("links.tags:{link}:{tag}");
        if k.tag_owner.contains_key(&tag) {
            assign(p, "links", &link, key, &link, &tag);
        } else {
            p.note(
                "links",
                &link,
                format!("its legacy tags field names {tag}, which is no imported tag: ignored"),
            );
        }
    }
}

pub(super) fn clicks(c: &Collections, p: &mut Plan, k: &mut Known, tick: &mut dyn FnMut()) {
    // Clicks (both collections): counted by the worker once imported, never with an IP.
    for (collection, records, prefix) in [
        ("clicks", &c.clicks, "pb-"),
        ("analytics", &c.analytics, "pba-"),
    ] {
        for r in records {
            tick();
            let Some(id) = checked_id(r, collection, p) else {
                continue;
            };
            let link = text(r, &["link_id", "link"]).unwrap_or_default();
            if !k.link_owner.contains_key(&link) {
                p.skip(
                    collection,
                    &id,
                    format!("link {link} is not among the imported links"),
                );
                continue;
            }
            let Some(at) = time(r, &["clicked_at", "created"]) else {
                p.skip(collection, &id, "no valid time");
                continue;
            };
            let ua = text(r, &["user_agent"]).unwrap_or_default();
            // uLoad stored clicks without a User-Agent as ordinary clicks: so are they here
            // (the worker's own redirects count them as bots).
            let agent = if ua.is_empty() {
                useragent::Agent {
                    browser: "Other".into(),
                    os: "Other".into(),
                    device: field(r, &["device_type", "device"])
                        .and_then(Value::as_str)
                        .map_or("other", |d| match d.to_ascii_lowercase().as_str() {
                            "mobile" => "mobile",
                            "tablet" => "tablet",
                            "desktop" => "desktop",
                            _ => "other",
                        }),
                    bot: false,
                }
            } else {
                useragent::classify(&ua)
            };
            let mut row = Row::new();
            row.insert("id", Value::from(format!("{prefix}{id}")));
            row.insert("link_id", Value::from(link));
            row.insert("clicked_at", Value::from(at));
            row.insert("browser", Value::from(agent.browser));
            row.insert("os", Value::from(agent.os));
            row.insert("device_type", Value::from(agent.device));
            row.insert("is_bot", Value::from(i64::from(agent.bot)));
            row.insert(
                "referer_host",
                opt(uload_core::click::referer_host(
                    text(r, &["referer", "referrer"]).as_deref(),
                )),
            );
            row.insert(
                "country",
                opt(text(r, &["country"]).and_then(|v| country_code(&v))),
            );
            row.insert("city", opt(text(r, &["city"]).and_then(|v| city(&v))));
            for utm in [
                "utm_source",
                "utm_medium",
                "utm_campaign",
                "utm_term",
                "utm_content",
            ] {
                row.insert(utm, opt(text(r, &[utm])));
            }
            p.push("clicks", format!("{collection}:{id}"), row);
            p.mapped(collection);
        }
    }
}
