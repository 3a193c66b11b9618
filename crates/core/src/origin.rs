//! The origin (uLoad's SvelteKit app) as a fallback: which paths go there without a link
//! lookup, when a failed request is retried, and the circuit breaker that stops sending
//! traffic to an origin that keeps failing.

/// What a visitor gets when the origin cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// A page of the app: its stale copy, or the maintenance page.
    Page,
    /// A code that is not a link: our own 404 (the app would not have had it either).
    NotFound,
}

/// Why the worker would not answer a request itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss<'a> {
    /// Before routing: the path, perhaps under one of the app's prefixes (ORIGIN_PREFIXES).
    Path(&'a str),
    /// A reserved word in a code's place: one of the app's own pages.
    ReservedWord,
    /// No route of the worker (not code-shaped, not the API).
    NoRoute,
    /// Code-shaped, but no link has the code: perhaps a page (or a form) of the app.
    NoLink,
}

/// The one origin-fallback policy: whether a request goes to uLoad's app (`Some`, with what
/// the visitor gets if the app cannot answer) or is the worker's to answer (`None`). Without
/// an origin configured, nothing goes to it.
pub fn hand_off(miss: Miss, has_origin: bool, prefixes: &[String]) -> Option<Fallback> {
    if !has_origin {
        return None;
    }
    match miss {
        Miss::Path(path) => is_origin_path(path, prefixes).then_some(Fallback::Page),
        Miss::ReservedWord | Miss::NoRoute => Some(Fallback::Page),
        Miss::NoLink => Some(Fallback::NotFound),
    }
}

/// Whether `path` certainly is not a link: it starts with one of the configured prefixes
/// (`/p/` matches `/p/alice`; `/login` matches `/login` and `/login/x`, not `/loginx`).
pub fn is_origin_path(path: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|p| {
        if p.ends_with('/') {
            path.starts_with(p.as_str())
        } else {
            path == p
                || path
                    .strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        }
    })
}

/// Requests that may be sent again after a failure: they change nothing at the origin.
pub fn is_idempotent(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Statuses worth one more try: the origin (or its proxy) failed in passing.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 502..=504)
}

/// A per-isolate circuit breaker: after `threshold` consecutive failures it opens for
/// `cooldown_ms` (requests fail fast instead of waiting for a timeout), then lets a single
/// trial request through; its success closes the breaker, its failure opens it again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breaker {
    failures: u32,
    open_until: u64,
    trial_in_flight: bool,
}

impl Breaker {
    pub fn allow(&mut self, now: u64) -> bool {
        if self.open_until == 0 {
            return true;
        }
        if now < self.open_until || self.trial_in_flight {
            return false;
        }
        self.trial_in_flight = true; // half-open: one trial
        true
    }

    pub fn success(&mut self) {
        *self = Breaker::default();
    }

    pub fn failure(&mut self, now: u64, threshold: u32, cooldown_ms: u64) {
        self.failures += 1;
        if self.trial_in_flight || self.failures >= threshold {
            self.open_until = now + cooldown_ms;
            self.trial_in_flight = false;
        }
    }

    pub fn is_open(&self, now: u64) -> bool {
        self.open_until != 0 && now < self.open_until
    }

    /// Seconds until the next trial (for Retry-After).
    pub fn retry_after_s(&self, now: u64) -> u64 {
        self.open_until.saturating_sub(now).div_ceil(1000).max(1)
    }
}

/// Headers that describe one connection, not the message: never forwarded, either way
/// (RFC 9110 §7.6.1). `Connection` may name more of them.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// What the client may say about itself or its path: dropped, and replaced by what the
/// worker knows (`X-Forwarded-*` from the connection Cloudflare saw). Trusting them would let
/// a visitor pick the address the app logs and rate-limits, or the host the app builds its
/// absolute URLs (and a cached copy) from.
const CLIENT_CLAIMS: &[&str] = &[
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-port",
    "x-real-ip",
    "true-client-ip",
];

/// The tokens of a `Connection` header, lower-cased: more headers that belong to the hop.
pub fn connection_tokens(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect()
}

fn is_hop_header(name: &str, named_by_connection: &[String]) -> bool {
    HOP_BY_HOP.contains(&name)
        || name.starts_with("proxy-")
        || named_by_connection.iter().any(|t| t == name)
}

/// Whether a request header (lower-case name) is passed to the app. `Host` is the app's own
/// (set by the fetch); Cloudflare's `cf-*` headers describe the visitor's hop to the edge.
pub fn forward_request_header(name: &str, named_by_connection: &[String]) -> bool {
    !is_hop_header(name, named_by_connection)
        && !CLIENT_CLAIMS.contains(&name)
        && name != "host"
        && !name.starts_with("cf-")
}

/// Whether a response header of the app is passed to the visitor.
pub fn forward_response_header(name: &str, named_by_connection: &[String]) -> bool {
    !is_hop_header(name, named_by_connection)
}

/// The trusted forwarding headers the worker sets: the visitor's address as Cloudflare saw
/// it (none when unknown), and the public host and scheme the visitor used. adapter-node
/// reads them with `ADDRESS_HEADER=x-forwarded-for XFF_DEPTH=1`,
/// `HOST_HEADER=x-forwarded-host`, `PROTOCOL_HEADER=x-forwarded-proto`.
pub fn forwarding_headers<'a>(
    client_ip: Option<&'a str>,
    public_host: &'a str,
    scheme: &'a str,
) -> Vec<(&'static str, &'a str)> {
    let mut out = Vec::with_capacity(3);
    if let Some(ip) = client_ip.filter(|ip| !ip.is_empty()) {
        out.push(("x-forwarded-for", ip));
    }
    out.push(("x-forwarded-host", public_host));
    out.push(("x-forwarded-proto", scheme));
    out
}

/// A WebSocket handshake: not proxied (the app has no WebSocket routes); answered 501.
pub fn is_websocket_upgrade(upgrade: Option<&str>) -> bool {
    upgrade.is_some_and(|u| {
        u.split(',')
            .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
    })
}

/// What the request's body is, judged before a byte of it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyPlan {
    /// GET/HEAD, or a declared length of 0: nothing to send.
    None,
    /// A declared length within the cap: the body streams through as it is.
    Declared(u64),
    /// No declared length (chunked): streamed through a counter that stops past the cap.
    Counted,
    /// A declared length over the cap: 413 before anything is read.
    TooLarge,
}

pub fn body_plan(method: &str, content_length: Option<&str>, cap: u64) -> BodyPlan {
    if matches!(method, "GET" | "HEAD") {
        return BodyPlan::None;
    }
    match content_length.map(|v| v.trim().parse::<u64>()) {
        Some(Ok(0)) => BodyPlan::None,
        Some(Ok(n)) if n > cap => BodyPlan::TooLarge,
        Some(Ok(n)) => BodyPlan::Declared(n),
        // A malformed length is the runtime's to refuse; count what arrives.
        Some(Err(_)) | None => BodyPlan::Counted,
    }
}

/// The largest page kept as a stale copy: a copy costs a second read of the body.
pub const STALE_MAX_BYTES: u64 = 1024 * 1024;

/// What decides whether an answer of the app may be kept as the shared stale copy of a path.
#[derive(Debug, Default, Clone, Copy)]
pub struct StaleFacts<'a> {
    pub method: &'a str,
    pub status: u16,
    /// The request carried a cookie or credentials: the answer may be that visitor's own.
    pub personal: bool,
    /// The request asked for part of the page or for a conditional answer.
    pub partial_or_conditional: bool,
    pub set_cookie: bool,
    pub cache_control: Option<&'a str>,
    pub vary: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub content_length: Option<u64>,
}

/// Only a complete, public, shared page is kept: a 200 to a plain GET without credentials,
/// without `Set-Cookie`, not `private`/`no-store`/`no-cache`, not varying on who asks
/// (`Cookie`, `Authorization`, `*`), not an event stream, and small. Everything else (3xx,
/// 206, 304, errors) is never stored, so the copy a visitor gets while the app is down is
/// one any visitor could have been given.
pub fn stale_storable(f: &StaleFacts) -> bool {
    let cc = f.cache_control.unwrap_or_default().to_ascii_lowercase();
    let vary = f.vary.unwrap_or_default().to_ascii_lowercase();
    let personal_vary = vary
        .split(',')
        .map(str::trim)
        .any(|v| matches!(v, "*" | "cookie" | "authorization"));
    let content_type = f.content_type.unwrap_or_default().to_ascii_lowercase();
    let small = match f.content_length {
        Some(n) => n <= STALE_MAX_BYTES,
        // Unknown length: only pages (SvelteKit renders them whole), never downloads.
        None => content_type.starts_with("text/html"),
    };
    f.method == "GET"
        && f.status == 200
        && !f.personal
        && !f.partial_or_conditional
        && !f.set_cookie
        && !["private", "no-store", "no-cache"]
            .iter()
            .any(|d| cc.contains(d))
        && !personal_vary
        && !content_type.starts_with("text/event-stream")
        && small
}

/// When an isolate last wrote the stale copy of each page: a copy costs a second read of the
/// body and a Cache API write, so a page is copied at most once per `every_ms` per isolate,
/// not on every request. Bounded: past `capacity` pages it starts over (a few copies are
/// written again, nothing is lost).
#[derive(Debug, Default)]
pub struct StaleWrites {
    written: std::collections::HashMap<String, u64>,
}

impl StaleWrites {
    pub fn due(&mut self, key: &str, now: u64, every_ms: u64, capacity: usize) -> bool {
        if let Some(&at) = self.written.get(key) {
            if now.saturating_sub(at) < every_ms {
                return false;
            }
        }
        if self.written.len() >= capacity && !self.written.contains_key(key) {
            self.written.clear();
        }
        self.written.insert(key.to_string(), now);
        true
    }
}

#[cfg(test)]
mod tests;
