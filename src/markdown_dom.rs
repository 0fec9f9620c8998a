//! The browser edge of [`crate::markdown`]: builds DOM nodes from the pure
//! node tree with `createElement`, `createTextNode` and `setAttribute` only,
//! and carries out the actions of the buttons it contains (copy code, copy or
//! download a table as CSV, load an image on request).

use wasm_bindgen::JsCast;
use web_sys::{Document, Element as DomElement, HtmlElement};

use crate::markdown::{loadable_image, to_csv, Node};
use crate::strings::Strings;

/// Appends the DOM for `nodes` to `parent`.
pub fn append(document: &Document, parent: &DomElement, nodes: &[Node]) {
    for node in nodes {
        if let Some(dom) = build(document, node) {
            let _ = parent.append_child(&dom);
        }
    }
}

/// Finished blocks per page. A full page is never touched again, so the
/// browser keeps its layout, and skips it while it is off screen: the cost
/// of a frame stays that of the blocks that changed, however long the answer.
const PAGE_BLOCKS: u32 = 24;

/// Appends finished blocks to `done`, in pages of [`PAGE_BLOCKS`] blocks.
pub fn append_paged(document: &Document, done: &DomElement, nodes: &[Node]) {
    let mut page = done.last_element_child();
    for node in nodes {
        let current = match page.take().filter(|p| p.child_element_count() < PAGE_BLOCKS) {
            Some(p) => p,
            None => {
                let Ok(p) = document.create_element("div") else { return };
                p.set_class_name("vc-md-page");
                let _ = done.append_child(&p);
                p
            }
        };
        if let Some(dom) = build(document, node) {
            let _ = current.append_child(&dom);
        }
        page = Some(current);
    }
}

/// Replaces `parent`'s children with the DOM for `nodes`.
pub fn replace(document: &Document, parent: &DomElement, nodes: &[Node]) {
    parent.set_text_content(None);
    append(document, parent, nodes);
}

fn build(document: &Document, node: &Node) -> Option<web_sys::Node> {
    match node {
        Node::Text(t) => Some(document.create_text_node(t).into()),
        Node::Element(e) => {
            let el = document.create_element(e.tag).ok()?;
            for (name, value) in &e.attrs {
                let _ = el.set_attribute(name, value);
            }
            append(document, &el, &e.children);
            Some(el.into())
        }
    }
}

/// Handles a click inside rendered markdown; returns a short status for
/// the person ("Copied", …) when an action ran.
pub fn handle_click(event: &web_sys::MouseEvent, words: &'static Strings) -> Option<&'static str> {
    let target: DomElement = event.target()?.dyn_into().ok()?;
    let button = target.closest("[data-action]").ok()??;
    match button.get_attribute("data-action")?.as_str() {
        "copy-code" => {
            let code = button.closest(".vc-code").ok()??.query_selector("code").ok()??;
            copy(&code.text_content().unwrap_or_default());
            Some(words.code_copied)
        }
        "copy-csv" => {
            copy(&table_csv(&button)?);
            Some(words.table_copied)
        }
        "download-csv" => {
            download(&table_csv(&button)?, "table.csv");
            Some(words.csv_downloaded)
        }
        "load-image" => {
            let src = button.get_attribute("data-src").filter(|s| loadable_image(s))?;
            let document = button.owner_document()?;
            let img = document.create_element("img").ok()?;
            img.set_attribute("src", &src).ok()?;
            img.set_attribute("alt", &button.text_content().unwrap_or_default()).ok()?;
            img.set_attribute("referrerpolicy", "no-referrer").ok()?;
            img.set_attribute("class", "vc-loaded-image").ok()?;
            button.replace_with_with_node_1(&img).ok()?;
            Some(words.image_loaded)
        }
        _ => None,
    }
}

fn table_csv(button: &DomElement) -> Option<String> {
    let table = button.closest(".vc-table").ok()??.query_selector("table").ok()??;
    let rows = table.query_selector_all("tr").ok()?;
    let mut out = Vec::new();
    for i in 0..rows.length() {
        let row: DomElement = rows.item(i)?.dyn_into().ok()?;
        let cells = row.query_selector_all("th, td").ok()?;
        out.push(
            (0..cells.length())
                .filter_map(|j| cells.item(j))
                .map(|c| c.text_content().unwrap_or_default())
                .collect::<Vec<_>>(),
        );
    }
    Some(to_csv(&out))
}

fn copy(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

fn download(text: &str, name: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let parts = js_sys::Array::of1(&text.into());
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Ok(a) = document.create_element("a") {
        let a: HtmlElement = a.unchecked_into();
        let _ = a.set_attribute("href", &url);
        let _ = a.set_attribute("download", name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
