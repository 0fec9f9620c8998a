//! The composer: the draft, the image to send with it, Send and Stop.

use leptos::prelude::*;

use super::chat::AttachNote;
use super::{shown_or, Chat};
use crate::conversation::enter_sends;

#[component]
pub fn Composer() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let host = chat.host;
    let t = host.words();
    let file_input = NodeRef::<leptos::html::Input>::new();
    let input = NodeRef::<leptos::html::Textarea>::new();
    // A launcher's panel opens at the composer.
    Effect::new(move |was_open: Option<bool>| {
        let open = host.open.get();
        if open && was_open == Some(false) {
            request_animation_frame(move || {
                if let Some(input) = input.get_untracked() {
                    let _ = input.focus();
                }
            });
        }
        open
    });
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if enter_sends(&ev.key(), ev.shift_key(), ev.is_composing()) {
            ev.prevent_default();
            chat.send();
        }
    };
    let on_paste = move |ev: web_sys::ClipboardEvent| {
        let files = ev.clipboard_data().and_then(|dt| dt.files()).filter(|f| f.length() > 0);
        if let Some(files) = files {
            ev.prevent_default();
            chat.attach_files(&files);
        }
    };
    view! {
        <form class="vc-composer" part="composer" on:submit=move |ev| { ev.prevent_default(); chat.send(); }>
            <AttachmentPreview />
            <AttachNoteLine />
            {move || chat.send_problem.get().map(|p| view! {
                <p class="vc-attach-error" role="alert" data-testid="send-problem">{p}</p>
            })}
            <div class="vc-composer-row">
                <input
                    type="file"
                    class="vc-visually-hidden"
                    tabindex="-1"
                    aria-hidden="true"
                    accept="image/png,image/jpeg,image/webp,image/gif"
                    data-testid="file-input"
                    node_ref=file_input
                    on:change:target=move |ev| {
                        if let Some(files) = ev.target().files() {
                            chat.attach_files(&files);
                        }
                        // Choosing the same file again must fire `change` again.
                        ev.target().set_value("");
                    }
                />
                <button
                    type="button"
                    class="vc-button vc-attach"
                    part="attach"
                    data-testid="attach"
                    title=t.attach_note
                    on:click=move |_| {
                        if let Some(input) = file_input.get() {
                            input.click();
                        }
                    }
                >
                    <span aria-hidden="true">"+"</span>
                    <span class="vc-visually-hidden">{t.attach}</span>
                </button>
                <label class="vc-visually-hidden" for=chat.id("composer-input")>{t.message}</label>
                <textarea
                    id=chat.id("composer-input")
                    class="vc-input"
                    part="input"
                    data-testid="composer-input"
                    rows="2"
                    node_ref=input
                    placeholder=move || host.placeholder.get().unwrap_or_else(|| t.placeholder.to_owned())
                    prop:value=move || chat.draft.get()
                    on:input:target=move |ev| chat.draft.set(ev.target().value())
                    on:keydown=on_keydown
                    on:paste=on_paste
                ></textarea>
                <div class="vc-actions">
                    {shown_or(
                        Signal::derive(move || chat.busy.get()),
                        ViewFn::from(move || view! {
                            <button type="button" class="vc-button" part="stop" data-testid="stop" on:click=move |_| chat.stop()>
                                {t.stop}
                            </button>
                        }),
                        ViewFn::from(move || view! {
                            <button type="submit" class="vc-button vc-primary" part="send" data-testid="send" disabled=move || !chat.can_send()>
                                {t.send}
                            </button>
                        }),
                    )}
                </div>
            </div>
        </form>
    }
}

/// The pending image: thumbnail, sizes, encoding, bytes, token cost, remove.
#[component]
fn AttachmentPreview() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let t = chat.host.words();
    move || {
        chat.pending.get().map(|a| {
            let (w, h) = a.size;
            let (ow, oh) = a.original_size;
            view! {
                <div
                    class="vc-preview"
                    data-testid="attachment-preview"
                    data-width=w
                    data-height=h
                    data-original-width=ow
                    data-original-height=oh
                    data-bytes=a.bytes
                    data-format=a.format.mime()
                    data-tokens=a.tokens
                >
                    <img class="vc-preview-thumb" src=a.object_url.clone() alt=(t.image_to_send)(&a.name) />
                    <div class="vc-preview-text">
                        <span class="vc-preview-name">{a.name.clone()}</span>
                        <span class="vc-preview-summary">{a.summary()}</span>
                    </div>
                    <button
                        type="button"
                        class="vc-button vc-remove"
                        data-testid="remove-attachment"
                        on:click=move |_| chat.remove_attachment()
                    >
                        {t.remove}
                    </button>
                </div>
            }
        })
    }
}

#[component]
fn AttachNoteLine() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let t = chat.host.words();
    move || match chat.attach_note.get() {
        AttachNote::None => None,
        AttachNote::Preparing(name) => {
            Some(view! { <p class="vc-attach-note" role="status">{(t.preparing)(&name)}</p> }.into_any())
        }
        AttachNote::Replaced(name) => Some(
            view! {
                <p class="vc-attach-note" role="status">{(t.replaced)(&name)}</p>
            }
            .into_any(),
        ),
        AttachNote::FirstOfMany(n) => Some(
            view! {
                <p class="vc-attach-note" role="status">{(t.first_of_many)(n)}</p>
            }
            .into_any(),
        ),
        AttachNote::Refused(message) => Some(
            view! { <p class="vc-attach-error" role="alert" data-testid="attachment-error">{message}</p> }.into_any(),
        ),
    }
}
