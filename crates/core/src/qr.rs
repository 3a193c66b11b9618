//! QR codes of short links: the options a client may ask for (each checked: an option this
//! does not know is a 422, never ignored), and the two images, SVG and PNG, drawn from the
//! code's module matrix. The PNG's pixel rows are compressed by the caller (zlib, which is
//! what a PNG's image data is; the worker uses the runtime's CompressionStream), so no
//! compressor ships in the wasm.

use qrcode::{Color, EcLevel, QrCode};

use super::problem::FieldError;

pub const DEFAULT_SIZE: u32 = 256;
pub const MIN_SIZE: u32 = 64;
pub const MAX_SIZE: u32 = 2048;
/// The quiet zone the QR specification asks for, in modules.
pub const DEFAULT_MARGIN: u32 = 4;
pub const MAX_MARGIN: u32 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

/// An sRGB colour.
pub type Rgb = [u8; 3];

#[derive(Debug, Clone, PartialEq)]
pub struct QrOptions {
    pub format: Format,
    /// The image's side in pixels (see `png_layout` for codes that need more).
    pub size: u32,
    /// The quiet zone around the code, in modules.
    pub margin: u32,
    pub ecc: EcLevel,
    pub color: Rgb,
    pub background: Rgb,
}

impl Format {
    /// Every format: `format=` takes exactly their extensions.
    pub const ALL: [Format; 2] = [Format::Svg, Format::Png];

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml",
            Format::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
        }
    }
}

fn hex_color(v: &str) -> Option<Rgb> {
    let h = v.strip_prefix('#').unwrap_or(v);
    if h.len() != 6 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

/// Parses `?format=svg|png&size=&margin=&ecc=L|M|Q|H&color=&background=` (percent-decoded).
pub fn parse(pairs: &[(String, String)]) -> Result<QrOptions, Vec<FieldError>> {
    let mut o = QrOptions {
        format: Format::Svg,
        size: DEFAULT_SIZE,
        margin: DEFAULT_MARGIN,
        ecc: EcLevel::M,
        color: [0, 0, 0],
        background: [255, 255, 255],
    };
    let mut errors = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "format" => match Format::ALL.into_iter().find(|f| f.extension() == v) {
                Some(f) => o.format = f,
                None => errors.push(FieldError::new("format", "format must be svg or png")),
            },
            "size" => match v.parse::<u32>() {
                Ok(n) if (MIN_SIZE..=MAX_SIZE).contains(&n) => o.size = n,
                _ => errors.push(FieldError::new(
                    "size",
                    format!("size must be {MIN_SIZE} to {MAX_SIZE} (pixels)"),
                )),
            },
            "margin" => match v.parse::<u32>() {
                Ok(n) if n <= MAX_MARGIN => o.margin = n,
                _ => errors.push(FieldError::new(
                    "margin",
                    format!("margin must be 0 to {MAX_MARGIN} (modules; 4 is the standard's)"),
                )),
            },
            "ecc" => match v.as_str() {
                "L" | "l" => o.ecc = EcLevel::L,
                "M" | "m" => o.ecc = EcLevel::M,
                "Q" | "q" => o.ecc = EcLevel::Q,
                "H" | "h" => o.ecc = EcLevel::H,
                _ => errors.push(FieldError::new("ecc", "ecc must be L, M, Q or H")),
            },
            "color" | "background" => match hex_color(v) {
                Some(c) if k == "color" => o.color = c,
                Some(c) => o.background = c,
                None => errors.push(FieldError::new(
                    k.as_str(),
                    format!("{k} must be a hex colour, RRGGBB"),
                )),
            },
            other => errors.push(FieldError::new(other, "unknown query parameter")),
        }
    }
    if errors.is_empty() && contrast(o.color, o.background) < MIN_CONTRAST {
        errors.push(FieldError::new(
            "color",
            format!("color and background need a contrast of at least {MIN_CONTRAST}:1 (WCAG) for scanners to read the code"),
        ));
    }
    if errors.is_empty() {
        Ok(o)
    } else {
        Err(errors)
    }
}

/// Scanners need dark and light modules told apart; 3:1 is WCAG's floor for graphics.
pub const MIN_CONTRAST: f64 = 3.0;

/// WCAG 2 contrast ratio of two sRGB colours (1 to 21).
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let lum = |c: Rgb| {
        let ch = |v: u8| {
            let s = f64::from(v) / 255.0;
            if s <= 0.04045 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * ch(c[0]) + 0.7152 * ch(c[1]) + 0.0722 * ch(c[2])
    };
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// The code's modules, row by row (`true`: dark).
pub struct Matrix {
    pub width: u32,
    dark: Vec<bool>,
}

impl Matrix {
    /// `None` when the text does not fit a QR code at this error correction level.
    pub fn new(text: &str, ecc: EcLevel) -> Option<Matrix> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), ecc).ok()?;
        Some(Matrix {
            width: code.width() as u32,
            dark: code
                .into_colors()
                .into_iter()
                .map(|c| c == Color::Dark)
                .collect(),
        })
    }

    pub fn is_dark(&self, x: u32, y: u32) -> bool {
        self.dark[(y * self.width + x) as usize]
    }
}

fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// The code as SVG: `size` pixels square, one module one unit of the view box, dark modules
/// one path of horizontal runs (crisp at any scale).
pub fn svg(m: &Matrix, o: &QrOptions) -> String {
    let side = m.width + 2 * o.margin;
    let mut d = String::new();
    for y in 0..m.width {
        let mut x = 0;
        while x < m.width {
            if !m.is_dark(x, y) {
                x += 1;
                continue;
            }
            let start = x;
            while x < m.width && m.is_dark(x, y) {
                x += 1;
            }
            let run = x - start;
            d.push_str(&format!(
                "M{} {}h{run}v1h-{run}z",
                start + o.margin,
                y + o.margin
            ));
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" \
         viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"{bg}\"/>\
         <path fill=\"{fg}\" d=\"{d}\"/></svg>",
        size = o.size,
        bg = hex(o.background),
        fg = hex(o.color),
    )
}

/// How the PNG is laid out: each module `scale` whole pixels (never blurred), the code with
/// its quiet zone centred on a `side`-pixel square. `side` is `size`, unless a code with
/// more modules than `size` pixels needs more: it is then one pixel per module.
#[derive(Debug, PartialEq, Eq)]
pub struct PngLayout {
    pub side: u32,
    pub scale: u32,
    pub offset: u32,
}

pub fn png_layout(m: &Matrix, o: &QrOptions) -> PngLayout {
    let modules = m.width + 2 * o.margin;
    let scale = (o.size / modules).max(1);
    let side = o.size.max(modules * scale);
    PngLayout {
        side,
        scale,
        offset: (side - modules * scale) / 2 + o.margin * scale,
    }
}

/// The PNG's raw image data: each row a filter byte (0, none) and one bit per pixel, palette
/// index 1 for dark, 0 for light. This is what gets zlib-compressed into the IDAT chunk.
pub fn png_scanlines(m: &Matrix, l: &PngLayout) -> Vec<u8> {
    let stride = l.side.div_ceil(8) as usize + 1;
    let blank = vec![0u8; stride];
    let mut image = Vec::with_capacity(stride * l.side as usize);
    // The quiet zone (and any centring) above, the code's rows, then the rest below.
    for _ in 0..l.offset {
        image.extend_from_slice(&blank);
    }
    for y in 0..m.width {
        let mut row = blank.clone();
        for x in (0..m.width).filter(|&x| m.is_dark(x, y)) {
            for px in l.offset + x * l.scale..l.offset + (x + 1) * l.scale {
                row[1 + (px / 8) as usize] |= 0x80 >> (px % 8);
            }
        }
        for _ in 0..l.scale {
            image.extend_from_slice(&row);
        }
    }
    while image.len() < stride * l.side as usize {
        image.extend_from_slice(&blank);
    }
    image
}

/// CRC-32 (ISO-HDLC, PNG's) with a 1 KB table built at compile time. Hand-written rather
/// than `crc32fast`: that crate's 16 KB of slice-by-16 tables added 15 KB to the gzipped
/// wasm, for checksums over a few KB per image (checked against it in the tests).
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

pub fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |c, &b| {
        CRC_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8)
    })
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A PNG file: `side` square, 1 bit per pixel with a two-colour palette (background,
/// colour), `zlib` the compressed `png_scanlines`.
pub fn png_file(side: u32, o: &QrOptions, zlib: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(zlib.len() + 64);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    // Bit depth 1, colour type 3 (palette), deflate, no filter method, no interlace.
    ihdr.extend_from_slice(&[1, 3, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let plte: Vec<u8> = o.background.iter().chain(o.color.iter()).copied().collect();
    chunk(&mut out, b"PLTE", &plte);
    chunk(&mut out, b"IDAT", zlib);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests;
