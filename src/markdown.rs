//! Markdown answers, rendered safely and incrementally. Pure: produces a
//! tree of [`Node`]s that the browser edge ([`crate::markdown_dom`]) turns
//! into DOM nodes one by one — model text never goes through `innerHTML`.
//!
//! * CommonMark plus tables, strikethrough and task lists ([`parse`]: our
//!   own parser's events, no HTML renderer).
//! * Links only for `http`, `https` and `mailto` (others become text), with
//!   `rel="noopener noreferrer"`; images become a placeholder that names the
//!   source and loads only on request; raw HTML is shown as text.
//! * [`StreamRenderer`]: blocks that are complete are rendered once and never
//!   again; each delta re-renders only the open tail, so the work per delta
//!   does not grow with the answer.

pub mod parse;

pub use parse::{Align, Event, Tag};

use crate::strings::Strings;

/// An element or a text node. Tags and attribute names are static strings
/// from this module: nothing the model writes can name an element or attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    pub tag: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    pub children: Vec<Node>,
}

impl Element {
    fn new(tag: &'static str) -> Self {
        Element { tag, attrs: Vec::new(), children: Vec::new() }
    }

    fn attr(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.attrs.push((name, value.into()));
        self
    }
}

impl Node {
    /// The text content, as the DOM's `textContent` would give it.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        match self {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) => e.children.iter().for_each(|c| c.collect_text(out)),
        }
    }
}

/// Every tag this renderer can produce.
pub const ALLOWED_TAGS: &[&str] = &[
    "p",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "code",
    "ul",
    "ol",
    "li",
    "em",
    "strong",
    "del",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
    "span",
    "div",
    "button",
];

/// Every attribute this renderer can produce.
pub const ALLOWED_ATTRS: &[&str] = &[
    "class",
    "href",
    "rel",
    "target",
    "title",
    "start",
    "type",
    "data-action",
    "data-src",
    "aria-label",
    "role",
    "scope",
];

/// Whether a link target may become a link.
pub fn safe_link(url: &str) -> bool {
    let url = url.trim();
    let scheme = match url.split_once(':') {
        Some((s, _)) => s.to_ascii_lowercase(),
        None => return false,
    };
    matches!(scheme.as_str(), "http" | "https" | "mailto")
}

/// Whether an image source may be loaded (on request).
pub fn loadable_image(url: &str) -> bool {
    let url = url.trim().to_ascii_lowercase();
    url.starts_with("https://") || url.starts_with("http://")
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// Renders a complete markdown text to nodes; `words` labels the buttons
/// and placeholders.
pub fn render(markdown: &str, words: &'static Strings) -> Vec<Node> {
    build(parse::parse(markdown), words)
}

/// Builds nodes from parser events.
pub fn build(events: Vec<Event>, words: &'static Strings) -> Vec<Node> {
    let mut builder = Builder {
        root: Vec::new(),
        stack: Vec::new(),
        ends: Vec::new(),
        image: None,
        alignments: Vec::new(),
        cell: 0,
        in_head: false,
        words,
    };
    for event in events {
        builder.event(event);
    }
    builder.finish()
}

struct Builder {
    /// The interface's words, for buttons and placeholders.
    words: &'static Strings,
    root: Vec<Node>,
    stack: Vec<Element>,
    /// Per open tag: how many elements it opened (an image opens none).
    ends: Vec<usize>,
    /// Inside an image: its source and alt text (collected, not rendered).
    image: Option<(String, String)>,
    alignments: Vec<Align>,
    cell: usize,
    in_head: bool,
}

impl Builder {
    fn push_node(&mut self, node: Node) {
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(node),
            None => self.root.push(node),
        }
    }

    fn text(&mut self, text: &str) {
        if let Some((_, alt)) = &mut self.image {
            alt.push_str(text);
            return;
        }
        // Merge with a preceding text node: fewer DOM nodes.
        let last = match self.stack.last_mut() {
            Some(parent) => parent.children.last_mut(),
            None => self.root.last_mut(),
        };
        match last {
            Some(Node::Text(t)) => t.push_str(text),
            _ => self.push_node(Node::Text(text.to_owned())),
        }
    }

    fn open(&mut self, element: Element) {
        self.stack.push(element);
    }

    fn close(&mut self) {
        if let Some(element) = self.stack.pop() {
            self.push_node(Node::Element(element));
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Start(tag) => {
                let opened = self.start(tag);
                self.ends.push(opened);
            }
            Event::End => {
                let opened = self.ends.pop().unwrap_or(0);
                self.end(opened);
            }
            Event::Text(t) => self.text(&t),
            Event::Code(t) => {
                if self.image.is_some() {
                    self.text(&t);
                } else {
                    let mut code = Element::new("code");
                    code.children.push(Node::Text(t));
                    self.push_node(Node::Element(code));
                }
            }
            // Raw HTML is shown as the text it is.
            Event::Html(t) => self.text(&t),
            Event::SoftBreak => self.text("\n"),
            Event::HardBreak if self.image.is_some() => self.text("\n"),
            Event::HardBreak => self.push_node(Node::Element(Element::new("br"))),
            Event::Rule => self.push_node(Node::Element(Element::new("hr"))),
            Event::TaskListMarker(done) => {
                let mut mark = Element::new("span")
                    .attr("class", if done { "vc-task vc-task-done" } else { "vc-task" })
                    .attr("role", "img")
                    .attr("aria-label", if done { "done" } else { "not done" });
                mark.children.push(Node::Text(if done { "☑" } else { "☐" }.to_owned()));
                self.push_node(Node::Element(mark));
                self.text(" ");
            }
        }
    }

    /// Opens the elements of a tag; returns how many.
    fn start(&mut self, tag: Tag) -> usize {
        if self.image.is_some() {
            return 0; // Nothing nests inside an image's alt text but text.
        }
        let element = match tag {
            Tag::Paragraph => Element::new("p"),
            // The widget's own title is an h2: answers start below it.
            Tag::Heading(level) => Element::new(match level {
                1 => "h3",
                2 => "h4",
                3 => "h5",
                _ => "h6",
            }),
            Tag::BlockQuote => Element::new("blockquote"),
            Tag::CodeBlock(lang) => {
                let mut block = Element::new("div").attr("class", "vc-code");
                let mut bar = Element::new("div").attr("class", "vc-code-bar");
                let mut label = Element::new("span").attr("class", "vc-code-lang");
                label.children.push(Node::Text(if lang.is_empty() { "code".to_owned() } else { lang.clone() }));
                bar.children.push(Node::Element(label));
                bar.children.push(button("copy-code", self.words.copy, self.words.copy_code_note));
                block.children.push(Node::Element(bar));
                self.open(block);
                self.open(Element::new("pre"));
                let code = Element::new("code");
                self.open(if lang.is_empty() { code } else { code.attr("class", format!("language-{lang}")) });
                return 3;
            }
            Tag::HtmlBlock => Element::new("p").attr("class", "vc-raw-html"),
            Tag::List(Some(start)) if start != 1 => Element::new("ol").attr("start", start.to_string()),
            Tag::List(Some(_)) => Element::new("ol"),
            Tag::List(None) => Element::new("ul"),
            Tag::Item => Element::new("li"),
            Tag::Table(alignments) => {
                self.alignments = alignments;
                let mut block = Element::new("div").attr("class", "vc-table");
                let mut bar = Element::new("div").attr("class", "vc-table-bar");
                bar.children.push(button("copy-csv", self.words.copy_csv, self.words.copy_csv_note));
                bar.children.push(button("download-csv", self.words.download_csv, self.words.download_csv_note));
                block.children.push(Node::Element(bar));
                self.open(block);
                self.open(Element::new("div").attr("class", "vc-table-scroll"));
                self.open(Element::new("table"));
                return 3;
            }
            Tag::TableHead => {
                self.in_head = true;
                self.cell = 0;
                self.open(Element::new("thead"));
                self.open(Element::new("tr"));
                return 2;
            }
            Tag::TableRow => {
                self.in_head = false;
                self.cell = 0;
                if self.stack.last().is_some_and(|e| e.tag == "table") {
                    // The body opens with its first row and closes with the table.
                    self.open(Element::new("tbody"));
                    if let Some(table) = self.ends.last_mut() {
                        *table += 1;
                    }
                }
                Element::new("tr")
            }
            Tag::TableCell => {
                let cell = if self.in_head { Element::new("th").attr("scope", "col") } else { Element::new("td") };
                let align = match self.alignments.get(self.cell) {
                    Some(Align::Left) => Some("vc-left"),
                    Some(Align::Center) => Some("vc-center"),
                    Some(Align::Right) => Some("vc-right"),
                    _ => None,
                };
                self.cell += 1;
                match align {
                    Some(a) => cell.attr("class", a),
                    None => cell,
                }
            }
            Tag::Emphasis => Element::new("em"),
            Tag::Strong => Element::new("strong"),
            Tag::Strikethrough => Element::new("del"),
            Tag::Link { dest, title } => {
                if safe_link(&dest) {
                    let a = Element::new("a")
                        .attr("href", dest.trim())
                        .attr("rel", "noopener noreferrer")
                        .attr("target", "_blank");
                    if title.is_empty() {
                        a
                    } else {
                        a.attr("title", title)
                    }
                } else {
                    Element::new("span").attr("class", "vc-unsafe-link").attr("title", "link not followed")
                }
            }
            Tag::Image { dest, .. } => {
                self.image = Some((dest, String::new()));
                return 0;
            }
        };
        self.open(element);
        1
    }

    fn end(&mut self, opened: usize) {
        if opened == 0 {
            // The end of an image (or of a tag inside its alt text).
            if self.ends.iter().all(|&n| n != 0) {
                if let Some((src, alt)) = self.image.take() {
                    self.push_node(image_placeholder(&src, &alt, self.words));
                }
            }
            return;
        }
        for _ in 0..opened {
            self.close();
        }
    }

    fn finish(mut self) -> Vec<Node> {
        // An unfinished parse leaves nothing open, but be safe.
        while !self.stack.is_empty() {
            self.close();
        }
        self.root
    }
}

fn button(action: &'static str, label: &str, title: &str) -> Node {
    let mut b = Element::new("button").attr("type", "button").attr("class", "vc-md-action").attr("data-action", action);
    b = b.attr("title", title);
    b.children.push(Node::Text(label.to_owned()));
    Node::Element(b)
}

fn image_placeholder(src: &str, alt: &str, words: &Strings) -> Node {
    let alt = if alt.trim().is_empty() { words.image } else { alt.trim() };
    if loadable_image(src) {
        let mut b = Element::new("button")
            .attr("type", "button")
            .attr("class", "vc-image-placeholder")
            .attr("data-action", "load-image")
            .attr("data-src", src.trim())
            .attr("title", (words.load_image_note)(src.trim()));
        b.children.push(Node::Text((words.image_not_loaded)(alt, host_of(src.trim()))));
        Node::Element(b)
    } else {
        let mut s = Element::new("span").attr("class", "vc-image-placeholder");
        s.children.push(Node::Text((words.image_not_loadable)(alt)));
        Node::Element(s)
    }
}

/// Rows of a rendered table's cells, as text (for CSV).
pub fn table_rows(table: &Node) -> Vec<Vec<String>> {
    fn walk(node: &Node, rows: &mut Vec<Vec<String>>) {
        if let Node::Element(e) = node {
            if e.tag == "tr" {
                rows.push(
                    e.children
                        .iter()
                        .filter(|c| matches!(c, Node::Element(c) if c.tag == "th" || c.tag == "td"))
                        .map(Node::text)
                        .collect(),
                );
            } else {
                e.children.iter().for_each(|c| walk(c, rows));
            }
        }
    }
    let mut rows = Vec::new();
    walk(table, &mut rows);
    rows
}

/// CSV per RFC 4180: fields with commas, quotes or line breaks are quoted,
/// quotes doubled; lines end with CRLF.
pub fn to_csv(rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for row in rows {
        let fields: Vec<String> =
            row.iter()
                .map(|f| {
                    if f.contains([',', '"', '\n', '\r']) {
                        format!("\"{}\"", f.replace('"', "\"\""))
                    } else {
                        f.clone()
                    }
                })
                .collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// What a delta changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Update {
    /// The blocks shown so far are void: `done` is the whole answer anew
    /// (a link reference definition came after a block that may use it).
    pub reset: bool,
    /// Blocks that became complete: append them once, never touch them again.
    pub done: Vec<Node>,
    /// The open tail, rendered anew: replaces the previous tail.
    pub tail: Vec<Node>,
}

impl Update {
    /// This update followed by `later`, as one.
    pub fn then(mut self, later: Update) -> Update {
        if later.reset {
            return later;
        }
        self.done.extend(later.done);
        self.tail = later.tail;
        self
    }
}

impl Node {
    /// How many DOM nodes this becomes.
    pub fn size(&self) -> usize {
        match self {
            Node::Text(_) => 1,
            Node::Element(e) => 1 + e.children.iter().map(Node::size).sum::<usize>(),
        }
    }
}

/// What one frame puts on screen.
#[derive(Debug, Default, PartialEq)]
pub struct Frame {
    /// Remove the finished blocks on screen first.
    pub reset: bool,
    /// Finished blocks to append, in order.
    pub done: Vec<Node>,
    /// The new open tail, once every finished block before it is on screen.
    pub tail: Option<Vec<Node>>,
}

/// Rendered blocks waiting for the screen. Text can arrive faster than a
/// browser lays it out: the queue hands out at most a budget of DOM nodes
/// per frame (always at least one block), so no frame is long, and the
/// display catches up when the text slows down.
#[derive(Debug, Default)]
pub struct RenderQueue {
    reset: bool,
    pending: std::collections::VecDeque<Node>,
    tail: Option<Vec<Node>>,
}

impl RenderQueue {
    pub fn push(&mut self, update: Update) {
        if update.reset {
            self.reset = true;
            self.pending.clear();
        }
        self.pending.extend(update.done);
        self.tail = Some(update.tail);
    }

    /// Nothing left to show.
    pub fn is_empty(&self) -> bool {
        !self.reset && self.pending.is_empty() && self.tail.is_none()
    }

    /// The next frame's share, at most `budget` DOM nodes of finished blocks
    /// (or one block larger than that); the tail only once they are all out.
    pub fn next_frame(&mut self, budget: usize) -> Frame {
        let mut frame = Frame { reset: std::mem::take(&mut self.reset), ..Frame::default() };
        let mut spent = 0;
        while let Some(size) = self.pending.front().map(Node::size) {
            if !frame.done.is_empty() && spent + size > budget {
                break;
            }
            spent += size;
            frame.done.extend(self.pending.pop_front());
        }
        if self.pending.is_empty() {
            frame.tail = self.tail.take();
        }
        frame
    }
}

/// How many DOM nodes a frame may add, adapted to this device: what a
/// frame adds is laid out before the next one starts, so a frame that
/// starts late says the one before was too much — the budget halves; a
/// frame on time lets it grow back by a sixteenth. (Script time alone is no
/// guide: laying out the nodes costs more than building them.)
#[derive(Debug)]
pub struct FrameBudget {
    nodes: usize,
    /// When the previous frame of this run started (ms).
    last: Option<f64>,
}

impl FrameBudget {
    pub const START: usize = 200;
    pub const MIN: usize = 25;
    pub const MAX: usize = 400;
    /// A frame interval above this (ms) means the frame before overran.
    pub const LATE_MS: f64 = 20.0;

    /// The budget for a frame starting at `now` (ms).
    pub fn next(&mut self, now: f64) -> usize {
        if let Some(last) = self.last {
            if now - last > Self::LATE_MS {
                self.nodes = (self.nodes / 2).max(Self::MIN);
            } else {
                self.nodes = (self.nodes + self.nodes / 16).min(Self::MAX);
            }
        }
        self.last = Some(now);
        self.nodes
    }

    /// Nothing more to show for now: the next frame has no previous one to judge by.
    pub fn pause(&mut self) {
        self.last = None;
    }
}

impl Default for FrameBudget {
    fn default() -> Self {
        FrameBudget { nodes: Self::START, last: None }
    }
}

/// Renders a streamed answer block by block.
///
/// The text is cut after a blank line (outside a code fence) once the next
/// line starts at the margin with something that cannot continue the block
/// before (not indented, not a list item); everything before the cut is
/// final. Scanning is incremental, so each delta costs its own length plus
/// one render of the open tail.
#[derive(Debug)]
pub struct StreamRenderer {
    words: &'static Strings,
    text: String,
    /// End of the text already rendered as final blocks.
    done: usize,
    /// Start of the first line not yet scanned.
    scanned: usize,
    /// The open fence: its character and length.
    fence: Option<(u8, usize)>,
    /// A blank line ended here; a cut if the next line allows it.
    blank_end: Option<usize>,
    /// The link reference definitions of the final blocks.
    refs: parse::Refs,
    /// A definition came in a block after final blocks that name its label:
    /// the finished answer is rendered anew, whole.
    late_definition: bool,
}

impl StreamRenderer {
    pub fn new(words: &'static Strings) -> Self {
        StreamRenderer {
            words,
            text: String::new(),
            done: 0,
            scanned: 0,
            fence: None,
            blank_end: None,
            refs: parse::Refs::new(),
            late_definition: false,
        }
    }

    /// All text pushed so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where the final blocks end (for tests and diagnostics).
    pub fn done_len(&self) -> usize {
        self.done
    }

    pub fn push(&mut self, delta: &str) -> Update {
        self.text.push_str(delta);
        let mut update = Update::default();
        while let Some(nl) = self.text[self.scanned..].find('\n') {
            let start = self.scanned;
            let end = start + nl + 1;
            self.scanned = end;
            if let Some(cut) = self.line(start, end) {
                update.done.extend(self.finalise(cut));
            }
        }
        // The next line has begun: its first character may already decide the cut.
        if let Some(cut) = self.blank_end {
            let first = self.text[self.scanned..].bytes().next();
            if first.is_some_and(|b| !matches!(b, b' ' | b'\t' | b'-' | b'*' | b'+' | b'0'..=b'9')) {
                self.blank_end = None;
                update.done.extend(self.finalise(cut));
            }
        }
        update.tail = build(parse::parse_open(&self.text[self.done..], &self.refs), self.words);
        update
    }

    /// The stream ended: everything is final.
    pub fn finish(&mut self) -> Update {
        let mut done = self.finalise(self.text.len());
        self.scanned = self.text.len();
        let reset = std::mem::take(&mut self.late_definition);
        if reset {
            done = render(&self.text, self.words);
        }
        Update { reset, done, tail: Vec::new() }
    }

    /// Renders the text up to `cut` as final blocks, with the definitions
    /// of the blocks before it.
    fn finalise(&mut self, cut: usize) -> Vec<Node> {
        let known: Vec<String> = self.refs.keys().cloned().collect();
        let nodes = build(parse::parse_piece(&self.text[self.done..cut], &mut self.refs), self.words);
        if self.refs.len() > known.len() && !self.late_definition {
            // Only worth a second rendering if the text before names it.
            let before = self.text[..self.done].to_ascii_lowercase();
            let named = |label: &String| before.contains(&format!("[{label}]"));
            self.late_definition = self.refs.keys().filter(|l| !known.contains(l)).any(named);
        }
        self.done = cut;
        nodes
    }

    /// Scans one complete line; returns a cut position when the blocks
    /// before it are complete.
    fn line(&mut self, start: usize, end: usize) -> Option<usize> {
        let line = &self.text[start..end];
        let trimmed = line.trim_end_matches(['\n', '\r']);
        let indent = trimmed.len() - trimmed.trim_start_matches(' ').len();
        let body = trimmed.trim_start_matches(' ');
        if let Some((ch, len)) = self.fence {
            if indent < 4 && parse::closes_fence(body, ch, len) {
                self.fence = None;
            }
            return None;
        }
        if body.is_empty() {
            self.blank_end = Some(end);
            return None;
        }
        let cut = self
            .blank_end
            .take()
            .filter(|_| indent == 0 && parse::list_marker(body).is_none() && !line.starts_with('\t'));
        if indent < 4 {
            if let Some(fence) = parse::opening_fence(body) {
                self.fence = Some(fence);
            }
        }
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strings::EN;

    fn el(node: &Node) -> &Element {
        match node {
            Node::Element(e) => e,
            Node::Text(t) => panic!("text {t:?}"),
        }
    }

    fn all_elements<'a>(nodes: &'a [Node], out: &mut Vec<&'a Element>) {
        for n in nodes {
            if let Node::Element(e) = n {
                out.push(e);
                all_elements(&e.children, out);
            }
        }
    }

    #[test]
    fn blocks_and_inlines() {
        let nodes = render("# Revenue\n\nEurope **grew** by *12%* and ~~fell~~.\n\n- [x] read\n- [ ] plot\n", &EN);
        assert_eq!(el(&nodes[0]).tag, "h3");
        assert_eq!(nodes[0].text(), "Revenue");
        let p = el(&nodes[1]);
        assert_eq!(p.tag, "p");
        let tags: Vec<&str> =
            p.children.iter().filter_map(|c| if let Node::Element(e) = c { Some(e.tag) } else { None }).collect();
        assert_eq!(tags, ["strong", "em", "del"]);
        assert_eq!(el(&nodes[2]).tag, "ul");
        assert!(nodes[2].text().contains("☑ read"));
    }

    #[test]
    fn links_only_for_safe_schemes() {
        for (md, linked) in [
            ("[a](https://example.com/x)", true),
            ("[a](HTTP://example.com)", true),
            ("[a](mailto:me@example.com)", true),
            ("[a](javascript:alert(1))", false),
            ("[a](JaVaScRiPt:alert(1))", false),
            ("[a](data:text/html;base64,PHNjcmlwdD4=)", false),
            ("[a](vbscript:msgbox)", false),
            ("[a](/relative/path)", false),
            ("<javascript:alert(1)>", false),
            // Character references and escapes are resolved before the scheme is judged.
            ("[a](&#106;avascript:alert(1))", false),
            ("[a](java&#x09;script:alert(1))", false),
            ("[a](&#x1;https://example.com)", false),
            ("[a](\\javascript:alert(1))", false),
            ("[a][r]\n\n[r]: javascript:alert(1)", false),
            ("[a][r]\n\n[r]: <https://example.com/ok>", true),
            ("<me@example.com>", true),
        ] {
            let nodes = render(md, &EN);
            let mut els = Vec::new();
            all_elements(&nodes, &mut els);
            let a = els.iter().find(|e| e.tag == "a");
            assert_eq!(a.is_some(), linked, "{md}");
            if let Some(a) = a {
                assert!(a.attrs.contains(&("rel", "noopener noreferrer".into())));
                assert!(a.attrs.contains(&("target", "_blank".into())));
            }
            assert!(nodes.iter().map(Node::text).collect::<String>().contains('a'), "{md}: the text stays");
        }
    }

    #[test]
    fn raw_html_is_text_and_images_are_placeholders() {
        let nodes = render("<script>alert(1)</script>\n\nHi <img src=x onerror=alert(1)> there <!-- c -->\n\n![chart](https://evil.example/p.png?d=secret)", &EN);
        let text: String = nodes.iter().map(Node::text).collect();
        assert!(text.contains("<script>alert(1)</script>"));
        assert!(text.contains("<img src=x onerror=alert(1)>"));
        assert!(text.contains("<!-- c -->"));
        let mut els = Vec::new();
        all_elements(&nodes, &mut els);
        for e in &els {
            assert!(ALLOWED_TAGS.contains(&e.tag), "{}", e.tag);
            for (name, _) in &e.attrs {
                assert!(ALLOWED_ATTRS.contains(name), "{name}");
            }
        }
        let placeholder = els.iter().find(|e| e.attrs.contains(&("data-action", "load-image".into()))).unwrap();
        assert!(placeholder.attrs.contains(&("data-src", "https://evil.example/p.png?d=secret".into())));
        assert!(Node::Element((*placeholder).clone()).text().contains("“chart” from evil.example"));
        let nodes = render("![x](javascript:alert(1))", &EN);
        assert!(nodes[0].text().contains("source not loadable"));
    }

    #[test]
    fn tables_code_and_csv() {
        let nodes = render("| Region | Revenue |\n|:--|--:|\n| Europe, West | 1,200 |\n| \"Asia\" | 900 |\n\n```rust\nfn main() {}\n```\n", &EN);
        let table = &nodes[0];
        assert_eq!(el(table).attrs, vec![("class", "vc-table".to_owned())]);
        let rows = table_rows(table);
        assert_eq!(rows, vec![vec!["Region", "Revenue"], vec!["Europe, West", "1,200"], vec!["\"Asia\"", "900"]]);
        assert_eq!(to_csv(&rows), "Region,Revenue\r\n\"Europe, West\",\"1,200\"\r\n\"\"\"Asia\"\"\",900\r\n");
        assert_eq!(to_csv(&[vec!["a\nb".into(), "c".into()]]), "\"a\nb\",c\r\n");
        let code = el(&nodes[1]);
        assert_eq!(code.attrs, vec![("class", "vc-code".to_owned())]);
        assert!(nodes[1].text().ends_with("fn main() {}\n"));
    }

    const ANSWER: &str = "## Reading the chart\n\nThe bars show **requests** per day.\n\n| Day | Requests |\n|---|---:|\n| Mon | 120 |\n| Tue | 340 |\n\n```python\nfor x in range(3):\n\n    print(x)\n```\n\n1. first\n\n2. second\n\nThat is all.\n";

    /// Feeding the answer in any pieces gives the same final document as
    /// rendering it whole, and final blocks are never rendered twice.
    #[test]
    fn streaming_equals_whole_and_finalises_blocks_once() {
        let whole = render(ANSWER, &EN);
        for size in [1, 2, 3, 4, 7, 16, 1000] {
            let mut r = StreamRenderer::new(&EN);
            let mut done = Vec::new();
            let chars: Vec<char> = ANSWER.chars().collect();
            for piece in chars.chunks(size) {
                let u = r.push(&piece.iter().collect::<String>());
                done.extend(u.done);
            }
            done.extend(r.finish().done);
            assert_eq!(done, whole, "pieces of {size}");
        }
    }

    /// Link reference definitions reach the blocks after them while the
    /// answer streams; one that comes after a final block that may use it
    /// makes the finished answer render anew, whole.
    #[test]
    fn reference_links_resolve_across_blocks() {
        let stream = |doc: &str, size: usize| {
            let mut r = StreamRenderer::new(&EN);
            let mut q = RenderQueue::default();
            let chars: Vec<char> = doc.chars().collect();
            for piece in chars.chunks(size) {
                q.push(r.push(&piece.iter().collect::<String>()));
            }
            q.push(r.finish());
            let mut shown = Vec::new();
            let mut resets = 0;
            while !q.is_empty() {
                let frame = q.next_frame(usize::MAX);
                if frame.reset {
                    resets += 1;
                    shown.clear();
                }
                shown.extend(frame.done);
            }
            (shown, resets)
        };
        let before = "[chart]: https://example.com/c.png \"Revenue\"\n\nSee [the chart][chart].\n\n- and [chart]\n";
        let after = "See [the chart][chart].\n\nMore text.\n\n[chart]: https://example.com/c.png\n";
        for size in [1, 3, 1000] {
            let (shown, resets) = stream(before, size);
            assert_eq!(shown, render(before, &EN), "definition first, pieces of {size}");
            assert_eq!(resets, 0, "nothing rendered twice");
            let (shown, resets) = stream(after, size);
            assert_eq!(shown, render(after, &EN), "definition last, pieces of {size}");
            assert_eq!(resets, 1);
        }
        let link = |nodes: &[Node]| format!("{nodes:?}").contains("https://example.com/c.png");
        assert!(link(&render(after, &EN)), "the reference is a link");
        // The last delta and the end, applied together, show the same.
        let mut r = StreamRenderer::new(&EN);
        let first = r.push(&after[..after.len() - 10]);
        let both = r.push(&after[after.len() - 10..]).then(r.finish());
        assert!(both.reset && both.tail.is_empty());
        assert_eq!(both.done, render(after, &EN));
        assert_eq!(
            first.then(Update { done: vec![Node::Text("x".into())], ..Update::default() }).done.last(),
            Some(&Node::Text("x".into()))
        );
        // A late definition nothing before it names changes nothing shown.
        let unused = "See the chart.\n\n[chart]: https://example.com/c.png\n";
        assert_eq!(stream(unused, 3), (render(unused, &EN), 0));
        // The open tail uses the definitions of the final blocks too.
        let mut r = StreamRenderer::new(&EN);
        let u = r.push("[x]: https://example.com/x\n\nSee [x] now");
        assert!(format!("{:?}", u.tail).contains("https://example.com/x"), "{:?}", u.tail);
    }

    #[test]
    fn the_queue_hands_out_blocks_in_order_within_a_budget() {
        let mut r = StreamRenderer::new(&EN);
        let mut q = RenderQueue::default();
        let text: String = (0..10).map(|i| format!("Paragraph {i} with *some* words.\n\n")).collect();
        q.push(r.push(&text));
        q.push(r.push("The open tail"));
        let per_block = Node::size(&render("Paragraph 0 with *some* words.", &EN)[0]);
        let mut shown = Vec::new();
        let mut frames = 0;
        let mut tail = None;
        while !q.is_empty() {
            let frame = q.next_frame(3 * per_block);
            assert!(frame.done.len() <= 3, "within the budget");
            assert!(frame.tail.is_none() || tail.is_none(), "the tail comes once, last");
            shown.extend(frame.done);
            tail = frame.tail.or(tail);
            frames += 1;
        }
        assert_eq!(frames, 4, "10 blocks at 3 a frame");
        assert_eq!(shown, render(&text, &EN), "every block, in order");
        assert_eq!(tail.unwrap(), render("The open tail", &EN));

        // A block larger than the budget still goes, alone.
        q.push(Update { done: render("| a |\n|---|\n| 1 |\n", &EN), ..Update::default() });
        assert_eq!(q.next_frame(1).done.len(), 1);
        assert_eq!(q.next_frame(1), Frame::default());
    }

    #[test]
    fn the_frame_budget_follows_the_device() {
        let mut b = FrameBudget::default();
        assert_eq!(b.next(0.0), FrameBudget::START, "the first frame has nothing to judge by");
        assert_eq!(b.next(16.7), 212, "on time: grows by a sixteenth");
        assert_eq!(b.next(50.0), 106, "late: halves");
        let mut now = 50.0;
        for _ in 0..10 {
            now += 40.0;
            b.next(now);
        }
        assert_eq!(b.next(now + 40.0), FrameBudget::MIN, "never below the minimum");
        for _ in 0..100 {
            now += 16.0;
            b.next(now);
        }
        assert_eq!(b.next(now + 16.0), FrameBudget::MAX, "never above the maximum");
        b.pause();
        assert_eq!(b.next(now + 5000.0), FrameBudget::MAX, "a pause is not a late frame");
    }

    #[test]
    fn only_the_tail_is_redone() {
        let mut r = StreamRenderer::new(&EN);
        let u = r.push("First paragraph.\n\n");
        assert!(u.done.is_empty(), "the cut waits for the next line to start");
        assert_eq!(u.tail.len(), 1);
        let u = r.push("Second");
        assert_eq!(u.done.len(), 1, "a line at the margin ends the paragraph before");
        assert_eq!(u.tail[0].text(), "Second");
        let u = r.push(" paragraph.\n\nThird");
        assert_eq!(u.done.len(), 1);
        assert_eq!(u.done[0].text(), "Second paragraph.");
        assert_eq!(u.tail.len(), 1);
        assert_eq!(u.tail[0].text(), "Third");
        assert_eq!(r.done_len(), "First paragraph.\n\nSecond paragraph.\n\n".len());
    }

    #[test]
    fn fences_and_lists_hold_the_tail_open() {
        let mut r = StreamRenderer::new(&EN);
        let u = r.push("```\ncode\n\nmore code\n");
        assert!(u.done.is_empty(), "a blank line inside a fence is not a cut");
        assert_eq!(u.tail.len(), 1, "an open fence renders as a code block");
        assert!(u.tail[0].text().contains("more code"));
        let u = r.push("```\n\nafter\n");
        assert_eq!(u.done.len(), 1);
        let mut r = StreamRenderer::new(&EN);
        let u = r.push("- one\n\n- two\n\n  more of two\n\nend\n");
        assert_eq!(u.done.len(), 1, "the loose list is one block");
        assert_eq!(el(&u.done[0]).tag, "ul");
    }

    /// Markdown the stream has not closed yet reads as it will: no asterisks
    /// or backticks flash up before the text that closes them arrives.
    #[test]
    fn the_open_tail_shows_open_emphasis_and_code_as_closed() {
        let tail = |text: &str| {
            let mut r = StreamRenderer::new(&EN);
            r.push(text).tail
        };
        let shows = |text: &str| {
            let mut els = Vec::new();
            let nodes = tail(text);
            all_elements(&nodes, &mut els);
            let tags: Vec<&str> = els.iter().map(|e| e.tag).collect();
            (tags.join(" "), nodes.iter().map(Node::text).collect::<String>())
        };
        assert_eq!(shows("The **revenu"), ("p strong".into(), "The revenu".into()));
        assert_eq!(shows("Use `np.me"), ("p code".into(), "Use np.me".into()));
        assert_eq!(shows("***both"), ("p em strong".into(), "both".into()));
        assert_eq!(shows("a ~~gone"), ("p del".into(), "a gone".into()));
        assert_eq!(shows("The **"), ("p".into(), "The ".into()), "a run at the end is not shown yet");
        assert_eq!(shows("2 * 3"), ("p".into(), "2 * 3".into()), "only what can open opens");
        assert_eq!(shows("**done** and *op"), ("p strong em".into(), "done and op".into()));
        assert_eq!(shows("- one *x\n- two *y"), ("ul li li em".into(), "one *xtwo y".into()), "only the last leaf");
        assert_eq!(shows("# Head *ing"), ("h3 em".into(), "Head ing".into()));
        assert_eq!(shows("See [the docs](https://exa"), ("p".into(), "See the docs".into()), "a link still arriving");
        assert_eq!(shows("[a](https://a.example) and ![c](https://i"), ("p a".into(), "a and c".into()));
        // Once complete, a block is what the whole text gives.
        let mut r = StreamRenderer::new(&EN);
        r.push("Growth was 2*3");
        let done = r.push(" units.\n\nNext").done;
        assert_eq!(done, render("Growth was 2*3 units.", &EN));
    }

    #[test]
    fn open_table_renders_sensibly() {
        let mut r = StreamRenderer::new(&EN);
        let u = r.push("| a | b |\n|---|---|\n| 1 |");
        assert_eq!(el(&u.tail[0]).attrs[0].1, "vc-table");
        assert_eq!(table_rows(&u.tail[0]), vec![vec!["a", "b"], vec!["1", ""]]);
    }
}
