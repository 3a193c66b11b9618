//! The link-in-bio page the worker serves while uLoad's app is down.

use super::*;

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
