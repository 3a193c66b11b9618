//! A constant 302 through workers-rs: what any Rust worker pays to be entered and to answer,
//! with nothing of its own. The bench measures uload-edge against it and against the JS floor.

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    let mut response = Response::empty()?.with_status(302);
    response
        .headers_mut()
        .set("location", "https://example.com/")?;
    Ok(response)
}
