//! A click as it travels from the redirect to the analytics store: the event sent to the
//! queue, and how its privacy-sensitive parts are reduced before they leave the edge. The IP
//! address never leaves the request: only a salted hash of it does, and the salt changes
//! every UTC day, so a visitor can be counted once per day and never followed across days.

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
    /// The visitor's address, only while the event waits in its isolate's memory for its
    /// hash (the day's salt is fetched off the response path): never serialized, so it never
    /// reaches the queue, D1 or the logs.
    #[serde(skip)]
    pub ip: Option<String>,
}

impl ClickEvent {
    /// About what the event takes in memory (its strings and a fixed overhead), for the
    /// outbox's byte budget.
    pub fn approx_bytes(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        160 + self.id.len()
            + opt(&self.ip)
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

/// When the salt of `day` (YYYY-MM-DD) is destroyed: an hour after the day ends (clicks of
/// its last seconds may still be on their way). `None` for a malformed day.
pub fn salt_end_ms(day: &str) -> Option<u64> {
    let start = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(0, 0, 0)?
        .and_utc()
        .timestamp_millis();
    u64::try_from(start)
        .ok()
        .map(|s| s + 86_400_000 + 3_600_000)
}

/// A day salt from its hex form (64 hex digits).
pub fn parse_salt(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A visitor's hash for one link on one day: SHA-256 of (the day's random salt, the secret,
/// the link, IP, User-Agent), hex, the first 128 bits. Per link, so one link's visitors
/// cannot be matched with another's; per day, by a salt drawn at random and destroyed when
/// the day is over, so nobody (not even who holds the secret) can compute it again later;
/// and the secret too, so the salt's storage alone is not enough either.
pub fn visitor_hash(
    day_salt: &[u8; 32],
    secret: &[u8],
    link_id: &str,
    ip: &str,
    user_agent: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(day_salt);
    for part in [
        secret,
        link_id.as_bytes(),
        ip.as_bytes(),
        user_agent.as_bytes(),
    ] {
        h.update([0]);
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
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
        let clicked_at = crate::time::format(crate::time::from_millis(e.at));
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
mod tests;

/// A stored click as a `link.clicked` webhook shows it: what the stats show, per click
/// (never the visitor hash: it would let receivers link a visitor's clicks across links).
pub fn webhook_view(c: &StoredClick, code: &str) -> serde_json::Value {
    serde_json::json!({
        "click_id": c.id,
        "link_id": c.link_id,
        "code": code,
        "clicked_at": c.clicked_at,
        "is_bot": c.agent.bot,
        "browser": c.agent.browser,
        "os": c.agent.os,
        "device_type": c.agent.device,
        "referer_host": c.referer_host,
        "country": c.country,
        "city": c.city,
        "utm_source": c.utm.source,
        "utm_medium": c.utm.medium,
        "utm_campaign": c.utm.campaign,
    })
}

/// A stable id for a set of clicks (whatever their order): the same batch, delivered
/// twice, raises the same event.
pub fn batch_id(ids: &[&str]) -> String {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    let digest = Sha256::digest(sorted.join("\n").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}
