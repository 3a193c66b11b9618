//! The redirect decision: from a record to what a visitor gets.

use url::Url;

use super::link::{RedirectRecord, Utm, DEFAULT_STATUS, STATUSES};

/// Browsers cache 301/308 for good unless told otherwise, which makes edits of a link
/// never take effect for someone who clicked it once. Every redirect says "do not reuse
/// without asking", and `private` keeps shared caches out (analytics must see each click).
pub const CACHE_CONTROL: &str = "private, max-age=0";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Redirect {
        status: u16,
        location: String,
    },
    /// The link exists but no longer redirects (deactivated or expired): 410.
    Gone,
    /// Disabled for abuse by an admin: 451, before anything else about the link.
    Blocked,
    /// Held for review after abuse reports, and the visitor has not chosen to continue:
    /// a warning page whose continue link goes to `continue_to` (a path and query).
    Held,
    /// The redirect needs the link's password first (or a valid unlock cookie).
    Protected {
        status: u16,
        location: String,
        password_hash: String,
    },
}

/// Where a visitor goes: the link's target, plus the short URL's query string (when the link
/// forwards it) and the link's UTM parameters. Nothing the target already sets is replaced,
/// and of the rest the visitor's own parameters come before the link's UTM defaults.
pub fn final_location(
    target: &str,
    request_query: Option<&str>,
    forward: bool,
    utm: &Utm,
) -> String {
    let query = request_query.filter(|q| forward && !q.is_empty());
    if query.is_none() && utm.is_empty() {
        return target.to_string(); // the common case: no parsing on the hot path
    }
    let Ok(mut url) = Url::parse(target) else {
        return target.to_string();
    };
    let own: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    // Every parameter of the visitor the target does not set, repeated keys included
    // (`?tag=a&tag=b` is two values, not one); then the link's UTM defaults for the keys
    // neither of them has.
    let mut add: Vec<(String, String)> = query
        .into_iter()
        .flat_map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned())
        .filter(|(k, _)| !own.contains(k))
        .collect();
    for (k, v) in utm.pairs() {
        if let Some(v) = v {
            if !own.iter().any(|o| o == k) && !add.iter().any(|(a, _)| a == k) {
                add.push((k.to_string(), v.to_string()));
            }
        }
    }
    if !add.is_empty() {
        url.query_pairs_mut().extend_pairs(add);
    }
    url.into()
}

/// The device a request comes from, as far as targeting cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Ios,
    Android,
    Other,
}

/// The visitor's context that targeting and forwarding look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Visit<'a> {
    pub query: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    /// ISO 3166-1 alpha-2, from `request.cf.country`.
    pub country: Option<&'a str>,
    /// The visitor chose to continue past a warning (`uload-continue=1` in the query).
    pub confirmed: bool,
}

/// The query parameter of a warning page's continue link (never passed on to the target).
pub const CONTINUE_PARAM: &str = "uload-continue";

/// Whether the query carries the continue marker, and the query without it.
pub fn split_continue(query: Option<&str>) -> (bool, Option<String>) {
    let Some(q) = query else {
        return (false, None);
    };
    let marker = format!("{CONTINUE_PARAM}=1");
    let mut confirmed = false;
    let rest: Vec<&str> = q
        .split('&')
        .filter(|p| {
            let is = *p == marker;
            confirmed |= is;
            !is && !p.is_empty()
        })
        .collect();
    (confirmed, (!rest.is_empty()).then(|| rest.join("&")))
}

/// iOS and Android by the tokens their browsers and in-app webviews always send. (Full
/// user-agent parsing for analytics is a separate concern; targeting needs only these two.)
pub fn device(user_agent: Option<&str>) -> Device {
    let ua = user_agent.unwrap_or("");
    if ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iPod") {
        Device::Ios
    } else if ua.contains("Android") {
        Device::Android
    } else {
        Device::Other
    }
}

/// The target for this visitor: device first (an app store link wins over a country page),
/// then country, then the link's URL.
pub fn choose_target<'r>(record: &'r RedirectRecord, visit: &Visit) -> &'r str {
    let t = &record.targets;
    let by_device = match device(visit.user_agent) {
        Device::Ios => t.ios.as_deref(),
        Device::Android => t.android.as_deref(),
        Device::Other => None,
    };
    by_device
        .or_else(|| {
            visit
                .country
                .and_then(|c| t.geo.get(&c.to_ascii_uppercase()).map(String::as_str))
        })
        .unwrap_or(&record.url)
}

pub fn decide(record: &RedirectRecord, now_ms: u64, visit: &Visit) -> Decision {
    if record.blocked {
        return Decision::Blocked;
    }
    if !record.active {
        return Decision::Gone;
    }
    if let Some(exp) = record.expires_at.as_deref() {
        // An unreadable expiry is treated as expired: failing closed here only hides a link
        // whose stored data is broken, never shows one that should be gone.
        let expired = crate::time::parse(exp).is_none_or(|t| t.timestamp_millis() <= now_ms as i64);
        if expired {
            return Decision::Gone;
        }
    }
    if record.held && !visit.confirmed {
        return Decision::Held;
    }
    // A record with an unexpected status (a bad import, a newer writer) still redirects.
    let status = if STATUSES.contains(&record.status) {
        record.status
    } else {
        DEFAULT_STATUS
    };
    let target = if record.targets.is_empty() {
        &record.url
    } else {
        choose_target(record, visit)
    };
    let location = final_location(target, visit.query, record.forward_query, &record.utm);
    match &record.password_hash {
        Some(hash) => Decision::Protected {
            status,
            location,
            password_hash: hash.clone(),
        },
        None => Decision::Redirect { status, location },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: u16) -> RedirectRecord {
        RedirectRecord {
            link_id: "l".into(),
            url: "https://a.de/".into(),
            status,
            active: true,
            expires_at: None,
            password_hash: None,
            forward_query: true,
            utm: Utm::default(),
            max_clicks: None,
            targets: Default::default(),
            workspace: None,
            blocked: false,
            held: false,
            title: None,
            created_at: None,
            preview: None,
        }
    }

    #[test]
    fn a_blocked_link_is_blocked_before_anything_else() {
        let mut r = record(302);
        r.blocked = true;
        r.active = false;
        r.password_hash = Some("h".into());
        assert_eq!(decide(&r, NOW, &Visit::default()), Decision::Blocked);
        // The KV record says so in two bytes, and only when it is so.
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"bl\":true"));
        assert!(!serde_json::to_string(&record(302)).unwrap().contains("bl"));
    }

    #[test]
    fn a_held_link_warns_until_the_visitor_continues() {
        let mut r = record(302);
        r.held = true;
        assert_eq!(decide(&r, NOW, &Visit::default()), Decision::Held);
        let (confirmed, rest) = split_continue(Some("a=1&uload-continue=1&b=2"));
        assert!(confirmed);
        assert_eq!(rest.as_deref(), Some("a=1&b=2"));
        let visit = Visit {
            query: rest.as_deref(),
            confirmed,
            ..Visit::default()
        };
        assert_eq!(
            decide(&r, NOW, &visit),
            Decision::Redirect {
                status: 302,
                location: "https://a.de/?a=1&b=2".into()
            }
        );
        assert_eq!(split_continue(Some("uload-continue=1")), (true, None));
        assert_eq!(
            split_continue(Some("uload-continue=2")),
            (false, Some("uload-continue=2".into()))
        );
    }

    const NOW: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    #[test]
    fn uses_the_links_status() {
        for s in STATUSES {
            assert_eq!(
                decide(&record(s), NOW, &Visit::default()),
                Decision::Redirect {
                    status: s,
                    location: "https://a.de/".into()
                }
            );
        }
    }

    #[test]
    fn unknown_statuses_fall_back_to_302() {
        assert!(matches!(
            decide(&record(200), NOW, &Visit::default()),
            Decision::Redirect { status: 302, .. }
        ));
        assert!(matches!(
            decide(&record(0), NOW, &Visit::default()),
            Decision::Redirect { status: 302, .. }
        ));
    }

    #[test]
    fn inactive_and_expired_links_are_gone() {
        let mut r = record(302);
        r.active = false;
        assert_eq!(decide(&r, NOW, &Visit::default()), Decision::Gone);
        let mut r = record(302);
        r.expires_at = Some("2026-01-01T00:00:00.000Z".into());
        assert_eq!(
            decide(&r, NOW, &Visit::default()),
            Decision::Gone,
            "expiry is exclusive"
        );
        assert!(matches!(
            decide(&r, NOW - 1, &Visit::default()),
            Decision::Redirect { .. }
        ));
        r.expires_at = Some("garbage".into());
        assert_eq!(decide(&r, NOW, &Visit::default()), Decision::Gone);
    }

    #[test]
    fn forwards_the_query_and_adds_utm_without_overriding() {
        let none = Utm::default();
        assert_eq!(
            final_location("https://a.de/x", None, true, &none),
            "https://a.de/x"
        );
        assert_eq!(
            final_location("https://a.de/x", Some("ref=tw"), true, &none),
            "https://a.de/x?ref=tw"
        );
        assert_eq!(
            final_location("https://a.de/x", Some("ref=tw"), false, &none),
            "https://a.de/x"
        );
        assert_eq!(
            final_location(
                "https://a.de/x?ref=site#top",
                Some("ref=tw&b=%C3%BC"),
                true,
                &none
            ),
            "https://a.de/x?ref=site&b=%C3%BC#top",
            "the target's own parameter wins; the fragment stays"
        );
        assert_eq!(
            final_location(
                "https://a.de/x?k=1",
                Some("tag=a&tag=b&k=2&k=3"),
                true,
                &none
            ),
            "https://a.de/x?k=1&tag=a&tag=b",
            "a repeated key keeps every value; the target's key keeps only its own"
        );
        let utm = Utm {
            source: Some("news letter".into()),
            medium: None,
            campaign: Some("w".into()),
        };
        assert_eq!(
            final_location(
                "https://a.de/?utm_campaign=keep",
                Some("utm_source=visitor"),
                true,
                &utm
            ),
            "https://a.de/?utm_campaign=keep&utm_source=visitor"
        );
        assert_eq!(
            final_location("https://a.de/", None, false, &utm),
            "https://a.de/?utm_source=news+letter&utm_campaign=w"
        );
    }

    #[test]
    fn targets_by_device_then_country() {
        let mut r = record(302);
        r.targets.ios = Some("https://apps.apple.com/x".into());
        r.targets.android = Some("https://play.google.com/x".into());
        r.targets.geo.insert("DE".into(), "https://a.de/de".into());
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15";
        let android =
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile";
        let desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120";
        let visit = |ua, country| Visit {
            query: None,
            user_agent: Some(ua),
            country,
            confirmed: false,
        };
        assert_eq!(
            choose_target(&r, &visit(iphone, Some("DE"))),
            "https://apps.apple.com/x"
        );
        assert_eq!(
            choose_target(&r, &visit(android, None)),
            "https://play.google.com/x"
        );
        assert_eq!(
            choose_target(&r, &visit(desktop, Some("de"))),
            "https://a.de/de"
        );
        assert_eq!(
            choose_target(&r, &visit(desktop, Some("FR"))),
            "https://a.de/"
        );
        assert_eq!(choose_target(&r, &Visit::default()), "https://a.de/");
        assert_eq!(device(Some("Mozilla/5.0 (iPad; CPU OS 17_0)")), Device::Ios);
    }

    #[test]
    fn protected_links_ask_first_but_inactive_ones_are_gone() {
        let mut r = record(307);
        r.password_hash = Some("$h".into());
        assert_eq!(
            decide(&r, NOW, &Visit::default()),
            Decision::Protected {
                status: 307,
                location: "https://a.de/".into(),
                password_hash: "$h".into()
            }
        );
        r.active = false;
        assert_eq!(decide(&r, NOW, &Visit::default()), Decision::Gone);
    }
}
