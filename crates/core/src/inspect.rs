//! `/{code}+`: what a link is and where it goes, without going there (as Kutt and Dub do).
//! A visitor can check a link before following it; what the owner keeps closed stays
//! closed: the target of a password-protected or limited link is not shown (showing it
//! would skip the password or the limit), nor that of a link that is gone or disabled.

use schemars::JsonSchema;
use serde::Serialize;

use crate::link::RedirectRecord;
use crate::redirect::{decide, Decision, Visit};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "InspectionState")]
pub enum State {
    /// Redirects.
    Active,
    /// Deactivated or expired (visitors get 410).
    Gone,
    /// Disabled for abuse (visitors get 451).
    Blocked,
    /// Reported and held for review (visitors see a warning first).
    Held,
}

/// What the inspection page and its JSON show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Inspection {
    pub code: String,
    #[schemars(extend("format" = "uri"))]
    pub short_url: String,
    pub title: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: Option<String>,
    pub state: State,
    pub protected: bool,
    pub limited: bool,
    /// The target, when it may be shown: null for protected, limited, gone and disabled links.
    pub target: Option<String>,
    /// Some visitors go elsewhere (by device or country).
    pub other_targets: bool,
}

pub fn inspect(record: &RedirectRecord, code: &str, short_url: String, now_ms: u64) -> Inspection {
    // As a visitor who already confirmed a held link's warning: the state, not the warning.
    let visit = Visit {
        query: None,
        user_agent: None,
        country: None,
        confirmed: true,
    };
    let state = match decide(record, now_ms, &visit) {
        Decision::Blocked => State::Blocked,
        Decision::Gone => State::Gone,
        _ if record.held => State::Held,
        _ => State::Active,
    };
    let protected = record.password_hash.is_some();
    let limited = record.max_clicks.is_some();
    let shown = matches!(state, State::Active | State::Held) && !protected && !limited;
    Inspection {
        code: code.to_string(),
        short_url,
        title: record.title.clone(),
        created_at: record.created_at.clone(),
        state,
        protected,
        limited,
        target: shown.then(|| record.url.clone()),
        other_targets: shown && !record.targets.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::Link;

    fn record(f: impl FnOnce(&mut Link)) -> RedirectRecord {
        let mut link = Link {
            id: "l1".into(),
            code: "abc".into(),
            url: "https://example.com/page".into(),
            title: Some("Example".into()),
            is_active: true,
            redirect_status: 302,
            created_at: "2026-01-02T03:04:05Z".into(),
            ..Link::default()
        };
        f(&mut link);
        link.redirect_record()
    }

    fn seen(r: &RedirectRecord) -> Inspection {
        inspect(r, "abc", "https://ulo.ad/abc".into(), 1_800_000_000_000)
    }

    #[test]
    fn an_open_link_shows_its_target_title_and_creation() {
        let i = seen(&record(|_| {}));
        assert_eq!(i.state, State::Active);
        assert_eq!(i.target.as_deref(), Some("https://example.com/page"));
        assert_eq!(i.title.as_deref(), Some("Example"));
        assert_eq!(i.created_at.as_deref(), Some("2026-01-02T03:04:05Z"));
        assert!(!i.other_targets && !i.protected && !i.limited);
    }

    #[test]
    fn protected_limited_gone_and_blocked_links_keep_their_target() {
        type Change = Box<dyn Fn(&mut Link)>;
        let cases: [(&str, Change, State); 5] = [
            (
                "protected",
                Box::new(|l| l.password_hash = Some("$pbkdf2$x".into())),
                State::Active,
            ),
            (
                "limited",
                Box::new(|l| l.max_clicks = Some(5)),
                State::Active,
            ),
            ("inactive", Box::new(|l| l.is_active = false), State::Gone),
            (
                "expired",
                Box::new(|l| l.expires_at = Some("2020-01-01T00:00:00Z".into())),
                State::Gone,
            ),
            (
                "blocked",
                Box::new(|l| {
                    l.blocked = Some(crate::link::Blocked {
                        reason: "phishing".into(),
                        at: "2026-01-01T00:00:00Z".into(),
                    })
                }),
                State::Blocked,
            ),
        ];
        for (name, change, state) in cases {
            let i = seen(&record(change));
            assert_eq!(i.target, None, "{name}");
            assert_eq!(i.state, state, "{name}");
        }
    }

    #[test]
    fn a_held_link_shows_where_it_goes_with_its_state_and_device_targets_are_mentioned() {
        let i = seen(&record(|l| l.held_at = Some("2026-01-01T00:00:00Z".into())));
        assert_eq!(i.state, State::Held);
        assert!(i.target.is_some());
        let i = seen(&record(|l| {
            l.ios_url = Some("https://apps.apple.com/x".into())
        }));
        assert!(i.other_targets);
        assert_eq!(i.target.as_deref(), Some("https://example.com/page"));
    }
}
