//! What a visitor sees when a short link does not redirect: a small page in German or
//! English (uLoad's audience), or a problem document for clients that ask for JSON.

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

use super::problem::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitorError {
    NotFound,
    Gone,
    Unavailable,
    TooManyRequests,
}

/// The first of German or English in the client's `Accept-Language` preference order
/// (by q-value); English when neither is there.
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
    best.map_or(Lang::En, |(_, l)| l)
}

impl VisitorError {
    pub fn status(self) -> u16 {
        match self {
            VisitorError::NotFound => 404,
            VisitorError::Gone => 410,
            VisitorError::Unavailable => 503,
            VisitorError::TooManyRequests => 429,
        }
    }

    fn texts(self, lang: Lang) -> (&'static str, &'static str) {
        match (self, lang) {
            (VisitorError::NotFound, Lang::En) => {
                ("Link not found", "This short link does not exist.")
            }
            (VisitorError::NotFound, Lang::De) => {
                ("Link nicht gefunden", "Diesen Kurzlink gibt es nicht.")
            }
            (VisitorError::Gone, Lang::En) => (
                "Link no longer available",
                "This short link was deactivated or has expired.",
            ),
            (VisitorError::Gone, Lang::De) => (
                "Link nicht mehr verfügbar",
                "Dieser Kurzlink wurde deaktiviert oder ist abgelaufen.",
            ),
            (VisitorError::Unavailable, Lang::En) => {
                ("Temporarily unavailable", "Please try again in a moment.")
            }
            (VisitorError::Unavailable, Lang::De) => (
                "Vorübergehend nicht verfügbar",
                "Bitte versuche es gleich noch einmal.",
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

    pub fn html(self, lang: Lang) -> String {
        let (title, text) = self.texts(lang);
        let code = match lang {
            Lang::En => "en",
            Lang::De => "de",
        };
        format!(
            "<!doctype html><html lang=\"{code}\"><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title>\
             <body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem\">\
             <h1>{title}</h1><p>{text}</p></body></html>"
        )
    }

    pub fn problem(self, code: &str) -> Problem {
        let (title, _) = self.texts(Lang::En);
        match self {
            VisitorError::NotFound => Problem::new(404, "link_not_found", title)
                .with_detail(format!("no link has the code '{code}'")),
            VisitorError::Gone => Problem::new(410, "link_gone", title)
                .with_detail(format!("the link '{code}' was deactivated or has expired")),
            VisitorError::Unavailable => {
                Problem::new(503, "unavailable", title).with_retry_after(30)
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

/// The password form of a protected link. It posts back to the link's own path.
pub fn password_form(lang: Lang, action: &str, wrong: bool) -> String {
    let (title, text, label, button, error) = match lang {
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
    let code = if lang == Lang::De { "de" } else { "en" };
    let error = if wrong {
        format!("<p role=\"alert\" style=\"color:#b00\">{error}</p>")
    } else {
        String::new()
    };
    // `action` is a path we routed (only [A-Za-z0-9_/-]), so it needs no escaping.
    format!(
        "<!doctype html><html lang=\"{code}\"><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title>\
         <body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem\">\
         <h1>{title}</h1><p>{text}</p>{error}\
         <form method=\"post\" action=\"{action}\">\
         <label for=\"password\">{label}</label> \
         <input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"current-password\" autofocus> \
         <button type=\"submit\">{button}</button></form></body></html>"
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

    #[test]
    fn picks_the_preferred_supported_language() {
        assert_eq!(lang(None), Lang::En);
        assert_eq!(lang(Some("de-DE,de;q=0.9,en;q=0.8")), Lang::De);
        assert_eq!(lang(Some("fr-FR,en;q=0.5,de;q=0.7")), Lang::De);
        assert_eq!(lang(Some("en-US,de;q=0.9")), Lang::En);
        assert_eq!(lang(Some("fr")), Lang::En);
        assert_eq!(lang(Some("de;q=0")), Lang::En);
    }

    #[test]
    fn the_password_form_posts_to_the_link() {
        let f = password_form(Lang::De, "/promo", true);
        assert!(f.contains("action=\"/promo\"") && f.contains("name=\"password\""));
        assert!(f.contains("Falsches Passwort"));
        assert!(!password_form(Lang::En, "/promo", false).contains("Wrong password"));
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            escape_html("<a href=\"x\">Tom & 'J'</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;J&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn pages_are_localised() {
        assert!(VisitorError::NotFound
            .html(Lang::De)
            .contains("nicht gefunden"));
        assert!(VisitorError::NotFound
            .html(Lang::De)
            .contains("lang=\"de\""));
        assert!(VisitorError::Gone
            .html(Lang::En)
            .contains("no longer available"));
        assert_eq!(VisitorError::Gone.problem("x").status, 410);
        assert_eq!(VisitorError::Unavailable.problem("x").retry_after, Some(30));
    }

    #[test]
    fn bio_labels_never_show_a_target() {
        assert_eq!(bio_label(Some(" My CV "), "https://ulo.ad/u/a/cv"), "My CV");
        assert_eq!(bio_label(None, "https://ulo.ad/u/a/cv"), "ulo.ad/u/a/cv");
        assert_eq!(
            bio_label(Some("  "), "http://127.0.0.1:8787/x"),
            "127.0.0.1:8787/x"
        );
    }
}
