//! Identifies image files by their bytes (never by name or MIME type) and
//! reads their pixel dimensions from the header, without decoding pixels.

use std::fmt;

/// Raster formats the API accepts from this project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Gif,
    WebP,
}

impl ImageFormat {
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Gif => "image/gif",
            ImageFormat::WebP => "image/webp",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Gif => "GIF",
            ImageFormat::WebP => "WebP",
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageHeader {
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
}

/// Why bytes are not an acceptable image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    #[error("the file is empty")]
    Empty,
    #[error("SVG images are not accepted (they can carry scripts); export the chart as PNG instead")]
    Svg,
    #[error("this is not an image ({0}); use PNG, JPEG, WebP or GIF")]
    NotAnImage(&'static str),
    #[error("the {0} image is truncated or corrupt")]
    Corrupt(ImageFormat),
    #[error("the {0} image declares zero width or height")]
    ZeroSize(ImageFormat),
}

/// Identifies the format and reads the dimensions.
pub fn inspect(bytes: &[u8]) -> Result<ImageHeader, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    let (format, dims) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        (ImageFormat::Png, png(bytes))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        (ImageFormat::Jpeg, jpeg(bytes))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        (ImageFormat::Gif, gif(bytes))
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        (ImageFormat::WebP, webp(bytes))
    } else {
        return Err(not_an_image(bytes));
    };
    let (width, height) = dims.ok_or(ImageError::Corrupt(format))?;
    if width == 0 || height == 0 {
        return Err(ImageError::ZeroSize(format));
    }
    Ok(ImageHeader { format, width, height })
}

fn not_an_image(bytes: &[u8]) -> ImageError {
    let head = &bytes[..bytes.len().min(1024)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.contains("<svg") {
        return ImageError::Svg;
    }
    let kind = if bytes.starts_with(b"%PDF") {
        "a PDF document"
    } else if bytes.starts_with(b"PK\x03\x04") {
        "a ZIP archive"
    } else if trimmed.starts_with("<!doctype html") || trimmed.starts_with("<html") {
        "an HTML page"
    } else if bytes.starts_with(b"BM") {
        "a BMP image, which is not supported"
    } else if bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*") {
        "a TIFF image, which is not supported"
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        "an HEIC/AVIF or video file, which is not supported"
    } else if std::str::from_utf8(head).is_ok() {
        "a text file"
    } else {
        "unknown binary data"
    };
    ImageError::NotAnImage(kind)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 3)?;
    Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
}

fn png(b: &[u8]) -> Option<(u32, u32)> {
    // Signature, then the IHDR chunk: length 13, type, width, height.
    (b.get(12..16)? == b"IHDR").then_some(())?;
    let (w, h) = (be32(b, 16)?, be32(b, 20)?);
    // A PNG must end with IEND; its absence means the file was cut short.
    b.ends_with(&[0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]).then_some((w, h))
}

fn jpeg(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    loop {
        // Skip fill bytes before a marker.
        while *b.get(i)? == 0xFF && *b.get(i + 1)? == 0xFF {
            i += 1;
        }
        if *b.get(i)? != 0xFF {
            return None;
        }
        let marker = *b.get(i + 1)?;
        i += 2;
        match marker {
            0xD8 | 0x01 | 0xD0..=0xD7 => continue,
            0xD9 | 0xDA => return None, // image data before any frame header
            _ => {}
        }
        let len = usize::from(be16(b, i)?);
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let h = u32::from(be16(b, i + 3)?);
            let w = u32::from(be16(b, i + 5)?);
            // The scan data must follow; a file cut inside the header is corrupt.
            b.get(i + len..)?;
            return Some((w, h));
        }
        if len < 2 {
            return None;
        }
        i += len;
    }
}

fn gif(b: &[u8]) -> Option<(u32, u32)> {
    Some((u32::from(le16(b, 6)?), u32::from(le16(b, 8)?)))
}

fn webp(b: &[u8]) -> Option<(u32, u32)> {
    let chunk = b.get(12..16)?;
    match chunk {
        b"VP8 " => {
            // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit sizes.
            (b.get(23..26)? == [0x9D, 0x01, 0x2A]).then_some(())?;
            Some((u32::from(le16(b, 26)? & 0x3FFF), u32::from(le16(b, 28)? & 0x3FFF)))
        }
        b"VP8L" => {
            (*b.get(20)? == 0x2F).then_some(())?;
            let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        _ => None,
    }
}

/// Splits a `data:` URL into its declared MIME type and decoded payload
/// location. Returns `(mime, base64_payload)`; only base64 URLs are accepted.
pub fn split_data_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.strip_prefix("data:")?;
    let (meta, payload) = rest.split_once(',')?;
    let mime = meta.strip_suffix(";base64")?;
    Some((mime, payload))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        v.extend_from_slice(&w.to_be_bytes());
        v.extend_from_slice(&h.to_be_bytes());
        v.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        v.extend_from_slice(&[0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]);
        v
    }

    #[test]
    fn png_dimensions_and_truncation() {
        let v = png_header(1900, 1069);
        assert_eq!(inspect(&v), Ok(ImageHeader { format: ImageFormat::Png, width: 1900, height: 1069 }));
        assert_eq!(inspect(&v[..v.len() - 3]), Err(ImageError::Corrupt(ImageFormat::Png)));
        assert_eq!(inspect(&v[..20]), Err(ImageError::Corrupt(ImageFormat::Png)));
        assert_eq!(inspect(&png_header(0, 10)), Err(ImageError::ZeroSize(ImageFormat::Png)));
    }

    #[test]
    fn jpeg_skips_segments_to_the_frame_header() {
        let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB];
        v.extend_from_slice(&[0xFF, 0xC2, 0x00, 0x0B, 0x08, 0x02, 0x58, 0x03, 0x20, 0x01, 0x01, 0x11, 0x00]);
        v.extend_from_slice(&[0xFF, 0xDA, 0x00]);
        assert_eq!(inspect(&v).unwrap(), ImageHeader { format: ImageFormat::Jpeg, width: 800, height: 600 });
        assert_eq!(inspect(&v[..12]), Err(ImageError::Corrupt(ImageFormat::Jpeg)));
    }

    #[test]
    fn gif_and_webp() {
        let gif = b"GIF89a\x90\x01\xfa\x00\x00\x00\x00";
        assert_eq!(inspect(gif).unwrap(), ImageHeader { format: ImageFormat::Gif, width: 400, height: 250 });
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend_from_slice(&[0x1F, 0x03, 0x00, 0xF3, 0x01, 0x00]);
        assert_eq!(inspect(&vp8x).unwrap(), ImageHeader { format: ImageFormat::WebP, width: 800, height: 500 });
    }

    #[test]
    fn refusals_say_what_the_bytes_are() {
        assert_eq!(inspect(b""), Err(ImageError::Empty));
        assert_eq!(inspect(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"\"><script/></svg>"), Err(ImageError::Svg));
        assert_eq!(inspect(b"%PDF-1.7\n%\xe2\xe3"), Err(ImageError::NotAnImage("a PDF document")));
        assert_eq!(inspect(b"meeting notes\n"), Err(ImageError::NotAnImage("a text file")));
    }

    #[test]
    fn data_url_parts() {
        assert_eq!(split_data_url("data:image/png;base64,AAAA"), Some(("image/png", "AAAA")));
        assert_eq!(split_data_url("data:image/png,AAAA"), None);
        assert_eq!(split_data_url("https://x/y.png"), None);
    }
}

/// Limits on what the widget accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
    /// Largest declared pixel count accepted (checked from the header,
    /// before any decoding, so decompression bombs never get decoded).
    pub max_pixels: u64,
    /// Longest side sent; `None` means what Phi-3.5-vision can use
    /// (see [`useful_long_side`]).
    pub max_side: Option<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: 20 * 1000 * 1000, max_pixels: 50 * 1000 * 1000, max_side: None }
    }
}

/// Why a file is refused, in words for the person who chose it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Image(#[from] ImageError),
    #[error("the file is {} and the limit is {}", human_bytes(*size), human_bytes(*limit))]
    TooLarge { size: u64, limit: u64 },
    #[error(
        "the image is {width} × {height} pixels ({} megapixels) and the limit is {} megapixels",
        crate::number::tenths(u64::from(*width) * u64::from(*height), 1_000_000),
        (*limit + 500_000) / 1_000_000
    )]
    TooManyPixels { width: u32, height: u32, limit: u64 },
}

/// Bytes for people: `980 B`, `98.3 KB`, `8.8 MB`.
pub fn human_bytes(bytes: u64) -> String {
    match bytes {
        0..=999 => format!("{bytes} B"),
        1000..=999_949 => format!("{} KB", crate::number::tenths(bytes, 1_000)),
        _ => format!("{} MB", crate::number::tenths(bytes, 1_000_000)),
    }
}

/// Checks the size before reading anything else.
pub fn check_size(size: u64, limits: &Limits) -> Result<(), Refusal> {
    if size == 0 {
        return Err(Refusal::Image(ImageError::Empty));
    }
    if size > limits.max_bytes {
        return Err(Refusal::TooLarge { size, limit: limits.max_bytes });
    }
    Ok(())
}

/// Judges a file by its bytes: format, integrity of the header, size limits.
pub fn judge(bytes: &[u8], limits: &Limits) -> Result<ImageHeader, Refusal> {
    check_size(bytes.len() as u64, limits)?;
    let header = inspect(bytes)?;
    if u64::from(header.width) * u64::from(header.height) > limits.max_pixels {
        return Err(Refusal::TooManyPixels { width: header.width, height: header.height, limit: limits.max_pixels });
    }
    Ok(header)
}

/// The longest side worth sending to Phi-3.5-vision for an image of this
/// shape: the width its HD transform works at (`scale * 336`), which is 1344
/// for most shapes and 1680 for wide ones, never beyond 1680.
pub fn useful_long_side(width: u32, height: u32) -> u32 {
    let (w, h) = crate::tokens::phi35_padded_size(width, height);
    (w.max(h) as u32).clamp(1344, 1680)
}

/// The size to send: scaled down to fit the long-side limit, never up.
pub fn plan_size(width: u32, height: u32, limits: &Limits) -> (u32, u32) {
    let long = width.max(height);
    let target = limits.max_side.unwrap_or_else(|| useful_long_side(width, height)).max(1);
    if long <= target {
        return (width, height);
    }
    let scale = f64::from(target) / f64::from(long);
    let w = ((f64::from(width) * scale).round() as u32).max(1);
    let h = ((f64::from(height) * scale).round() as u32).max(1);
    (w, h)
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    #[test]
    fn limits_and_messages() {
        let limits = Limits::default();
        assert_eq!(check_size(0, &limits), Err(Refusal::Image(ImageError::Empty)));
        let e = check_size(25_300_000, &limits).unwrap_err();
        assert_eq!(e.to_string(), "the file is 25.3 MB and the limit is 20.0 MB");
        let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bomb.extend_from_slice(&16000u32.to_be_bytes());
        bomb.extend_from_slice(&12000u32.to_be_bytes());
        bomb.extend_from_slice(&[
            8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
        ]);
        let e = judge(&bomb, &limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the image is 16000 × 12000 pixels (192.0 megapixels) and the limit is 50 megapixels"
        );
        assert_eq!(judge(b"<svg/>", &limits).unwrap_err().to_string(), ImageError::Svg.to_string());
    }

    #[test]
    fn sizes_follow_what_the_model_can_use() {
        let limits = Limits::default();
        // The reference chart: wide, so 1680 is useful; same token cost after.
        assert_eq!(useful_long_side(1900, 1069), 1680);
        assert_eq!(plan_size(1900, 1069, &limits), (1680, 945));
        assert_eq!(crate::tokens::phi35_image_tokens(1680, 945), 2353);
        // A 4:3 photo: 1344 on the long side, portrait stays portrait.
        assert_eq!(plan_size(4032, 3024, &limits), (1344, 1008));
        assert_eq!(plan_size(3024, 4032, &limits), (1008, 1344));
        // Never upscaled.
        assert_eq!(plan_size(990, 550, &limits), (990, 550));
        // Configured side wins.
        assert_eq!(plan_size(1200, 720, &Limits { max_side: Some(800), ..limits }), (800, 480));
        // Extremely wide images are capped at 1680.
        assert_eq!(useful_long_side(16000, 100), 1680);
    }
}
