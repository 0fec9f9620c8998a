//! The conversation: one bubble per message, keyed so a delta re-renders
//! only its own bubble.

use leptos::prelude::*;
use vision_chat_protocol::wire::{Role, Usage};

use super::chat::{Chat, Entry, EntryBody, ErrorEntry, MessageEntry};
use super::{shown, shown_or};
use crate::attachment::Attachment;
use crate::conversation::{countdown_text, MessageState};
use crate::markdown::{FrameBudget, RenderQueue, StreamRenderer};
use crate::markdown_dom;
use vision_chat_protocol::logprobs::Confidence;
use vision_chat_protocol::tokens::group_digits;

#[component]
pub fn MessageList() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let t = chat.host.words();
    let log = NodeRef::<leptos::html::Div>::new();
    // Follow the conversation while the reader is at its end; leave them be
    // when they have scrolled up to read.
    let pinned = StoredValue::new(true);
    // One scroll per frame, however many deltas arrived in it.
    let scroll_scheduled = StoredValue::new(false);
    let on_scroll = move |_| {
        if let Some(el) = log.get_untracked() {
            pinned.set_value(el.scroll_height() - el.scroll_top() - el.client_height() < 48);
        }
    };
    Effect::new(move |_| {
        // Track every new entry and everything that grows the newest message.
        chat.entries.with(|entries| {
            if let Some(EntryBody::Message(m)) = entries.last().map(|e| &e.body) {
                m.text.track();
                m.state.track();
                m.usage.track();
            }
        });
        if pinned.get_value() && !scroll_scheduled.get_value() {
            scroll_scheduled.set_value(true);
            request_animation_frame(move || {
                scroll_scheduled.set_value(false);
                if let Some(el) = log.get_untracked() {
                    el.set_scroll_top(el.scroll_height());
                }
            });
        }
    });
    view! {
        <div class="vc-log" part="log" role="log" aria-live="polite" aria-label=t.conversation node_ref=log on:scroll=on_scroll>
            {shown(
                Signal::derive(move || chat.entries.with(Vec::is_empty)),
                ViewFn::from(move || view! { <p class="vc-empty">{t.empty}</p> }),
            )}
            <For each=move || chat.entries.get() key=|entry: &Entry| entry.id let:entry>
                {match entry.body {
                    EntryBody::Message(m) => view! { <Message id=entry.id entry=m /> }.into_any(),
                    EntryBody::Error(error) => view! { <ErrorRow error /> }.into_any(),
                }}
            </For>
        </div>
    }
}

#[component]
fn Message(id: u64, entry: MessageEntry) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let t = chat.host.words();
    let role = match entry.role {
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::System => "system",
    };
    let state = entry.state;
    let waiting = move || state.with(|s| *s == MessageState::Streaming) && entry.text.with(String::is_empty);
    view! {
        <article
            class="vc-message"
            part=format!("message {role}-message")
            data-testid="message"
            data-role=role
            data-state=move || state.with(MessageState::name)
            aria-busy=move || (state.with(|s| *s == MessageState::Streaming) || entry.rendering.get()).to_string()
        >
            {entry.image.get_value().map(|image| view! { <MessageImage id image /> })}
            {if entry.role == Role::Assistant {
                view! { <AnswerBody entry /> }.into_any()
            } else {
                shown_or(
                    Signal::derive(move || chat.editing.get() == Some(id)),
                    ViewFn::from(move || view! { <EditBox id entry /> }),
                    ViewFn::from(move || view! {
                        <div class="vc-content vc-plain" data-testid="message-content">{move || entry.text.get()}</div>
                    }),
                )
                .into_any()
            }}
            {shown(
                Signal::derive(waiting),
                ViewFn::from(move || view! { <span class="vc-typing" aria-label=t.on_its_way>"…"</span> }),
            )}
            {move || state.with(|s| s.note(t)).map(|note| view! { <p class="vc-note">{note}</p> })}
            // The usage line closes the answer once all of it is on screen.
            {move || entry.usage.get().filter(|_| !entry.rendering.get()).map(|usage| view! { <UsageLine usage /> })}
            <MessageActions id entry />
        </article>
    }
}

/// Copy, edit (user), regenerate (the last answer).
#[component]
fn MessageActions(id: u64, entry: MessageEntry) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let t = chat.host.words();
    let is_last = move || {
        chat.entries
            .with(|e| e.iter().rev().find(|e| matches!(e.body, EntryBody::Message(_))).map(|e| e.id) == Some(id))
    };
    let idle = move || !chat.busy.get() && entry.state.with(|s| *s != MessageState::Streaming);
    let copied = RwSignal::new(false);
    view! {
        <div class="vc-message-actions">
            {shown(Signal::derive(idle), ViewFn::from(move || view! {
                <button
                    type="button"
                    class="vc-md-action"
                    data-testid="copy-message"
                    on:click=move |_| {
                        chat.copy_message(entry);
                        copied.set(true);
                    }
                >
                    {move || if copied.get() { t.copied } else { t.copy }}
                </button>
                {(entry.role == Role::User).then(|| view! {
                    <button
                        type="button"
                        class="vc-md-action"
                        data-testid="edit-message"
                        on:click=move |_| chat.editing.set(Some(id))
                    >
                        {t.edit}
                    </button>
                })}
                {shown(
                    Signal::derive(move || entry.role == Role::Assistant && is_last()),
                    ViewFn::from(move || view! {
                        <button type="button" class="vc-md-action" data-testid="regenerate" on:click=move |_| chat.regenerate()>
                            {move || if entry.state.with(|s| matches!(s, MessageState::Interrupted(_))) { t.retry } else { t.regenerate }}
                        </button>
                    }),
                )}
            }))}
        </div>
    }
}

/// A user message being edited in place; resending drops what came after it.
#[component]
fn EditBox(id: u64, entry: MessageEntry) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let t = chat.host.words();
    let text = RwSignal::new(entry.text.get_untracked());
    let input_id = chat.id(&format!("edit-{id}"));
    view! {
        <div class="vc-edit">
            <label class="vc-visually-hidden" for=input_id.clone()>{t.edit_message}</label>
            <textarea
                id=input_id
                class="vc-input"
                data-testid="edit-input"
                prop:value=move || text.get()
                on:input:target=move |ev| text.set(ev.target().value())
            ></textarea>
            <div class="vc-edit-actions">
                <button type="button" class="vc-button vc-primary" data-testid="save-edit" on:click=move |_| chat.resend_edited(id, text.get_untracked())>
                    {t.send_from_here}
                </button>
                <button type="button" class="vc-button" on:click=move |_| chat.editing.set(None)>{t.cancel}</button>
            </div>
            <p class="vc-field-note">{t.edit_note}</p>
        </div>
    }
}

/// An answer: its markdown; with several choices, tabs, each with its
/// finish reason; with log probabilities, a token view tinted by probability.
#[component]
fn AnswerBody(entry: MessageEntry) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let t = chat.host.words();
    let selected = RwSignal::new(0usize);
    let show_tokens = RwSignal::new(false);
    let tabs = move || {
        entry.choices.with(|choices| {
            (choices.len() > 1).then(|| {
                choices
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let finish = c.finish_reason.as_ref().map_or(t.unfinished, |r| r.as_str());
                        let label = (t.choice_tab)(c.index + 1, finish);
                        view! {
                            <button
                                type="button"
                                role="tab"
                                class="vc-tab"
                                data-testid="choice-tab"
                                aria-selected=move || (selected.get() == i).to_string()
                                on:click=move |_| selected.set(i)
                            >
                                {label}
                            </button>
                        }
                    })
                    .collect::<Vec<_>>()
            })
        })
    };
    let tokens = move || entry.choices.with(|c| c.get(selected.get()).map(|c| c.tokens.clone()).unwrap_or_default());
    let has_tokens = move || entry.choices.with(|c| c.get(selected.get()).is_some_and(|c| !c.tokens.is_empty()));
    let other_text = move || entry.choices.with(|c| c.get(selected.get()).map(|c| c.text.clone()).unwrap_or_default());
    view! {
        {move || tabs().map(|tabs| view! { <div class="vc-tabs" role="tablist" aria-label=t.choices>{tabs}</div> })}
        <div hidden=move || show_tokens.get() || selected.get() != 0>
            <MarkdownContent entry />
        </div>
        {shown(
            Signal::derive(move || !show_tokens.get() && selected.get() != 0),
            ViewFn::from(move || view! { {move || view! { <StaticMarkdown text=other_text() /> }} }),
        )}
        {shown(Signal::derive(move || show_tokens.get() && has_tokens()), ViewFn::from(move || view! {
            <p class="vc-tokens" data-testid="token-view">
                {move || tokens().into_iter().map(|t| {
                    let class = match t.confidence() {
                        Confidence::High => "vc-token vc-token-high",
                        Confidence::Medium => "vc-token vc-token-medium",
                        Confidence::Low => "vc-token vc-token-low",
                    };
                    let about = format!("{} — {}", vision_chat_protocol::number::percent(t.probability()), t.alternatives());
                    view! { <span class=class tabindex="0" title=about.clone() data-alternatives=about>{t.token.clone()}</span> }
                }).collect::<Vec<_>>()}
            </p>
        }))}
        {shown(Signal::derive(has_tokens), ViewFn::from(move || view! {
            <button
                type="button"
                class="vc-md-action"
                data-testid="logprobs-toggle"
                aria-pressed=move || show_tokens.get().to_string()
                on:click=move |_| show_tokens.update(|s| *s = !*s)
            >
                {move || if show_tokens.get() { t.show_answer } else { t.show_tokens }}
            </button>
        }))}
    }
}

/// Markdown rendered once (another choice of a finished answer).
#[component]
fn StaticMarkdown(text: String) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let container = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = container.get() {
            markdown_dom::replace(&document(), &el, &crate::markdown::render(&text, chat.host.words()));
        }
    });
    view! { <div class="vc-content vc-markdown" data-testid="choice-content" node_ref=container></div> }
}

/// An answer as markdown, rendered block by block while it streams: final
/// blocks are appended once, only the open tail is rebuilt on each delta,
/// and what is rendered goes on screen frame by frame within a budget that
/// adapts to the device ([`FrameBudget`]).
#[component]
fn MarkdownContent(entry: MessageEntry) -> impl IntoView {
    let done = NodeRef::<leptos::html::Div>::new();
    let tail = NodeRef::<leptos::html::Div>::new();
    let chat = expect_context::<Chat>();
    let renderer = StoredValue::new(StreamRenderer::new(chat.host.words()));
    let queue = StoredValue::new(RenderQueue::default());
    let budget = StoredValue::new(FrameBudget::default());
    let scheduled = StoredValue::new(false);
    let action_status = RwSignal::new("");
    Effect::new(move |_| {
        let streaming = entry.state.with(|s| *s == MessageState::Streaming);
        let update = entry.text.with(|text| {
            renderer.try_update_value(|r| {
                // The text only grows: render what is new since last time.
                let mut update = match text.get(r.text().len()..) {
                    Some(fresh) if !fresh.is_empty() => Some(r.push(fresh)),
                    _ => None,
                };
                if !streaming {
                    let last = r.finish();
                    update = Some(update.take().unwrap_or_default().then(last));
                }
                update
            })
        });
        if let Some(Some(update)) = update {
            queue.update_value(|q| q.push(update));
            if !scheduled.get_value() {
                scheduled.set_value(true);
                let frame = Frame { entry, renderer, queue, budget, scheduled, done, tail };
                request_animation_frame(move || show_frame(frame));
            }
        }
    });
    let on_click = move |ev: web_sys::MouseEvent| {
        if let Some(status) = markdown_dom::handle_click(&ev, chat.host.words()) {
            action_status.set(status);
        }
    };
    view! {
        <div class="vc-content vc-markdown" data-testid="message-content" on:click=on_click>
            <div class="vc-md-done" node_ref=done></div>
            <div class="vc-md-tail" node_ref=tail></div>
        </div>
        <span class="vc-visually-hidden" role="status">{move || action_status.get()}</span>
    }
}

/// What a frame of an answer's display works with.
#[derive(Clone, Copy)]
struct Frame {
    entry: MessageEntry,
    renderer: StoredValue<StreamRenderer>,
    queue: StoredValue<RenderQueue>,
    budget: StoredValue<FrameBudget>,
    scheduled: StoredValue<bool>,
    done: NodeRef<leptos::html::Div>,
    tail: NodeRef<leptos::html::Div>,
}

/// Puts one frame's share of the rendered answer on screen, and asks for
/// another frame while some is left.
fn show_frame(f: Frame) {
    let Frame { entry, renderer, queue, budget, scheduled, .. } = f;
    let (Some(done), Some(tail)) = (f.done.get_untracked(), f.tail.get_untracked()) else {
        // Not on the page yet: try the next frame (unless the answer is gone).
        if !queue.is_disposed() {
            request_animation_frame(move || show_frame(f));
        }
        return;
    };
    let now = window().performance().map_or(0.0, |p| p.now());
    let Some(nodes) = budget.try_update_value(|b| b.next(now)) else { return };
    let Some(frame) = queue.try_update_value(|q| q.next_frame(nodes)) else { return };
    let document = document();
    if frame.reset {
        done.set_text_content(None);
    }
    markdown_dom::append_paged(&document, &done, &frame.done);
    if let Some(nodes) = frame.tail {
        markdown_dom::replace(&document, &tail, &nodes);
    }
    if queue.with_value(RenderQueue::is_empty) {
        scheduled.set_value(false);
        budget.update_value(FrameBudget::pause);
        // All on screen when the renderer has had all the text, and has
        // finished it if the answer has ended.
        let streaming = entry.state.with_untracked(|s| *s == MessageState::Streaming);
        let shown = entry.text.with_untracked(|text| {
            renderer.with_value(|r| r.text().len() == text.len() && (streaming || r.done_len() == text.len()))
        });
        if shown && entry.rendering.get_untracked() {
            entry.rendering.set(false);
        }
    } else {
        request_animation_frame(move || show_frame(f));
    }
}

/// A sent image: click for full size; says whether the model still sees it.
#[component]
fn MessageImage(id: u64, image: Attachment) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let t = chat.host.words();
    let visible = Memo::new(move |_| chat.visible_image() == Some(id));
    let (w, h) = image.size;
    let open = {
        let image = image.clone();
        move |_| chat.viewing.set(Some(image.clone()))
    };
    view! {
        <figure class="vc-figure" data-testid="message-image" data-in-context=move || visible.get().to_string()>
            <button type="button" class="vc-thumb" on:click=open title=t.view_full_size>
                <img src=image.object_url.clone() alt=(t.attached_image)(&image.name) />
            </button>
            <figcaption class="vc-figcaption">
                {format!("{w} × {h} · ")}
                {move || if visible.get() { t.in_context } else { t.out_of_context }}
            </figcaption>
        </figure>
    }
}

#[component]
fn UsageLine(usage: Usage) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let t = chat.host.words();
    view! {
        <p
            class="vc-usage"
            data-testid="usage"
            data-prompt-tokens=usage.prompt_tokens
            data-completion-tokens=usage.completion_tokens
            data-total-tokens=usage.total_tokens
        >
            {move || (t.usage)(
                &group_digits(usage.prompt_tokens),
                &group_digits(usage.completion_tokens),
                &group_digits(usage.total_tokens),
            )}
        </p>
    }
}

#[component]
fn ErrorRow(error: ErrorEntry) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let t = chat.host.words();
    let notice = error.notice.get_value();
    let counting = move || error.countdown_ms.get().is_some();
    view! {
        <div class="vc-error" data-testid="error" role="alert">
            <p class="vc-error-headline">{notice.headline}</p>
            <p class="vc-error-advice">{notice.advice}</p>
            {move || error.countdown_ms.get().map(|ms| view! {
                <p class="vc-countdown" data-testid="retry-countdown">{(t.retrying_in)(&countdown_text(ms))}</p>
            })}
            <div class="vc-error-actions">
                {shown(Signal::derive(counting), ViewFn::from(move || view! {
                    <button type="button" class="vc-button" data-testid="cancel-retry" on:click=move |_| chat.stop()>
                        {t.cancel_retry}
                    </button>
                }))}
                {shown(
                    Signal::derive(move || error.retryable && !counting() && !chat.busy.get()),
                    ViewFn::from(move || view! {
                        <button type="button" class="vc-button" data-testid="retry" on:click=move |_| chat.retry()>{t.retry}</button>
                    }),
                )}
            </div>
        </div>
    }
}
