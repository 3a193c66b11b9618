//! Every rule of the code the document states, by the name its placeholder uses: the
//! constants and enums the validators themselves apply.

use serde_json::{json, Value};
use uload_core::{
    abuse, code, link, listing, profile, qr, report, route, scope, secret, stats, target, username,
    webhook, workspace,
};

pub fn registry() -> Vec<(&'static str, Value)> {
    let sorts: Vec<String> = listing::Sort::ALL
        .iter()
        .map(|s| s.name().to_string())
        .chain(listing::Sort::ALL.iter().map(|s| format!("-{}", s.name())))
        .collect();
    let intervals: Vec<&str> = stats::Interval::ALL.iter().map(|i| i.name()).collect();
    let formats: Vec<&str> = qr::Format::ALL.iter().map(|f| f.extension()).collect();
    // A denied term: MIN_TERM to MAX_TERM characters once trimmed.
    let term = format!(
        r"^\s*\S[\s\S]{{{},{}}}\S\s*$",
        abuse::MIN_TERM - 2,
        abuse::MAX_TERM - 2
    );
    let scopes: Vec<&str> = scope::ALL.iter().map(|s| s.name()).collect();
    vec![
        // A link's fields (uload_core::link).
        ("target::MAX_LEN", json!(target::MAX_LEN)),
        ("target::MAX_IMAGE_LEN", json!(target::MAX_IMAGE_LEN)),
        ("link::MAX_TITLE", json!(link::MAX_TITLE)),
        ("link::MAX_DESCRIPTION", json!(link::MAX_DESCRIPTION)),
        ("link::MAX_PASSWORD", json!(link::MAX_PASSWORD)),
        ("link::MAX_CLICKS_LIMIT", json!(link::MAX_CLICKS_LIMIT)),
        ("link::MAX_TAGS", json!(link::MAX_TAGS)),
        ("link::MAX_TAG_NAME", json!(link::MAX_TAG_NAME)),
        ("link::MAX_UTM", json!(link::MAX_UTM)),
        ("link::MAX_WORKSPACE_ID", json!(link::MAX_WORKSPACE_ID)),
        ("link::MAX_GEO", json!(link::MAX_GEO)),
        ("link::MAX_BULK", json!(link::MAX_BULK)),
        ("link::DEFAULT_STATUS", json!(link::DEFAULT_STATUS)),
        ("link::STATUSES", json!(link::STATUSES)),
        ("code::MIN_LEN", json!(code::MIN_LEN)),
        ("code::MAX_LEN", json!(code::MAX_LEN)),
        ("username::MIN_LEN", json!(username::MIN_LEN)),
        ("username::MAX_LEN", json!(username::MAX_LEN)),
        // Lists and search (uload_core::listing).
        ("listing::MAX_LIMIT", json!(listing::MAX_LIMIT)),
        ("listing::DEFAULT_LIMIT", json!(listing::DEFAULT_LIMIT)),
        ("listing::MAX_SEARCH", json!(listing::MAX_SEARCH)),
        ("listing::Sort::ALL", json!(sorts)),
        // Ids and headers.
        ("route::MAX_ID_LEN", json!(route::MAX_ID_LEN)),
        (
            "secret::MAX_IDEMPOTENCY_KEY",
            json!(secret::MAX_IDEMPOTENCY_KEY),
        ),
        // QR images.
        ("qr::MIN_SIZE", json!(qr::MIN_SIZE)),
        ("qr::MAX_SIZE", json!(qr::MAX_SIZE)),
        ("qr::DEFAULT_SIZE", json!(qr::DEFAULT_SIZE)),
        ("qr::MAX_MARGIN", json!(qr::MAX_MARGIN)),
        ("qr::DEFAULT_MARGIN", json!(qr::DEFAULT_MARGIN)),
        ("qr::Format::ALL", json!(formats)),
        // Statistics and the CSV export.
        ("stats::MAX_TOP", json!(stats::MAX_TOP)),
        ("stats::DEFAULT_TOP", json!(stats::DEFAULT_TOP)),
        ("stats::MAX_EXPORT_LIMIT", json!(stats::MAX_EXPORT_LIMIT)),
        (
            "stats::DEFAULT_EXPORT_LIMIT",
            json!(stats::DEFAULT_EXPORT_LIMIT),
        ),
        ("stats::MAX_ZONE_NAME", json!(stats::MAX_ZONE_NAME)),
        ("stats::Interval::ALL", json!(intervals)),
        // Users and workspaces.
        (
            "profile::MAX_DISPLAY_NAME",
            json!(profile::MAX_DISPLAY_NAME),
        ),
        ("profile::MAX_BIO", json!(profile::MAX_BIO)),
        ("workspace::MAX_NAME", json!(workspace::MAX_NAME)),
        ("workspace::MAX_MEMBERS", json!(workspace::MAX_MEMBERS)),
        // API keys, webhooks, abuse reports.
        ("scope::ALL", json!(scopes)),
        ("scope::MAX_KEY_NAME", json!(scope::MAX_KEY_NAME)),
        ("webhook::EVENT_TYPES", json!(webhook::EVENT_TYPES)),
        ("webhook::MAX_URL", json!(webhook::MAX_URL)),
        ("webhook::MAX_DESCRIPTION", json!(webhook::MAX_DESCRIPTION)),
        ("report::MAX_LINK_LEN", json!(report::MAX_LINK_LEN)),
        ("report::MAX_DETAILS", json!(report::MAX_DETAILS)),
        ("report::MAX_CONTACT", json!(report::MAX_CONTACT)),
        // The operator's abuse handling.
        ("abuse::MAX_DOMAIN", json!(abuse::MAX_DOMAIN)),
        ("abuse::TERM_PATTERN", json!(term)),
        ("abuse::MIN_REASON", json!(abuse::MIN_REASON)),
        ("abuse::MAX_REASON", json!(abuse::MAX_REASON)),
        (
            "abuse::AUDIT_DEFAULT_LIMIT",
            json!(abuse::AUDIT_DEFAULT_LIMIT),
        ),
        ("abuse::AUDIT_MAX_LIMIT", json!(abuse::AUDIT_MAX_LIMIT)),
    ]
}
