//! The runtime's own compression: CompressionStream and DecompressionStream, gzip for
//! backups and zlib ("deflate", what a PNG's image data is) for QR codes, so no compression
//! library ships in the wasm.

use worker::js_sys::Uint8Array;
use worker::wasm_bindgen::JsValue;

use crate::runtime::js_err;

#[derive(Debug, Clone, Copy)]
pub enum Format {
    Gzip,
    /// zlib (RFC 1950): the Compression Streams standard calls it "deflate".
    Deflate,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Gzip => "gzip",
            Format::Deflate => "deflate",
        }
    }
}

// web-sys has these only behind its unstable-APIs flag; these few bindings are all that is
// needed.
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    type CompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<CompressionStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &CompressionStream) -> web_sys::ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &CompressionStream) -> web_sys::WritableStream;

    type DecompressionStream;
    #[wasm_bindgen(constructor, catch)]
    fn new(format: &str) -> Result<DecompressionStream, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn readable(this: &DecompressionStream) -> web_sys::ReadableStream;
    #[wasm_bindgen(method, getter)]
    fn writable(this: &DecompressionStream) -> web_sys::WritableStream;
}

/// The bytes compressed.
pub async fn compress(bytes: &[u8], format: Format) -> Result<Vec<u8>, String> {
    let s = CompressionStream::new(format.name()).map_err(js_err)?;
    let pair = web_sys::ReadableWritablePair::new(&s.readable(), &s.writable());
    through(bytes, &pair, usize::MAX).await
}

/// The bytes decompressed, with at most `cap` bytes of output: read chunk by chunk and given
/// up past the cap, so a bomb (a few KB that inflate to gigabytes) costs at most `cap`.
pub async fn decompress(bytes: &[u8], format: Format, cap: usize) -> Result<Vec<u8>, String> {
    let s = DecompressionStream::new(format.name()).map_err(js_err)?;
    let pair = web_sys::ReadableWritablePair::new(&s.readable(), &s.writable());
    through(bytes, &pair, cap).await
}

async fn through(
    bytes: &[u8],
    pair: &web_sys::ReadableWritablePair,
    cap: usize,
) -> Result<Vec<u8>, String> {
    use futures_util::StreamExt;
    let input =
        web_sys::Response::new_with_opt_u8_array(Some(&mut bytes.to_vec())).map_err(js_err)?;
    let body = input.body().ok_or("no body")?;
    let mut chunks = wasm_streams::ReadableStream::from_raw(body.pipe_through(pair)).into_stream();
    let mut out = Vec::new();
    while let Some(chunk) = chunks.next().await {
        let chunk = Uint8Array::new(&chunk.map_err(js_err)?);
        if out.len() + chunk.length() as usize > cap {
            return Err(format!("more than {cap} bytes once decompressed"));
        }
        out.extend_from_slice(&chunk.to_vec());
    }
    Ok(out)
}
