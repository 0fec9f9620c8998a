//! The composer: the draft, Send and Stop.

use leptos::prelude::*;

use super::Chat;
use crate::conversation::enter_sends;

#[component]
pub fn Composer() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if enter_sends(&ev.key(), ev.shift_key(), ev.is_composing()) {
            ev.prevent_default();
            chat.send();
        }
    };
    view! {
        <form class="vc-composer" on:submit=move |ev| { ev.prevent_default(); chat.send(); }>
            <label class="vc-visually-hidden" for="vc-composer-input">"Message"</label>
            <textarea
                id="vc-composer-input"
                class="vc-input"
                data-testid="composer-input"
                rows="2"
                placeholder="Ask about a chart…"
                prop:value=move || chat.draft.get()
                on:input:target=move |ev| chat.draft.set(ev.target().value())
                on:keydown=on_keydown
            ></textarea>
            <div class="vc-actions">
                <Show
                    when=move || chat.busy.get()
                    fallback=move || view! {
                        <button type="submit" class="vc-button vc-primary" data-testid="send" disabled=move || !chat.can_send()>
                            "Send"
                        </button>
                    }
                >
                    <button type="button" class="vc-button" data-testid="stop" on:click=move |_| chat.stop()>
                        "Stop"
                    </button>
                </Show>
            </div>
        </form>
    }
}
