//! The header reader against the project's real test images.

use std::path::PathBuf;
use vision_chat_protocol::image::{inspect, ImageError, ImageFormat, ImageHeader};
use vision_chat_protocol::tokens::phi35_image_tokens;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/images").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn header(format: ImageFormat, width: u32, height: u32) -> Result<ImageHeader, ImageError> {
    Ok(ImageHeader { format, width, height })
}

#[test]
fn accepted_fixtures() {
    assert_eq!(inspect(&fixture("quality-vs-size.png")), header(ImageFormat::Png, 1200, 720));
    assert_eq!(inspect(&fixture("revenue-by-region.png")), header(ImageFormat::Png, 990, 550));
    assert_eq!(inspect(&fixture("requests-bar.jpg")), header(ImageFormat::Jpeg, 800, 500));
    assert_eq!(inspect(&fixture("requests-bar.webp")), header(ImageFormat::WebP, 800, 500));
    assert_eq!(inspect(&fixture("requests-bar-small.gif")), header(ImageFormat::Gif, 400, 250));
}

#[test]
fn decompression_bomb_is_seen_from_the_header() {
    let h = inspect(&fixture("huge-dimensions.png")).unwrap();
    assert_eq!((h.width, h.height), (16000, 12000));
    assert!(u64::from(h.width) * u64::from(h.height) > 50_000_000);
    // What it would cost if it were sent: still bounded by the crop limit.
    assert!(phi35_image_tokens(h.width, h.height) <= (16 + 1) * 144 + 1 + 17 * 12);
}

#[test]
fn refused_fixtures() {
    assert_eq!(inspect(&fixture("empty.png")), Err(ImageError::Empty));
    assert_eq!(inspect(&fixture("truncated.png")), Err(ImageError::Corrupt(ImageFormat::Png)));
    assert_eq!(inspect(&fixture("not-an-image.png")), Err(ImageError::NotAnImage("a PDF document")));
    assert_eq!(inspect(&fixture("notes.txt")), Err(ImageError::NotAnImage("a text file")));
    assert_eq!(inspect(&fixture("script.svg")), Err(ImageError::Svg));
}
