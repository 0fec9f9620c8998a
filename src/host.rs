//! What the host page configures and hears back: the `<vision-chat>`
//! element's attributes, parsed, and the details of the DOM events the
//! widget fires. Pure and natively tested; `crate::element` is the edge.

use vision_chat_protocol::error::{ErrorKind, Explained};
use vision_chat_protocol::image::Limits;
use vision_chat_protocol::json::{ObjectWriter, ToJson};
use vision_chat_protocol::wire::Usage;

use crate::conversation::{ErrorNotice, MessageState};

/// The API base the widget talks to when the host says nothing: the proxy
/// on the page's own origin.
pub const DEFAULT_ENDPOINT: &str = "/api";

/// The attributes the element observes; a change to any of them after
/// start-up takes effect.
pub const ATTRIBUTES: [&str; 9] = [
    "endpoint",
    "title",
    "placeholder",
    "mode",
    "theme",
    "lang",
    "max-image-side",
    "max-image-bytes",
    "max-image-pixels",
];

/// How the widget sits on the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Fills the element's box.
    #[default]
    Inline,
    /// A floating button that opens the chat in a panel.
    Launcher,
}

/// One attribute's new value, understood.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Endpoint(String),
    Title(Option<String>),
    Placeholder(Option<String>),
    Mode(Mode),
    /// The longest side images are sent at (`None`: the model's useful size).
    MaxImageSide(Option<u32>),
    /// The largest image file accepted (`None`: the default).
    MaxImageBytes(Option<u64>),
    /// The largest pixel count accepted, read from the header (`None`: the default).
    MaxImagePixels(Option<u64>),
    Lang(String),
    /// Handled by the stylesheet alone (`theme`), or not ours.
    None,
}

/// What setting attribute `name` to `value` (`None`: removed) changes.
pub fn change(name: &str, value: Option<&str>) -> Change {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    match name {
        "endpoint" => Change::Endpoint(endpoint(value)),
        "title" => Change::Title(value.map(str::to_owned)),
        "placeholder" => Change::Placeholder(value.map(str::to_owned)),
        "mode" => Change::Mode(if value.is_some_and(|v| v.eq_ignore_ascii_case("launcher")) {
            Mode::Launcher
        } else {
            Mode::Inline
        }),
        "max-image-side" => {
            Change::MaxImageSide(value.and_then(|v| v.parse::<u32>().ok()).filter(|n| (64..=8192).contains(n)))
        }
        "max-image-bytes" => Change::MaxImageBytes(positive(value)),
        "max-image-pixels" => Change::MaxImagePixels(positive(value)),
        "lang" => Change::Lang(value.unwrap_or("en").to_owned()),
        _ => Change::None,
    }
}

/// The API base from the `endpoint` attribute: as given without a trailing
/// slash, or [`DEFAULT_ENDPOINT`].
pub fn endpoint(value: Option<&str>) -> String {
    match value.map(|v| v.trim().trim_end_matches('/')).filter(|v| !v.is_empty()) {
        Some(v) => v.to_owned(),
        None => DEFAULT_ENDPOINT.to_owned(),
    }
}

fn positive(value: Option<&str>) -> Option<u64> {
    value.and_then(|v| v.parse::<u64>().ok()).filter(|n| *n > 0)
}

/// `limits` with one attribute's change; an absent or invalid value puts
/// the default back.
pub fn apply_limit(limits: Limits, change: &Change) -> Limits {
    let defaults = Limits::default();
    match *change {
        Change::MaxImageSide(side) => Limits { max_side: side.or(defaults.max_side), ..limits },
        Change::MaxImageBytes(bytes) => Limits { max_bytes: bytes.unwrap_or(defaults.max_bytes), ..limits },
        Change::MaxImagePixels(pixels) => Limits { max_pixels: pixels.unwrap_or(defaults.max_pixels), ..limits },
        _ => limits,
    }
}

/// Where a launcher remembers whether it was open: one key per element id,
/// so two launchers on a page (or site) keep their own state.
pub fn open_state_key(element_id: &str) -> String {
    let id = element_id.trim();
    format!("vision-chat:open:{}", if id.is_empty() { "default" } else { id })
}

/// `vision-chat:message`: an answer ended (completely or not).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageDetail {
    /// The answer's text (the first choice's).
    pub text: String,
    /// `complete`, `stopped` or `interrupted`.
    pub state: &'static str,
    /// The service's finish reason (`stop`, `length`, `content_filter`…), if it sent one.
    pub finish_reason: Option<String>,
    /// Token usage, when the service reported it.
    pub usage: Option<Usage>,
}

impl MessageDetail {
    pub fn new(text: String, state: &MessageState, usage: Option<Usage>) -> Self {
        let finish_reason = match state {
            MessageState::Complete(reason) => Some(reason.as_str().to_owned()),
            _ => None,
        };
        MessageDetail { text, state: state.name(), finish_reason, usage }
    }
}

/// `vision-chat:error`: a request failed; the widget shows it too.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorDetail {
    /// `content_filter`, `bad_request`, `auth`, `not_found`, `too_large`,
    /// `rate_limited`, `server`, `network` or `other`.
    pub kind: &'static str,
    pub status: Option<u16>,
    /// The API's error code, when it sent one.
    pub code: Option<String>,
    /// The one-line headline shown in the conversation.
    pub message: String,
    /// What the person can do about it.
    pub advice: String,
    /// Whether the widget offers a retry.
    pub retryable: bool,
}

impl ErrorDetail {
    /// The detail of a failure, worded as the widget shows it (`notice`).
    pub fn new(e: &Explained, notice: &ErrorNotice) -> Self {
        ErrorDetail {
            kind: kind_name(e.kind),
            status: e.status,
            code: e.code.clone(),
            message: notice.headline.clone(),
            advice: notice.advice.clone(),
            retryable: e.retryable(),
        }
    }
}

impl ToJson for MessageDetail {
    fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        o.field("text", &self.text);
        o.field("state", self.state);
        o.field("finish_reason", &self.finish_reason);
        o.field("usage", &self.usage);
        o.end();
    }
}

impl ToJson for ErrorDetail {
    fn write_json(&self, out: &mut String) {
        let mut o = ObjectWriter::new(out);
        o.field("kind", self.kind);
        o.field("status", &self.status);
        o.field("code", &self.code);
        o.field("message", &self.message);
        o.field("advice", &self.advice);
        o.field("retryable", &self.retryable);
        o.end();
    }
}

fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ContentFilter => "content_filter",
        ErrorKind::BadRequest => "bad_request",
        ErrorKind::Auth => "auth",
        ErrorKind::NotFound => "not_found",
        ErrorKind::TooLarge => "too_large",
        ErrorKind::RateLimited => "rate_limited",
        ErrorKind::Server => "server",
        ErrorKind::Network => "network",
        ErrorKind::Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vision_chat_protocol::error::explain_http;
    use vision_chat_protocol::wire::FinishReason;

    #[test]
    fn attributes_are_understood() {
        assert_eq!(change("endpoint", None), Change::Endpoint("/api".into()));
        assert_eq!(
            change("endpoint", Some(" https://chat.example/api/ ")),
            Change::Endpoint("https://chat.example/api".into())
        );
        assert_eq!(change("title", Some("  ")), Change::Title(None));
        assert_eq!(change("title", Some("Chart help")), Change::Title(Some("Chart help".into())));
        assert_eq!(change("placeholder", Some("Ask")), Change::Placeholder(Some("Ask".into())));
        assert_eq!(change("mode", Some("LAUNCHER")), Change::Mode(Mode::Launcher));
        assert_eq!(change("mode", Some("floating")), Change::Mode(Mode::Inline));
        assert_eq!(change("mode", None), Change::Mode(Mode::Inline));
        assert_eq!(change("max-image-side", Some("1024")), Change::MaxImageSide(Some(1024)));
        assert_eq!(change("max-image-side", Some("12")), Change::MaxImageSide(None));
        assert_eq!(change("max-image-side", Some("big")), Change::MaxImageSide(None));
        assert_eq!(change("lang", None), Change::Lang("en".into()));
        assert_eq!(change("theme", Some("dark")), Change::None);
        assert_eq!(change("onclick", Some("alert(1)")), Change::None);
    }

    #[test]
    fn image_limits_change_one_at_a_time() {
        let d = Limits::default();
        let l = apply_limit(d, &change("max-image-side", Some("800")));
        let l = apply_limit(l, &change("max-image-bytes", Some("50000")));
        assert_eq!((l.max_side, l.max_bytes, l.max_pixels), (Some(800), 50_000, d.max_pixels));
        let l = apply_limit(l, &change("max-image-pixels", Some("2000")));
        assert_eq!(l.max_pixels, 2000);
        let l = apply_limit(l, &change("max-image-bytes", Some("lots")));
        let l = apply_limit(l, &change("max-image-side", None));
        assert_eq!((l.max_side, l.max_bytes, l.max_pixels), (d.max_side, d.max_bytes, 2000));
        assert_eq!(change("max-image-pixels", Some("0")), Change::MaxImagePixels(None));
    }

    #[test]
    fn each_launcher_remembers_its_own_state() {
        assert_eq!(open_state_key(""), "vision-chat:open:default");
        assert_eq!(open_state_key("help"), "vision-chat:open:help");
        assert_ne!(open_state_key("a"), open_state_key("b"));
    }

    #[test]
    fn event_details_are_the_documented_json() {
        let usage = Usage { prompt_tokens: 2380, completion_tokens: 12, total_tokens: 2392 };
        let done = MessageDetail::new("A table".into(), &MessageState::Complete(FinishReason::Stop), Some(usage));
        let json = |detail: &dyn Fn(&mut String)| {
            let mut out = String::new();
            detail(&mut out);
            serde_json::from_str::<serde_json::Value>(&out).unwrap()
        };
        assert_eq!(
            json(&|out| done.write_json(out)),
            serde_json::json!({"text": "A table", "state": "complete", "finish_reason": "stop",
                "usage": {"prompt_tokens": 2380, "completion_tokens": 12, "total_tokens": 2392}})
        );
        let stopped = MessageDetail::new("A ta".into(), &MessageState::Stopped, None);
        assert_eq!(stopped.state, "stopped");
        assert_eq!(stopped.finish_reason, None);

        let body = r#"{"error":{"code":"content_filter","param":"prompt","message":"blocked"}}"#;
        let explained = explain_http(400, body, None);
        let error = ErrorDetail::new(&explained, &ErrorNotice::new(&explained, &crate::strings::EN));
        assert_eq!(error.kind, "content_filter");
        assert_eq!(error.status, Some(400));
        assert_eq!(error.code.as_deref(), Some("content_filter"));
        assert!(error.message.contains("blocked"), "{}", error.message);
        assert!(!error.retryable);
        assert!(error.advice.contains("content filter"), "{}", error.advice);
        assert_eq!(
            json(&|out| error.write_json(out)),
            serde_json::json!({"kind": "content_filter", "status": 400, "code": "content_filter",
                "message": error.message, "advice": error.advice, "retryable": false})
        );
    }
}
