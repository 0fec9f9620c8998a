//! The widget's WebAssembly entry point. `js/vision-chat.js` defines the
//! `<vision-chat>` element, loads this module and mounts an
//! [`vision_chat::element::Widget`] per element.

fn main() {
    vision_chat::element::start();
}
