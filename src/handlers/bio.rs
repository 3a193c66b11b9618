//! The link-in-bio page `/p/{username}`, rendered at the edge from D1 when the origin
//! (which normally renders it) is down: the user's name, bio and active links.

use worker::{Env, Response};

use crate::http;
use crate::store::d1;
use crate::store::users_db::UsersDb;
use crate::store::StoreError;
use uload_core::code;
use uload_core::pages::{self, Chrome, VisitorError};

/// `Ok(None)`: no such public profile.
pub async fn render(
    env: &Env,
    username: &str,
    base: &str,
    chrome: Chrome,
) -> Result<Option<Response>, StoreError> {
    let db = d1::database(env)?;
    let found = (UsersDb { db: &db })
        .public_profile(username, &crate::clock::now_iso())
        .await?;
    let Some((user, links)) = found else {
        return Ok(None);
    };
    // What the page shows of a link: its title and short URL, never its target.
    let links: Vec<(String, String)> = links
        .iter()
        .map(|(code, title)| {
            let href = format!("{base}{}", code::public_path(code));
            let label = pages::bio_label(title.as_deref(), &href);
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
