//! Usernames and who may take one. A user's links live at `/u/{name}/{code}` with the name
//! they had when the link was made, and stay there when the user is renamed (printed and
//! shared links keep working). So a name is not free just because nobody uses it now:
//! - while any link under `{name}/` belongs to someone, nobody else may take the name
//!   (they would appear as the author of those links, and could add links beside them);
//! - a name given up (renamed away or deleted) is held for its last owner for
//!   `USERNAME_HOLD_DAYS`: their bio page and profile cannot be impersonated meanwhile, and
//!   they can take it back.

use chrono::{DateTime, Utc};

pub const MIN_LEN: usize = 3;
pub const MAX_LEN: usize = 30;

/// 3 to 30 characters of a-z, 0-9, `_` and `-`.
pub fn is_valid(u: &str) -> bool {
    (MIN_LEN..=MAX_LEN).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The username of a user who has none (users imported from uLoad who never chose one):
/// `~{id}`, which no path reaches (`~` is no code character), no one can choose (it is not
/// valid), and no user shares (ids are unique).
pub fn unset(id: &str) -> String {
    format!("~{id}")
}

/// What stands between a user and a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Links of another user live under `/u/{name}/`.
    LinksOfAnother,
    /// Another user gave the name up recently; it is theirs until then (RFC 3339).
    HeldUntil(String),
}

impl Refusal {
    pub fn detail(&self, name: &str) -> String {
        match self {
            Refusal::LinksOfAnother => format!(
                "links of another user live under /u/{name}/: the name stays theirs while they exist"
            ),
            Refusal::HeldUntil(until) => format!(
                "the username '{name}' was given up recently and is held for its previous owner until {until}"
            ),
        }
    }
}

/// Whether `taker` may take a name: `hold` is the name's hold (holder id and when it was
/// released), `others_links` whether links of other users live under the name.
pub fn may_take(
    taker: &str,
    hold: Option<(&str, DateTime<Utc>)>,
    others_links: bool,
    now: DateTime<Utc>,
    hold_days: i64,
) -> Result<(), Refusal> {
    if others_links {
        return Err(Refusal::LinksOfAnother);
    }
    if let Some((holder, released)) = hold {
        let until = released + chrono::Duration::days(hold_days);
        if holder != taker && now < until {
            return Err(Refusal::HeldUntil(
                until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_given_up_name_is_its_owners_for_the_hold_period() {
        let released = t("2026-01-01T00:00:00Z");
        let hold = Some(("alice-id", released));
        let soon = t("2026-02-01T00:00:00Z");
        assert_eq!(
            may_take("mallory-id", hold, false, soon, 180),
            Err(Refusal::HeldUntil("2026-06-30T00:00:00Z".into()))
        );
        // The previous owner takes it back at any time.
        assert_eq!(may_take("alice-id", hold, false, soon, 180), Ok(()));
        // After the hold, anyone (if no links of another live under it).
        assert_eq!(
            may_take("mallory-id", hold, false, t("2026-07-01T00:00:00Z"), 180),
            Ok(())
        );
        assert_eq!(may_take("bob-id", None, false, soon, 180), Ok(()));
    }

    #[test]
    fn links_under_a_name_keep_it_for_their_owner_forever() {
        let long_after = t("2030-01-01T00:00:00Z");
        let hold = Some(("alice-id", t("2026-01-01T00:00:00Z")));
        assert_eq!(
            may_take("mallory-id", hold, true, long_after, 180),
            Err(Refusal::LinksOfAnother)
        );
        assert!(Refusal::LinksOfAnother
            .detail("alice")
            .contains("/u/alice/"));
    }

    #[test]
    fn usernames_are_routable() {
        for ok in ["abc", "a-b_c9", &"x".repeat(30)] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "ab",
            "Alice",
            "jürgen",
            "a b",
            "a/b",
            &"x".repeat(31),
            &unset("abc123"),
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
