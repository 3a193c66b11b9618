//! What social crawlers see of a link with a preview card of its own, and the inspection
//! page (`/{code}+`) visitors see.

use super::*;
use crate::inspect::{Inspection, State};
use crate::link::Preview;

/// A card for social crawlers: Open Graph and Twitter card tags from the link's preview,
/// and a refresh to the target for anything that renders it. `short_url` is the card's
/// canonical URL (posts keep pointing at the short link).
pub fn preview_page(preview: &Preview, short_url: &str, location: &str) -> String {
    let mut meta = String::new();
    let mut tag = |attr: &str, name: &str, value: &str| {
        meta.push_str(&format!(
            "<meta {attr}=\"{name}\" content=\"{}\">",
            escape_html(value)
        ));
    };
    tag("property", "og:type", "website");
    tag("property", "og:url", short_url);
    let title = preview.title.as_deref().unwrap_or(short_url);
    tag("property", "og:title", title);
    tag("name", "twitter:title", title);
    if let Some(d) = preview.description.as_deref() {
        tag("property", "og:description", d);
        tag("name", "twitter:description", d);
    }
    match preview.image.as_deref() {
        Some(image) => {
            tag("property", "og:image", image);
            tag("name", "twitter:image", image);
            tag("name", "twitter:card", "summary_large_image");
        }
        None => tag("name", "twitter:card", "summary"),
    }
    tag("name", "robots", "noindex");
    tag("http-equiv", "refresh", &format!("0;url={location}"));
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title>{meta}</head>\
         <body><a href=\"{}\">{}</a></body></html>",
        escape_html(title),
        escape_html(location),
        escape_html(title)
    )
}

/// The inspection page: the short link, its title, where it goes (when that may be shown),
/// when it was made, and whether it is protected, limited, gone or disabled. The target is
/// text, not a link: following the link goes through the short URL (`path`), so its
/// password, limit, warning and counting apply as always.
pub fn inspect_page(chrome: Chrome, i: &Inspection, path: &str) -> String {
    let de = matches!(chrome.lang, Lang::De);
    let t = |de_text: &'static str, en_text: &'static str| if de { de_text } else { en_text };
    let heading = t("Wohin dieser Link führt", "Where this link goes");
    let mut rows = vec![(t("Kurzlink", "Short link"), escape_html(&i.short_url))];
    if let Some(title) = &i.title {
        rows.push((t("Titel", "Title"), escape_html(title)));
    }
    let target = match (&i.target, &i.state) {
        (Some(url), _) => format!("<code>{}</code>", escape_html(&crate::target::display(url))),
        (None, State::Gone) => t(
            "Nicht mehr verfügbar: der Link wurde deaktiviert oder ist abgelaufen.",
            "No longer available: the link was deactivated or has expired.",
        )
        .into(),
        (None, State::Blocked) => t(
            "Gesperrt: uLoad hat diesen Link wegen Missbrauchs deaktiviert.",
            "Disabled: uLoad disabled this link for abuse.",
        )
        .into(),
        (None, _) if i.protected => t(
            "Passwortgeschützt: das Ziel wird erst nach dem Passwort gezeigt.",
            "Password-protected: the target is shown only after the password.",
        )
        .into(),
        (None, _) => t(
            "Nur begrenzt oft nutzbar: das Ziel wird hier nicht gezeigt.",
            "Usable a limited number of times: the target is not shown here.",
        )
        .into(),
    };
    rows.push((t("Ziel", "Target"), target));
    if i.other_targets {
        rows.push((
            t("Hinweis", "Note"),
            t(
                "Je nach Gerät oder Land kann der Link woanders hinführen.",
                "Depending on device or country, the link may lead elsewhere.",
            )
            .into(),
        ));
    }
    if let Some(created) = &i.created_at {
        let day = created.get(..10).unwrap_or(created);
        rows.push((
            t("Erstellt", "Created"),
            format!(
                "<time datetime=\"{}\">{}</time>",
                escape_html(created),
                escape_html(day)
            ),
        ));
    }
    let list: String = rows
        .iter()
        .map(|(k, v)| format!("<dt>{k}</dt><dd>{v}</dd>"))
        .collect();
    let warning = match i.state {
        State::Held => format!(
            "<p>{}</p>",
            t(
                "Dieser Link wurde gemeldet und wird geprüft.",
                "This link was reported and is being reviewed.",
            )
        ),
        _ => String::new(),
    };
    let open = match i.state {
        State::Active | State::Held => format!(
            "<p><a class=\"button\" href=\"{}\">{}</a></p>",
            escape_html(path),
            t("Link öffnen", "Open the link")
        ),
        State::Gone | State::Blocked => String::new(),
    };
    layout(
        chrome,
        heading,
        &format!("<h1>{heading}</h1>{warning}<dl>{list}</dl>{open}"),
    )
}
