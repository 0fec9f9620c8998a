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

use crate::host::{self, Change, Mode};
use crate::strings::{strings, Strings};

pub use chat::Chat;

/// What the host page set — the element's attributes and a token — as
/// signals, so that a change after start-up takes effect.
#[derive(Clone, Copy)]
pub struct HostConfig {
    /// The API base: the proxy's `/api`, or a compatible endpoint.
    pub endpoint: RwSignal<String>,
    pub title: RwSignal<Option<String>>,
    pub placeholder: RwSignal<Option<String>>,
    pub mode: RwSignal<Mode>,
    /// The language of the interface strings.
    pub lang: RwSignal<String>,
    /// What images are accepted and how large they are sent.
    pub limits: RwSignal<Limits>,
    /// A bearer token from the host (direct mode).
    pub token: RwSignal<Option<String>>,
    /// Launcher mode: whether the panel is open.
    pub open: RwSignal<bool>,
    /// Where a launcher remembers `open` (local storage), if anywhere.
    open_key: StoredValue<Option<String>>,
    /// The element that hears the widget's events, if any.
    events: StoredValue<Option<web_sys::EventTarget>, LocalStorage>,
}

impl HostConfig {
    /// Defaults, talking to `endpoint`; no element hears events.
    pub fn new(endpoint: &str) -> Self {
        HostConfig {
            endpoint: RwSignal::new(host::endpoint(Some(endpoint))),
            title: RwSignal::new(None),
            placeholder: RwSignal::new(None),
            mode: RwSignal::new(Mode::Inline),
            lang: RwSignal::new("en".to_owned()),
            limits: RwSignal::new(Limits::default()),
            token: RwSignal::new(None),
            open: RwSignal::new(false),
            open_key: StoredValue::new(None),
            events: StoredValue::new_local(None),
        }
    }

    /// Fires the widget's events at `target`; a launcher keeps its open
    /// state under `open_key` (and starts as it was left).
    pub fn attach(&self, target: web_sys::EventTarget, open_key: String) {
        self.events.set_value(Some(target));
        let was_open = local_storage().and_then(|s| s.get_item(&open_key).ok()?).is_some_and(|v| v == "true");
        self.open.set(was_open);
        self.open_key.set_value(Some(open_key));
    }

    /// Applies an attribute change.
    pub fn apply(&self, change: Change) {
        match change {
            Change::Endpoint(e) => self.endpoint.set(e),
            Change::Title(t) => self.title.set(t),
            Change::Placeholder(p) => self.placeholder.set(p),
            Change::Mode(m) => self.mode.set(m),
            Change::MaxImageSide(_) | Change::MaxImageBytes(_) | Change::MaxImagePixels(_) => {
                self.limits.update(|l| *l = host::apply_limit(*l, &change));
            }
            Change::Lang(l) => self.lang.set(l),
            Change::None => {}
        }
    }

    /// Opens or closes the launcher's panel, and remembers it.
    pub fn set_open(&self, open: bool) {
        self.open.set(open);
        if let (Some(key), Some(storage)) = (self.open_key.get_value(), local_storage()) {
            let _ = storage.set_item(&key, if open { "true" } else { "false" });
        }
    }

    /// The interface strings in the configured language. Views read them
    /// once; the widget is rebuilt when the language changes.
    pub fn words(&self) -> &'static Strings {
        self.lang.with_untracked(|l| strings(l))
    }

    /// Fires `name` with `detail` (JSON text) at the host element.
    pub fn emit(&self, name: &str, detail: &str) {
        self.events.with_value(|target| {
            if let Some(target) = target {
                crate::element::emit(target, name, detail);
            }
        });
    }
}

/// `view` while `when` holds, nothing otherwise, rebuilt only when `when`
/// changes: what `<Show>` does, but not generic over its children, so its
/// machinery is in the module once rather than once per use.
fn shown(when: Signal<bool>, view: ViewFn) -> impl IntoView {
    let when = Memo::new(move |_| when.get());
    move || when.get().then(|| view.run())
}

/// [`shown`] with a `fallback` while `when` does not hold.
fn shown_or(when: Signal<bool>, view: ViewFn, fallback: ViewFn) -> impl IntoView {
    let when = Memo::new(move |_| when.get());
    move || if when.get() { view.run() } else { fallback.run() }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// Closes a launcher's panel (its header's close button).
#[derive(Clone, Copy)]
pub struct ClosePanel(pub Callback<()>);

/// The whole widget: in launcher mode, a floating button and the chat in a
/// panel that it opens.
#[component]
pub fn App(
    /// The conversation, made for this widget ([`Chat::new`]).
    chat: Chat,
) -> impl IntoView {
    provide_context(chat);
    let host = chat.host;
    let launcher = move || host.mode.get() == Mode::Launcher;
    let launcher_button = NodeRef::<leptos::html::Button>::new();
    // Closing the panel from inside it hands focus back to the launcher.
    let close = move || {
        host.set_open(false);
        if let Some(b) = launcher_button.get_untracked() {
            let _ = b.focus();
        }
    };
    let on_keydown = move |ev: web_sys::KeyboardEvent| {
        if ev.key() == "Escape" && launcher() && chat.viewing.with_untracked(Option::is_none) {
            ev.stop_propagation();
            close();
        }
    };
    provide_context(ClosePanel(Callback::new(move |()| close())));
    // Views read their words once: a new language rebuilds them (the
    // conversation, draft and settings live in signals and stay).
    move || {
        host.lang.track();
        let t = host.words();
        view! {
            {shown(Signal::derive(launcher), ViewFn::from(move || view! {
                <button
                    type="button"
                    class="vc-launcher"
                    part="launcher"
                    data-testid="launcher"
                    node_ref=launcher_button
                    aria-expanded=move || host.open.get().to_string()
                    aria-controls=chat.id("panel")
                    on:click=move |_| host.set_open(!host.open.get_untracked())
                >
                    <span aria-hidden="true" class="vc-launcher-icon">{move || if host.open.get() { "×" } else { "?" }}</span>
                    <span class="vc-launcher-label">{move || if host.open.get() { t.close_chat } else { t.open_chat }}</span>
                </button>
            }))}
            <Panel hidden=Signal::derive(move || launcher() && !host.open.get()) on_keydown />
        }
    }
}

/// The chat itself: header, settings, conversation, composer.
#[component]
fn Panel(
    /// Hidden (a closed launcher); the conversation and draft stay.
    hidden: Signal<bool>,
    on_keydown: impl FnMut(web_sys::KeyboardEvent) + 'static,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let host = chat.host;
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
    let class = move || {
        let mut class = String::from("vc");
        if host.mode.get() == Mode::Launcher {
            class.push_str(" vc-floating");
        }
        if depth.get() > 0 {
            class.push_str(" vc-dragging");
        }
        class
    };
    let title = move || host.title.get().unwrap_or_else(|| host.words().title.to_owned());
    view! {
        <section
            class=class
            part="panel"
            id=chat.id("panel")
            hidden=move || hidden.get()
            lang=move || host.lang.get()
            aria-label=title
            data-testid="drop-zone"
            on:keydown=on_keydown
            on:dragenter=on_dragenter
            on:dragover=on_dragover
            on:dragleave=move |_| depth.update(|d| *d = (*d - 1).max(0))
            on:drop=on_drop
        >
            <header::Header />
            {shown(
                Signal::derive(move || chat.settings_open.get()),
                ViewFn::from(|| view! { <settings::SettingsPanel /> }),
            )}
            <messages::MessageList />
            <composer::Composer />
            <div class="vc-drop-overlay" aria-hidden="true">{host.words().drop_here}</div>
            <viewer::ImageViewer />
        </section>
    }
}
