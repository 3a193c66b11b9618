//! Abuse handling: link targets screened at creation and edit (`uload_core::abuse`), and the
//! admin's actions (admin token only): the denylist (a domain ban can disable every link
//! to the domain at once, and be undone), disabling a link for abuse and undoing it, and
//! the audit log of all of these.

use serde_json::{json, Value};

use super::Ctx;
use crate::error::ApiError;
use crate::http::Reply;
use crate::services::abuse_review;
use crate::services::kv_sync::{publish, Change};
use crate::store::abuse_db::{AbuseDb, AuditEntry};
use crate::store::d1;
use crate::store::links_db::LinksDb;
use crate::store::StoreError;
use crate::{log, metrics, runtime};
use uload_core::abuse::{self, Denylist, Flag};
use uload_core::fields::Reader;
use uload_core::page::List;

/// Checks a link's targets (`(field, url)`, normalised) against the abuse rules: a refusal
/// is a 422 naming the rule; flags are returned for the answer's warnings.
pub async fn screen(c: &Ctx<'_>, targets: &[(&str, &str)]) -> Result<Vec<Flag>, ApiError> {
    if targets.is_empty() {
        return Ok(Vec::new());
    }
    let list = abuse_review::denylist(c.env).await?;
    let mut flags = Vec::new();
    for (field, url) in targets {
        // No reputation provider is configured yet (see `abuse::Reputation`).
        match abuse::check_with(url, &list, &abuse::NoReputation) {
            Ok(f) => flags.extend(f),
            Err(refusal) => {
                metrics::record(|m| m.inc("links_refused_total", &[("rule", refusal.rule())], 1));
                log::info("link_refused", json!({ "rule": refusal.rule() }));
                return Err(ApiError::TargetRefused {
                    field: field.to_string(),
                    rule: refusal.rule(),
                    detail: refusal.message(),
                });
            }
        }
    }
    flags.sort_by_key(|f| f.rule());
    flags.dedup();
    for f in &flags {
        metrics::record(|m| m.inc("links_flagged_total", &[("rule", f.rule())], 1));
    }
    Ok(flags)
}

fn audit(action: &str, target: &str, reason: Option<&str>) -> AuditEntry {
    AuditEntry {
        id: runtime::random_id(),
        at: crate::clock::now_iso(),
        // One admin credential: the actor is "admin"; who held it is the operator's record.
        actor: "admin".into(),
        action: action.into(),
        target: target.into(),
        reason: reason.map(str::to_string),
    }
}

/// A reason for an admin action: required, 3 to 500 characters.
fn reason(r: &mut Reader) -> Option<String> {
    let reason = r.string("reason");
    let reason = r.require("reason", reason);
    if let Some(text) = &reason {
        if !(abuse::MIN_REASON..=abuse::MAX_REASON).contains(&text.trim().chars().count()) {
            let (min, max) = (abuse::MIN_REASON, abuse::MAX_REASON);
            r.error(
                "reason",
                format!("reason must be {min} to {max} characters"),
            );
        }
    }
    reason.map(|t| t.trim().to_string())
}

/// Republishes the KV records of changed links (blocked or unblocked) at once.
async fn republish(c: &Ctx<'_>, changed: &[(String, String)]) -> Result<(), ApiError> {
    let links = LinksDb::from_env(c.env)?;
    let mut changes: Vec<Change> = Vec::new();
    for (_, code) in changed {
        changes.push((code.clone(), links.find_redirect(code).await?));
    }
    publish(c.env, c.ctx, c.cfg, changes).await;
    Ok(())
}

/// The reason a domain ban writes on the links it disables (and finds them by to undo).
fn ban_reason(domain: &str) -> String {
    format!("domain ban: {domain}")
}

pub async fn list_denylist(c: &Ctx<'_>) -> Result<Reply, ApiError> {
    c.require_admin("abuse handling routes")?;
    let db = d1::database(c.env)?;
    let entries = AbuseDb { db: &db }.entries().await?;
    Ok(Reply::json(200, &List::from(entries)))
}

/// `{"kind": "domain"|"term", "value", "reason", "disable_existing": bool}`. With
/// `disable_existing` (domains only), every link to the domain or a subdomain is disabled
/// for abuse at once.
pub async fn add_denylist(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    c.require_admin("abuse handling routes")?;
    let mut r = Reader::new(body, abuse::DENY_FIELDS).map_err(ApiError::Validation)?;
    let kind = r.string("kind");
    let kind = r.require("kind", kind);
    let raw = r.string("value");
    let raw = r.require("value", raw);
    let why = reason(&mut r);
    let disable = r.flag("disable_existing", false);
    let value = match (kind.as_deref(), raw.as_deref()) {
        (Some("domain"), Some(v)) => abuse::normalise_domain(v).or_else(|| {
            r.error("value", "a domain is a host name such as evil.example");
            None
        }),
        (Some("term"), Some(v)) => abuse::normalise_term(v).or_else(|| {
            r.error("value", "a term is 3 to 100 characters");
            None
        }),
        (Some(_), _) => {
            r.error("kind", "kind must be domain or term");
            None
        }
        _ => None,
    };
    if disable && kind.as_deref() == Some("term") {
        r.error(
            "disable_existing",
            "only a domain ban disables existing links",
        );
    }
    r.finish(|| ()).map_err(ApiError::Validation)?;
    let (kind, value, why) = (kind.unwrap_or_default(), value.unwrap_or_default(), why);
    let db = d1::database(c.env)?;
    let store = AbuseDb { db: &db };
    store
        .deny(
            &kind,
            &value,
            why.as_deref(),
            &audit(&format!("deny_{kind}"), &value, why.as_deref()),
        )
        .await?;
    abuse_review::forget_denylist();
    let mut disabled = 0;
    if disable {
        let ids: Vec<String> = store
            .links_mentioning(&value)
            .await?
            .into_iter()
            .filter(|(_, url)| {
                abuse::check(
                    url,
                    &Denylist {
                        domains: vec![value.clone()],
                        terms: vec![],
                    },
                )
                .is_err()
            })
            .map(|(id, _)| id)
            .collect();
        let changed = store
            .set_blocked(
                &ids,
                Some(&ban_reason(&value)),
                &crate::clock::now_iso(),
                &[],
            )
            .await?;
        disabled = changed.len();
        republish(c, &changed).await?;
        metrics::record(|m| {
            m.inc(
                "links_disabled_total",
                &[("by", "domain_ban")],
                disabled as u64,
            )
        });
    }
    log::warn(
        "abuse_denied",
        json!({ "kind": kind, "value": value, "links_disabled": disabled }),
    );
    Ok(Reply::json(
        201,
        &abuse::Denied {
            kind,
            value,
            reason: why.unwrap_or_default(),
            links_disabled: disabled,
        },
    ))
}

/// `?kind=domain&value=evil.example[&enable_existing=true]`: the entry goes; with
/// `enable_existing`, links its ban disabled are enabled again (not those disabled by hand).
pub async fn remove_denylist(c: &Ctx<'_>, pairs: &[(String, String)]) -> Result<Reply, ApiError> {
    c.require_admin("abuse handling routes")?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let kind = get("kind").unwrap_or_default();
    if !abuse::DENY_KINDS.contains(&kind) {
        return Err(ApiError::validation("kind", "kind must be domain or term"));
    }
    let value = get("value").unwrap_or_default().trim().to_ascii_lowercase();
    let enable = match get("enable_existing") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::validation(
                "enable_existing",
                "enable_existing must be true or false",
            ))
        }
    };
    let db = d1::database(c.env)?;
    let store = AbuseDb { db: &db };
    if !store
        .allow(kind, &value, &audit(&format!("allow_{kind}"), &value, None))
        .await?
    {
        return Err(ApiError::NotFound);
    }
    abuse_review::forget_denylist();
    let mut enabled = 0;
    if enable && kind == "domain" {
        let ids: Vec<String> = blocked_by_ban(&db, &ban_reason(&value)).await?;
        let changed = store
            .set_blocked(&ids, None, &crate::clock::now_iso(), &[])
            .await?;
        enabled = changed.len();
        republish(c, &changed).await?;
    }
    Ok(Reply::json(
        200,
        &abuse::Allowed {
            kind: kind.to_string(),
            value,
            links_enabled: enabled,
        },
    ))
}

async fn blocked_by_ban(db: &worker::D1Database, reason: &str) -> Result<Vec<String>, StoreError> {
    #[derive(serde::Deserialize)]
    struct Row {
        id: String,
    }
    let rows: Vec<Row> = d1::all(
        db,
        "SELECT id FROM links WHERE blocked_reason = ?1",
        &[reason.into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// `POST` (with `{"reason"}`): disables a link for abuse; `DELETE`: enables it again. Its
/// visitors get a 451 page at once (KV record rewritten); its owner sees the reason.
pub async fn block(c: &Ctx<'_>, id: &str, body: Option<&Value>) -> Result<Reply, ApiError> {
    c.require_admin("abuse handling routes")?;
    let why = match body {
        Some(body) => {
            let mut r = Reader::new(body, abuse::BLOCK_FIELDS).map_err(ApiError::Validation)?;
            let why = reason(&mut r);
            r.finish(|| ()).map_err(ApiError::Validation)?;
            why
        }
        None => None,
    };
    let db = d1::database(c.env)?;
    if d1::first::<Value>(&db, "SELECT id FROM links WHERE id = ?1", &[id.into()])
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound);
    }
    let store = AbuseDb { db: &db };
    let action = if why.is_some() {
        "block_link"
    } else {
        "unblock_link"
    };
    let entry = audit(action, id, why.as_deref());
    // Recorded even when the link already was in that state: the request is on record.
    let changed = store
        .set_blocked(
            &[id.to_string()],
            why.as_deref(),
            &entry.at.clone(),
            &[entry],
        )
        .await?;
    if why.is_some() {
        // A decision on the link: its open reports are handled, its hold ends.
        closed(&store, id, None).await?;
    }
    republish(c, &changed).await?;
    if why.is_some() {
        metrics::record(|m| {
            m.inc(
                "links_disabled_total",
                &[("by", "admin")],
                changed.len() as u64,
            )
        });
    }
    log::warn("abuse_link", json!({ "action": action, "link_id": id }));
    Ok(Reply::json(
        200,
        &abuse::BlockState {
            id: id.to_string(),
            blocked: why.map(|reason| abuse::BlockReason { reason }),
        },
    ))
}

/// Closes a link's open reports (and its hold), counting how long the oldest waited.
async fn closed(store: &AbuseDb<'_>, id: &str, audit: Option<&AuditEntry>) -> Result<(), ApiError> {
    let now = crate::clock::now_utc();
    let oldest = store
        .release(id, &uload_core::time::format(now), audit)
        .await?;
    if let Some(t) = oldest.and_then(|t| uload_core::time::parse(&t)) {
        let waited = (now.timestamp() - t.timestamp()).max(0) as u64;
        metrics::record(|m| {
            m.inc("abuse_reports_actioned_total", &[], 1);
            m.inc("abuse_report_wait_seconds_total", &[], waited);
        });
    }
    Ok(())
}

/// Ends a link's hold for review (the reports were unfounded): visitors are redirected
/// again at once, its open reports are closed.
pub async fn release(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    c.require_admin("abuse handling routes")?;
    let db = d1::database(c.env)?;
    let store = AbuseDb { db: &db };
    let Some(code) = d1::first::<Value>(&db, "SELECT code FROM links WHERE id = ?1", &[id.into()])
        .await?
        .and_then(|v| v["code"].as_str().map(str::to_string))
    else {
        return Err(ApiError::NotFound);
    };
    closed(&store, id, Some(&audit("release_link", id, None))).await?;
    republish(c, &[(id.to_string(), code)]).await?;
    Ok(Reply::json(
        200,
        &abuse::HoldReleased {
            id: id.to_string(),
            held: false,
        },
    ))
}

/// Open abuse reports, newest first (`?link_id=` for one link's).
pub async fn reports(c: &Ctx<'_>, pairs: &[(String, String)]) -> Result<Reply, ApiError> {
    c.require_admin("abuse handling routes")?;
    let link = pairs
        .iter()
        .find(|(k, _)| k == "link_id")
        .map(|(_, v)| v.as_str());
    if link.is_some_and(|l| !uload_core::route::is_id(l)) {
        return Err(ApiError::validation("link_id", "not a link id"));
    }
    let db = d1::database(c.env)?;
    let data = AbuseDb { db: &db }.open_reports(link).await?;
    Ok(Reply::json(200, &List::from(data)))
}

/// The newest admin actions (`?limit=`, 1 to 500, default 100).
pub async fn audit_log(c: &Ctx<'_>, pairs: &[(String, String)]) -> Result<Reply, ApiError> {
    c.require_admin("abuse handling routes")?;
    let limit = match pairs
        .iter()
        .find(|(k, _)| k == "limit")
        .map(|(_, v)| v.parse::<u32>())
    {
        None => abuse::AUDIT_DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=abuse::AUDIT_MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            let max = abuse::AUDIT_MAX_LIMIT;
            return Err(ApiError::validation(
                "limit",
                format!("limit must be 1 to {max}"),
            ));
        }
    };
    let db = d1::database(c.env)?;
    let entries = AbuseDb { db: &db }.audit_log(limit).await?;
    Ok(Reply::json(200, &List::from(entries)))
}
