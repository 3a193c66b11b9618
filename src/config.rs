//! Configuration from wrangler.toml `[vars]` and secrets. Parsing is pure (it takes a
//! lookup function), so defaults and bad values are tested natively.

use uload_core::ratelimit::{self, Scope};
use uload_core::target::Policy;

/// Settings of the redirect and API paths. Every number has a default so a missing var
/// never takes the worker down; a malformed one is reported by `problems`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Public base of short links, e.g. `https://ulo.ad` (no trailing slash).
    pub short_base_url: String,
    /// How long an isolate trusts a record it holds in memory. This bounds how stale a
    /// redirect can be at *other* isolates after an edit (the editing isolate drops it at once).
    pub memory_ttl_ms: u64,
    /// How long an isolate remembers that a code does not exist (absorbs scans of random codes).
    pub memory_negative_ttl_ms: u64,
    pub memory_capacity: usize,
    /// What the memory layer's records may weigh together (MEMORY_CACHE_MAX_BYTES, default
    /// 16 MiB): 10,000 records of long targets must not take the isolate's 128 MB.
    pub memory_max_bytes: usize,
    /// `cacheTtl` of KV reads: how long the edge location caches a KV value (min 30 s at Cloudflare).
    pub kv_cache_ttl_s: u64,
    /// Largest accepted API request body.
    pub max_body_bytes: usize,
    /// Where links may not point: the short hosts (from SHORT_BASE_URL and SHORT_DOMAINS)
    /// and BLOCKED_DOMAINS.
    pub target_policy: Policy,
    /// Browser origins allowed to call the API (ALLOWED_ORIGINS, comma-separated).
    pub cors_origins: Vec<String>,
    /// Rate limits per scope (RATE_<SCOPE>_LIMIT, RATE_<SCOPE>_WINDOW_SECONDS).
    pub rate_api: ratelimit::Policy,
    /// The API limit of the dashboard's service token, per user it acts for (or per user it
    /// syncs): a dashboard page is many calls (a list with 20 QR previews is ~25), and its
    /// server is one client for everybody (RATE_DASHBOARD_LIMIT, default 1,000 per
    /// RATE_DASHBOARD_WINDOW_SECONDS, 900).
    pub rate_dashboard: ratelimit::Policy,
    pub rate_create: ratelimit::Policy,
    pub rate_password: ratelimit::Policy,
    /// Abuse reports per client network (RATE_REPORT_LIMIT / _WINDOW_SECONDS, 10 an hour).
    pub rate_report: ratelimit::Policy,
    /// Reports from this many different networks within `abuse_hold_window_ms` hold a link
    /// for review (ABUSE_HOLD_REPORTS, default 3; 0 never holds).
    pub abuse_hold_reports: u32,
    pub abuse_hold_window_ms: u64,
    /// Where abuse and security reports go (SECURITY_CONTACT, for /.well-known/security.txt).
    pub security_contact: String,
    /// Password attempts per link across all clients (RATE_PASSWORD_LINK_LIMIT, same window):
    /// many addresses cannot share out the guessing of one link's password.
    pub rate_password_link: ratelimit::Policy,
    /// A second, day-long tier per link and client (RATE_PASSWORD_DAILY_LIMIT per 24 h): the
    /// back-off grows from the window's minutes to the rest of the day for a persistent
    /// guesser.
    pub rate_password_daily: ratelimit::Policy,
    pub rate_redirect: ratelimit::Policy,
    /// Failures per client and API window before it is shut out (RATE_FAILURE_LIMIT).
    pub rate_failure_limit: u32,
    /// Redirects an isolate admits per client before it reports them (RATE_REDIRECT_SYNC_EVERY).
    pub redirect_sync_every: u32,
    /// How long an isolate gathers redirect reports (RATE_REDIRECT_REPORT_MS, ≤ 10 s), and
    /// the shard objects they go to (RATE_REDIRECT_SHARDS, 1 to 1,024): see README.
    pub redirect_report_ms: u64,
    pub redirect_shards: u32,
    /// Clicks per second one counter object takes before a limited link spreads over more
    /// (CLICK_SHARD_RATE, default 250): see `uload_core::click_budget`.
    pub click_shard_rate: u64,
    /// uLoad's SvelteKit app (ORIGIN_URL), the fallback for everything that is not a link.
    pub origin_url: Option<String>,
    pub origin_timeout_ms: u64,
    pub origin_retries: u32,
    /// Largest request body passed to the origin (ORIGIN_MAX_BODY_BYTES, default 10 MiB):
    /// a larger one is refused with 413 before it is read, or as soon as it passes the cap.
    pub origin_max_body_bytes: u64,
    /// Paths that certainly are not links: straight to the origin, no lookup.
    pub origin_prefixes: Vec<String>,
    pub breaker_failures: u32,
    pub breaker_cooldown_ms: u64,
    /// How long a copy of an origin page is kept for when the origin fails.
    pub stale_ttl_s: u64,
    /// Click analytics on (ANALYTICS_ENABLED, default true): every redirect sends its click
    /// to the queue.
    pub analytics_enabled: bool,
    /// How long an isolate lets clicks gather before it sends them to the queue
    /// (CLICK_GATHER_MS, default 1,000): one message a second per busy isolate keeps a viral
    /// link's thousands of isolates under the queue's 5,000 messages a second.
    pub click_gather_ms: u64,
    /// How long raw clicks are kept (CLICK_RETENTION_DAYS); hourly rollups stay.
    pub click_retention_days: i64,
    /// Days of daily backups kept in R2 (BACKUP_RETENTION_DAYS); the newest is always kept.
    pub backup_retention_days: i64,
    /// Raw clicks in backups too (BACKUP_INCLUDE_CLICKS, default false).
    pub backup_include_clicks: bool,
    /// Days a username given up (renamed, deleted) stays reserved for its previous owner
    /// (USERNAME_HOLD_DAYS, default 180).
    pub username_hold_days: i64,
    /// Webhook deliveries (WEBHOOK_*).
    pub webhooks: Webhooks,
    /// Vars that were set but could not be parsed (their defaults were used instead).
    pub problems: Vec<String>,
}

/// How webhooks are delivered.
#[derive(Debug, Clone)]
pub struct Webhooks {
    /// How long a receiver has to answer (WEBHOOK_TIMEOUT_MS, default 10,000).
    pub timeout_ms: u64,
    /// The first retry's delay; each next one doubles, up to the cap
    /// (WEBHOOK_RETRY_BASE_SECONDS 10, WEBHOOK_RETRY_MAX_SECONDS 3,600).
    pub retry_base_s: u32,
    pub retry_max_s: u32,
    /// Consecutive failed attempts after which an endpoint is disabled (its owner sees why)
    /// (WEBHOOK_DISABLE_AFTER, default 100).
    pub disable_after: u32,
    /// Days events are kept for redelivery to a re-enabled endpoint, and attempts for the
    /// delivery log (WEBHOOK_RETENTION_DAYS, default 7).
    pub retention_days: i64,
    /// Tests only: endpoints may be plain http on loopback (WEBHOOK_ALLOW_LOOPBACK).
    pub allow_loopback: bool,
}

impl Config {
    pub fn rate_policy(&self, scope: Scope) -> ratelimit::Policy {
        match scope {
            Scope::Api => self.rate_api,
            Scope::Create => self.rate_create,
            Scope::Password => self.rate_password,
            Scope::Redirect => self.rate_redirect,
            Scope::Report => self.rate_report,
        }
    }
}

fn list(value: Option<String>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

impl Config {
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut problems = Vec::new();
        let mut num = |name: &str, default: u64| -> u64 {
            match get(name) {
                None => default,
                Some(v) => v.trim().parse().unwrap_or_else(|_| {
                    problems.push(format!(
                        "{name}={v:?} is not a whole number; using {default}"
                    ));
                    default
                }),
            }
        };
        let memory_ttl_ms = num("MEMORY_CACHE_TTL_SECONDS", 30) * 1000;
        let memory_negative_ttl_ms = num("MEMORY_NEGATIVE_TTL_SECONDS", 5) * 1000;
        let memory_capacity = num("MEMORY_CACHE_CAPACITY", 10_000) as usize;
        let memory_max_bytes = num("MEMORY_CACHE_MAX_BYTES", 16 * 1024 * 1024) as usize;
        let kv_cache_ttl_s = num("KV_CACHE_TTL_SECONDS", 60).max(30);
        let max_body_bytes = num("MAX_BODY_BYTES", 64 * 1024) as usize;
        // uLoad's limits: API 100 per 15 min, link creation 20 per minute, password
        // attempts 5 per 15 min, redirects 300 per minute.
        let mut policy = |name: &str, limit: u64, window_s: u64| ratelimit::Policy {
            limit: num(&format!("RATE_{name}_LIMIT"), limit).clamp(1, u64::from(u32::MAX)) as u32,
            window_ms: num(&format!("RATE_{name}_WINDOW_SECONDS"), window_s).max(1) * 1000,
        };
        let rate_api = policy("API", 100, 900);
        let rate_dashboard = policy("DASHBOARD", 1_000, 900);
        let rate_create = policy("CREATE", 20, 60);
        let rate_password = policy("PASSWORD", 5, 900);
        let rate_report = policy("REPORT", 10, 3600);
        let abuse_hold_reports = num("ABUSE_HOLD_REPORTS", 3).min(1000) as u32;
        let abuse_hold_window_ms =
            num("ABUSE_HOLD_WINDOW_HOURS", 24).clamp(1, 24 * 365) * 3_600_000;
        let security_contact = get("SECURITY_CONTACT")
            .map(|s| s.trim().to_string())
            .filter(|s| s.starts_with("mailto:") || s.starts_with("https://"))
            .unwrap_or_else(|| "mailto:abuse@ulo.ad".to_string());
        let rate_password_daily = ratelimit::Policy {
            limit: num("RATE_PASSWORD_DAILY_LIMIT", 20).clamp(1, u64::from(u32::MAX)) as u32,
            window_ms: 86_400_000,
        };
        let rate_password_link = ratelimit::Policy {
            limit: num("RATE_PASSWORD_LINK_LIMIT", 50).clamp(1, u64::from(u32::MAX)) as u32,
            window_ms: rate_password.window_ms,
        };
        // 0 turns the redirect limiter off (the exact scopes always have at least 1).
        let rate_redirect = ratelimit::Policy {
            limit: num("RATE_REDIRECT_LIMIT", 300).min(u64::from(u32::MAX)) as u32,
            window_ms: num("RATE_REDIRECT_WINDOW_SECONDS", 60).max(1) * 1000,
        };
        let rate_failure_limit = num("RATE_FAILURE_LIMIT", 20).clamp(1, u64::from(u32::MAX)) as u32;
        let redirect_sync_every = num("RATE_REDIRECT_SYNC_EVERY", 10).clamp(1, 1000) as u32;
        let redirect_report_ms = num("RATE_REDIRECT_REPORT_MS", 1_000).min(10_000);
        let redirect_shards = num("RATE_REDIRECT_SHARDS", 16).clamp(1, 1_024) as u32;
        let click_gather_ms = num("CLICK_GATHER_MS", 1_000).min(10_000);
        let click_shard_rate = num(
            "CLICK_SHARD_RATE",
            uload_core::click_budget::DEFAULT_PER_OBJECT,
        )
        .max(1);
        // uLoad's 5 s timeout was too aggressive for its cold starts: 10 s.
        let origin_timeout_ms = num("ORIGIN_TIMEOUT_MS", 10_000).max(1);
        let origin_retries = num("ORIGIN_RETRIES", 2).min(5) as u32;
        let origin_max_body_bytes = num("ORIGIN_MAX_BODY_BYTES", 10 * 1024 * 1024);
        let breaker_failures = num("BREAKER_FAILURES", 5).max(1) as u32;
        let breaker_cooldown_ms = num("BREAKER_COOLDOWN_SECONDS", 30) * 1000;
        let stale_ttl_s = num("STALE_TTL_SECONDS", 86_400);
        let click_retention_days = num("CLICK_RETENTION_DAYS", 90).clamp(1, 36_500) as i64;
        let backup_retention_days = num("BACKUP_RETENTION_DAYS", 7).clamp(1, 3650) as i64;
        let webhook_timeout_ms = num("WEBHOOK_TIMEOUT_MS", 10_000).clamp(100, 30_000);
        let webhook_retry_base_s = num("WEBHOOK_RETRY_BASE_SECONDS", 10).clamp(1, 3_600) as u32;
        // A queue delays a retry by at most 12 hours.
        let webhook_retry_max_s = num("WEBHOOK_RETRY_MAX_SECONDS", 3_600).clamp(1, 43_200) as u32;
        let webhook_disable_after = num("WEBHOOK_DISABLE_AFTER", 100).clamp(1, 100_000) as u32;
        let webhook_retention_days = num("WEBHOOK_RETENTION_DAYS", 7).clamp(1, 90) as i64;
        let username_hold_days = num("USERNAME_HOLD_DAYS", 180).clamp(0, 36_500) as i64;
        let mut flag = |name: &str, default: bool| match get(name).as_deref().map(str::trim) {
            None | Some("") => default,
            Some("true") | Some("1") | Some("on") => true,
            Some("false") | Some("0") | Some("off") => false,
            Some(other) => {
                problems.push(format!(
                    "{name}={other:?} is not true or false; using {default}"
                ));
                default
            }
        };
        let analytics_enabled = flag("ANALYTICS_ENABLED", true);
        let webhooks = Webhooks {
            timeout_ms: webhook_timeout_ms,
            retry_base_s: webhook_retry_base_s,
            retry_max_s: webhook_retry_max_s,
            disable_after: webhook_disable_after,
            retention_days: webhook_retention_days,
            allow_loopback: flag("WEBHOOK_ALLOW_LOOPBACK", false),
        };
        let backup_include_clicks = flag("BACKUP_INCLUDE_CLICKS", false);
        let short_base_url = get("SHORT_BASE_URL")
            .map(|s| s.trim().trim_end_matches('/').to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "https://ulo.ad".to_string());
        let mut own_hosts = list(get("SHORT_DOMAINS"));
        if let Some(host) = url::Url::parse(&short_base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
        {
            own_hosts.push(host);
        }
        let target_policy = Policy::new(&own_hosts, &list(get("BLOCKED_DOMAINS")));
        let cors_origins = list(get("ALLOWED_ORIGINS"));
        let origin_url = get("ORIGIN_URL")
            .map(|s| s.trim().trim_end_matches('/').to_string())
            .filter(|s| url::Url::parse(s).is_ok());
        let origin_prefixes = match get("ORIGIN_PREFIXES") {
            Some(v) => list(Some(v)),
            None => [
                "/login",
                "/logout",
                "/register",
                "/dashboard",
                "/my/",
                "/p/",
                "/_app/",
                "/settings",
                "/auth/",
                "/api/auth/",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        };
        Config {
            short_base_url,
            target_policy,
            cors_origins,
            memory_ttl_ms,
            memory_negative_ttl_ms,
            memory_capacity,
            memory_max_bytes,
            kv_cache_ttl_s,
            max_body_bytes,
            rate_api,
            rate_dashboard,
            rate_create,
            rate_password,
            rate_report,
            abuse_hold_reports,
            abuse_hold_window_ms,
            security_contact,
            rate_password_link,
            rate_password_daily,
            rate_redirect,
            rate_failure_limit,
            redirect_sync_every,
            redirect_report_ms,
            redirect_shards,
            click_shard_rate,
            click_gather_ms,
            origin_url,
            origin_timeout_ms,
            origin_retries,
            origin_max_body_bytes,
            origin_prefixes,
            breaker_failures,
            breaker_cooldown_ms,
            stale_ttl_s,
            analytics_enabled,
            click_retention_days,
            backup_retention_days,
            backup_include_clicks,
            username_hold_days,
            webhooks,
            problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Config {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = cfg(&[]);
        assert_eq!(c.short_base_url, "https://ulo.ad");
        assert_eq!(c.memory_ttl_ms, 30_000);
        assert_eq!(c.kv_cache_ttl_s, 60);
        assert_eq!(
            c.rate_api,
            ratelimit::Policy {
                limit: 100,
                window_ms: 900_000
            }
        );
        assert_eq!(
            c.rate_policy(Scope::Redirect),
            ratelimit::Policy {
                limit: 300,
                window_ms: 60_000
            }
        );
        assert_eq!(c.rate_policy(Scope::Password).limit, 5);
        assert!(c.analytics_enabled);
        assert_eq!(c.click_retention_days, 90);
        assert_eq!(c.backup_retention_days, 7);
        assert!(!c.backup_include_clicks);
        assert!(cfg(&[("BACKUP_INCLUDE_CLICKS", "true")]).backup_include_clicks);
        assert!(c.problems.is_empty());
        assert!(!cfg(&[("ANALYTICS_ENABLED", "false")]).analytics_enabled);
        let odd = cfg(&[("ANALYTICS_ENABLED", "perhaps")]);
        assert!(odd.analytics_enabled);
        assert_eq!(odd.problems.len(), 1);
    }

    #[test]
    fn reads_values_and_reports_bad_ones() {
        let c = cfg(&[
            ("SHORT_BASE_URL", "http://127.0.0.1:8787/"),
            ("MEMORY_CACHE_TTL_SECONDS", "2"),
            ("KV_CACHE_TTL_SECONDS", "5"),
            ("MAX_BODY_BYTES", "lots"),
        ]);
        assert_eq!(c.short_base_url, "http://127.0.0.1:8787");
        assert_eq!(c.memory_ttl_ms, 2_000);
        assert_eq!(c.kv_cache_ttl_s, 30, "KV's minimum cacheTtl is enforced");
        assert_eq!(c.max_body_bytes, 64 * 1024);
        assert_eq!(c.problems.len(), 1);
        assert!(c.problems[0].contains("MAX_BODY_BYTES"));
    }

    #[test]
    fn short_hosts_blocklist_and_origins() {
        let c = cfg(&[
            ("SHORT_BASE_URL", "https://ulo.ad"),
            ("SHORT_DOMAINS", "go.ulo.ad, "),
            ("BLOCKED_DOMAINS", "evil.example"),
            (
                "ALLOWED_ORIGINS",
                "https://app.ulo.ad,http://localhost:5173",
            ),
        ]);
        assert_eq!(c.target_policy.own_hosts, ["go.ulo.ad", "ulo.ad"]);
        assert_eq!(c.target_policy.blocked_domains, ["evil.example"]);
        assert_eq!(
            c.cors_origins,
            ["https://app.ulo.ad", "http://localhost:5173"]
        );
    }
}
