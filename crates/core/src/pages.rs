//! The pages a visitor sees from the worker (password form, 404/410/429, maintenance, the
//! bio page): one small design in uLoad's name, self-contained (inline CSS, no fonts,
//! scripts or images that a down origin would take with it), light and dark, for phones and
//! desktops, in German (ulo.ad's language, and the default) or English. Clients that ask
//! for JSON get problem documents instead (`VisitorError::problem`).

use super::problem::{Code, Problem};

mod bio;
pub use bio::*;
mod forms;
pub use forms::*;
mod preview;
pub use preview::*;

/// Sent with every HTML page the worker renders (password form, errors, maintenance, bio):
/// no sniffing, no framing (clickjacking of the password form), nothing loaded from anywhere
/// (the pages are self-contained: inline styles only), and no referrer carried to a link's
/// target. No `form-action`: browsers apply it to the redirects after a form is sent too, and
/// an unlocked password form ends on the link's target, wherever that is.
pub const HARDENING_HEADERS: &[(&str, &str)] = &[
    ("x-content-type-options", "nosniff"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-frame-options", "DENY"),
    // Not `no-referrer`: with it browsers send `Origin: null` with the page's own form.
    ("referrer-policy", "same-origin"),
];

/// The design: uLoad's wordmark and colours as CSS variables (one place to change them),
/// the system font stack (nothing to download, no layout shift), a dark variant. Contrast of
/// every text colour on its background is at least 4.5:1 in both schemes.
const STYLE: &str = ":root{color-scheme:light dark;--bg:#f4f5fa;--card:#fff;--text:#15171c;--muted:#525866;--brand:#4338ca;--on-brand:#fff;--line:#d9dce6;--error:#b42318}\
@media (prefers-color-scheme:dark){:root{--bg:#0e1014;--card:#171a21;--text:#eceef3;--muted:#a9afbd;--brand:#a5a0ff;--on-brand:#0e1014;--line:#2c313c;--error:#ff9b90}}\
*{box-sizing:border-box}\
html{font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif;background:var(--bg);color:var(--text)}\
body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;padding:2rem 1rem}\
header{margin-bottom:1.5rem}\
.logo{font-size:1.6rem;font-weight:800;letter-spacing:-.03em;color:var(--text);text-decoration:none}\
.logo b{color:var(--brand);font-weight:800}\
main{width:100%;max-width:28rem;background:var(--card);border:1px solid var(--line);border-radius:1rem;padding:2rem 1.5rem}\
h1{font-size:1.4rem;line-height:1.25;margin:0 0 .75rem}\
p{margin:0 0 1rem;color:var(--muted)}\
main>:last-child{margin-bottom:0}\
label{display:block;font-weight:600;margin:1.25rem 0 .4rem}\
input,select,textarea{display:block;width:100%;font:inherit;padding:.7rem .8rem;border:1px solid var(--muted);border-radius:.6rem;background:var(--card);color:var(--text)}\
button,.button{display:block;width:100%;font:inherit;font-weight:600;padding:.75rem 1rem;margin-top:1rem;border:0;border-radius:.6rem;background:var(--brand);color:var(--on-brand);text-align:center;text-decoration:none;cursor:pointer}\
a{color:var(--brand)}\
:focus-visible{outline:3px solid var(--brand);outline-offset:2px}\
.error{color:var(--error);font-weight:600}\
footer{margin-top:1.5rem;font-size:.875rem;color:var(--muted);text-align:center}\
.profile{text-align:center}\
.avatar{width:4.5rem;height:4.5rem;margin:0 auto 1rem;border-radius:50%;background:var(--brand);color:var(--on-brand);display:flex;align-items:center;justify-content:center;font-size:2rem;font-weight:700}\
.links{list-style:none;padding:0;margin:1.5rem 0 0}\
.links li+li{margin-top:.75rem}\
.links a{display:block;padding:.9rem 1rem;border:2px solid var(--brand);border-radius:.75rem;color:var(--text);font-weight:600;text-decoration:none;text-align:center;overflow-wrap:anywhere}\
dt{font-weight:600;margin-top:.8rem}dd{margin:0;overflow-wrap:anywhere}\
.links a:hover{background:var(--brand);color:var(--on-brand)}";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    De,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::De => "de",
            Lang::En => "en",
        }
    }
}

/// The first of German or English in the client's `Accept-Language` preference order (by
/// q-value); German when neither is there, as ulo.ad is German.
pub fn lang(accept_language: Option<&str>) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for part in accept_language.unwrap_or("").split(',') {
        let mut it = part.split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|v| v.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = match tag.split('-').next() {
            Some("de") => Lang::De,
            Some("en") => Lang::En,
            _ => continue,
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::De, |(_, l)| l)
}

/// What every page needs: its language, and whether uLoad's app answers (then the wordmark
/// links to its home page; while it is down, a link there would only lead to this page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chrome {
    pub lang: Lang,
    pub home: bool,
}

/// One page: the wordmark, the content, a footer. `title` is plain text (escaped here);
/// `content` is HTML the caller built from escaped parts.
pub fn layout(chrome: Chrome, title: &str, content: &str) -> String {
    let (home_label, footer) = match chrome.lang {
        Lang::De => (
            "uLoad – zur Startseite",
            "uLoad · Kurzlinks und Link-in-Bio",
        ),
        Lang::En => ("uLoad – home page", "uLoad · short links and link in bio"),
    };
    let logo = if chrome.home {
        format!("<a class=\"logo\" href=\"/\" aria-label=\"{home_label}\">u<b>Load</b></a>")
    } else {
        "<span class=\"logo\">u<b>Load</b></span>".to_string()
    };
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · uLoad</title><style>{STYLE}</style></head>\
         <body><header>{logo}</header><main>{content}</main><footer>{footer}</footer></body></html>",
        chrome.lang.code(),
        escape_html(title)
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitorError {
    NotFound,
    Gone,
    /// Disabled for abuse (451): distinct from inactive and expired.
    Blocked,
    Unavailable,
    TooManyRequests,
}

/// When to come back: the Retry-After in seconds and the time now (Unix ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub after_s: u64,
    pub now_ms: u64,
}

impl Retry {
    /// "in about 5 minutes (at 14:35 UTC)" as HTML with a machine-readable `<time>`.
    fn html(self, lang: Lang) -> String {
        // Rounded up to the minute: "at 14:36" is never before the moment it means.
        // (Arithmetic, not chrono's formatter: that would add ~10 KB of wasm for two numbers.)
        let at_s = (self.now_ms + self.after_s.saturating_mul(1000)).div_ceil(60_000) * 60;
        let of_day = at_s % 86_400;
        let clock = format!("{:02}:{:02}", of_day / 3600, of_day % 3600 / 60);
        let iso = crate::time::format(
            chrono::DateTime::from_timestamp(i64::try_from(at_s).unwrap_or(0), 0)
                .unwrap_or_default(),
        );
        let minutes = self.after_s.div_ceil(60).max(1);
        match lang {
            Lang::De => {
                let span = if minutes == 1 {
                    "einer Minute".to_string()
                } else {
                    format!("{minutes} Minuten")
                };
                format!("Versuche es in etwa {span} wieder (ab <time datetime=\"{iso}\">{clock} Uhr UTC</time>).")
            }
            Lang::En => {
                let span = if minutes == 1 {
                    "a minute".to_string()
                } else {
                    format!("{minutes} minutes")
                };
                format!("Please try again in about {span} (at <time datetime=\"{iso}\">{clock} UTC</time>).")
            }
        }
    }
}

impl VisitorError {
    pub fn status(self) -> u16 {
        match self {
            VisitorError::NotFound => 404,
            VisitorError::Gone => 410,
            VisitorError::Blocked => 451,
            VisitorError::Unavailable => 503,
            VisitorError::TooManyRequests => 429,
        }
    }

    fn texts(self, lang: Lang) -> (&'static str, &'static str) {
        match (self, lang) {
            (VisitorError::NotFound, Lang::En) => (
                "Link not found",
                "This short link does not exist. Check that it was typed or copied completely.",
            ),
            (VisitorError::NotFound, Lang::De) => (
                "Link nicht gefunden",
                "Diesen Kurzlink gibt es nicht. Prüfe, ob er vollständig eingegeben oder kopiert wurde.",
            ),
            (VisitorError::Gone, Lang::En) => (
                "Link no longer available",
                "This short link was deactivated, has expired or has reached its limit of visits.",
            ),
            (VisitorError::Gone, Lang::De) => (
                "Link nicht mehr verfügbar",
                "Dieser Kurzlink wurde deaktiviert, ist abgelaufen oder hat sein Limit an Aufrufen erreicht.",
            ),
            (VisitorError::Blocked, Lang::En) => (
                "Link disabled",
                "uLoad disabled this short link because it was reported for abuse (for example phishing or malware). Do not enter passwords or personal data on the page it led to.",
            ),
            (VisitorError::Blocked, Lang::De) => (
                "Link gesperrt",
                "uLoad hat diesen Kurzlink gesperrt, weil er als missbräuchlich gemeldet wurde (etwa Phishing oder Schadsoftware). Gib auf der Seite, zu der er führte, keine Passwörter oder persönlichen Daten ein.",
            ),
            (VisitorError::Unavailable, Lang::En) => (
                "Back in a moment",
                "uLoad is briefly unavailable. Short links keep working.",
            ),
            (VisitorError::Unavailable, Lang::De) => (
                "Gleich wieder da",
                "uLoad ist kurz nicht erreichbar. Kurzlinks funktionieren weiter.",
            ),
            (VisitorError::TooManyRequests, Lang::En) => (
                "Too many requests",
                "Please wait a moment before you try again.",
            ),
            (VisitorError::TooManyRequests, Lang::De) => (
                "Zu viele Anfragen",
                "Bitte warte einen Moment, bevor du es noch einmal versuchst.",
            ),
        }
    }

    /// The page; `retry`: when to come back (maintenance, 429), shown as a time.
    pub fn html(self, chrome: Chrome, retry: Option<Retry>) -> String {
        let (title, text) = self.texts(chrome.lang);
        let retry = retry
            .map(|r| format!("<p>{}</p>", r.html(chrome.lang)))
            .unwrap_or_default();
        // Where a link misled someone, they can say so.
        let report = match (self, chrome.lang) {
            (VisitorError::NotFound | VisitorError::Gone, Lang::De) => {
                "<p><a href=\"/abuse/report\">Einen Link als Missbrauch melden</a></p>"
            }
            (VisitorError::NotFound | VisitorError::Gone, Lang::En) => {
                "<p><a href=\"/abuse/report\">Report a link for abuse</a></p>"
            }
            _ => "",
        };
        layout(
            chrome,
            title,
            &format!("<h1>{title}</h1><p>{text}</p>{retry}{report}"),
        )
    }

    pub fn problem(self, code: &str) -> Problem {
        let (title, _) = self.texts(Lang::En);
        match self {
            VisitorError::NotFound => Problem::new(Code::LinkNotFound, title)
                .with_detail(format!("no link has the code '{code}'")),
            VisitorError::Gone => Problem::new(Code::LinkGone, title)
                .with_detail(format!("the link '{code}' was deactivated or has expired")),
            VisitorError::Blocked => Problem::new(Code::LinkBlocked, title)
                .with_detail(format!("the link '{code}' was disabled for abuse")),
            VisitorError::Unavailable => {
                Problem::new(Code::Unavailable, "Temporarily unavailable").with_retry_after(30)
            }
            VisitorError::TooManyRequests => Problem::new(Code::RateLimited, title),
        }
    }
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
