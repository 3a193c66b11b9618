//! Abuse rules for link targets: what is refused at creation and edit (a denied domain or
//! term, another URL shortener: no redirect chains), and what is only flagged (an IP
//! literal, a look-alike host mixing scripts). Pure: the denylist comes from D1 through
//! the caller; targets arrive normalised by `target::Policy` (hosts in punycode).

use url::Url;

mod records;
pub use records::{
    Allowed, AuditEntry, BlockReason, BlockState, Denied, DenyEntry, HoldReleased, AUDIT_ACTIONS,
    DENY_KINDS,
};

/// Well-known URL shorteners (and redirectors) whose links are refused as targets: a short
/// link to a short link hides the real target from every check. One host per line.
const SHORTENERS: &str = include_str!("shorteners.txt");

/// The domains and terms an admin has denied (D1 `abuse_denylist`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Denylist {
    pub domains: Vec<String>,
    pub terms: Vec<String>,
}

/// Why a target is refused: the rule, for a 422 that names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    DeniedDomain(String),
    DeniedTerm(String),
    Shortener(String),
    /// A reputation provider knows the target as bad (its category).
    Reputation(String),
}

impl Refusal {
    /// The rule's name (stable, for clients and metrics).
    pub fn rule(&self) -> &'static str {
        match self {
            Refusal::DeniedDomain(_) => "denied_domain",
            Refusal::DeniedTerm(_) => "denied_term",
            Refusal::Shortener(_) => "url_shortener",
            Refusal::Reputation(_) => "reputation",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::DeniedDomain(d) => {
                format!("links to {d} are not allowed here (denied domain)")
            }
            Refusal::DeniedTerm(_) => "the target contains a denied term".into(),
            Refusal::Shortener(d) => format!(
                "{d} is a URL shortener: link to the final address instead (no redirect chains)"
            ),
            Refusal::Reputation(category) => {
                format!("the target is known as {category} by a reputation service")
            }
        }
    }
}

/// What is allowed but worth a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// The host is an IP address, not a name.
    IpLiteral,
    /// A host label mixes scripts (Latin with Cyrillic or Greek): a classic look-alike.
    Lookalike,
}

impl Flag {
    pub fn rule(self) -> &'static str {
        match self {
            Flag::IpLiteral => "ip_literal",
            Flag::Lookalike => "lookalike_host",
        }
    }

    /// The warning the API answers with.
    pub fn warning(self) -> &'static str {
        match self {
            Flag::IpLiteral => "the target's host is an IP address: visitors cannot see whose site it is",
            Flag::Lookalike => "the target's host mixes alphabets (e.g. Latin and Cyrillic): it may imitate another site",
        }
    }
}

/// A reputation service (Safe Browsing, a phishing feed, …) asked about a target at
/// creation: off by default (`NoReputation`); a provider plugs in by implementing this.
/// It answers from what it holds (a synced list): the rules stay pure and fast here.
pub trait Reputation {
    /// `Some(category)` when the target is known bad.
    fn lookup(&self, target: &str) -> Option<String>;
}

/// No reputation provider: every target passes this step.
pub struct NoReputation;

impl Reputation for NoReputation {
    fn lookup(&self, _target: &str) -> Option<String> {
        None
    }
}

/// `host` is `domain` or one of its subdomains.
fn under(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

pub fn is_shortener(host: &str) -> Option<&'static str> {
    SHORTENERS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .find(|d| under(host, d))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    Latin,
    Greek,
    Cyrillic,
    Other,
}

fn script(c: char) -> Option<Script> {
    match c as u32 {
        0x30..=0x39 | 0x2d | 0x5f => None,
        0x41..=0x5a | 0x61..=0x7a | 0xc0..=0x24f => Some(Script::Latin),
        0x370..=0x3ff => Some(Script::Greek),
        0x400..=0x52f => Some(Script::Cyrillic),
        _ => Some(Script::Other),
    }
}

/// Whether a label (Unicode) mixes Latin, Greek and Cyrillic letters.
fn mixes_scripts(label: &str) -> bool {
    let mut seen: Option<Script> = None;
    for s in label.chars().filter_map(script) {
        if s == Script::Other {
            continue;
        }
        match seen {
            None => seen = Some(s),
            Some(prev) if prev != s => return true,
            _ => {}
        }
    }
    false
}

/// `check`, then the reputation provider.
pub fn check_with(
    target: &str,
    denylist: &Denylist,
    reputation: &dyn Reputation,
) -> Result<Vec<Flag>, Refusal> {
    let flags = check(target, denylist)?;
    match reputation.lookup(target) {
        Some(category) => Err(Refusal::Reputation(category)),
        None => Ok(flags),
    }
}

/// Checks a normalised target against the rules: `Err` refuses it, `Ok` lists its flags.
pub fn check(target: &str, denylist: &Denylist) -> Result<Vec<Flag>, Refusal> {
    let Ok(url) = Url::parse(target) else {
        return Ok(Vec::new());
    };
    let host = url
        .host_str()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if let Some(d) = denylist.domains.iter().find(|d| under(&host, d)) {
        return Err(Refusal::DeniedDomain(d.clone()));
    }
    // Terms are matched in the URL as a person would read it (decoded, ASCII case folded:
    // Unicode case tables would add ~6 KB of gzipped wasm to every redirect's module).
    let readable = format!(
        "{} {}",
        target.to_ascii_lowercase(),
        percent_decoded(target).to_ascii_lowercase()
    );
    if let Some(t) = denylist
        .terms
        .iter()
        .find(|t| !t.is_empty() && readable.contains(t.as_str()))
    {
        return Err(Refusal::DeniedTerm(t.clone()));
    }
    if let Some(d) = is_shortener(&host) {
        return Err(Refusal::Shortener(d.to_string()));
    }
    let mut flags = Vec::new();
    if matches!(
        url.host(),
        Some(url::Host::Ipv4(_)) | Some(url::Host::Ipv6(_))
    ) {
        flags.push(Flag::IpLiteral);
    }
    if host.contains("xn--") {
        let (unicode, _) = idna::domain_to_unicode(&host);
        if unicode.split('.').any(mixes_scripts) {
            flags.push(Flag::Lookalike);
        }
    }
    Ok(flags)
}

fn percent_decoded(s: &str) -> String {
    url::form_urlencoded::parse(s.replace('+', "%2B").as_bytes())
        .map(|(k, v)| {
            if v.is_empty() {
                k.into_owned()
            } else {
                format!("{k}={v}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A denied domain's length, at most (DNS's limit).
pub const MAX_DOMAIN: usize = 253;
/// A denied term's length (characters).
pub const MIN_TERM: usize = 3;
pub const MAX_TERM: usize = 100;
/// The members a denylist entry's POST accepts, and a block's.
pub const DENY_FIELDS: &[&str] = &["kind", "value", "reason", "disable_existing"];
pub const BLOCK_FIELDS: &[&str] = &["reason"];
/// The reason an admin gives for an action (denying, blocking), in characters.
pub const MIN_REASON: usize = 3;
pub const MAX_REASON: usize = 500;
/// Entries of the admin audit log in one answer: by default, and at most.
pub const AUDIT_DEFAULT_LIMIT: u32 = 100;
pub const AUDIT_MAX_LIMIT: u32 = 500;

/// A domain as an admin may deny it: a host name, lower case, without scheme or path.
pub fn normalise_domain(raw: &str) -> Option<String> {
    let d = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = !d.is_empty()
        && d.len() <= MAX_DOMAIN
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    valid.then_some(d)
}

/// A term as an admin may deny it: 3 to 100 characters, matched ignoring ASCII case.
pub fn normalise_term(raw: &str) -> Option<String> {
    let t = raw.trim().to_ascii_lowercase();
    (MIN_TERM..=MAX_TERM)
        .contains(&t.chars().count())
        .then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deny() -> Denylist {
        Denylist {
            domains: vec!["evil.example".into()],
            terms: vec!["free-iphone".into(), "paypal login".into()],
        }
    }

    #[test]
    fn denied_domains_include_their_subdomains_only() {
        let d = deny();
        assert_eq!(
            check("https://evil.example/x", &d),
            Err(Refusal::DeniedDomain("evil.example".into()))
        );
        assert_eq!(
            check("https://login.evil.example/", &d).unwrap_err().rule(),
            "denied_domain"
        );
        assert_eq!(check("https://notevil.example/", &d), Ok(vec![]));
        assert_eq!(check("https://evil.example.org/", &d), Ok(vec![]));
    }

    #[test]
    fn denied_terms_match_the_readable_url() {
        let d = deny();
        assert_eq!(
            check("https://shop.example/FREE-iPhone-now", &d)
                .unwrap_err()
                .rule(),
            "denied_term"
        );
        assert_eq!(
            check("https://x.example/?q=paypal%20login", &d)
                .unwrap_err()
                .rule(),
            "denied_term"
        );
        assert_eq!(check("https://x.example/iphone", &d), Ok(vec![]));
    }

    #[test]
    fn other_shorteners_are_refused() {
        let d = Denylist::default();
        for t in [
            "https://bit.ly/abc",
            "https://www.tinyurl.com/x",
            "http://t.co/y",
            "https://dub.sh/z",
        ] {
            assert_eq!(check(t, &d).unwrap_err().rule(), "url_shortener", "{t}");
        }
        assert_eq!(check("https://bitly.com.example/", &d), Ok(vec![]));
        assert!(Refusal::Shortener("bit.ly".into())
            .message()
            .contains("bit.ly"));
    }

    #[test]
    fn ip_literals_and_lookalikes_are_flagged() {
        let d = Denylist::default();
        assert_eq!(
            check("http://203.0.113.7/login", &d),
            Ok(vec![Flag::IpLiteral])
        );
        assert_eq!(
            check("http://[2001:db8::1]/", &d),
            Ok(vec![Flag::IpLiteral])
        );
        // "pаypal" with a Cyrillic а, as the browser would send it (punycode).
        let host = idna::domain_to_ascii("p\u{430}ypal.com").unwrap();
        assert_eq!(
            check(&format!("https://{host}/"), &d),
            Ok(vec![Flag::Lookalike])
        );
        // Wholly non-Latin names are ordinary (münchen.de is Latin throughout).
        let ok = idna::domain_to_ascii("münchen.de").unwrap();
        assert_eq!(check(&format!("https://{ok}/"), &d), Ok(vec![]));
        let ru = idna::domain_to_ascii("пример.рф").unwrap();
        assert_eq!(check(&format!("https://{ru}/"), &d), Ok(vec![]));
    }

    #[test]
    fn a_reputation_provider_plugs_in() {
        struct Feed;
        impl Reputation for Feed {
            fn lookup(&self, target: &str) -> Option<String> {
                target.contains("known-bad").then(|| "phishing".to_string())
            }
        }
        let d = Denylist::default();
        assert_eq!(
            check_with("https://known-bad.example/", &d, &Feed),
            Err(Refusal::Reputation("phishing".into()))
        );
        assert_eq!(check_with("https://fine.example/", &d, &Feed), Ok(vec![]));
        assert_eq!(
            check_with("https://known-bad.example/", &d, &NoReputation),
            Ok(vec![])
        );
    }

    #[test]
    fn admins_deny_hosts_and_terms_in_a_normal_form() {
        assert_eq!(
            normalise_domain(" Evil.Example. ").as_deref(),
            Some("evil.example")
        );
        for bad in [
            "",
            "localhost",
            "https://evil.example",
            "evil.example/x",
            "a..b",
        ] {
            assert_eq!(normalise_domain(bad), None, "{bad}");
        }
        assert_eq!(
            normalise_term(" Free-iPhone ").as_deref(),
            Some("free-iphone")
        );
        assert_eq!(normalise_term("ab"), None);
    }
}
