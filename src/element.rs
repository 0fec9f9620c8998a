//! The Rust side of the `<vision-chat>` element (the element itself is
//! `js/vision-chat.js`): a widget mounted into the element's shadow root,
//! fed its attribute changes and API calls, firing its DOM events.

use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::components::{App, Chat, HostConfig};
use crate::host::{change, open_state_key, ATTRIBUTES, DEFAULT_ENDPOINT};

/// One mounted widget, as the element holds it.
#[wasm_bindgen]
pub struct Widget {
    chat: Chat,
}

#[wasm_bindgen]
impl Widget {
    /// Mounts a widget into `root` (inside `element`'s shadow root),
    /// configured by `element`'s attributes; events fire at `element`.
    #[wasm_bindgen(constructor)]
    pub fn new(element: web_sys::HtmlElement, root: web_sys::HtmlElement) -> Widget {
        let made = std::rc::Rc::new(std::cell::Cell::new(None));
        let handle = leptos::mount::mount_to(root, {
            let made = made.clone();
            move || {
                let host = HostConfig::new(DEFAULT_ENDPOINT);
                for name in ATTRIBUTES {
                    host.apply(change(name, element.get_attribute(name).as_deref()));
                }
                host.attach(element.clone().into(), open_state_key(&element.id()));
                let chat = Chat::new(host);
                made.set(Some(chat));
                view! { <App chat /> }
            }
        });
        // The widget lives as long as the page: an element moved in the
        // document keeps its conversation.
        handle.forget();
        let chat = made.take().expect("mount_to runs the view at once");
        Widget { chat }
    }

    /// An observed attribute changed (`null`: removed).
    pub fn attribute_changed(&self, name: &str, value: Option<String>) {
        self.chat.host.apply(change(name, value.as_deref()));
    }

    /// Opens the launcher's panel (inline widgets are always open).
    pub fn open(&self) {
        self.chat.host.set_open(true);
    }

    pub fn close(&self) {
        self.chat.host.set_open(false);
    }

    /// Sends `text` (with the image attached in the composer, if any).
    /// `false`, and nothing changes, while an answer is streaming or an
    /// image is being prepared, or when there is nothing to send.
    pub fn send(&self, text: String) -> bool {
        self.chat.send_text(text)
    }

    /// A bearer token (e.g. Microsoft Entra ID) for direct mode; `null` or
    /// an empty string takes it back.
    pub fn set_token(&self, token: Option<String>) {
        self.chat.host.token.set(token.filter(|t| !t.trim().is_empty()));
    }
}

/// Fires a bubbling, composed `CustomEvent` whose `detail` is the value of
/// the JSON text `detail`.
pub fn emit(target: &web_sys::EventTarget, name: &str, detail: &str) {
    let Ok(detail) = js_sys::JSON::parse(detail) else {
        return;
    };
    let init = web_sys::CustomEventInit::new();
    init.set_bubbles(true);
    init.set_composed(true);
    init.set_detail(&detail);
    if let Ok(event) = web_sys::CustomEvent::new_with_event_init_dict(name, &init) {
        let _ = target.dispatch_event(&event);
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// Runs when the module starts, before any element mounts: a panic (a bug)
/// is reported on the console with its message and place before the
/// module stops.
pub fn start() {
    std::panic::set_hook(Box::new(|panic| console_error(&panic.to_string())));
}
