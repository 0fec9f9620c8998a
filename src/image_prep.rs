//! The browser edge for images: reads a file, judges it by its bytes,
//! decodes and scales it off the main thread (`createImageBitmap`), encodes
//! it (`OffscreenCanvas.convertToBlob`) and builds the `data:` URL in Rust.

use base64::Engine;
use js_sys::{Array, Uint8Array};
use vision_chat_protocol::image::{check_size, judge, plan_size, ImageError, ImageFormat, Limits, Refusal};
use vision_chat_protocol::tokens::phi35_image_tokens;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, BlobPropertyBag, ImageBitmap, ImageBitmapOptions, ImageEncodeOptions, OffscreenCanvas};

use crate::attachment::{encode_plan, pick_smaller, Attachment, EncodePlan, Refused, JPEG_QUALITY};

/// Bytes read to judge a file: more than any image header seen in practice
/// (a JPEG's frame header follows its EXIF and other segments, each at most
/// 64 KB). The rest of a file is read into WebAssembly memory — which never
/// shrinks — only when it is sent as it is.
const HEAD_BYTES: f64 = 1024.0 * 1024.0;

/// Prepares a chosen file, or says why it cannot be attached.
pub async fn prepare(file: &Blob, name: &str, limits: &Limits) -> Result<Attachment, Refused> {
    let size = file.size();
    check_size(size as u64, limits).map_err(Refused::Judged)?;
    let head = if size > HEAD_BYTES { file.slice_with_f64_and_f64(0.0, HEAD_BYTES).ok() } else { None };
    let mut bytes = read(head.as_ref().unwrap_or(file)).await.map_err(|_| Refused::Unreadable)?;
    let mut whole = head.is_none();
    let header = match judge(&bytes, limits) {
        // A header beyond the first megabyte: judge the whole file.
        Err(Refusal::Image(ImageError::Corrupt(_))) if !whole => {
            bytes = read(file).await.map_err(|_| Refused::Unreadable)?;
            whole = true;
            judge(&bytes, limits)
        }
        judged => judged,
    }
    .map_err(Refused::Judged)?;
    let corrupt = || Refused::Corrupt(header.format);

    let bitmap = decode(file).await.map_err(|_| corrupt())?;
    let (ow, oh) = (bitmap.width(), bitmap.height());
    let (w, h) = plan_size(ow, oh, limits);
    let plan = encode_plan(header.format, (w, h) != (ow, oh), (ow, oh) != (header.width, header.height));

    let (format, out, blob) = if plan == EncodePlan::KeepOriginal {
        bitmap.close();
        if !whole {
            bytes = read(file).await.map_err(|_| Refused::Unreadable)?;
        }
        (header.format, bytes, file.clone())
    } else {
        let scaled = if (w, h) == (ow, oh) { bitmap } else { scale(&bitmap, w, h).await.map_err(|_| corrupt())? };
        let encoded = match plan {
            EncodePlan::Jpeg => encode(&scaled, ImageFormat::Jpeg).await,
            _ => {
                let png = encode(&scaled, ImageFormat::Png).await;
                let jpeg = encode(&scaled, ImageFormat::Jpeg).await;
                match (png, jpeg) {
                    (Ok(p), Ok(j)) => Ok(if pick_smaller(p.1.len(), j.1.len()) == ImageFormat::Png { p } else { j }),
                    (Ok(p), Err(_)) => Ok(p),
                    (Err(e), _) => Err(e),
                }
            }
        };
        scaled.close();
        let (blob, out) = encoded.map_err(|_| Refused::CannotEncode)?;
        let format = if blob.type_() == "image/png" { ImageFormat::Png } else { ImageFormat::Jpeg };
        (format, out, blob)
    };

    let data_url = format!("data:{};base64,{}", format.mime(), base64::engine::general_purpose::STANDARD.encode(&out));
    let object_url = web_sys::Url::create_object_url_with_blob(&typed(&blob, format)?).unwrap_or_default();
    Ok(Attachment {
        name: name.to_owned(),
        source_format: header.format,
        original_size: (ow, oh),
        original_bytes: size as u64,
        format,
        size: (w, h),
        bytes: out.len() as u64,
        reencoded: plan != EncodePlan::KeepOriginal,
        tokens: phi35_image_tokens(w, h),
        data_url,
        object_url,
    })
}

async fn read(blob: &Blob) -> Result<Vec<u8>, JsValue> {
    let buffer = JsFuture::from(blob.array_buffer()).await?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// Decodes (EXIF orientation applied) off the main thread where the browser can.
async fn decode(blob: &Blob) -> Result<ImageBitmap, JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let promise = window.create_image_bitmap_with_blob(blob)?;
    Ok(JsFuture::from(promise).await?.unchecked_into())
}

async fn scale(bitmap: &ImageBitmap, w: u32, h: u32) -> Result<ImageBitmap, JsValue> {
    let window = web_sys::window().ok_or(JsValue::NULL)?;
    let options = ImageBitmapOptions::new();
    options.set_resize_width(w);
    options.set_resize_height(h);
    options.set_resize_quality(web_sys::ResizeQuality::High);
    let promise = window.create_image_bitmap_with_image_bitmap_and_image_bitmap_options(bitmap, &options)?;
    let scaled = JsFuture::from(promise).await?.unchecked_into();
    bitmap.close();
    Ok(scaled)
}

async fn encode(bitmap: &ImageBitmap, format: ImageFormat) -> Result<(Blob, Vec<u8>), JsValue> {
    let canvas = OffscreenCanvas::new(bitmap.width(), bitmap.height())?;
    let ctx: web_sys::OffscreenCanvasRenderingContext2d =
        canvas.get_context("2d")?.ok_or(JsValue::NULL)?.unchecked_into();
    if format == ImageFormat::Jpeg {
        // JPEG has no alpha: transparent chart backgrounds become white, not black.
        ctx.set_fill_style_str("#ffffff");
        ctx.fill_rect(0.0, 0.0, f64::from(bitmap.width()), f64::from(bitmap.height()));
    }
    ctx.draw_image_with_image_bitmap(bitmap, 0.0, 0.0)?;
    let options = ImageEncodeOptions::new();
    options.set_type(format.mime());
    if format == ImageFormat::Jpeg {
        options.set_quality(JPEG_QUALITY);
    }
    let blob: Blob = JsFuture::from(canvas.convert_to_blob_with_options(&options)?).await?.unchecked_into();
    let bytes = read(&blob).await?;
    Ok((blob, bytes))
}

/// The same bytes with the MIME type their content has (a file's own type is not trusted).
fn typed(blob: &Blob, format: ImageFormat) -> Result<Blob, Refused> {
    let options = BlobPropertyBag::new();
    options.set_type(format.mime());
    let parts = Array::of1(blob);
    Blob::new_with_blob_sequence_and_options(&parts, &options).map_err(|_| Refused::CannotPreview)
}
