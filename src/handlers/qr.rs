//! `GET /api/v1/links/{id}/qr`: the short link as a QR code, SVG or PNG, made here rather
//! than by a third-party service (which would learn every link). The options and images are
//! `uload_core::qr`; the PNG's pixel rows go through the runtime's zlib.

use super::links::{db, short_url};
use super::Ctx;
use crate::compression::{self, Format as Compression};
use crate::error::ApiError;
use crate::http::Reply;
use uload_core::qr::{self, Format, Matrix};

pub async fn get(c: &Ctx<'_>, id: &str, pairs: &[(String, String)]) -> Result<Reply, ApiError> {
    let o = qr::parse(pairs).map_err(ApiError::Validation)?;
    let link = db(c)?
        .get(id, c.who.owner())
        .await?
        .ok_or(ApiError::NotFound)?;
    let url = short_url(c, &link.code);
    // A short URL always fits (the longest code is far below a QR code's capacity).
    let m = Matrix::new(&url, o.ecc)
        .ok_or_else(|| ApiError::Internal(format!("{} bytes do not fit a QR code", url.len())))?;
    let bytes = match o.format {
        Format::Svg => qr::svg(&m, &o).into_bytes(),
        Format::Png => {
            let layout = qr::png_layout(&m, &o);
            let zlib = compression::compress(&qr::png_scanlines(&m, &layout), Compression::Deflate)
                .await
                .map_err(|e| ApiError::Internal(format!("qr png: {e}")))?;
            qr::png_file(layout.side, &o, &zlib)
        }
    };
    // Saved as `promo.png` (a user's `alice/cv` as `alice-cv.png`), shown in place.
    let name = format!("{}.{}", link.code.replace('/', "-"), o.format.extension());
    Ok(
        Reply::raw(o.format.content_type(), bytes, "private, max-age=300").header(
            "content-disposition",
            format!("inline; filename=\"{name}\""),
        ),
    )
}
