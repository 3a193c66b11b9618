//! The visitor pages with forms or choices: the password form, the abuse report form and
//! its receipt, the page of a link held for review.

use super::*;

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
