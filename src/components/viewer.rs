//! The full-size view of an image in the conversation.

use leptos::prelude::*;

use super::Chat;

#[component]
pub fn ImageViewer() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let t = chat.host.words();
    let close_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if chat.viewing.with(Option::is_some) {
            if let Some(b) = close_button.get() {
                let _ = b.focus();
            }
        }
    });
    move || {
        chat.viewing.get().map(|a| {
            let (w, h) = a.size;
            view! {
                <div
                    class="vc-viewer"
                    role="dialog"
                    aria-modal="true"
                    aria-label=(t.full_size)(&a.name)
                    data-testid="image-viewer"
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            chat.viewing.set(None);
                        }
                    }
                    on:click=move |_| chat.viewing.set(None)
                >
                    <img src=a.object_url.clone() alt=a.name.clone() width=w height=h />
                    <button type="button" class="vc-button vc-viewer-close" node_ref=close_button on:click=move |_| chat.viewing.set(None)>
                        {t.close}
                    </button>
                </div>
            }
        })
    }
}
