//! An image attached to a message: what was chosen, what will be sent and
//! what it costs. Pure; the browser work that produces it is in
//! [`crate::image_prep`].

use vision_chat_protocol::image::{human_bytes, ImageFormat, Refusal};

use vision_chat_protocol::tokens::group_digits;

use crate::strings::Strings;

/// How the bytes to send are produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodePlan {
    /// The file is already a PNG or JPEG of a useful size, upright: send it as is.
    KeepOriginal,
    /// A photo: JPEG at high quality.
    Jpeg,
    /// Probably a chart: PNG, unless JPEG turns out smaller.
    PngUnlessJpegSmaller,
}

/// JPEG quality used for re-encoding (high: chart text stays legible).
pub const JPEG_QUALITY: f64 = 0.92;

/// Decides the encoding. `resized`: the image must be scaled down;
/// `reoriented`: its decoded size differs from the header's (EXIF rotation).
pub fn encode_plan(source: ImageFormat, resized: bool, reoriented: bool) -> EncodePlan {
    match source {
        ImageFormat::Png | ImageFormat::Jpeg if !resized && !reoriented => EncodePlan::KeepOriginal,
        ImageFormat::Jpeg => EncodePlan::Jpeg,
        _ => EncodePlan::PngUnlessJpegSmaller,
    }
}

/// With both encodings at hand: PNG when it is no larger (lossless, crisp
/// chart text), JPEG otherwise.
pub fn pick_smaller(png_bytes: usize, jpeg_bytes: usize) -> ImageFormat {
    if png_bytes <= jpeg_bytes {
        ImageFormat::Png
    } else {
        ImageFormat::Jpeg
    }
}

/// A prepared image, ready to preview and send.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// The file name the person chose (display only; never trusted).
    pub name: String,
    /// Format identified from the file's bytes.
    pub source_format: ImageFormat,
    pub original_size: (u32, u32),
    pub original_bytes: u64,
    /// What is sent.
    pub format: ImageFormat,
    pub size: (u32, u32),
    pub bytes: u64,
    pub reencoded: bool,
    /// Phi-3.5-vision prompt tokens for the image.
    pub tokens: u64,
    /// The `data:` URL that goes into the request.
    pub data_url: String,
    /// A `blob:` URL of the same bytes, for previews.
    pub object_url: String,
}

impl Attachment {
    /// One line for the preview: sizes, encoding, bytes and token cost.
    pub fn summary(&self) -> String {
        let (ow, oh) = self.original_size;
        let (w, h) = self.size;
        let dims =
            if (ow, oh) == (w, h) { format!("{w} × {h} px") } else { format!("{ow} × {oh} → {w} × {h} px") };
        let how = if self.reencoded {
            format!("sent as {}", self.format)
        } else {
            format!("{}, sent unchanged", self.format)
        };
        format!("{dims} · {how} · {} · ≈ {} image tokens", human_bytes(self.bytes), group_digits(self.tokens))
    }
}

/// Why a chosen file was not attached ([`Strings::refused`] words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Judged by its bytes: not an image, too large, too many pixels…
    Judged(Refusal),
    Unreadable,
    /// The header is fine but the browser could not decode the image.
    Corrupt(ImageFormat),
    CannotEncode,
    CannotPreview,
}

/// The message for a refused file; names the file so several attempts stay clear.
pub fn refusal_message(name: &str, why: &Refused, words: &Strings) -> String {
    (words.not_attached)(name, &(words.refused)(why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strings::EN;

    fn sample() -> Attachment {
        Attachment {
            name: "chart.png".into(),
            source_format: ImageFormat::Png,
            original_size: (1900, 1069),
            original_bytes: 120_000,
            format: ImageFormat::Png,
            size: (1680, 945),
            bytes: 98_300,
            reencoded: true,
            tokens: 2353,
            data_url: String::new(),
            object_url: String::new(),
        }
    }

    #[test]
    fn plans() {
        assert_eq!(encode_plan(ImageFormat::Png, false, false), EncodePlan::KeepOriginal);
        assert_eq!(encode_plan(ImageFormat::Jpeg, false, false), EncodePlan::KeepOriginal);
        assert_eq!(encode_plan(ImageFormat::Jpeg, true, false), EncodePlan::Jpeg);
        assert_eq!(encode_plan(ImageFormat::Jpeg, false, true), EncodePlan::Jpeg);
        assert_eq!(encode_plan(ImageFormat::Png, true, false), EncodePlan::PngUnlessJpegSmaller);
        assert_eq!(encode_plan(ImageFormat::Gif, false, false), EncodePlan::PngUnlessJpegSmaller);
        assert_eq!(encode_plan(ImageFormat::WebP, false, false), EncodePlan::PngUnlessJpegSmaller);
        assert_eq!(pick_smaller(10, 10), ImageFormat::Png);
        assert_eq!(pick_smaller(11, 10), ImageFormat::Jpeg);
    }

    #[test]
    fn summaries() {
        assert_eq!(sample().summary(), "1900 × 1069 → 1680 × 945 px · sent as PNG · 98.3 KB · ≈ 2,353 image tokens");
        let kept = Attachment { size: (1900, 1069), reencoded: false, bytes: 980, ..sample() };
        assert_eq!(kept.summary(), "1900 × 1069 px · PNG, sent unchanged · 980 B · ≈ 2,353 image tokens");
        assert_eq!(human_bytes(8_831_488), "8.8 MB");
        let text = Refused::Judged(Refusal::Image(vision_chat_protocol::image::ImageError::NotAnImage("a text file")));
        assert_eq!(
            refusal_message("notes.txt", &text, &EN),
            "“notes.txt” was not attached: this is not an image (a text file); use PNG, JPEG, WebP or GIF."
        );
        let too_large = Refused::Judged(Refusal::TooLarge { size: 25_000_000, limit: 20_000_000 });
        assert_eq!(
            refusal_message("", &too_large, &EN),
            "The file was not attached: the file is 25.0 MB and the limit is 20.0 MB."
        );
        assert_eq!(
            refusal_message("a.png", &Refused::Corrupt(ImageFormat::Png), &EN),
            "“a.png” was not attached: the PNG image is truncated or corrupt."
        );
    }
}
