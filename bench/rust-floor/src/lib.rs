//! A constant 302 through workers-rs: what any Rust worker pays to be entered and to answer,
//! with nothing of its own. The bench measures uload-edge against it and against the JS floor.
//! `GET /health` answers the same small JSON body with the same headers as uload-edge's, so
//! the cost of a response with a body is measured apart from this worker's own.
//! `GET /click` makes the runtime calls a counted redirect cannot do without, and nothing
//! else: the client's address (the redirect limiter, unique visitors), its User-Agent and
//! Referer, the country and city of `request.cf` (the click), and a 302 with uload-edge's four
//! headers. What separates it from the constant 302 is the runtime's price of a click's
//! data; what separates uload-edge's redirect from it is uload-edge's own code.
//! `GET /kv/{code}` is the same after one read of the link's record from KV (binding
//! `LINKS_KV`, uload-edge's key and `cacheTtl`), its JSON parsed for the target: the least a
//! Rust worker does for uload-edge's redirect from KV.

use std::hint::black_box;
use worker::{event, Context, Env, Request, Response, Result};

/// What a counted redirect reads from the runtime, whatever it does with it.
fn click_reads(req: &Request) -> Result<()> {
    let headers = req.headers();
    black_box(headers.get("cf-connecting-ip")?);
    black_box(headers.get("user-agent")?);
    black_box(headers.get("referer")?);
    let cf = req.cf();
    black_box(cf.as_ref().and_then(|c| c.country()));
    black_box(cf.as_ref().and_then(|c| c.city()));
    Ok(())
}

/// A 302 with uload-edge's four headers (`served_from`: the layer that knew the link).
fn redirect(location: &str, served_from: &str) -> Result<Response> {
    let mut response = Response::empty()?.with_status(302);
    let headers = response.headers_mut();
    headers.set("location", location)?;
    headers.set("cache-control", "private, max-age=0")?;
    headers.set("x-served-from", served_from)?;
    headers.set("x-robots-tag", "noindex")?;
    Ok(response)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    if let Some(code) = path.strip_prefix("/kv/") {
        let key = format!("link:{code}");
        let text = env.kv("LINKS_KV")?.get(&key).cache_ttl(60).text().await?;
        let Some(text) = text else {
            return Response::error("not found", 404);
        };
        let record: serde_json::Value = serde_json::from_str(&text)?;
        click_reads(&req)?;
        return redirect(record["url"].as_str().unwrap_or("/"), "kv");
    }
    match path.as_str() {
        "/health" => {
            let mut response =
                Response::from_bytes(br#"{"status":"ok","version":"0.1.0"}"#.to_vec())?;
            let headers = response.headers_mut();
            headers.set("content-type", "application/json")?;
            headers.set("cache-control", "no-store")?;
            headers.set("x-served-from", "worker")?;
            Ok(response)
        }
        "/click" => {
            click_reads(&req)?;
            redirect("https://example.com/", "memory")
        }
        _ => {
            let mut response = Response::empty()?.with_status(302);
            response
                .headers_mut()
                .set("location", "https://example.com/")?;
            Ok(response)
        }
    }
}
