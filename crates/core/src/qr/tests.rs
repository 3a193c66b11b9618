use super::*;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn fields(list: &[(&str, &str)]) -> Vec<String> {
    parse(&pairs(list))
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

const URL: &str = "https://ulo.ad/promo";

#[test]
fn options_default_to_a_standard_svg_and_every_one_is_checked() {
    let o = parse(&[]).unwrap();
    assert_eq!(
        (o.format, o.size, o.margin, o.ecc),
        (Format::Svg, 256, 4, EcLevel::M)
    );
    let o = parse(&pairs(&[
        ("format", "png"),
        ("size", "1024"),
        ("margin", "0"),
        ("ecc", "h"),
        ("color", "#1a2B3c"),
        ("background", "fafafa"),
    ]))
    .unwrap();
    assert_eq!(
        (o.format, o.size, o.margin, o.ecc),
        (Format::Png, 1024, 0, EcLevel::H)
    );
    assert_eq!(
        (o.color, o.background),
        ([0x1a, 0x2b, 0x3c], [0xfa, 0xfa, 0xfa])
    );
    assert_eq!(fields(&[("format", "jpeg")]), ["format"]);
    assert_eq!(fields(&[("size", "63")]), ["size"]);
    assert_eq!(fields(&[("size", "2049")]), ["size"]);
    assert_eq!(fields(&[("size", "1e3")]), ["size"]);
    assert_eq!(fields(&[("margin", "17")]), ["margin"]);
    assert_eq!(fields(&[("ecc", "X")]), ["ecc"]);
    assert_eq!(fields(&[("color", "red")]), ["color"]);
    assert_eq!(fields(&[("background", "#fff")]), ["background"]);
    assert_eq!(
        fields(&[("logo", "x"), ("dots", "round")]),
        ["logo", "dots"]
    );
}

#[test]
fn colours_a_scanner_cannot_tell_apart_are_refused() {
    assert!((contrast([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 1e-9);
    assert!((contrast([9, 9, 9], [9, 9, 9]) - 1.0).abs() < 1e-9);
    assert_eq!(
        fields(&[("color", "777777"), ("background", "888888")]),
        ["color"]
    );
    assert_eq!(fields(&[("color", "ffffff")]), ["color"], "white on white");
    assert!(parse(&pairs(&[("color", "ffffff"), ("background", "000000")])).is_ok());
}

#[test]
fn the_svg_is_the_matrix_scaled_to_the_size_asked() {
    let o = parse(&pairs(&[
        ("size", "300"),
        ("margin", "2"),
        ("color", "112233"),
    ]))
    .unwrap();
    let m = Matrix::new(URL, o.ecc).unwrap();
    let svg = svg(&m, &o);
    let side = m.width + 4;
    assert!(svg.contains("width=\"300\" height=\"300\""));
    assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
    assert!(svg.contains("fill=\"#112233\""));
    // The runs in the path cover exactly the dark modules, each at its place.
    let d = svg
        .split(" d=\"")
        .nth(1)
        .unwrap()
        .trim_end_matches("\"/></svg>");
    let mut drawn = std::collections::BTreeSet::new();
    for part in d.split('z').filter(|p| !p.is_empty()) {
        let nums: Vec<u32> = part
            .trim_start_matches('M')
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        let (x, y, run) = (nums[0] - 2, nums[1] - 2, nums[2]);
        for i in 0..run {
            assert!(drawn.insert((x + i, y)), "no module drawn twice");
        }
    }
    let dark: std::collections::BTreeSet<_> = (0..m.width)
        .flat_map(|y| (0..m.width).map(move |x| (x, y)))
        .filter(|&(x, y)| m.is_dark(x, y))
        .collect();
    assert_eq!(drawn, dark);
}

fn decode(png: &[u8]) -> (u32, Vec<[u8; 3]>) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.width, info.height);
    let pixels = buf[..info.buffer_size()]
        .chunks(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, pixels)
}

fn png_of(o: &QrOptions) -> (Matrix, PngLayout, Vec<u8>) {
    let m = Matrix::new(URL, o.ecc).unwrap();
    let l = png_layout(&m, o);
    let raw = png_scanlines(&m, &l);
    let zlib = miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6);
    let file = png_file(l.side, o, &zlib);
    (m, l, file)
}

#[test]
fn the_png_decodes_to_the_matrix_pixel_for_pixel() {
    for list in [
        vec![("format", "png")],
        vec![
            ("format", "png"),
            ("size", "100"),
            ("margin", "1"),
            ("color", "0000aa"),
            ("background", "ffffee"),
        ],
        vec![("format", "png"), ("size", "2048"), ("ecc", "H")],
    ] {
        let o = parse(&pairs(&list)).unwrap();
        let (m, l, file) = png_of(&o);
        let (side, pixels) = decode(&file);
        assert_eq!(side, o.size, "{list:?}: exactly the size asked");
        assert_eq!(side, l.side);
        let modules = m.width + 2 * o.margin;
        assert_eq!(l.scale, o.size / modules, "whole pixels per module");
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = (
                    x.wrapping_sub(l.offset) / l.scale,
                    y.wrapping_sub(l.offset) / l.scale,
                );
                let inside = x >= l.offset && y >= l.offset && mx < m.width && my < m.width;
                let want = if inside && m.is_dark(mx, my) {
                    o.color
                } else {
                    o.background
                };
                assert_eq!(pixels[(y * side + x) as usize], want, "{list:?} at {x},{y}");
            }
        }
    }
}

#[test]
fn a_code_larger_than_the_size_gets_one_pixel_per_module() {
    let long = format!("https://ulo.ad/{}", "x".repeat(600));
    let o = parse(&pairs(&[("format", "png"), ("size", "64")])).unwrap();
    let m = Matrix::new(&long, o.ecc).unwrap();
    let l = png_layout(&m, &o);
    assert_eq!((l.scale, l.side), (1, m.width + 8));
    assert!(
        Matrix::new(&"x".repeat(3000), EcLevel::H).is_none(),
        "too long for any QR code"
    );
}

#[test]
fn crc32_is_pngs() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926, "the standard check value");
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    assert_eq!(crc32(&data), crc32fast::hash(&data));
    assert_eq!(crc32(b""), 0);
}
