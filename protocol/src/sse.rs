//! Incremental parser for `text/event-stream`, following the HTML standard's
//! "Interpreting an event stream" (§9.2.6):
//!
//! * the stream is UTF-8; one leading BOM is ignored; invalid bytes become U+FFFD;
//! * lines end with CRLF, LF or CR — a CRLF split across two reads is one end;
//! * a line starting with `:` is a comment;
//! * `field:value` (one space after the colon is dropped), or `field` alone
//!   with an empty value; `data` lines append to the data buffer with a LF;
//! * an empty line dispatches the event, unless its data buffer is empty;
//! * at the end of the stream an unfinished event is discarded.
//!
//! Input may be split anywhere, even inside a multi-byte character: bytes are
//! only decoded once their line is complete, and line terminators are ASCII
//! bytes that never occur inside a UTF-8 sequence. Work per call is
//! proportional to the bytes fed, never to what came before.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event` field, `"message"` when absent.
    pub event: String,
    /// The `data` lines joined by `\n`.
    pub data: String,
    /// The last event ID seen so far, if any.
    pub id: Option<String>,
}

/// The parser state between reads.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    after_cr: bool,
    started: bool,
    data: String,
    has_data: bool,
    event: String,
    last_id: Option<String>,
    retry_ms: Option<u64>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next bytes of the stream and returns the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<SseEvent> {
        let mut out = Vec::new();
        let mut rest = bytes;
        if self.after_cr {
            self.after_cr = false;
            if let Some((b'\n', tail)) = rest.split_first() {
                rest = tail;
            }
        }
        while let Some(pos) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.line.extend_from_slice(&rest[..pos]);
            let was_cr = rest[pos] == b'\r';
            rest = &rest[pos + 1..];
            self.end_line(&mut out);
            if was_cr {
                match rest.first() {
                    Some(b'\n') => rest = &rest[1..],
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.line.extend_from_slice(rest);
        out
    }

    /// Ends the stream. Returns `true` when an unfinished event (or line) was
    /// discarded, which means the stream was cut short.
    pub fn finish(&mut self) -> bool {
        let truncated = !self.line.is_empty() || self.has_data;
        self.line.clear();
        self.reset_event();
        truncated
    }

    /// The reconnection time the stream asked for, if any.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }

    fn end_line(&mut self, out: &mut Vec<SseEvent>) {
        let mut bytes = std::mem::take(&mut self.line);
        if !self.started {
            self.started = true;
            if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
                bytes.drain(..3);
            }
        }
        let line = String::from_utf8_lossy(&bytes);
        if line.is_empty() {
            self.dispatch(out);
        } else if !line.starts_with(':') {
            let (field, value) = match line.find(':') {
                Some(i) => {
                    let value = &line[i + 1..];
                    (&line[..i], value.strip_prefix(' ').unwrap_or(value))
                }
                None => (&line[..], ""),
            };
            self.field(field, value);
        }
        // Keep the allocation for the next line.
        bytes.clear();
        self.line = bytes;
    }

    fn field(&mut self, field: &str, value: &str) {
        match field {
            "event" => {
                self.event.clear();
                self.event.push_str(value);
            }
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry_ms = value.parse().ok();
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if !self.has_data {
            self.reset_event();
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        if data.ends_with('\n') {
            data.pop();
        }
        let event = if self.event.is_empty() { "message".to_owned() } else { std::mem::take(&mut self.event) };
        out.push(SseEvent { event, data, id: self.last_id.clone() });
        self.reset_event();
    }

    fn reset_event(&mut self) {
        self.data.clear();
        self.has_data = false;
        self.event.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        p.feed(input)
    }

    fn datas(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn spec_examples() {
        // HTML standard, §9.2.6 examples.
        let e = parse_all(b"data: YHOO\ndata: +2\ndata: 10\n\n");
        assert_eq!(datas(&e), ["YHOO\n+2\n10"]);
        let e =
            parse_all(b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n");
        assert_eq!(datas(&e), ["first event", "second event", " third event"]);
        assert_eq!(e[0].id.as_deref(), Some("1"));
        assert_eq!(e[1].id.as_deref(), Some(""));
        let e = parse_all(b"data\n\ndata\ndata\n\ndata:");
        assert_eq!(datas(&e), ["", "\n"]);
    }

    #[test]
    fn line_endings_comments_and_event_names() {
        let e = parse_all(b"event: ping\r\ndata: a\r\n\r\n:comment\rdata: b\r\rdata: c\n\n");
        assert_eq!(datas(&e), ["a", "b", "c"]);
        assert_eq!(e[0].event, "ping");
        assert_eq!(e[1].event, "message");
    }

    #[test]
    fn bom_is_dropped_once() {
        let e = parse_all("\u{feff}data: x\n\n".as_bytes());
        assert_eq!(datas(&e), ["x"]);
        let e = parse_all("data: \u{feff}x\n\n".as_bytes());
        assert_eq!(datas(&e), ["\u{feff}x"]);
    }

    #[test]
    fn unfinished_event_is_discarded_and_reported() {
        let mut p = SseParser::new();
        assert!(p.feed(b"data: complete\n\ndata: cut").len() == 1);
        assert!(p.finish());
        let mut p = SseParser::new();
        p.feed(b"data: complete\n\n");
        assert!(!p.finish());
    }

    #[test]
    fn retry_and_unknown_fields() {
        let mut p = SseParser::new();
        let e = p.feed(b"retry: 3000\nfoo: bar\nretry: x\ndata: d\n\n");
        assert_eq!(datas(&e), ["d"]);
        assert_eq!(p.retry_ms(), Some(3000));
    }

    #[test]
    fn invalid_utf8_becomes_replacement() {
        let e = parse_all(b"data: a\xffb\n\n");
        assert_eq!(datas(&e), ["a\u{fffd}b"]);
    }

    /// Every way of cutting the stream in two, and in single bytes, gives the
    /// same events as reading it whole.
    #[test]
    fn split_at_every_byte_boundary() {
        let stream = "\u{feff}: keep-alive\r\n\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"Grüße 📈\"}}]}\r\n\r\n\
                      event: x\rdata: line one\rdata: line two\r\r\
                      data: {\"choices\":[],\"note\":\"日本語\"}\n\ndata: [DONE]\n\n";
        let bytes = stream.as_bytes();
        let whole = parse_all(bytes);
        assert_eq!(whole.len(), 4);
        assert_eq!(whole[1].data, "line one\nline two");
        for cut in 0..=bytes.len() {
            let mut p = SseParser::new();
            let mut got = p.feed(&bytes[..cut]);
            got.extend(p.feed(&bytes[cut..]));
            assert_eq!(got, whole, "split at {cut}");
            assert!(!p.finish());
        }
        let mut p = SseParser::new();
        let got: Vec<_> = bytes.iter().flat_map(|b| p.feed(std::slice::from_ref(b))).collect();
        assert_eq!(got, whole);
    }
}
