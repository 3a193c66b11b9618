//! The link-in-bio page `/p/{username}`, rendered at the edge from D1 when the origin
//! (which normally renders it) is down: the user's name, bio and active links.

use serde::Deserialize;
use worker::{Env, Response};

use crate::http;
use crate::store::d1;
use crate::store::users_db::UsersDb;
use crate::store::StoreError;
use uload_core::code;
use uload_core::pages::{self, Chrome, VisitorError};

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
    chrome: Chrome,
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
        &[id.as_str().into(), crate::clock::now_iso().into()],
    )
    .await?;
    let links: Vec<(String, String)> = links
        .iter()
        .map(|l| {
            let href = format!("{base}{}", code::public_path(&l.code));
            let label = pages::bio_label(l.title.as_deref(), &href);
            (href, label)
        })
        .collect();
    let name = user.display_name.as_deref().unwrap_or(&user.username);
    let page = pages::bio_page(chrome, name, user.bio.as_deref(), &links);
    Ok(Some(http::html(
        200,
        page,
        &[("cache-control", "no-store"), (http::SERVED_FROM, "edge")],
    )))
}

pub fn not_found(chrome: Chrome) -> Response {
    http::html(
        404,
        VisitorError::NotFound.html(chrome, None),
        &[("cache-control", "no-store"), (http::SERVED_FROM, "edge")],
    )
}
