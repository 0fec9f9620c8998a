//! A CommonMark parser (plus GFM tables, strikethrough and task lists),
//! written for this widget: it yields the events [`super::render`] turns into
//! nodes, and nothing else — no HTML writer, no footnotes or math, and a
//! short table of named character references instead of HTML's 2,125 (the
//! full table alone was 26 KB of the gzipped WebAssembly). Differences from
//! the CommonMark reference that are known and accepted:
//!
//! * named character references outside [`ENTITIES`] stay as written;
//! * link labels match case-insensitively for ASCII letters only;
//! * a non-ASCII character counts as punctuation (for emphasis) only in the
//!   Unicode punctuation and symbol blocks, not by its exact category.
//!
//! Native tests (`parse/tests.rs`) put its events and pulldown-cmark's
//! through the same node builder and require the same nodes, on a corpus of
//! blocks and inlines and on 20,000 generated documents; pulldown keeps
//! container markers inside a multi-line HTML comment and uses its own
//! rules for single tildes — those cases are left out or tested as
//! differences.
//!
//! The shape follows the reference algorithm: a block pass over lines that
//! keeps a stack of open containers, then an inline pass per leaf with a
//! delimiter list for emphasis and a bracket stack for links.

/// Column alignment of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    None,
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    Paragraph,
    /// Level 1–6.
    Heading(u8),
    BlockQuote,
    /// The info string's first word (empty for indented code).
    CodeBlock(String),
    HtmlBlock,
    /// The start number of an ordered list.
    List(Option<u64>),
    Item,
    Table(Vec<Align>),
    TableHead,
    TableRow,
    TableCell,
    Emphasis,
    Strong,
    Strikethrough,
    Link {
        dest: String,
        title: String,
    },
    Image {
        dest: String,
        title: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Start(Tag),
    /// Ends the innermost open tag.
    End,
    Text(String),
    Code(String),
    /// Raw HTML, block or inline; the renderer shows it as text.
    Html(String),
    SoftBreak,
    HardBreak,
    Rule,
    TaskListMarker(bool),
}

/// Parses a whole document.
pub fn parse(text: &str) -> Vec<Event> {
    parse_with(text, false, &mut Refs::new())
}

/// Parses a complete piece of a longer document: `refs` holds the link
/// reference definitions of the pieces before it (they come first, so they
/// win), and receives this piece's.
pub fn parse_piece(text: &str, refs: &mut Refs) -> Vec<Event> {
    parse_with(text, false, refs)
}

/// Parses text that is still arriving: the last paragraph or heading shows
/// its open emphasis and code span as if they were closed (`The **revenu`
/// reads as bold, not as two asterisks), and hides a run of delimiters at
/// its very end. Everything else is as [`parse`] gives it.
/// `refs`: the definitions of the text before it (it keeps its own: a
/// definition still arriving may change).
pub fn parse_open(text: &str, refs: &Refs) -> Vec<Event> {
    parse_with(text, true, &mut refs.clone())
}

fn parse_with(text: &str, open: bool, refs: &mut Refs) -> Vec<Event> {
    let mut blocks = Blocks::new();
    blocks.refs = std::mem::take(refs);
    for (n, line) in text.split_inclusive('\n').enumerate() {
        blocks.eol = line.ends_with('\n');
        blocks.line(n + 1, line.trim_end_matches(['\n', '\r']));
    }
    if open {
        blocks.open_leaf = Some(blocks.tip());
    }
    blocks.close_all();
    let mut out = Vec::new();
    *refs = std::mem::take(&mut blocks.refs);
    blocks.emit(0, false, refs, &mut out);
    out
}

// ---------------------------------------------------------------- blocks --

#[derive(Debug)]
enum Kind {
    Document,
    BlockQuote,
    List {
        start: Option<u64>,
        marker: u8,
        tight: bool,
    },
    /// `offset`: the columns of indent that continue the item.
    Item {
        offset: usize,
    },
    Paragraph,
    Heading(u8),
    /// `fence`: character, length and indent of an opening fence.
    Code {
        fence: Option<(u8, usize, usize)>,
        info: String,
    },
    /// `until`: the text that ends the block; none = a blank line.
    Html {
        until: Option<&'static str>,
    },
    Table {
        aligns: Vec<Align>,
        rows: Vec<Vec<String>>,
    },
    Rule,
}

#[derive(Debug)]
struct Block {
    kind: Kind,
    parent: usize,
    /// Containers above it.
    depth: usize,
    children: Vec<usize>,
    /// Lines of a leaf.
    text: String,
    open: bool,
    /// First and last line (for list tightness).
    start: usize,
    end: usize,
}

/// A line with a cursor that counts columns (tabs stop every 4).
struct Line<'a> {
    s: &'a str,
    pos: usize,
    col: usize,
    /// The tab at `pos` is partly consumed as indentation.
    partial: bool,
}

impl Line<'_> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.s.as_bytes().get(at).copied()
    }

    /// The first non-space byte from the cursor: its position, column and the indent.
    fn next_nonspace(&self) -> (usize, usize, usize) {
        let (mut pos, mut col) = (self.pos, self.col);
        while let Some(b) = self.byte(pos) {
            match b {
                b' ' => col += 1,
                b'\t' => col += 4 - col % 4,
                _ => break,
            }
            pos += 1;
        }
        (pos, col, col - self.col)
    }

    fn blank(&self) -> bool {
        self.next_nonspace().0 >= self.s.len()
    }

    /// Consumes `n` columns of indentation (a tab may be split).
    fn advance_cols(&mut self, mut n: usize) {
        while n > 0 {
            match self.byte(self.pos) {
                Some(b'\t') => {
                    let width = 4 - self.col % 4;
                    if width > n {
                        self.partial = true;
                        self.col += n;
                        return;
                    }
                    self.partial = false;
                    self.col += width;
                    self.pos += 1;
                    n -= width;
                }
                Some(b' ') => {
                    self.col += 1;
                    self.pos += 1;
                    n -= 1;
                }
                _ => return,
            }
        }
    }

    fn advance_to_nonspace(&mut self) {
        let (pos, col, _) = self.next_nonspace();
        self.pos = pos;
        self.col = col;
        self.partial = false;
    }

    fn advance_bytes(&mut self, n: usize) {
        self.pos += n;
        self.col += n;
        self.partial = false;
    }

    fn finish(&mut self) {
        self.pos = self.s.len();
        self.partial = false;
    }

    /// The rest of the line, with what remains of a split tab as spaces.
    fn rest(&self) -> String {
        if self.partial {
            let mut s = " ".repeat(4 - self.col % 4);
            s.push_str(&self.s[self.pos + 1..]);
            s
        } else {
            self.s[self.pos..].to_owned()
        }
    }
}

/// Link reference definitions: normalised label to destination and title.
/// Link reference definitions: normalised label → (destination, title).
pub type Refs = std::collections::BTreeMap<String, (String, String)>;

struct Blocks {
    arena: Vec<Block>,
    refs: Refs,
    /// The current line ends with a newline (the last one may not).
    eol: bool,
    /// The leaf still receiving text, for [`parse_open`].
    open_leaf: Option<usize>,
}

enum Continues {
    No,
    Yes,
    /// Yes, and the line is used up (a closing fence).
    Done,
}

enum Start {
    None,
    Container,
    Leaf,
}

impl Blocks {
    fn new() -> Self {
        let doc = Block {
            kind: Kind::Document,
            parent: 0,
            depth: 0,
            children: Vec::new(),
            text: String::new(),
            open: true,
            start: 1,
            end: 0,
        };
        Blocks { arena: vec![doc], refs: Refs::new(), eol: true, open_leaf: None }
    }

    fn last_open_child(&self, id: usize) -> Option<usize> {
        self.arena[id].children.last().copied().filter(|&c| self.arena[c].open)
    }

    /// The innermost open block.
    fn tip(&self) -> usize {
        let mut id = 0;
        while let Some(c) = self.last_open_child(id) {
            id = c;
        }
        id
    }

    fn is_paragraph(&self, id: usize) -> bool {
        matches!(self.arena[id].kind, Kind::Paragraph)
    }

    fn line(&mut self, n: usize, s: &str) {
        let mut line = Line { s, pos: 0, col: 0, partial: false };
        // 1. Which open blocks does this line continue?
        let mut container = 0;
        let mut all_matched = true;
        while let Some(child) = self.last_open_child(container) {
            match self.continues(child, n, &mut line) {
                Continues::Yes => container = child,
                Continues::No => {
                    all_matched = false;
                    break;
                }
                Continues::Done => return,
            }
        }
        let last_matched = container;
        // 2. New blocks.
        let mut leaf = matches!(self.arena[container].kind, Kind::Code { .. } | Kind::Html { .. });
        // A paragraph's next line keeps its indent (it matters inside code spans).
        let mut unstripped = None;
        while !leaf {
            match self.block_start(n, &mut line, &mut container, all_matched) {
                Start::Container => {}
                Start::Leaf => leaf = true,
                Start::None => {
                    // (What is left of a tab split by a container's indent is dropped.)
                    unstripped = Some(line.s[line.pos + usize::from(line.partial)..].to_owned());
                    line.advance_to_nonspace();
                    break;
                }
            }
        }
        let continuation = |line: &Line| unstripped.clone().unwrap_or_else(|| line.rest());
        let blank = line.blank();
        // 3. A lazy continuation line of a paragraph.
        let tip = self.tip();
        if !all_matched && container == last_matched && !blank && self.is_paragraph(tip) {
            self.add_line(tip, n, &continuation(&line));
            return;
        }
        if container == last_matched {
            self.close_below(last_matched, n - 1);
        }
        // 4. The line's content.
        match &self.arena[container].kind {
            Kind::Code { fence: None, .. } if blank => {
                // Blank lines inside indented code keep the spaces after the indent.
                self.add_line(container, n, &line.rest());
            }
            // The opening fence is not content.
            Kind::Code { fence: Some(_), .. } if self.arena[container].start == n => {}
            Kind::Code { .. } => self.add_line(container, n, &line.rest()),
            Kind::Html { until } => {
                let until = *until;
                let rest = line.rest();
                let ends = until.is_some_and(|u| rest.to_ascii_lowercase().contains(u));
                self.add_line(container, n, &rest);
                if ends {
                    self.close(container, n);
                }
            }
            Kind::Heading(_) | Kind::Rule => {}
            Kind::Table { .. } if !blank => {
                let row = split_row(&line.s[line.pos..]);
                if let Kind::Table { rows, .. } = &mut self.arena[container].kind {
                    rows.push(row);
                }
                self.arena[container].end = n;
            }
            Kind::Paragraph if !blank => self.add_line(container, n, &continuation(&line)),
            _ if !blank => {
                let p = self.add_child(container, Kind::Paragraph, n);
                self.add_line(p, n, &line.rest());
            }
            _ => {}
        }
    }

    /// Adds a line to a leaf: code and HTML keep every line with its end,
    /// paragraphs join lines with a newline.
    fn add_line(&mut self, id: usize, n: usize, s: &str) {
        let b = &mut self.arena[id];
        if matches!(b.kind, Kind::Code { .. } | Kind::Html { .. }) {
            b.text.push_str(s);
            if self.eol {
                b.text.push('\n');
            }
        } else {
            if !b.text.is_empty() {
                b.text.push('\n');
            }
            b.text.push_str(s);
        }
        b.end = n;
    }

    /// Whether the open block `id` continues on this line (consuming its markers).
    fn continues(&mut self, id: usize, n: usize, line: &mut Line) -> Continues {
        let (pos, _, indent) = line.next_nonspace();
        let blank = pos >= line.s.len();
        let yes = |b: bool| if b { Continues::Yes } else { Continues::No };
        match self.arena[id].kind {
            Kind::BlockQuote => {
                if indent < 4 && line.byte(pos) == Some(b'>') {
                    quote_marker(line);
                    Continues::Yes
                } else {
                    Continues::No
                }
            }
            Kind::Item { offset, .. } => {
                if blank {
                    if self.arena[id].children.is_empty() {
                        return Continues::No;
                    }
                    line.advance_to_nonspace();
                    Continues::Yes
                } else if indent >= offset {
                    line.advance_cols(offset);
                    Continues::Yes
                } else {
                    Continues::No
                }
            }
            Kind::List { .. } | Kind::Document => Continues::Yes,
            Kind::Code { fence: Some((ch, len, fence_indent)), .. } => {
                if indent < 4 && closes_fence(&line.s[pos..], ch, len) {
                    self.arena[id].end = n;
                    self.close(id, n);
                    line.finish();
                    return Continues::Done;
                }
                line.advance_cols(indent.min(fence_indent));
                Continues::Yes
            }
            Kind::Code { fence: None, .. } => {
                if indent >= 4 || blank {
                    line.advance_cols(indent.min(4));
                    Continues::Yes
                } else {
                    Continues::No
                }
            }
            Kind::Html { until } => yes(!(blank && until.is_none())),
            Kind::Paragraph | Kind::Table { .. } => yes(!blank),
            Kind::Heading(_) | Kind::Rule => Continues::No,
        }
    }

    /// Adds a block under `parent`, closing what cannot contain it.
    fn add_child(&mut self, mut parent: usize, kind: Kind, n: usize) -> usize {
        while !self.can_contain(parent, &kind) {
            let up = self.arena[parent].parent;
            self.close(parent, n - 1);
            parent = up;
        }
        let id = self.arena.len();
        let depth = self.arena[parent].depth + 1;
        self.arena.push(Block {
            kind,
            parent,
            depth,
            children: Vec::new(),
            text: String::new(),
            open: true,
            start: n,
            end: n,
        });
        self.arena[parent].children.push(id);
        id
    }

    fn can_contain(&self, parent: usize, kind: &Kind) -> bool {
        match self.arena[parent].kind {
            Kind::Document | Kind::BlockQuote | Kind::Item { .. } => !matches!(kind, Kind::Item { .. }),
            Kind::List { .. } => matches!(kind, Kind::Item { .. }),
            _ => false,
        }
    }

    /// Closes the open blocks below `keep`.
    fn close_below(&mut self, keep: usize, end: usize) {
        while let Some(c) = self.last_open_child(keep) {
            self.close(c, end);
        }
    }

    fn close_all(&mut self) {
        let end = self.arena.iter().map(|b| b.end).max().unwrap_or(0);
        self.close_below(0, end);
    }

    /// Finalises a block and its open children.
    fn close(&mut self, id: usize, end: usize) {
        if !self.arena[id].open {
            return;
        }
        self.close_below(id, end);
        self.arena[id].open = false;
        let last_child_end = self.arena[id].children.last().map(|&c| self.arena[c].end);
        match self.arena[id].kind {
            Kind::Paragraph => {
                let text = std::mem::take(&mut self.arena[id].text);
                let rest = self.take_definitions(&text).to_owned();
                self.arena[id].text = rest;
            }
            Kind::Code { fence: None, .. } => {
                // Trailing blank lines are not part of indented code.
                let b = &mut self.arena[id];
                let mut keep = 0;
                for (i, l) in b.text.split_inclusive('\n').scan(0, |at, l| {
                    *at += l.len();
                    Some((*at, l))
                }) {
                    if !l.trim().is_empty() {
                        keep = i;
                    }
                }
                b.text.truncate(keep);
            }
            Kind::Item { .. } | Kind::BlockQuote => {
                let b = &mut self.arena[id];
                b.end = last_child_end.unwrap_or(b.start).max(b.start);
            }
            Kind::List { .. } => {
                let tight = self.tight(id);
                let b = &mut self.arena[id];
                if let Kind::List { tight: t, .. } = &mut b.kind {
                    *t = tight;
                }
                b.end = last_child_end.unwrap_or(b.start);
            }
            _ => {}
        }
    }

    /// A list is loose when blank lines separate its items or the blocks in one.
    fn tight(&self, list: usize) -> bool {
        let gap = |a: usize, b: usize| self.arena[b].start > self.arena[a].end + 1;
        let items = &self.arena[list].children;
        for (i, &item) in items.iter().enumerate() {
            if items.get(i + 1).is_some_and(|&next| gap(item, next)) {
                return false;
            }
            let children = &self.arena[item].children;
            if children.windows(2).any(|w| gap(w[0], w[1])) {
                return false;
            }
        }
        true
    }

    /// Tries each kind of block start at the cursor.
    fn block_start(&mut self, n: usize, line: &mut Line, container: &mut usize, all_matched: bool) -> Start {
        let (pos, col, indent) = line.next_nonspace();
        let s = line.s;
        let rest = &s[pos..];
        let tip = self.tip();
        // The paragraph this line would continue (it matched), and the innermost open one (lazily).
        let in_paragraph = self.is_paragraph(*container);
        let lazy_paragraph = !all_matched && self.is_paragraph(tip);
        // Quotes and lists nest so deep at most; deeper markers are text
        // (work per line grows with the depth).
        let may_nest = self.arena[*container].depth < MAX_DEPTH;
        if indent >= 4 {
            // Indented code interrupts no paragraph, and a table only with what would start a block.
            let table = matches!(self.arena[tip].kind, Kind::Table { .. });
            if self.is_paragraph(tip) || table && !starts_block(rest) || rest.is_empty() {
                return Start::None;
            }
            line.advance_cols(4);
            self.close_below(*container, n - 1);
            *container = self.add_child(*container, Kind::Code { fence: None, info: String::new() }, n);
            return Start::Leaf;
        }
        let Some(&first) = rest.as_bytes().first() else { return Start::None };
        match first {
            b'>' if may_nest => {
                line.advance_to_nonspace();
                quote_marker(line);
                self.close_below(*container, n - 1);
                *container = self.add_child(*container, Kind::BlockQuote, n);
                return Start::Container;
            }
            b'#' => {
                if let Some(level) = atx_level(rest) {
                    self.close_below(*container, n - 1);
                    let id = self.add_child(*container, Kind::Heading(level as u8), n);
                    self.arena[id].text = atx_content(&rest[level..]).to_owned();
                    line.finish();
                    *container = id;
                    return Start::Leaf;
                }
            }
            b'`' | b'~' => {
                if let Some((ch, run)) = opening_fence(rest) {
                    self.close_below(*container, n - 1);
                    let info = unescape(rest[run..].trim()).split_whitespace().next().unwrap_or("").to_owned();
                    let fence = Some((ch, run, indent));
                    *container = self.add_child(*container, Kind::Code { fence, info }, n);
                    line.finish();
                    return Start::Leaf;
                }
            }
            b'<' => {
                if let Some(until) = html_block_start(rest, in_paragraph || lazy_paragraph) {
                    self.close_below(*container, n - 1);
                    *container = self.add_child(*container, Kind::Html { until }, n);
                    return Start::Leaf;
                }
            }
            _ => {}
        }
        // A setext underline turns the paragraph above into a heading.
        if (first == b'=' || first == b'-') && in_paragraph {
            let run = rest.bytes().take_while(|&b| b == first).count();
            if rest[run..].trim_matches([' ', '\t']).is_empty() {
                let p = *container;
                let text = std::mem::take(&mut self.arena[p].text);
                let content = self.take_definitions(&text).to_owned();
                let empty = content.is_empty();
                self.arena[p].text = content;
                if !empty {
                    self.arena[p].kind = Kind::Heading(if first == b'=' { 1 } else { 2 });
                    self.arena[p].end = n;
                    self.arena[p].open = false;
                    line.finish();
                    return Start::Leaf;
                }
            }
        }
        if thematic_break(rest) {
            self.close_below(*container, n - 1);
            *container = self.add_child(*container, Kind::Rule, n);
            line.finish();
            return Start::Leaf;
        }
        if let Some((marker, start, width)) = list_marker(rest).filter(|_| may_nest) {
            let after = &rest[width..];
            let empty = after.trim_matches([' ', '\t']).is_empty();
            if !(in_paragraph && (empty || start.is_some_and(|s| s != 1))) {
                // 1–4 columns of space after the marker belong to it; 5 or more start indented code.
                let probe = Line { s, pos: pos + width, col: col + width, partial: false };
                let spaces = probe.next_nonspace().2;
                line.advance_to_nonspace();
                line.advance_bytes(width);
                let offset = indent
                    + width
                    + if empty {
                        line.advance_to_nonspace();
                        1
                    } else if spaces >= 5 {
                        line.advance_cols(1);
                        1
                    } else {
                        line.advance_cols(spaces);
                        spaces
                    };
                let same_list = matches!(self.arena[*container].kind, Kind::List { marker: m, .. } if m == marker);
                self.close_below(*container, n - 1);
                if !same_list {
                    *container = self.add_child(*container, Kind::List { start, marker, tight: true }, n);
                }
                *container = self.add_child(*container, Kind::Item { offset }, n);
                return Start::Container;
            }
        }
        // A table: the paragraph's last line is its head, this line the delimiter row.
        if in_paragraph {
            if let Some(aligns) = delimiter_row(rest) {
                let p = *container;
                let text = &self.arena[p].text;
                let (before, head) = match text.rfind('\n') {
                    Some(i) => (&text[..i], &text[i + 1..]),
                    None => ("", text.as_str()),
                };
                let head_cells = split_row(head);
                let head_indent = Line { s: head, pos: 0, col: 0, partial: false }.next_nonspace().2;
                // Interrupting a paragraph, the head row starts with a pipe.
                let piped = if before.is_empty() { head.contains('|') } else { head.trim_start().starts_with('|') };
                if head_indent < 4
                    && piped
                    && head.trim() != "|"
                    && !head.ends_with('\\')
                    && head_cells.len() == aligns.len()
                {
                    let head = head_cells;
                    let before = before.to_owned();
                    let parent = self.arena[p].parent;
                    if before.is_empty() {
                        self.arena[parent].children.pop();
                    } else {
                        self.arena[p].text = before;
                        self.close(p, n - 2);
                    }
                    let id = self.add_child(parent, Kind::Table { aligns, rows: vec![head] }, n - 1);
                    self.arena[id].end = n;
                    line.finish();
                    *container = id;
                    return Start::Leaf;
                }
            }
        }
        Start::None
    }

    /// Removes link reference definitions from the start of a paragraph.
    fn take_definitions<'t>(&mut self, text: &'t str) -> &'t str {
        let mut rest = text;
        while rest.starts_with('[') {
            let Some((label, dest, title, used)) = definition(rest) else { break };
            // The first definition of a label wins.
            self.refs.entry(label).or_insert((dest, title));
            rest = &rest[used..];
        }
        rest.trim_start_matches([' ', '\t'])
    }

    /// Emits the events of block `id` and its children.
    fn emit(&self, id: usize, tight: bool, refs: &Refs, out: &mut Vec<Event>) {
        let b = &self.arena[id];
        let wrap = |out: &mut Vec<Event>, tag: Tag, inner: &dyn Fn(&mut Vec<Event>)| {
            out.push(Event::Start(tag));
            inner(out);
            out.push(Event::End);
        };
        match &b.kind {
            Kind::Document => self.emit_children(id, false, refs, out),
            Kind::BlockQuote => wrap(out, Tag::BlockQuote, &|out| self.emit_children(id, false, refs, out)),
            Kind::List { start, tight, .. } => {
                wrap(out, Tag::List(*start), &|out| self.emit_children(id, *tight, refs, out))
            }
            Kind::Item { .. } => wrap(out, Tag::Item, &|out| self.emit_children(id, tight, refs, out)),
            Kind::Paragraph => {
                if b.text.is_empty() {
                    return;
                }
                let parent = &self.arena[b.parent];
                let first_in_item = matches!(parent.kind, Kind::Item { .. }) && parent.children.first() == Some(&id);
                let (task, text) = match task_marker(&b.text).filter(|_| first_in_item) {
                    Some((done, rest)) => (Some(done), rest),
                    None => (None, b.text.as_str()),
                };
                if !tight {
                    out.push(Event::Start(Tag::Paragraph));
                }
                if let Some(done) = task {
                    out.push(Event::TaskListMarker(done));
                }
                inlines(text.trim_end(), refs, self.open_leaf == Some(id), out);
                if !tight {
                    out.push(Event::End);
                }
            }
            Kind::Heading(level) => {
                wrap(out, Tag::Heading(*level), &|out| inlines(b.text.trim(), refs, self.open_leaf == Some(id), out))
            }
            Kind::Code { info, .. } => wrap(out, Tag::CodeBlock(info.clone()), &|out| push_text(out, &b.text)),
            Kind::Html { .. } => wrap(out, Tag::HtmlBlock, &|out| out.push(Event::Html(b.text.clone()))),
            Kind::Table { aligns, rows } => wrap(out, Tag::Table(aligns.clone()), &|out| {
                for (i, row) in rows.iter().enumerate() {
                    wrap(out, if i == 0 { Tag::TableHead } else { Tag::TableRow }, &|out| {
                        for c in 0..aligns.len() {
                            let cell = row.get(c).map_or("", String::as_str);
                            wrap(out, Tag::TableCell, &|out| inlines(cell, refs, false, out));
                        }
                    });
                }
            }),
            Kind::Rule => out.push(Event::Rule),
        }
    }

    fn emit_children(&self, id: usize, tight: bool, refs: &Refs, out: &mut Vec<Event>) {
        for &c in &self.arena[id].children {
            self.emit(c, tight, refs, out);
        }
    }
}

/// Whether a line (from its first non-space) would start a block other than a paragraph.
fn starts_block(s: &str) -> bool {
    s.starts_with('>')
        || atx_level(s).is_some()
        || s.starts_with("```")
        || s.starts_with("~~~")
        || thematic_break(s)
        || list_marker(s).is_some()
        || html_block_start(s, true).is_some()
}

/// How deep blocks may nest (a list level is two: the list and its item).
const MAX_DEPTH: usize = 64;

/// Consumes `>` and one optional space after it.
fn quote_marker(line: &mut Line) {
    line.advance_to_nonspace();
    line.advance_bytes(1);
    if matches!(line.byte(line.pos), Some(b' ' | b'\t')) {
        line.advance_cols(1);
    }
}

fn task_marker(text: &str) -> Option<(bool, &str)> {
    let b = text.as_bytes();
    if b.len() >= 4 && b[0] == b'[' && b[2] == b']' && matches!(b[3], b' ' | b'\t') {
        return match b[1] {
            b' ' => Some((false, &text[4..])),
            b'x' | b'X' => Some((true, &text[4..])),
            _ => None,
        };
    }
    None
}

/// An opening code fence (from the line's first non-space): its character
/// and length. Shared with the stream's block cutter, which must agree.
pub(super) fn opening_fence(s: &str) -> Option<(u8, usize)> {
    let ch = *s.as_bytes().first().filter(|&&b| b == b'`' || b == b'~')?;
    let run = s.bytes().take_while(|&b| b == ch).count();
    (run >= 3 && !(ch == b'`' && s[run..].contains('`'))).then_some((ch, run))
}

/// Whether a line (from its first non-space) closes a fence of `len` × `ch`.
pub(super) fn closes_fence(s: &str, ch: u8, len: usize) -> bool {
    let run = s.bytes().take_while(|&b| b == ch).count();
    run >= len && s[run..].trim_matches([' ', '\t']).is_empty()
}

/// The level of an ATX heading line.
fn atx_level(s: &str) -> Option<usize> {
    let level = s.bytes().take_while(|&b| b == b'#').count();
    ((1..=6).contains(&level) && matches!(s.as_bytes().get(level), None | Some(b' ' | b'\t'))).then_some(level)
}

fn atx_content(s: &str) -> &str {
    let s = s.trim_matches([' ', '\t']);
    // An optional closing sequence of #, preceded by a space (or alone).
    let without = s.trim_end_matches('#');
    if without.is_empty() {
        return "";
    }
    if without.len() < s.len() && without.ends_with([' ', '\t']) {
        without.trim_end_matches([' ', '\t'])
    } else {
        s
    }
}

fn thematic_break(s: &str) -> bool {
    let Some(&c) = s.as_bytes().first() else { return false };
    if !matches!(c, b'*' | b'-' | b'_') {
        return false;
    }
    let mut count = 0;
    for b in s.bytes() {
        match b {
            b' ' | b'\t' => {}
            _ if b == c => count += 1,
            _ => return false,
        }
    }
    count >= 3
}

/// A list marker: its character (`.`/`)` for ordered lists), start number and width.
pub(super) fn list_marker(s: &str) -> Option<(u8, Option<u64>, usize)> {
    let b = s.as_bytes();
    let ok_after = |i: usize| matches!(b.get(i), None | Some(b' ' | b'\t'));
    match b.first()? {
        c @ (b'-' | b'+' | b'*') if ok_after(1) => Some((*c, None, 1)),
        b'0'..=b'9' => {
            let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
            let delim = *b.get(digits)?;
            if digits <= 9 && matches!(delim, b'.' | b')') && ok_after(digits + 1) {
                Some((delim, Some(s[..digits].parse().ok()?), digits + 1))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The start of an HTML block; the result says what ends it (`None`: a blank line).
fn html_block_start(s: &str, in_paragraph: bool) -> Option<Option<&'static str>> {
    if !s.starts_with('<') {
        return None;
    }
    let lower = s.get(..s.len().min(12)).unwrap_or(s).to_ascii_lowercase();
    for (open, close) in
        [("<script", "</script>"), ("<pre", "</pre>"), ("<style", "</style>"), ("<textarea", "</textarea>")]
    {
        if lower.starts_with(open) && matches!(s.as_bytes().get(open.len()), None | Some(b' ' | b'\t' | b'>')) {
            return Some(Some(close));
        }
    }
    if s.starts_with("<!--") {
        return Some(Some("-->"));
    }
    if s.starts_with("<?") {
        return Some(Some("?>"));
    }
    if s.starts_with("<![CDATA[") {
        return Some(Some("]]>"));
    }
    if s.starts_with("<!") && s.as_bytes().get(2).is_some_and(u8::is_ascii_alphabetic) {
        return Some(Some(">"));
    }
    let name_start = if s.starts_with("</") { 2 } else { 1 };
    let name: String =
        s[name_start..].bytes().take_while(u8::is_ascii_alphanumeric).map(|b| b.to_ascii_lowercase() as char).collect();
    if name.is_empty() {
        return None;
    }
    let after = s.as_bytes().get(name_start + name.len());
    if BLOCK_TAGS.contains(&name.as_str()) && matches!(after, None | Some(b' ' | b'\t' | b'>') | Some(b'/')) {
        return Some(None);
    }
    // Any other complete tag alone on its line (cannot interrupt a paragraph).
    if !in_paragraph {
        if let Some(len) = html_tag(s) {
            if s[len..].trim_matches([' ', '\t']).is_empty() {
                return Some(None);
            }
        }
    }
    None
}

const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "base",
    "basefont",
    "blockquote",
    "body",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "iframe",
    "legend",
    "li",
    "link",
    "main",
    "menu",
    "menuitem",
    "nav",
    "noframes",
    "ol",
    "optgroup",
    "option",
    "p",
    "param",
    "search",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
];

/// The cells of a table row (pipes at the ends optional, `\|` a literal pipe).
fn split_row(line: &str) -> Vec<String> {
    let mut s = line.trim_matches([' ', '\t']);
    s = s.strip_prefix('|').unwrap_or(s);
    if s.ends_with('|') && !s.ends_with("\\|") {
        s = &s[..s.len() - 1];
    }
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            _ => cell.push(c),
        }
    }
    cells.push(cell.trim().to_owned());
    cells
}

fn delimiter_row(line: &str) -> Option<Vec<Align>> {
    if !line.contains('-') {
        return None;
    }
    let cells = split_row(line);
    let mut aligns = Vec::new();
    for cell in &cells {
        let left = cell.starts_with(':');
        let right = cell.ends_with(':') && cell.len() > 1;
        let dashes = cell.trim_matches(':');
        if dashes.is_empty() || !dashes.bytes().all(|b| b == b'-') {
            return None;
        }
        aligns.push(match (left, right) {
            (true, true) => Align::Center,
            (true, false) => Align::Left,
            (false, true) => Align::Right,
            _ => Align::None,
        });
    }
    // A single cell needs a pipe, or `---` would be a rule or setext underline.
    (cells.len() > 1 || line.contains('|')).then_some(aligns)
}

/// A link reference definition at the start of `s`: label, destination, title, bytes used.
fn definition(s: &str) -> Option<(String, String, String, usize)> {
    let (label, mut i) = link_label(s, 0)?;
    let b = s.as_bytes();
    if b.get(i) != Some(&b':') || label.trim().is_empty() {
        return None;
    }
    i = skip_ws(s, i + 1, true);
    let (dest, after_dest) = link_destination(s, i)?;
    if after_dest == i && !s[i..].starts_with("<>") {
        return None;
    }
    let line_end = |from: usize| -> Option<usize> {
        let j = skip_ws(s, from, false);
        match b.get(j) {
            None => Some(j),
            Some(b'\n') => Some(j + 1),
            _ => None,
        }
    };
    let j = skip_ws(s, after_dest, true);
    if j > after_dest {
        if let Some((title, after_title)) = link_title(s, j) {
            if let Some(end) = line_end(after_title) {
                return Some((normalize_label(&label), dest, title, end));
            }
        }
    }
    let end = line_end(after_dest)?;
    Some((normalize_label(&label), dest, String::new(), end))
}

fn skip_ws(s: &str, mut i: usize, newline: bool) -> usize {
    let b = s.as_bytes();
    let mut seen_newline = false;
    while let Some(&c) = b.get(i) {
        match c {
            b' ' | b'\t' => {}
            b'\n' if newline && !seen_newline => seen_newline = true,
            _ => break,
        }
        i += 1;
    }
    i
}

/// `[label]` at `i`: the raw label and the position after `]`.
fn link_label(s: &str, i: usize) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = i + 1;
    while let Some(&c) = b.get(j) {
        match c {
            b'\\' => j += 1,
            b'[' => return None,
            b']' => {
                return (j - i - 1 <= 999).then(|| (s[i + 1..j].to_owned(), j + 1));
            }
            _ => {}
        }
        j += 1;
    }
    None
}

fn normalize_label(label: &str) -> String {
    label.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase()
}

/// A link destination at `i`: unescaped, and the position after it.
fn link_destination(s: &str, i: usize) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.get(i) == Some(&b'<') {
        let mut j = i + 1;
        while let Some(&c) = b.get(j) {
            match c {
                b'\\' => j += 1,
                b'\n' | b'<' => return None,
                b'>' => return Some((unescape(&s[i + 1..j]), j + 1)),
                _ => {}
            }
            j += 1;
        }
        return None;
    }
    let mut depth = 0usize;
    let mut j = i;
    while let Some(&c) = b.get(j) {
        match c {
            b'\\' if b.get(j + 1).is_some_and(u8::is_ascii_punctuation) => j += 1,
            // Parentheses nest 32 deep at most (as in the reference implementation).
            b'(' if depth == 32 => return None,
            b'(' => depth += 1,
            b')' if depth == 0 => break,
            b')' => depth -= 1,
            c if c <= b' ' => break,
            _ => {}
        }
        j += 1;
    }
    (depth == 0).then(|| (unescape(&s[i..j]), j))
}

fn link_title(s: &str, i: usize) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let close = match b.get(i)? {
        b'"' => b'"',
        b'\'' => b'\'',
        b'(' => b')',
        _ => return None,
    };
    let mut j = i + 1;
    while let Some(&c) = b.get(j) {
        match c {
            b'\\' => j += 1,
            _ if c == close => return Some((unescape(&s[i + 1..j]), j + 1)),
            b'(' if close == b')' => return None,
            _ => {}
        }
        j += 1;
    }
    None
}

/// Backslash escapes and character references resolved.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let b = s.as_bytes();
    while i < b.len() {
        match b[i] {
            b'\\' if b.get(i + 1).is_some_and(u8::is_ascii_punctuation) => {
                out.push(b[i + 1] as char);
                i += 2;
            }
            b'&' => match entity(&s[i..]) {
                Some((text, used)) => {
                    out.push_str(&text);
                    i += used;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            },
            _ => {
                let ch = s[i..].chars().next().unwrap_or('\u{fffd}');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// Named character references recognised (the ones answers use).
pub const ENTITIES: &[(&str, &str)] = &[
    ("amp", "&"),
    ("lt", "<"),
    ("gt", ">"),
    ("quot", "\""),
    ("apos", "'"),
    ("nbsp", "\u{a0}"),
    ("copy", "©"),
    ("reg", "®"),
    ("trade", "™"),
    ("hellip", "…"),
    ("mdash", "—"),
    ("ndash", "–"),
    ("lsquo", "‘"),
    ("rsquo", "’"),
    ("ldquo", "“"),
    ("rdquo", "”"),
    ("laquo", "«"),
    ("raquo", "»"),
    ("bull", "•"),
    ("middot", "·"),
    ("deg", "°"),
    ("plusmn", "±"),
    ("times", "×"),
    ("divide", "÷"),
    ("minus", "−"),
    ("le", "≤"),
    ("ge", "≥"),
    ("ne", "≠"),
    ("asymp", "≈"),
    ("infin", "∞"),
    ("sum", "∑"),
    ("radic", "√"),
    ("micro", "µ"),
    ("permil", "‰"),
    ("frac12", "½"),
    ("frac14", "¼"),
    ("frac34", "¾"),
    ("sup2", "²"),
    ("sup3", "³"),
    ("euro", "€"),
    ("pound", "£"),
    ("yen", "¥"),
    ("cent", "¢"),
    ("sect", "§"),
    ("para", "¶"),
    ("larr", "←"),
    ("rarr", "→"),
    ("uarr", "↑"),
    ("darr", "↓"),
    ("harr", "↔"),
    ("alpha", "α"),
    ("beta", "β"),
    ("gamma", "γ"),
    ("delta", "δ"),
    ("Delta", "Δ"),
    ("epsilon", "ε"),
    ("theta", "θ"),
    ("lambda", "λ"),
    ("mu", "μ"),
    ("pi", "π"),
    ("sigma", "σ"),
    ("Sigma", "Σ"),
    ("tau", "τ"),
    ("phi", "φ"),
    ("omega", "ω"),
    ("Omega", "Ω"),
    ("check", "✓"),
    ("cross", "✗"),
];

/// A character reference at the start of `s` (`&name;`, `&#N;`, `&#xH;`).
fn entity(s: &str) -> Option<(String, usize)> {
    let end = s.as_bytes().iter().take(34).position(|&b| b == b';')?;
    let body = &s[1..end];
    let text = if let Some(num) = body.strip_prefix('#') {
        let (digits, radix) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16),
            None => (num, 10),
        };
        let ok = !digits.is_empty() && digits.len() <= if radix == 16 { 6 } else { 7 };
        if !ok || !digits.bytes().all(|b| (b as char).is_digit(radix)) {
            return None;
        }
        let code = u32::from_str_radix(digits, radix).ok()?;
        char::from_u32(code).filter(|&c| c != '\0').unwrap_or('\u{fffd}').to_string()
    } else {
        ENTITIES.iter().find(|(name, _)| *name == body)?.1.to_owned()
    };
    Some((text, end + 1))
}

// --------------------------------------------------------------- inlines --

#[derive(Debug)]
enum Item {
    Text(String),
    Event(Event),
    /// A run of `*`, `_` or `~`; what is left of it, the tags it closes and opens.
    Delim {
        ch: u8,
        left: usize,
        orig: usize,
        can_open: bool,
        can_close: bool,
        closes: usize,
        opens: Vec<Tag>,
    },
    /// `[` or `![` not (yet) a link.
    Bracket {
        image: bool,
    },
}

/// A delimiter run in the list of those still in play.
struct Delim {
    item: usize,
    prev: Option<usize>,
    next: Option<usize>,
}

struct Inline<'a> {
    s: &'a str,
    items: Vec<Item>,
    /// Every delimiter run, in order; those in play are linked (taking one
    /// out of play is O(1), so no input makes matching quadratic).
    delims: Vec<Delim>,
    /// The newest delimiter run in play.
    last: Option<usize>,
    /// Open brackets: item index, source position after it, active, delimiters before it.
    brackets: Vec<(usize, usize, bool, usize)>,
    refs: &'a Refs,
    /// Text is still arriving: close what is open at the end ([`parse_open`]).
    open: bool,
    /// The delimiter runs (items) left unmatched at the top level, when `open`.
    open_runs: Vec<usize>,
}

/// Parses the inline content of a leaf block.
fn inlines(s: &str, refs: &Refs, open: bool, out: &mut Vec<Event>) {
    let mut p = Inline {
        s,
        items: Vec::new(),
        delims: Vec::new(),
        last: None,
        brackets: Vec::new(),
        refs,
        open,
        open_runs: Vec::new(),
    };
    p.scan();
    p.emphasis(0);
    let still_open = p.close_open_emphasis();
    for item in p.items {
        match item {
            Item::Text(t) => push_text(out, &t),
            Item::Event(e) => out.push(e),
            Item::Delim { ch, left, closes, opens, .. } => {
                out.extend((0..closes).map(|_| Event::End));
                if left > 0 {
                    push_text(out, &(ch as char).to_string().repeat(left));
                }
                out.extend(opens.into_iter().map(Event::Start));
            }
            Item::Bracket { image } => push_text(out, if image { "![" } else { "[" }),
        }
    }
    out.extend((0..still_open).map(|_| Event::End));
}

fn push_text(out: &mut Vec<Event>, t: &str) {
    if t.is_empty() {
        return;
    }
    match out.last_mut() {
        Some(Event::Text(last)) => last.push_str(t),
        _ => out.push(Event::Text(t.to_owned())),
    }
}

fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32,
            0xA1..=0xBF | 0xD7 | 0xF7 | 0x2010..=0x2027 | 0x2030..=0x205E | 0x2190..=0x2BFF
            | 0x3000..=0x303F | 0xFE30..=0xFE4F | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20 | 0xFF3B..=0xFF40 | 0xFF5B..=0xFF65)
}

impl Inline<'_> {
    fn text(&mut self, t: &str) {
        if t.is_empty() {
            return;
        }
        if let Some(Item::Text(last)) = self.items.last_mut() {
            last.push_str(t);
        } else {
            self.items.push(Item::Text(t.to_owned()));
        }
    }

    fn scan(&mut self) {
        let s = self.s;
        let b = s.as_bytes();
        let mut i = 0;
        let mut plain = 0;
        while i < b.len() {
            let c = b[i];
            if !matches!(c, b'\\' | b'`' | b'*' | b'_' | b'~' | b'[' | b'!' | b']' | b'<' | b'&' | b'\n') {
                i += 1;
                continue;
            }
            self.text(&s[plain..i]);
            i = self.special(i);
            plain = i;
        }
        self.text(&s[plain..]);
    }

    /// Handles the special byte at `i`; returns where plain text resumes.
    fn special(&mut self, i: usize) -> usize {
        let s = self.s;
        let b = s.as_bytes();
        match b[i] {
            b'\\' => match b.get(i + 1) {
                Some(b'\n') => {
                    self.items.push(Item::Event(Event::HardBreak));
                    skip_spaces(b, i + 2)
                }
                Some(&c) if c.is_ascii_punctuation() => {
                    self.text(&s[i + 1..i + 2]);
                    i + 2
                }
                _ => {
                    self.text("\\");
                    i + 1
                }
            },
            b'\n' => {
                // Trailing spaces: two or more make a hard break.
                let trailing = match self.items.last_mut() {
                    Some(Item::Text(t)) => {
                        let n = t.len() - t.trim_end_matches(' ').len();
                        t.truncate(t.len() - n);
                        n
                    }
                    _ => 0,
                };
                self.items.push(Item::Event(if trailing >= 2 { Event::HardBreak } else { Event::SoftBreak }));
                skip_spaces(b, i + 1)
            }
            b'`' => {
                let run = b[i..].iter().take_while(|&&c| c == b'`').count();
                let mut j = i + run;
                while j < b.len() {
                    if b[j] == b'`' {
                        let close = b[j..].iter().take_while(|&&c| c == b'`').count();
                        if close == run {
                            let code = s[i + run..j].replace('\n', " ");
                            let stripped = if code.len() >= 2
                                && code.starts_with(' ')
                                && code.ends_with(' ')
                                && !code.bytes().all(|c| c == b' ')
                            {
                                code[1..code.len() - 1].to_owned()
                            } else {
                                code
                            };
                            self.items.push(Item::Event(Event::Code(stripped)));
                            return j + close;
                        }
                        j += close;
                    } else {
                        j += 1;
                    }
                }
                if self.open {
                    // An open code span runs to the end of the text so far.
                    self.items.push(Item::Event(Event::Code(s[i + run..].replace('\n', " "))));
                    return s.len();
                }
                self.text(&s[i..i + run]);
                i + run
            }
            c @ (b'*' | b'_' | b'~') => {
                let run = b[i..].iter().take_while(|&&x| x == c).count();
                let before = s[..i].chars().next_back().unwrap_or('\n');
                let after = s[i + run..].chars().next().unwrap_or('\n');
                let (ws_before, ws_after) = (before.is_whitespace(), after.is_whitespace());
                let (p_before, p_after) = (is_punct(before), is_punct(after));
                let left = !ws_after && (!p_after || ws_before || p_before);
                let right = !ws_before && (!p_before || ws_after || p_after);
                let (can_open, can_close) = match (c, run) {
                    (b'*', _) => (left, right),
                    // `~~` may be inside a word; `_` and `~` may not.
                    (b'~', 2) => (!ws_after, !ws_before && (!p_before || ws_after || p_after)),
                    (b'~', _) => (!ws_after && (ws_before || p_before), !ws_before && (ws_after || p_after)),
                    _ => (left && (!right || p_before), right && (!left || p_after)),
                };
                if c == b'~' && run > 2 {
                    self.text(&s[i..i + run]);
                } else {
                    let id = self.delims.len();
                    self.delims.push(Delim { item: self.items.len(), prev: self.last, next: None });
                    if let Some(last) = self.last {
                        self.delims[last].next = Some(id);
                    }
                    self.last = Some(id);
                    self.items.push(Item::Delim {
                        ch: c,
                        left: run,
                        orig: run,
                        can_open,
                        can_close,
                        closes: 0,
                        opens: Vec::new(),
                    });
                }
                i + run
            }
            b'!' if b.get(i + 1) == Some(&b'[') => {
                self.brackets.push((self.items.len(), i + 2, true, self.delims.len()));
                self.items.push(Item::Bracket { image: true });
                i + 2
            }
            b'[' => {
                self.brackets.push((self.items.len(), i + 1, true, self.delims.len()));
                self.items.push(Item::Bracket { image: false });
                i + 1
            }
            b']' => self.close_bracket(i),
            b'<' => {
                if let Some((dest, text, used)) = autolink(&s[i..]) {
                    self.items.push(Item::Event(Event::Start(Tag::Link { dest, title: String::new() })));
                    self.items.push(Item::Text(text));
                    self.items.push(Item::Event(Event::End));
                    i + used
                } else if let Some(len) = html_tag(&s[i..]) {
                    self.items.push(Item::Event(Event::Html(s[i..i + len].to_owned())));
                    i + len
                } else {
                    self.text("<");
                    i + 1
                }
            }
            b'&' => match entity(&s[i..]) {
                Some((t, used)) => {
                    self.text(&t);
                    i + used
                }
                None => {
                    self.text("&");
                    i + 1
                }
            },
            _ => {
                self.text(&s[i..i + 1]);
                i + 1
            }
        }
    }

    fn close_bracket(&mut self, i: usize) -> usize {
        let s = self.s;
        let Some(&(opener, inner_start, active, delims_at)) = self.brackets.last() else {
            self.text("]");
            return i + 1;
        };
        if !active {
            self.brackets.pop();
            self.text("]");
            return i + 1;
        }
        let image = matches!(self.items[opener], Item::Bracket { image: true });
        let after = i + 1;
        let b = s.as_bytes();
        // Inline link: (dest "title").
        let mut found: Option<(String, String, usize)> = None;
        if b.get(after) == Some(&b'(') {
            let j = skip_all_ws(s, after + 1);
            if let Some((dest, k)) = link_destination(s, j) {
                let k2 = skip_all_ws(s, k);
                let (title, k3) =
                    if k2 > k { link_title(s, k2).unwrap_or((String::new(), k2)) } else { (String::new(), k2) };
                let k4 = skip_all_ws(s, k3);
                if b.get(k4) == Some(&b')') {
                    found = Some((dest, title, k4 + 1));
                }
            }
        }
        if found.is_none() {
            // Reference link: [text][label], [text][] or [text].
            let (label, end) = match link_label(s, after) {
                Some((l, end)) if !l.trim().is_empty() => (l, end),
                Some((_, end)) => (s[inner_start..i].to_owned(), end),
                None => (s[inner_start..i].to_owned(), after),
            };
            let key = normalize_label(&label);
            if let Some((dest, title)) = self.refs.get(&key) {
                found = Some((dest.clone(), title.clone(), end));
            }
        }
        self.brackets.pop();
        let Some((dest, title, end)) = found else {
            if self.open && b.get(after) == Some(&b'(') && !s[after..].contains(')') {
                // A link whose destination is still arriving: its text, plainly, for now.
                self.items[opener] = Item::Text(String::new());
                return s.len();
            }
            self.text("]");
            return i + 1;
        };
        // Emphasis inside the link text first.
        self.emphasis(delims_at);
        let tag = if image { Tag::Image { dest, title } } else { Tag::Link { dest, title } };
        self.items[opener] = Item::Event(Event::Start(tag));
        self.items.push(Item::Event(Event::End));
        if !image {
            // No links inside links.
            for bracket in &mut self.brackets {
                if matches!(self.items[bracket.0], Item::Bracket { image: false }) {
                    bracket.2 = false;
                }
            }
        }
        end
    }

    /// Text still arriving: the runs left over that can open are opened (to
    /// the end of the text), and a run at the very end, which may become an
    /// opener, is not shown yet. Returns how many tags stay open.
    fn close_open_emphasis(&mut self) -> usize {
        if !self.open {
            return 0;
        }
        let mut count = 0;
        for &item in &self.open_runs {
            if let Item::Delim { ch, left, can_open: true, opens, .. } = &mut self.items[item] {
                while *left > 0 {
                    let used = if *ch == b'~' { *left } else { (*left).min(2) };
                    opens.insert(
                        0,
                        match (*ch, used) {
                            (b'~', _) => Tag::Strikethrough,
                            (_, 2) => Tag::Strong,
                            _ => Tag::Emphasis,
                        },
                    );
                    *left -= used;
                    count += 1;
                }
            }
        }
        if let Some(Item::Delim { left, closes: 0, .. }) = self.items.last_mut() {
            *left = 0;
        }
        count
    }

    /// Takes a delimiter run out of play.
    fn unlink(&mut self, id: usize) {
        let Delim { prev, next, .. } = self.delims[id];
        if let Some(p) = prev {
            self.delims[p].next = next;
        }
        match next {
            Some(n) => self.delims[n].prev = prev,
            None => self.last = prev,
        }
    }

    /// Matches the emphasis delimiters from `bottom` on (the reference
    /// algorithm, with its per-kind floor below which no opener is sought again).
    fn emphasis(&mut self, bottom: usize) {
        let mut first = None;
        let mut at = self.last;
        while let Some(id) = at.filter(|&id| id >= bottom) {
            first = Some(id);
            at = self.delims[id].prev;
        }
        let mut floor = [bottom; 18];
        let mut current = first;
        while let Some(c) = current {
            let ci = self.delims[c].item;
            let Item::Delim { ch, orig: c_orig, can_open: c_open, can_close: true, .. } = self.items[ci] else {
                current = self.delims[c].next;
                continue;
            };
            let key = usize::from(ch == b'_') * 6 + usize::from(ch == b'~') * 12 + usize::from(c_open) * 3 + c_orig % 3;
            let c_left = self.delim_left(ci);
            let mut opener = None;
            let mut at = self.delims[c].prev;
            while let Some(o) = at.filter(|&o| o >= floor[key]) {
                at = self.delims[o].prev;
                let Item::Delim { ch: o_ch, orig: o_orig, can_open: true, can_close: o_close, left: o_left, .. } =
                    self.items[self.delims[o].item]
                else {
                    continue;
                };
                let fits = match ch {
                    _ if o_ch != ch => false,
                    b'~' => o_left == c_left,
                    // The rule of three: a run that can both open and close pairs
                    // with one whose length makes a multiple of 3 only if both are.
                    _ => !((o_close || c_open) && (o_orig + c_orig) % 3 == 0 && !(o_orig % 3 == 0 && c_orig % 3 == 0)),
                };
                if fits {
                    opener = Some(o);
                    break;
                }
            }
            let Some(o) = opener else {
                floor[key] = c;
                current = self.delims[c].next;
                if !c_open {
                    self.unlink(c);
                }
                continue;
            };
            let oi = self.delims[o].item;
            let o_left = self.delim_left(oi);
            let used = if ch == b'~' {
                c_left
            } else if o_left >= 2 && c_left >= 2 {
                2
            } else {
                1
            };
            let tag = match (ch, used) {
                (b'~', _) => Tag::Strikethrough,
                (_, 2) => Tag::Strong,
                _ => Tag::Emphasis,
            };
            if let Item::Delim { left, opens, .. } = &mut self.items[oi] {
                *left -= used;
                opens.insert(0, tag);
            }
            if let Item::Delim { left, closes, .. } = &mut self.items[ci] {
                *left -= used;
                *closes += 1;
            }
            // Delimiters between them can no longer match.
            self.delims[o].next = Some(c);
            self.delims[c].prev = Some(o);
            if self.delim_left(oi) == 0 {
                self.unlink(o);
            }
            if self.delim_left(ci) == 0 {
                current = self.delims[c].next;
                self.unlink(c);
            }
        }
        // Text still arriving: the runs left in play may open what is not closed yet.
        if self.open && bottom == 0 {
            let mut cursor = self.last;
            while let Some(id) = cursor {
                self.open_runs.push(self.delims[id].item);
                cursor = self.delims[id].prev;
            }
        }
        // Everything from `bottom` on leaves play.
        while let Some(l) = self.last.filter(|&l| l >= bottom) {
            self.last = self.delims[l].prev;
        }
        if let Some(l) = self.last {
            self.delims[l].next = None;
        }
    }

    fn delim_left(&self, i: usize) -> usize {
        match self.items[i] {
            Item::Delim { left, .. } => left,
            _ => 0,
        }
    }
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    i
}

fn skip_all_ws(s: &str, mut i: usize) -> usize {
    while matches!(s.as_bytes().get(i), Some(b' ' | b'\t' | b'\n')) {
        i += 1;
    }
    i
}

/// `<scheme:…>` or `<user@host>`: destination, text and bytes used.
fn autolink(s: &str) -> Option<(String, String, usize)> {
    // Up to the first `>`; a space or `<` before it ends the search early.
    let end = 1 + s.bytes().skip(1).position(|b| b == b'>' || b <= b' ' || b == b'<')?;
    if s.as_bytes()[end] != b'>' || end == 1 {
        return None;
    }
    let body = &s[1..end];
    if let Some(colon) = body.find(':') {
        let scheme = &body[..colon];
        let b = scheme.as_bytes();
        if (2..=32).contains(&b.len())
            && b[0].is_ascii_alphabetic()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'))
        {
            return Some((body.to_owned(), body.to_owned(), end + 1));
        }
    }
    let (user, host) = body.split_once('@')?;
    let user_ok =
        !user.is_empty() && user.bytes().all(|c| c.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&c));
    let host_ok = host.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
    });
    (user_ok && host_ok).then(|| (format!("mailto:{body}"), body.to_owned(), end + 1))
}

/// The length of an HTML tag, comment or declaration at the start of `s`.
fn html_tag(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if let Some(rest) = s.strip_prefix("<!--") {
        if rest.starts_with('>') || rest.starts_with("->") {
            return Some(4 + if rest.starts_with('>') { 1 } else { 2 });
        }
        return rest.find("-->").map(|e| 4 + e + 3);
    }
    if s.starts_with("<?") {
        return s.find("?>").map(|e| e + 2);
    }
    if s.starts_with("<![CDATA[") {
        return s.find("]]>").map(|e| e + 3);
    }
    if s.starts_with("<!") && b.get(2).is_some_and(u8::is_ascii_alphabetic) {
        return s.find('>').map(|e| e + 1);
    }
    let closing = s.starts_with("</");
    let mut i = if closing { 2 } else { 1 };
    if !b.get(i).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    while b.get(i).is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'-') {
        i += 1;
    }
    if closing {
        i = skip_all_ws(s, i);
        return (b.get(i) == Some(&b'>')).then_some(i + 1);
    }
    // Attributes.
    loop {
        let j = skip_all_ws(s, i);
        match b.get(j) {
            Some(b'>') => return Some(j + 1),
            Some(b'/') if b.get(j + 1) == Some(&b'>') => return Some(j + 2),
            Some(c) if j > i && (c.is_ascii_alphabetic() || *c == b'_' || *c == b':') => {
                let mut k = j;
                while b.get(k).is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b':' | b'-')) {
                    k += 1;
                }
                let v = skip_all_ws(s, k);
                if b.get(v) == Some(&b'=') {
                    let v = skip_all_ws(s, v + 1);
                    k = match b.get(v)? {
                        q @ (b'"' | b'\'') => v + 1 + s[v + 1..].find(*q as char)? + 1,
                        _ => {
                            let mut e = v;
                            while b.get(e).is_some_and(|c| !b" \t\n\"'=<>`".contains(c)) {
                                e += 1;
                            }
                            if e == v {
                                return None;
                            }
                            e
                        }
                    };
                }
                i = k;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests;
