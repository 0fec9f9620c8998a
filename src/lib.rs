//! vision-chat: a chat widget for vision models behind the Azure AI Model
//! Inference API, written with Leptos and compiled to WebAssembly.
//!
//! * [`conversation`] — the widget's state logic, pure and natively tested.
//! * [`api`] — the browser edge: fetch, streaming reads, abort.
//! * [`components`] — thin Leptos views over the state.
//!
//! The wire format, SSE parsing and request building live in the
//! `vision-chat-protocol` crate, shared with the proxy.

pub mod api;
pub mod attachment;
pub mod components;
pub mod connection;
pub mod conversation;
pub mod image_prep;
pub mod markdown;
pub mod markdown_dom;
pub mod settings;

use leptos::prelude::*;
use vision_chat_protocol::image::Limits;
use wasm_bindgen::JsCast;

/// The API base the widget talks to when the host says nothing: the proxy
/// on the page's own origin.
pub const DEFAULT_ENDPOINT: &str = "/api";

/// Mounts the widget into `host`, configured by its attributes:
/// `data-endpoint` (the API base, default [`DEFAULT_ENDPOINT`]),
/// `data-max-image-bytes`, `data-max-image-pixels`, `data-max-image-side`.
pub fn mount(host: web_sys::HtmlElement) {
    let attr = |name: &str| host.get_attribute(name).filter(|v| !v.trim().is_empty());
    let endpoint = attr("data-endpoint").unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
    let limits = image_limits(
        attr("data-max-image-bytes").as_deref(),
        attr("data-max-image-pixels").as_deref(),
        attr("data-max-image-side").as_deref(),
    );
    leptos::mount::mount_to(host, move || view! { <components::App endpoint=endpoint limits=limits /> }).forget();
}

thread_local! {
    static HOST_TOKEN: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Hands the widget a bearer token (e.g. Microsoft Entra ID) for direct
/// mode; `null` or an empty string takes it back. From the page:
/// `window.wasmBindings.set_token(token)`.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn set_token(token: Option<String>) {
    HOST_TOKEN.with(|t| *t.borrow_mut() = token.filter(|t| !t.trim().is_empty()));
}

/// The token the host page handed over, if any.
pub fn host_token() -> Option<String> {
    HOST_TOKEN.with(|t| t.borrow().clone())
}

/// Image limits from attribute values; absent or invalid values keep the defaults.
pub fn image_limits(max_bytes: Option<&str>, max_pixels: Option<&str>, max_side: Option<&str>) -> Limits {
    let defaults = Limits::default();
    let num = |v: Option<&str>| v.and_then(|v| v.trim().parse::<u64>().ok()).filter(|n| *n > 0);
    Limits {
        max_bytes: num(max_bytes).unwrap_or(defaults.max_bytes),
        max_pixels: num(max_pixels).unwrap_or(defaults.max_pixels),
        max_side: num(max_side).and_then(|n| u32::try_from(n).ok()).or(defaults.max_side),
    }
}

/// Mounts the widget into the page's `#vision-chat` element, or the body.
pub fn mount_into_page() {
    console_error_panic_hook::set_once();
    let document = document();
    let host = document
        .get_element_by_id("vision-chat")
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        .or_else(|| document.body());
    if let Some(host) = host {
        mount(host);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_from_attributes() {
        assert_eq!(image_limits(None, None, None), Limits::default());
        let l = image_limits(Some("1000"), Some(" 2000 "), Some("800"));
        assert_eq!((l.max_bytes, l.max_pixels, l.max_side), (1000, 2000, Some(800)));
        assert_eq!(image_limits(Some("lots"), Some("0"), Some("-1")), Limits::default());
    }
}
