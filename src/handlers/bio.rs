//! The link-in-bio page `/p/{username}`, rendered at the edge from D1 when the origin
//! (which normally renders it) is down: plain, but with the user's active links.

use serde::Deserialize;
use worker::{Env, Response};

use crate::domain::code;
use crate::domain::pages::{self, escape_html, Lang, VisitorError};
use crate::store::d1;
use crate::store::users_db::UsersDb;
use crate::store::StoreError;
use crate::{http, runtime};

/// What the page shows of a link: its title and short URL. The target is not even read
/// (a password-protected or limited link must never reveal it; uLoad's page shows titles).
#[derive(Deserialize)]
struct BioLink {
    code: String,
    title: Option<String>,
}

/// `Ok(None)`: no such public profile.
pub async fn render(
    env: &Env,
    username: &str,
    base: &str,
    lang: Lang,
) -> Result<Option<Response>, StoreError> {
    let db = d1::database(env)?;
    #[derive(Deserialize)]
    struct Id {
        id: String,
    }
    let Some(Id { id }) = d1::first::<Id>(
        &db,
        "SELECT id FROM users WHERE username = ?1",
        &[username.into()],
    )
    .await?
    else {
        return Ok(None);
    };
    let Some(user) = (UsersDb { db: &db }).user(&id).await? else {
        return Ok(None);
    };
    if !user.profile_public {
        return Ok(None);
    }
    // What the page lists: the user's active links that have not expired, newest first.
    let links: Vec<BioLink> = d1::all(
        &db,
        "SELECT code, title FROM links WHERE user_id = ?1 AND is_active = 1 \
         AND (expires_at IS NULL OR expires_at > ?2) ORDER BY created_at DESC, id DESC LIMIT 200",
        &[id.as_str().into(), runtime::now_iso().into()],
    )
    .await?;
    let name = escape_html(user.display_name.as_deref().unwrap_or(&user.username));
    let bio = user
        .bio
        .as_deref()
        .map(|b| format!("<p>{}</p>", escape_html(b)))
        .unwrap_or_default();
    let items: String = links
        .iter()
        .map(|l| {
            let href = format!("{base}{}", code::public_path(&l.code));
            let label = escape_html(&pages::bio_label(l.title.as_deref(), &href));
            format!("<li><a href=\"{}\">{label}</a></li>", escape_html(&href))
        })
        .collect();
    let lang_code = if lang == Lang::De { "de" } else { "en" };
    let page = format!(
        "<!doctype html><html lang=\"{lang_code}\"><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{name}</title>\
         <body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem\">\
         <h1>{name}</h1>{bio}<ul style=\"list-style:none;padding:0;line-height:2.2\">{items}</ul></body></html>"
    );
    Ok(Some(http::html(
        200,
        page,
        &[("cache-control", "no-store"), (http::SERVED_FROM, "edge")],
    )))
}

pub fn not_found(lang: Lang) -> Response {
    http::html(
        404,
        VisitorError::NotFound.html(lang),
        &[("cache-control", "no-store"), (http::SERVED_FROM, "edge")],
    )
}
