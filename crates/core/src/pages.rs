//! The pages a visitor sees from the worker (password form, 404/410/429, maintenance, the
//! bio page): one small design in uLoad's name, self-contained (inline CSS, no fonts,
//! scripts or images that a down origin would take with it), light and dark, for phones and
//! desktops, in German (ulo.ad's language, and the default) or English. Clients that ask
//! for JSON get problem documents instead (`VisitorError::problem`).

use super::problem::Problem;

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
            VisitorError::NotFound => Problem::new(404, "link_not_found", title)
                .with_detail(format!("no link has the code '{code}'")),
            VisitorError::Gone => Problem::new(410, "link_gone", title)
                .with_detail(format!("the link '{code}' was deactivated or has expired")),
            VisitorError::Blocked => Problem::new(451, "link_blocked", title)
                .with_detail(format!("the link '{code}' was disabled for abuse")),
            VisitorError::Unavailable => {
                Problem::new(503, "unavailable", "Temporarily unavailable").with_retry_after(30)
            }
            VisitorError::TooManyRequests => Problem::new(429, "rate_limited", title),
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

/// The password form of a protected link. It posts back to the link's own path. After a
/// wrong password the error is announced (`role=alert`) and tied to the field.
pub fn password_form(chrome: Chrome, action: &str, wrong: bool) -> String {
    let (title, text, label, button, error) = match chrome.lang {
        Lang::En => (
            "Protected link",
            "This link is protected. Enter its password to continue.",
            "Password",
            "Continue",
            "Wrong password. Please try again.",
        ),
        Lang::De => (
            "Geschützter Link",
            "Dieser Link ist geschützt. Gib das Passwort ein, um fortzufahren.",
            "Passwort",
            "Weiter",
            "Falsches Passwort. Bitte versuche es noch einmal.",
        ),
    };
    let (error, invalid) = if wrong {
        (
            format!("<p id=\"password-error\" class=\"error\" role=\"alert\">{error}</p>"),
            " aria-invalid=\"true\" aria-describedby=\"password-error\"",
        )
    } else {
        (String::new(), "")
    };
    // `action` is a path we routed (only [A-Za-z0-9_/-]), so it needs no escaping.
    layout(
        chrome,
        title,
        &format!(
            "<h1>{title}</h1><p>{text}</p>\
             <form method=\"post\" action=\"{action}\">\
             <label for=\"password\">{label}</label>\
             <input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\" autofocus{invalid}>\
             {error}<button type=\"submit\">{button}</button></form>"
        ),
    )
}

/// The abuse report form: which link, why (a fixed list), details, a contact. `link`:
/// prefilled; `errors`: (field, message) of a rejected attempt, shown and tied to fields.
pub fn report_form(chrome: Chrome, link: &str, errors: &[(String, String)]) -> String {
    let de = chrome.lang == Lang::De;
    let t = |d: &'static str, e: &'static str| if de { d } else { e };
    let title = t("Missbrauch melden", "Report abuse");
    let intro = t(
        "Führt ein uLoad-Kurzlink zu Phishing, Schadsoftware, Spam oder illegalen Inhalten? Sag uns, welcher.",
        "Does a uLoad short link lead to phishing, malware, spam or illegal content? Tell us which.",
    );
    let reasons = [
        (
            "phishing",
            t(
                "Phishing (falsche Login-Seite)",
                "Phishing (fake login page)",
            ),
        ),
        ("malware", t("Schadsoftware", "Malware")),
        ("spam", t("Spam", "Spam")),
        ("illegal", t("Illegale Inhalte", "Illegal content")),
        ("other", t("Anderes", "Other")),
    ];
    let error_of = |field: &str| {
        errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| escape_html(m))
    };
    let described = |field: &str| {
        error_of(field).map_or(String::new(), |_| {
            format!(" aria-invalid=\"true\" aria-describedby=\"{field}-error\"")
        })
    };
    let message = |field: &str| {
        error_of(field).map_or(String::new(), |m| {
            format!("<p id=\"{field}-error\" class=\"error\">{m}</p>")
        })
    };
    let options: String = reasons
        .iter()
        .map(|(v, label)| format!("<option value=\"{v}\">{label}</option>"))
        .collect();
    let summary = if errors.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            t(
                "Bitte prüfe die markierten Felder.",
                "Please check the marked fields."
            )
        )
    };
    layout(
        chrome,
        title,
        &format!(
            "<h1>{title}</h1><p>{intro}</p>{summary}<form method=\"post\" action=\"/abuse/report\">\
             <label for=\"link\">{}</label>\
             <input id=\"link\" name=\"link\" required maxlength=\"2048\" value=\"{}\" placeholder=\"https://ulo.ad/…\"{}>{}\
             <label for=\"reason\">{}</label>\
             <select id=\"reason\" name=\"reason\" required{}>{options}</select>{}\
             <label for=\"details\">{}</label>\
             <textarea id=\"details\" name=\"details\" maxlength=\"1000\" rows=\"4\"></textarea>\
             <label for=\"contact\">{}</label>\
             <input id=\"contact\" name=\"contact\" type=\"email\" maxlength=\"200\" autocomplete=\"email\">\
             <button type=\"submit\">{}</button></form>",
            t("Kurzlink", "Short link"),
            escape_html(link),
            described("link"),
            message("link"),
            t("Grund", "Reason"),
            described("reason"),
            message("reason"),
            t("Details (optional)", "Details (optional)"),
            t("Deine E-Mail für Rückfragen (optional)", "Your e-mail for questions (optional)"),
            t("Meldung senden", "Send report"),
        ),
    )
}

/// After a report: thanks, and what happens next.
pub fn report_received(chrome: Chrome) -> String {
    let (title, text) = match chrome.lang {
        Lang::De => (
            "Danke für deine Meldung",
            "Wir prüfen den Link. Wird er mehrfach gemeldet, warnen wir Besucher schon vorher.",
        ),
        Lang::En => (
            "Thank you for your report",
            "We will review the link. When several people report it, visitors are warned in the meantime.",
        ),
    };
    layout(chrome, title, &format!("<h1>{title}</h1><p>{text}</p>"))
}

/// The warning before a link held for review after abuse reports. `continue_to` is a path
/// and query we built (escaped here all the same).
pub fn held_page(chrome: Chrome, continue_to: &str) -> String {
    let (title, text, button) = match chrome.lang {
        Lang::De => (
            "Vorsicht: gemeldeter Link",
            "Dieser Kurzlink wurde mehrfach als missbräuchlich gemeldet und wird geprüft. Fahre nur fort, wenn du dem Absender vertraust, und gib keine Passwörter oder persönlichen Daten ein.",
            "Trotzdem fortfahren",
        ),
        Lang::En => (
            "Warning: reported link",
            "This short link was reported for abuse several times and is being reviewed. Continue only if you trust whoever sent it, and do not enter passwords or personal data.",
            "Continue anyway",
        ),
    };
    layout(
        chrome,
        title,
        &format!(
            "<h1>{title}</h1><p>{text}</p><a class=\"button\" href=\"{}\" rel=\"nofollow\">{button}</a>",
            escape_html(continue_to)
        ),
    )
}

/// A link-in-bio page: the person's initial, name, bio and their links as buttons. `links`
/// are (short URL, label), shown as they are given (escaped here).
pub fn bio_page(
    chrome: Chrome,
    name: &str,
    bio: Option<&str>,
    links: &[(String, String)],
) -> String {
    // ASCII upper-casing only: Unicode's case tables would add ~6 KB of gzipped wasm.
    let initial = name
        .chars()
        .next()
        .map(|c| c.to_ascii_uppercase().to_string())
        .unwrap_or_default();
    let bio = bio
        .map(|b| format!("<p>{}</p>", escape_html(b)))
        .unwrap_or_default();
    let items: String = links
        .iter()
        .map(|(href, label)| {
            format!(
                "<li><a href=\"{}\">{}</a></li>",
                escape_html(href),
                escape_html(label)
            )
        })
        .collect();
    let empty = match (links.is_empty(), chrome.lang) {
        (false, _) => String::new(),
        (true, Lang::De) => "<p>Noch keine Links.</p>".into(),
        (true, Lang::En) => "<p>No links yet.</p>".into(),
    };
    let name_html = escape_html(name);
    layout(
        chrome,
        name,
        &format!(
            "<div class=\"profile\"><div class=\"avatar\" aria-hidden=\"true\">{}</div><h1>{name_html}</h1>{bio}</div>\
             {empty}<ul class=\"links\">{items}</ul>",
            escape_html(&initial)
        ),
    )
}

/// The label of a link on a bio page: its title, else its short URL without the scheme
/// (`ulo.ad/u/alice/cv`), never its target.
pub fn bio_label(title: Option<&str>, short_url: &str) -> String {
    match title.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => short_url
            .split_once("://")
            .map_or(short_url, |(_, rest)| rest)
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DE: Chrome = Chrome {
        lang: Lang::De,
        home: false,
    };
    const EN: Chrome = Chrome {
        lang: Lang::En,
        home: true,
    };

    #[test]
    fn german_unless_english_is_preferred() {
        assert_eq!(lang(None), Lang::De, "nothing said: ulo.ad is German");
        assert_eq!(lang(Some("fr")), Lang::De);
        assert_eq!(lang(Some("de-DE,de;q=0.9,en;q=0.8")), Lang::De);
        assert_eq!(lang(Some("fr-FR,en;q=0.5,de;q=0.7")), Lang::De);
        assert_eq!(lang(Some("en-US,de;q=0.9")), Lang::En);
        assert_eq!(lang(Some("en-GB")), Lang::En);
        assert_eq!(lang(Some("de;q=0,en;q=0.1")), Lang::En);
    }

    #[test]
    fn the_password_form_posts_to_the_link_and_says_what_went_wrong() {
        let f = password_form(DE, "/promo", true);
        assert!(f.contains("action=\"/promo\"") && f.contains("name=\"password\""));
        assert!(f.contains("<label for=\"password\">Passwort</label>"));
        assert!(f.contains("role=\"alert\">Falsches Passwort"));
        assert!(f.contains("aria-describedby=\"password-error\"") && f.contains("autofocus"));
        let ok = password_form(EN, "/promo", false);
        assert!(!ok.contains("Wrong password") && !ok.contains("aria-invalid"));
        assert!(ok.contains("lang=\"en\""));
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            escape_html("<a href=\"x\">Tom & 'J'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;J&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn pages_are_localised_and_link_home_only_when_the_app_answers() {
        let de = VisitorError::NotFound.html(DE, None);
        assert!(de.contains("lang=\"de\"") && de.contains("nicht gefunden"));
        assert!(!de.contains("href=\"/\""), "the app is down: no link to it");
        let en = VisitorError::Gone.html(EN, None);
        assert!(en.contains("no longer available") && en.contains("href=\"/\""));
        assert!(en.len() < 6 * 1024, "a few KB: {}", en.len());
        assert_eq!(VisitorError::Gone.problem("x").status, 410);
        assert_eq!(VisitorError::Unavailable.problem("x").retry_after, Some(30));
    }

    #[test]
    fn maintenance_says_when_to_come_back() {
        // 2026-11-25T14:30:10Z, back in 5 minutes: 14:35:10 → "14:36".
        let retry = Retry {
            after_s: 300,
            now_ms: 1_795_617_010_000,
        };
        let de = VisitorError::Unavailable.html(DE, Some(retry));
        assert!(de.contains("in etwa 5 Minuten"), "{de}");
        assert!(
            de.contains("<time datetime=\"2026-11-25T14:36:00.000Z\">14:36 Uhr UTC</time>"),
            "{de}"
        );
        let en = VisitorError::Unavailable.html(
            EN,
            Some(Retry {
                after_s: 30,
                now_ms: 1_795_617_000_000,
            }),
        );
        assert!(
            en.contains(
                "about a minute (at <time datetime=\"2026-11-25T14:31:00.000Z\">14:31 UTC</time>)"
            ),
            "{en}"
        );
    }

    #[test]
    fn bio_pages_escape_everything_and_show_no_target() {
        let page = bio_page(
            DE,
            "<Ann>",
            Some("Bio & more"),
            &[("https://ulo.ad/u/a/cv".into(), "My \"CV\"".into())],
        );
        assert!(page.contains("<h1>&lt;Ann&gt;</h1>") && page.contains("Bio &amp; more"));
        assert!(page.contains("<a href=\"https://ulo.ad/u/a/cv\">My &quot;CV&quot;</a>"));
        assert!(page.contains("aria-hidden=\"true\">&lt;</div>"));
        assert!(bio_page(EN, "Ann", None, &[]).contains("No links yet."));
        assert_eq!(bio_label(Some(" My CV "), "https://ulo.ad/u/a/cv"), "My CV");
        assert_eq!(bio_label(None, "https://ulo.ad/u/a/cv"), "ulo.ad/u/a/cv");
    }
}
