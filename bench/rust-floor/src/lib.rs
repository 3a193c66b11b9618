//! A constant 302 through workers-rs: what any Rust worker pays to be entered and to answer,
//! with nothing of its own. The bench measures uload-edge against it and against the JS floor.
//! `GET /health` answers the same small JSON body as uload-edge's, so the cost of a response
//! with a body is measured apart from this worker's own.

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    if req.path() == "/health" {
        let mut response = Response::from_bytes(br#"{"status":"ok","version":"0.1.0"}"#.to_vec())?;
        let headers = response.headers_mut();
        headers.set("content-type", "application/json")?;
        headers.set("cache-control", "no-store")?;
        return Ok(response);
    }
    let mut response = Response::empty()?.with_status(302);
    response
        .headers_mut()
        .set("location", "https://example.com/")?;
    Ok(response)
}
