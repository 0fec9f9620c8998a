//! The widget's views. They hold state in signals and delegate every
//! decision to [`crate::conversation`] and every request to [`crate::api`].

mod chat;
mod composer;
mod header;
mod messages;

use leptos::prelude::*;

pub use chat::Chat;

/// The whole widget.
#[component]
pub fn App(
    /// The API base: the proxy's `/api`, or a compatible endpoint.
    #[prop(into)]
    endpoint: String,
) -> impl IntoView {
    let chat = Chat::new(endpoint);
    provide_context(chat);
    view! {
        <section class="vc" aria-label="Vision chat">
            <header::Header />
            <messages::MessageList />
            <composer::Composer />
        </section>
    }
}
