//! The widget's WebAssembly entry point. `js/vision-chat.js` defines the
//! `<vision-chat>` element, loads this module and mounts an
//! [`vision_chat::element::Widget`] per element.

/// Talc instead of std's dlmalloc: about half its code in the module, and
/// faster (the module is single-threaded: no atomics).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    vision_chat::element::start();
}
