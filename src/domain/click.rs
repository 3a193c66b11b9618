//! A click as it travels from the redirect to the analytics store: the event sent to the
//! queue, and how its privacy-sensitive parts are reduced before they leave the edge. The IP
//! address never leaves the request: only a salted hash of it does, and the salt changes
//! every UTC day, so a visitor can be counted once per day and never followed across days.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::useragent::{self, Agent};

/// Longest User-Agent kept (real ones are a few hundred characters).
pub const MAX_USER_AGENT: usize = 512;
/// Longest utm value kept.
const MAX_UTM: usize = 200;
pub const UTM_KEYS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

/// The queue message of one click. Short keys: it is sent once per redirect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClickEvent {
    /// Drawn by the redirect; the consumer stores each id once (redelivery is harmless).
    pub id: String,
    pub link: String,
    /// Milliseconds since the epoch.
    pub at: u64,
    /// Salted hash of IP + User-Agent; `None` without a configured salt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v: Option<String>,
    #[serde(default)]
    pub ua: String,
    /// Host of the Referer (never the path: it can carry private data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#ref: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// utm_* parameters of the request, in `UTM_KEYS` order.
    #[serde(default, skip_serializing_if = "Utm::is_empty")]
    pub utm: Utm,
}

impl ClickEvent {
    /// About what the event takes in memory (its strings and a fixed overhead), for the
    /// outbox's byte budget.
    pub fn approx_bytes(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        160 + self.id.len()
            + self.link.len()
            + opt(&self.v)
            + self.ua.len()
            + opt(&self.r#ref)
            + opt(&self.country)
            + opt(&self.city)
            + opt(&self.utm.source)
            + opt(&self.utm.medium)
            + opt(&self.utm.campaign)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Utm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl Utm {
    pub fn is_empty(&self) -> bool {
        self == &Utm::default()
    }

    /// The utm_* parameters of a raw query string (percent-decoded, trimmed, bounded).
    pub fn from_query(query: Option<&str>) -> Utm {
        let mut utm = Utm::default();
        let Some(q) = query.filter(|q| q.contains("utm_")) else {
            return utm;
        };
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            let slot = match k.as_ref() {
                "utm_source" => &mut utm.source,
                "utm_medium" => &mut utm.medium,
                "utm_campaign" => &mut utm.campaign,
                "utm_term" => &mut utm.term,
                "utm_content" => &mut utm.content,
                _ => continue,
            };
            let v = v.trim();
            if slot.is_none() && !v.is_empty() {
                *slot = Some(truncate(v, MAX_UTM).to_string());
            }
        }
        utm
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The host of a Referer header, lower case, without `www.`; `None` for no or a bad header.
pub fn referer_host(referer: Option<&str>) -> Option<String> {
    let url = url::Url::parse(referer?.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https" | "android-app") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    (!host.is_empty()).then(|| truncate(host, 253).to_string())
}

/// The UTC day (YYYY-MM-DD) of a millisecond timestamp.
pub fn utc_day(at_ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms as i64)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// The salt of one UTC day: HMAC-SHA256(secret, day). It cannot be recomputed without the
/// secret, and it is different every day, so hashes of different days cannot be joined.
fn day_salt(secret: &[u8], day: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"uload-visitor-salt:");
    mac.update(day.as_bytes());
    mac.finalize().into_bytes().into()
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Visitor hashes of one isolate: the day's salt is derived once per UTC day, not per click.
pub struct VisitorHasher {
    secret: Vec<u8>,
    /// Days since the epoch of `salt`.
    day: Option<u64>,
    salt: [u8; 32],
}

impl VisitorHasher {
    pub fn new(secret: Vec<u8>) -> Self {
        VisitorHasher {
            secret,
            day: None,
            salt: [0; 32],
        }
    }

    /// SHA-256 of (day salt, IP, User-Agent), hex, the first 128 bits: enough to tell
    /// visitors apart, and no way back to the address.
    pub fn hash(&mut self, at_ms: u64, ip: &str, user_agent: &str) -> String {
        let day = at_ms / 86_400_000;
        if self.day != Some(day) {
            self.salt = day_salt(&self.secret, &utc_day(at_ms));
            self.day = Some(day);
        }
        let mut h = Sha256::new();
        h.update(self.salt);
        h.update([0]);
        h.update(ip.as_bytes());
        h.update([0]);
        h.update(user_agent.as_bytes());
        let digest = h.finalize();
        let mut out = String::with_capacity(32);
        for b in &digest[..16] {
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
        out
    }
}

/// One visitor hash (see `VisitorHasher`).
pub fn visitor_hash(secret: &[u8], at_ms: u64, ip: &str, user_agent: &str) -> String {
    VisitorHasher::new(secret.to_vec()).hash(at_ms, ip, user_agent)
}

/// Click ids of one isolate: a random prefix drawn once (16 characters of 36, ~82 bits, so
/// two isolates never share one) and a counter. Unique without a random draw per click.
pub struct ClickIds {
    prefix: String,
    next: u64,
}

impl ClickIds {
    pub fn new(prefix: String) -> Self {
        ClickIds { prefix, next: 0 }
    }

    pub fn next_id(&mut self) -> String {
        let mut n = self.next;
        self.next += 1;
        let mut digits = Vec::new();
        loop {
            digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
            n /= 36;
            if n == 0 {
                break;
            }
        }
        digits.reverse();
        format!("{}{}", self.prefix, String::from_utf8_lossy(&digits))
    }
}

/// Largest queue message body built here (the queue takes up to 128 KB per message).
pub const MAX_MESSAGE_BYTES: usize = 120_000;

/// What travels through the queue: many clicks of one isolate in one message (one queue
/// operation for up to ~100 clicks instead of one each), or a single event.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Message {
    Batch { clicks: Vec<ClickEvent> },
    One(Box<ClickEvent>),
}

/// Encodes clicks as few messages as possible, each under `MAX_MESSAGE_BYTES` (JSON text:
/// one string crosses into the runtime instead of an object per field).
pub fn encode_messages(events: &[ClickEvent]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 0;
    for e in events {
        let json = serde_json::to_string(e).unwrap_or_default();
        if !current.is_empty() && size + json.len() + 1 > MAX_MESSAGE_BYTES - 16 {
            out.push(format!("{{\"clicks\":[{}]}}", current.join(",")));
            current.clear();
            size = 0;
        }
        size += json.len() + 1;
        current.push(json);
    }
    if !current.is_empty() {
        out.push(format!("{{\"clicks\":[{}]}}", current.join(",")));
    }
    out
}

/// The clicks of one queue message: a JSON text (what `encode_messages` sends) or a JSON
/// value, holding a batch or one event.
pub fn decode_message(body: serde_json::Value) -> Result<Vec<ClickEvent>, String> {
    let message: Message = match body {
        serde_json::Value::String(text) => serde_json::from_str(&text),
        value => serde_json::from_value(value),
    }
    .map_err(|e| e.to_string())?;
    Ok(match message {
        Message::Batch { clicks } => clicks,
        Message::One(e) => vec![*e],
    })
}

/// A click as stored: the event plus what its User-Agent says.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredClick {
    pub id: String,
    pub link_id: String,
    /// ISO 8601 UTC with milliseconds.
    pub clicked_at: String,
    pub visitor_hash: Option<String>,
    pub agent: Agent,
    pub referer_host: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub utm: Utm,
}

/// Why an event cannot be stored (it is dropped and logged, never retried forever).
#[derive(Debug, PartialEq, Eq)]
pub enum EventError {
    MissingId,
    MissingLink,
    BadTime,
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EventError::MissingId => "event without an id",
            EventError::MissingLink => "event without a link id",
            EventError::BadTime => "event time out of range",
        })
    }
}

fn bounded(s: Option<String>, max: usize) -> Option<String> {
    s.map(|v| truncate(v.trim(), max).to_string())
        .filter(|v| !v.is_empty())
}

impl StoredClick {
    pub fn from_event(e: ClickEvent) -> Result<Self, EventError> {
        Self::from_event_with(e, &mut useragent::classify)
    }

    /// As `from_event`, with the User-Agent classified by `classify` (a memoising one in the
    /// consumer).
    pub fn from_event_with(
        e: ClickEvent,
        classify: &mut impl FnMut(&str) -> Agent,
    ) -> Result<Self, EventError> {
        if e.id.is_empty() || e.id.len() > 64 {
            return Err(EventError::MissingId);
        }
        if e.link.is_empty() || e.link.len() > 64 {
            return Err(EventError::MissingLink);
        }
        // Between 2000 and 2200: anything else is a broken clock or a forged message.
        if !(946_684_800_000..7_258_118_400_000).contains(&e.at) {
            return Err(EventError::BadTime);
        }
        let clicked_at = chrono::DateTime::from_timestamp_millis(e.at as i64)
            .ok_or(EventError::BadTime)?
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        let agent = classify(truncate(&e.ua, MAX_USER_AGENT));
        Ok(StoredClick {
            id: e.id,
            link_id: e.link,
            clicked_at,
            visitor_hash: bounded(e.v, 64),
            agent,
            referer_host: bounded(e.r#ref, 253),
            country: bounded(e.country, 8).map(|c| c.to_ascii_uppercase()),
            city: bounded(e.city, 100),
            utm: e.utm,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 1_764_028_800_000; // 2025-11-25T00:00:00Z

    #[test]
    fn visitor_hash_is_stable_within_a_day_and_changes_across_days() {
        let ua = "Mozilla/5.0";
        let a = visitor_hash(b"secret", T + 1_000, "203.0.113.7", ua);
        let b = visitor_hash(b"secret", T + 86_399_000, "203.0.113.7", ua);
        let next_day = visitor_hash(b"secret", T + 86_400_000, "203.0.113.7", ua);
        let other_ip = visitor_hash(b"secret", T + 1_000, "203.0.113.8", ua);
        let other_secret = visitor_hash(b"other", T + 1_000, "203.0.113.7", ua);
        assert_eq!(a, b);
        assert_ne!(a, next_day);
        assert_ne!(a, other_ip);
        assert_ne!(a, other_secret);
        assert_eq!(a.len(), 32);
        assert!(!a.contains("203"), "no trace of the address");
        // Not a plain hash of the address either.
        let plain: String = Sha256::digest(b"203.0.113.7")[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_ne!(a, plain);
    }

    #[test]
    fn the_hasher_renews_its_salt_at_midnight_utc() {
        let mut h = VisitorHasher::new(b"secret".to_vec());
        let ua = "Mozilla/5.0";
        assert_eq!(
            h.hash(T + 5, "1.2.3.4", ua),
            visitor_hash(b"secret", T + 5, "1.2.3.4", ua)
        );
        let next = h.hash(T + 86_400_000, "1.2.3.4", ua);
        assert_eq!(next, visitor_hash(b"secret", T + 86_400_000, "1.2.3.4", ua));
        assert_ne!(next, h.hash(T + 1, "1.2.3.4", ua));
    }

    #[test]
    fn click_ids_are_unique_and_id_shaped() {
        let mut ids = ClickIds::new("abcdefghijklmnop".into());
        let all: std::collections::HashSet<String> = (0..10_000).map(|_| ids.next_id()).collect();
        assert_eq!(all.len(), 10_000);
        assert!(all.contains("abcdefghijklmnop0"));
        assert!(all.contains("abcdefghijklmnopzz"), "36 * 36 - 1");
        assert!(all
            .iter()
            .all(|id| id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())));
    }

    #[test]
    fn referer_is_reduced_to_its_host() {
        assert_eq!(
            referer_host(Some("https://www.Google.com/search?q=private")),
            Some("google.com".into())
        );
        assert_eq!(referer_host(Some("https://t.co/abc")), Some("t.co".into()));
        assert_eq!(referer_host(Some("not a url")), None);
        assert_eq!(referer_host(Some("javascript:alert(1)")), None);
        assert_eq!(referer_host(None), None);
    }

    #[test]
    fn utm_from_query() {
        let u = Utm::from_query(Some(
            "utm_source=news%20letter&x=1&utm_medium=email&utm_source=second&utm_term=",
        ));
        assert_eq!(u.source.as_deref(), Some("news letter"));
        assert_eq!(u.medium.as_deref(), Some("email"));
        assert_eq!(u.term, None);
        assert!(Utm::from_query(Some("a=b")).is_empty());
        assert!(Utm::from_query(None).is_empty());
        let long = format!("utm_campaign={}", "é".repeat(300));
        let u = Utm::from_query(Some(&long));
        assert!(u.campaign.unwrap().len() <= MAX_UTM);
    }

    fn event(i: usize, ua_len: usize) -> ClickEvent {
        ClickEvent {
            id: format!("c{i}"),
            link: "l1".into(),
            at: T,
            v: None,
            ua: "x".repeat(ua_len),
            r#ref: None,
            country: None,
            city: None,
            utm: Utm::default(),
        }
    }

    #[test]
    fn messages_batch_clicks_and_stay_under_the_size_limit() {
        let events: Vec<_> = (0..100).map(|i| event(i, 100)).collect();
        let messages = encode_messages(&events);
        assert_eq!(messages.len(), 1, "100 small clicks are one message");
        let back = decode_message(serde_json::Value::String(messages[0].clone())).unwrap();
        assert_eq!(back, events);
        let big: Vec<_> = (0..400).map(|i| event(i, MAX_USER_AGENT)).collect();
        let messages = encode_messages(&big);
        assert!(messages.len() > 1);
        assert!(messages.iter().all(|m| m.len() <= MAX_MESSAGE_BYTES));
        let all: Vec<ClickEvent> = messages
            .into_iter()
            .flat_map(|m| decode_message(serde_json::Value::String(m)).unwrap())
            .collect();
        assert_eq!(all, big, "nothing lost or reordered");
        assert!(encode_messages(&[]).is_empty());
    }

    #[test]
    fn single_events_and_garbage() {
        let one = serde_json::to_value(event(1, 3)).unwrap();
        assert_eq!(decode_message(one).unwrap(), vec![event(1, 3)]);
        assert!(decode_message(serde_json::json!({ "link": "l" })).is_err());
        assert!(decode_message(serde_json::Value::String("{not json".into())).is_err());
        assert!(decode_message(serde_json::json!(42)).is_err());
    }

    #[test]
    fn events_round_trip_and_bad_ones_are_refused() {
        let e = ClickEvent {
            id: "c1".into(),
            link: "l1".into(),
            at: T + 3_600_000 + 5,
            v: Some("ab".into()),
            ua: "curl/8.0".into(),
            r#ref: Some("t.co".into()),
            country: Some("de".into()),
            city: Some("Berlin".into()),
            utm: Utm::default(),
        };
        let json = serde_json::to_string(&e).unwrap();
        assert!(!json.contains("utm"), "empty utm is not sent: {json}");
        let back: ClickEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        let s = StoredClick::from_event(back).unwrap();
        assert_eq!(s.clicked_at, "2025-11-25T01:00:00.005Z");
        assert_eq!(s.country.as_deref(), Some("DE"));
        assert!(s.agent.bot);
        let bad = |f: fn(&mut ClickEvent)| {
            let mut x = e.clone();
            f(&mut x);
            StoredClick::from_event(x).unwrap_err()
        };
        assert_eq!(bad(|x| x.id.clear()), EventError::MissingId);
        assert_eq!(bad(|x| x.link.clear()), EventError::MissingLink);
        assert_eq!(bad(|x| x.at = 0), EventError::BadTime);
        assert_eq!(bad(|x| x.at = u64::MAX), EventError::BadTime);
    }
}
