//! The widget's views. They hold state in signals and delegate every
//! decision to [`crate::conversation`] and every request to [`crate::api`].

mod chat;
mod composer;
mod header;
mod messages;
mod settings;
mod viewer;

use leptos::prelude::*;
use vision_chat_protocol::image::Limits;

pub use chat::Chat;

/// The whole widget.
#[component]
pub fn App(
    /// The API base: the proxy's `/api`, or a compatible endpoint.
    #[prop(into)]
    endpoint: String,
    /// What images are accepted and how large they are sent.
    #[prop(optional)]
    limits: Limits,
) -> impl IntoView {
    let chat = Chat::new(endpoint, limits);
    provide_context(chat);
    // Drag enter/leave fire for every child crossed: count them.
    let depth = RwSignal::new(0i32);
    let has_files = |ev: &web_sys::DragEvent| {
        ev.data_transfer().is_some_and(|dt| dt.types().iter().any(|t| t.as_string().as_deref() == Some("Files")))
    };
    let on_dragenter = move |ev: web_sys::DragEvent| {
        if has_files(&ev) {
            ev.prevent_default();
            depth.update(|d| *d += 1);
        }
    };
    let on_dragover = move |ev: web_sys::DragEvent| {
        if has_files(&ev) {
            ev.prevent_default();
        }
    };
    let on_drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        depth.set(0);
        if let Some(files) = ev.data_transfer().and_then(|dt| dt.files()) {
            chat.attach_files(&files);
        }
    };
    let class = move || if depth.get() > 0 { "vc vc-dragging" } else { "vc" };
    view! {
        <section
            class=class
            aria-label="Vision chat"
            data-testid="drop-zone"
            on:dragenter=on_dragenter
            on:dragover=on_dragover
            on:dragleave=move |_| depth.update(|d| *d = (*d - 1).max(0))
            on:drop=on_drop
        >
            <header::Header />
            <Show when=move || chat.settings_open.get()>
                <settings::SettingsPanel />
            </Show>
            <messages::MessageList />
            <composer::Composer />
            <div class="vc-drop-overlay" aria-hidden="true">"Drop the image to attach it"</div>
            <viewer::ImageViewer />
        </section>
    }
}
