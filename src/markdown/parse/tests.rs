//! The parser against pulldown-cmark, the CommonMark implementation this
//! widget used before: both event streams go through the same node builder
//! and must give the same nodes — on a corpus of answer-like markdown and
//! on thousands of generated documents mixing every construct.

use super::super::{build, render, Node};
use super::{parse, parse_open, Align, Event, Tag};
use crate::strings::EN;
use pulldown_cmark as pd;

fn reference(text: &str) -> Vec<Node> {
    let options = pd::Options::ENABLE_TABLES | pd::Options::ENABLE_STRIKETHROUGH | pd::Options::ENABLE_TASKLISTS;
    let events = pd::Parser::new_ext(text, options)
        .map(|e| match e {
            pd::Event::Start(tag) => Event::Start(match tag {
                pd::Tag::Paragraph => Tag::Paragraph,
                pd::Tag::Heading { level, .. } => Tag::Heading(level as u8),
                pd::Tag::BlockQuote(_) => Tag::BlockQuote,
                pd::Tag::CodeBlock(pd::CodeBlockKind::Fenced(info)) => {
                    Tag::CodeBlock(info.split_whitespace().next().unwrap_or("").to_owned())
                }
                pd::Tag::CodeBlock(pd::CodeBlockKind::Indented) => Tag::CodeBlock(String::new()),
                pd::Tag::HtmlBlock => Tag::HtmlBlock,
                pd::Tag::List(start) => Tag::List(start),
                pd::Tag::Item => Tag::Item,
                pd::Tag::Table(aligns) => Tag::Table(
                    aligns
                        .into_iter()
                        .map(|a| match a {
                            pd::Alignment::None => Align::None,
                            pd::Alignment::Left => Align::Left,
                            pd::Alignment::Center => Align::Center,
                            pd::Alignment::Right => Align::Right,
                        })
                        .collect(),
                ),
                pd::Tag::TableHead => Tag::TableHead,
                pd::Tag::TableRow => Tag::TableRow,
                pd::Tag::TableCell => Tag::TableCell,
                pd::Tag::Emphasis => Tag::Emphasis,
                pd::Tag::Strong => Tag::Strong,
                pd::Tag::Strikethrough => Tag::Strikethrough,
                // pulldown leaves the scheme of an email autolink to its HTML writer.
                pd::Tag::Link { link_type: pd::LinkType::Email, dest_url, title, .. } => {
                    Tag::Link { dest: format!("mailto:{dest_url}"), title: title.into() }
                }
                pd::Tag::Link { dest_url, title, .. } => Tag::Link { dest: dest_url.into(), title: title.into() },
                pd::Tag::Image { dest_url, title, .. } => Tag::Image { dest: dest_url.into(), title: title.into() },
                other => panic!("not enabled: {other:?}"),
            }),
            pd::Event::End(_) => Event::End,
            pd::Event::Text(t) => Event::Text(t.into()),
            pd::Event::Code(t) => Event::Code(t.into()),
            pd::Event::Html(t) | pd::Event::InlineHtml(t) => Event::Html(t.into()),
            pd::Event::SoftBreak => Event::SoftBreak,
            pd::Event::HardBreak => Event::HardBreak,
            pd::Event::Rule => Event::Rule,
            pd::Event::TaskListMarker(done) => Event::TaskListMarker(done),
            other => panic!("not enabled: {other:?}"),
        })
        .collect();
    build(events, &EN)
}

/// Nodes as compact HTML, for readable differences. Runs of spaces in
/// inline code are one space: `.vc-markdown { white-space: pre-line }`
/// shows them so, and the two parsers keep different amounts of a
/// continuation line's indent inside a code span.
fn html(nodes: &[Node]) -> String {
    html_in(nodes, false)
}

fn html_in(nodes: &[Node], inline_code: bool) -> String {
    let mut out = String::new();
    for node in nodes {
        match node {
            Node::Text(t) if inline_code => out.push_str(&t.split_whitespace().collect::<Vec<_>>().join(" ")),
            Node::Text(t) => out.push_str(&t.replace('\n', "⏎")),
            Node::Element(e) if e.tag == "button" => {}
            Node::Element(e) => {
                out.push('<');
                out.push_str(e.tag);
                for (name, value) in &e.attrs {
                    out.push_str(&format!(" {name}={value:?}"));
                }
                out.push('>');
                out.push_str(&html_in(&e.children, e.tag == "code" && e.attrs.is_empty() || inline_code));
                out.push_str(&format!("</{}>", e.tag));
            }
        }
    }
    out
}

fn mismatch(text: &str) -> Option<String> {
    let (ours, theirs) = (html(&render(text, &EN)), html(&reference(text)));
    (ours != theirs).then(|| format!("{text:?}\n  ours:   {ours}\n  theirs: {theirs}"))
}

fn assert_same(corpus: &[&str]) {
    let failures: Vec<String> = corpus.iter().filter_map(|t| mismatch(t)).collect();
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), corpus.len(), failures.join("\n"));
}

#[test]
fn blocks() {
    assert_same(&[
        "# One\n## Two\n###### Six\n####### seven\n#no\n# closed ##\n#\n",
        "Title\n=====\n\nSub\n---\n\npara\nnext line\n",
        "***\n---\n___\n* * *\n- - -\n",
        "```\ncode\n```\n",
        "```python extra\nx = 1\n\n\ny = 2\n```\n",
        "~~~~\na\n~~~\nb\n~~~~\n",
        "  ```\n  indented fence\n    more\n  ```\n",
        "```\nunclosed\n",
        "    indented\n    code\n\n    after blank\n\npara\n",
        "para\n    not code\n",
        "> quote\n> more\n\n> second\nlazy\n",
        "> # head\n> - item\n>\n> para\n",
        ">> nested\n> > again\n",
        "- a\n- b\n- c\n",
        "- a\n\n- b\n",
        "- a\n  - b\n    - c\n- d\n",
        "1. one\n2. two\n3) three\n",
        "7. seven\n8. eight\n",
        "- a\n\n  para in a\n- b\n",
        "* a\n+ b\n- c\n",
        "- [ ] todo\n- [x] done\n- [X] also\n- [y] not\n",
        "1. [ ] ordered task\n",
        "para\n- list interrupts\n",
        "para\n2. does not interrupt\n",
        "para\n1. does interrupt\n",
        "-\n  foo\n- \n- bar\n",
        "-    code in item\n",
        "- a\n\n\n- b\n",
        "<div>\nhtml *block*\n</div>\n\npara\n",
        "<!-- comment\nstill -->\nafter\n",
        "<script>\nalert(1)\n</script>\nafter\n",
        "<span>inline start</span> of para\n",
        "para\n<div>interrupts</div>\n",
        "| a | b |\n|---|:-:|\n| 1 | 2 |\n| 3 |\n| 4 | 5 | 6 |\n",
        "a | b\n--|--\n1 | 2\n",
        "| a |\n|---|\n| x \\| y |\n\npara\n",
        "| a | b |\n|---|---|\n| `c|d` | e |\n",
        "intro\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        "| a | b |\n|--|--|\n| 1 | 2 |\n> quote after\n",
        "| not | a table |\n|---|\n",
        "[ref]: https://example.com \"Title\"\n\nSee [ref] and [text][ref] and [ref][].\n",
        "[a]:\n  https://x.org\n  'multi'\n\n[a]\n",
        "\tTabbed code\n\n-\tTabbed item\n\n>\tTabbed quote\n",
    ]);
}

#[test]
fn inlines() {
    assert_same(&[
        "*em* **strong** ***both*** _em_ __strong__ ~~del~~ ~del~\n",
        "**bold *nested* bold** and *em **nested** em*\n",
        "a * b * c, 2*3*4, snake_case_name, __init__\n",
        "*a **b** c* **a *b* c** *(x)* **\"q\"**\n",
        "***a** b* *a **b***\n",
        "foo*bar*baz foo_bar_baz _foo_bar\n",
        "*unclosed **also\n",
        "`code` ``co`de`` ` spaced ` `unclosed\n",
        "[link](https://example.com) [titled](https://x.y \"T\") [empty]() [angle](<a b>)\n",
        "[nested [brackets]](https://x.y) [a [b](https://c.d) e](https://f.g)\n",
        "![alt *em*](https://img.example/p.png \"t\") ![](x.png)\n",
        "<https://auto.link/x?y=1> <mailto:me@x.y> <me@example.com> <not a link>\n",
        "<span class=\"x\">html</span> <!-- c --> <br/> <a href='y'>\n",
        "\\*not em\\* \\[not link\\] \\\\ back \\q\n",
        "&amp; &lt; &copy; &#35; &#x41; &unknownentity; & alone\n",
        "line one  \nline two\\\nline three\nline four\n",
        "trailing spaces   \n",
        "[javascript](javascript:alert(1)) [data](data:text/html,x)\n",
        "**[link in strong](https://x.y)** *`code in em`*\n",
        "a ~~b **c** d~~ e\n",
        "word*s* and *s*word\n",
        "**a*\n",
        "*a**\n",
        "_a*\n",
        "Revenue grew by **12%** (from $1.2M to $1.35M).\n",
        "Use `np.mean(x)` — see [docs](https://numpy.org/doc/stable/).\n",
    ]);
}

/// Generated documents: lines drawn from every kind of block start and
/// inline construct, in random order and nesting.
#[test]
fn generated_documents() {
    const LINES: &[&str] = &[
        "",
        "",
        "plain text with words",
        "more text *em* and **strong**",
        "# Heading *x*",
        "## Sub",
        "===",
        "---",
        "***",
        "- item",
        "- item two",
        "  continued in item",
        "    indented four",
        "1. first",
        "2. second",
        "* star item",
        "> quoted",
        "> > deeper",
        ">",
        "```",
        "```rust",
        "~~~",
        "| a | b |",
        "|---|---:|",
        "| 1 | 2 |",
        "<div>",
        "</div>",
        "<!-- note -->",
        "[r]: https://ref.example",
        "see [r] and [x](https://x.y)",
        "`code` and ``more``",
        "a_b_c __d__ _e_",
        "~~gone~~ ~one~",
        "- [ ] task",
        "- [x] done task",
        "text with trailing  ",
        "escaped \\* \\_ \\`",
        "&amp; &copy; &#42;",
        "<https://a.b/c>",
        "![img](https://i.example/p.png)",
        "  - nested item",
        "    - deeper item",
        "\tTab start",
        "*a **b",
        "c** d*",
        "   - three-space item",
        "-   wide item",
        "1.  wide ordered",
        "  > quote in item",
        "    ```",
        "> ```",
        "- ```",
        "  ```",
        " | x | y |",
        "|:-:|",
        "| *a* | `b|c` |",
        "[lbl]: <https://x.y> 'T'",
        "[lbl] and [lbl][] and [text][lbl]",
        "**a _b** c_",
        "***x***",
        "line with backslash\\",
        "  ",
    ];
    // Line starts and inline pieces, combined into more lines.
    const PREFIXES: &[&str] = &["", "", "", "- ", "  ", "> ", "1. ", "   ", "    ", "* ", "- > ", "> - ", "| "];
    const PIECES: &[&str] = &[
        "word",
        " ",
        "*",
        "**",
        "_",
        "__",
        "~~",
        "`",
        "``",
        "[",
        "]",
        "(",
        ")",
        "](https://l.example)",
        "![",
        "<",
        ">",
        "\\",
        "&amp;",
        "&",
        "#",
        "|",
        "x_y",
        "*z*",
        "**w**",
        "[t](<a b> 'c')",
        "[r]",
        "[r][]",
        " *( ",
        "\"q\"",
        ".",
        "1.",
        "<b>",
        "</b>",
        "http://a.b",
        "  ",
        "é",
        "—",
    ];
    let mut seed: u64 = 0x5eed_cafe;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) % n as u64) as usize
    };
    let mut failures = Vec::new();
    let total = 20_000;
    for _ in 0..total {
        let count = 1 + next(10);
        let mut doc = String::new();
        for _ in 0..count {
            if next(3) == 0 {
                doc.push_str(PREFIXES[next(PREFIXES.len())]);
                for _ in 0..1 + next(6) {
                    doc.push_str(PIECES[next(PIECES.len())]);
                }
            } else {
                doc.push_str(LINES[next(LINES.len())]);
            }
            doc.push('\n');
        }
        if let Some(f) = mismatch(&doc) {
            failures.push(f);
        }
    }
    let shown: Vec<&String> = failures.iter().take(8).collect();
    assert!(
        failures.is_empty(),
        "{} of {total} differ; first ones:\n{}",
        failures.len(),
        shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn known_differences() {
    // Named references outside the short table stay as written (pulldown knows all 2,125).
    assert_eq!(render("&Aacute;", &EN)[0].text(), "&Aacute;");
    assert_eq!(reference("&Aacute;")[0].text(), "Á");
    assert_eq!(render("&eacute; &hellip; &ne;", &EN)[0].text(), "&eacute; … ≠");
    // An HTML comment over several lines: pulldown keeps the container markers inside it.
    let quoted = "> a <!--\n> b -->";
    assert_eq!(render(quoted, &EN)[0].text(), "a <!--\nb -->");
    assert_eq!(reference(quoted)[0].text(), "a <!--\n> b -->");
}

#[test]
fn events_are_balanced() {
    for text in ["- a\n  > b\n  > ```\n  > c", "| a |\n|---|\n| *b", "[a *b](", "> - [ ] x\n>   ~~~\n"] {
        let events = parse(text);
        let starts = events.iter().filter(|e| matches!(e, Event::Start(_))).count();
        let ends = events.iter().filter(|e| matches!(e, Event::End)).count();
        assert_eq!(starts, ends, "{text:?}");
    }
}

/// Whatever arrives, in whatever pieces, parsing neither panics nor loses
/// balance: every prefix of random text over markdown's special characters,
/// multi-byte characters, tabs and CRLF is parsed.
#[test]
fn arbitrary_text_never_panics() {
    const CHARS: &[&str] = &[
        "a", "b", " ", "  ", "\t", "\n", "\r\n", "*", "_", "~", "`", "[", "]", "(", ")", "<", ">", "!", "#", "|", "-",
        "=", "+", ":", "\\", "&", ";", "\"", "'", "1", ".", "é", "€", "😀", "x:", "&#", "<!--", "-->", "```", "    ",
    ];
    let mut seed: u64 = 42;
    let mut next = |n: usize| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((seed >> 33) % n as u64) as usize
    };
    for _ in 0..3000 {
        let text: String = (0..next(60)).map(|_| CHARS[next(CHARS.len())]).collect();
        for (end, _) in text.char_indices() {
            let open = parse_open(&text[..end], &Default::default());
            let starts = open.iter().filter(|e| matches!(e, Event::Start(_))).count();
            assert_eq!(starts, open.iter().filter(|e| matches!(e, Event::End)).count(), "open {:?}", &text[..end]);
            let events = parse(&text[..end]);
            let starts = events.iter().filter(|e| matches!(e, Event::Start(_))).count();
            assert_eq!(starts, events.iter().filter(|e| matches!(e, Event::End)).count(), "{:?}", &text[..end]);
        }
        render(&text, &EN);
    }
}

/// Inputs that make naive parsers quadratic or recurse without bound. Each
/// parses in milliseconds here (`--nocapture` prints the times); a quadratic
/// regression makes this test take minutes. Nesting is capped, so deep
/// quotes and lists cannot exhaust the WebAssembly stack.
#[test]
fn pathological_inputs() {
    let cases: Vec<(&str, String)> = vec![
        ("brackets", "[".repeat(50_000)),
        ("closing brackets", "[a]".repeat(20_000)),
        ("stars", "*a".repeat(25_000)),
        ("underscores", "a_ ".repeat(25_000)),
        ("open links", "[a](".repeat(10_000)),
        ("backticks", "`a``".repeat(10_000)),
        ("angle brackets", "<a ".repeat(20_000)),
        ("quotes", "> ".repeat(10_000) + "x"),
        ("lists", (0..1_000).map(|i| format!("{}- x\n", "  ".repeat(i))).collect()),
        ("table", format!("|a|b|\n|-|-|\n{}", "|1|2|\n".repeat(20_000))),
        ("emphasis mix", "**a *b _c ~~d ".repeat(5_000)),
        ("entities", "&amp".repeat(20_000)),
        ("definitions", (0..5_000).map(|i| format!("[l{i}]: /u{i}\n")).collect::<String>() + &"[l1] ".repeat(5_000)),
    ];
    for (name, text) in cases {
        let t = std::time::Instant::now();
        let events = parse(&text);
        println!("{name}: {} bytes, {} events, {:?}", text.len(), events.len(), t.elapsed());
        let starts = events.iter().filter(|e| matches!(e, Event::Start(_))).count();
        assert_eq!(starts, events.iter().filter(|e| matches!(e, Event::End)).count(), "{name}");
        let (mut open, mut deepest) = (Vec::new(), 0);
        for e in &events {
            match e {
                Event::Start(tag) => open.push(matches!(tag, Tag::BlockQuote | Tag::List(_) | Tag::Item)),
                Event::End => drop(open.pop()),
                _ => {}
            }
            deepest = deepest.max(open.iter().filter(|&&container| container).count());
        }
        assert!(deepest <= super::MAX_DEPTH, "{name}: nested {deepest} deep");
    }
}
