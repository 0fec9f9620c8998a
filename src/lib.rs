//! vision-chat: a chat widget for vision models behind the Azure AI Model
//! Inference API, written with Leptos and compiled to WebAssembly.
//!
//! * [`conversation`] — the widget's state logic, pure and natively tested.
//! * [`api`] — the browser edge: fetch, streaming reads, abort.
//! * [`components`] — thin Leptos views over the state.
//! * [`element`] — the `<vision-chat>` element's Rust side (`js/vision-chat.js`
//!   is the element); [`host`] parses what the host page configures.
//!
//! The wire format, SSE parsing and request building live in the
//! `vision-chat-protocol` crate, shared with the proxy.

pub mod api;
pub mod attachment;
pub mod components;
pub mod connection;
pub mod conversation;
pub mod element;
pub mod host;
pub mod image_prep;
pub mod markdown;
pub mod markdown_dom;
pub mod settings;
pub mod strings;
