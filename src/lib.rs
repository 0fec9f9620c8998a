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
pub mod components;
pub mod conversation;

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The API base the widget talks to when the host says nothing: the proxy
/// on the page's own origin.
pub const DEFAULT_ENDPOINT: &str = "/api";

/// Mounts the widget into `host`. Its `data-endpoint` attribute, when
/// present, names the API base (default [`DEFAULT_ENDPOINT`]).
pub fn mount(host: web_sys::HtmlElement) {
    let endpoint = host
        .get_attribute("data-endpoint")
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
    leptos::mount::mount_to(host, move || view! { <components::App endpoint=endpoint /> }).forget();
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
