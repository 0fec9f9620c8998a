//! Token estimates.
//!
//! Image tokens follow Phi-3.5-vision's HD transform (`num_crops = 16`,
//! 336-pixel crops, 144 tokens each, 12 newline tokens per crop row):
//! the image is turned landscape-wise, the largest `scale` with
//! `scale * ceil(scale / ratio) <= 16` is found by counting up, the image is
//! resized to `scale * 336` wide and padded to a multiple of 336 high, then
//! turned back.

const CROP: u64 = 336;
const NUM_CROPS: u64 = 16;

/// The padded size, in pixels, that Phi-3.5-vision works on.
pub fn phi35_padded_size(width: u32, height: u32) -> (u64, u64) {
    let (mut w, mut h) = (u64::from(width.max(1)), u64::from(height.max(1)));
    let transposed = w < h;
    if transposed {
        std::mem::swap(&mut w, &mut h);
    }
    let ratio = w as f64 / h as f64;
    let mut scale: u64 = 1;
    while scale as f64 * (scale as f64 / ratio).ceil() <= NUM_CROPS as f64 {
        scale += 1;
    }
    scale -= 1;
    let new_w = scale * CROP;
    let new_h = (new_w as f64 / ratio) as u64;
    let padded_h = new_h.div_ceil(CROP) * CROP;
    if transposed {
        (padded_h, new_w)
    } else {
        (new_w, padded_h)
    }
}

/// Tokens an image of this size costs in a Phi-3.5-vision prompt.
pub fn phi35_image_tokens(width: u32, height: u32) -> u64 {
    let (w, h) = phi35_padded_size(width, height);
    let (cols, rows) = (w / CROP, h / CROP);
    (rows * cols + 1) * 144 + 1 + (rows + 1) * 12
}

/// A rough, deterministic text token estimate (about four characters a
/// token, as for English with the Phi-3 tokenizer).
pub fn estimate_text_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// A count with thousands separators, as token counts are shown: `2,353`.
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_chart_costs_2353_tokens() {
        assert_eq!(phi35_padded_size(1900, 1069), (1680, 1008));
        assert_eq!(phi35_image_tokens(1900, 1069), 2353);
    }

    #[test]
    fn portrait_images_are_turned_back() {
        assert_eq!(phi35_padded_size(1069, 1900), (1008, 1680));
        // Rows are the long side now: more newline tokens than landscape.
        assert_eq!(phi35_image_tokens(1069, 1900), (15 + 1) * 144 + 1 + (5 + 1) * 12);
        // A 4:3 portrait photo: 3 crops wide, 4 high.
        assert_eq!(phi35_padded_size(3024, 4032), (1008, 1344));
        assert_eq!(phi35_image_tokens(3024, 4032), phi35_padded_tokens(1008, 1344));
    }

    fn phi35_padded_tokens(w: u64, h: u64) -> u64 {
        let (cols, rows) = (w / 336, h / 336);
        (rows * cols + 1) * 144 + 1 + (rows + 1) * 12
    }

    #[test]
    fn square_small_and_extreme_images() {
        // Square: scale 4 (4 * 4 = 16), 1344 x 1344.
        assert_eq!(phi35_padded_size(1000, 1000), (1344, 1344));
        assert_eq!(phi35_image_tokens(1000, 1000), (16 + 1) * 144 + 1 + 5 * 12);
        // Small images are upscaled by the model, so they cost the same.
        assert_eq!(phi35_image_tokens(10, 10), phi35_image_tokens(1000, 1000));
        // Very wide: 16 crops in a row.
        assert_eq!(phi35_padded_size(16000, 100), (5376, 336));
        assert_eq!(phi35_image_tokens(0, 0), phi35_image_tokens(1, 1));
    }

    #[test]
    fn grouping() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(2353), "2,353");
        assert_eq!(group_digits(1_234_567), "1,234,567");
    }

    #[test]
    fn text_estimate() {
        assert_eq!(estimate_text_tokens(""), 0);
        assert_eq!(estimate_text_tokens("abcd"), 1);
        assert_eq!(estimate_text_tokens("abcde"), 2);
    }
}
