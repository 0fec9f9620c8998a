//! The conversation as the widget keeps it: pure state logic, no browser.
//!
//! Views hold these values in signals; every decision about what a message
//! means, what to send and how a stream ended is made here.

use vision_chat_protocol::error::Explained;
use vision_chat_protocol::request::Turn;
use vision_chat_protocol::stream::Ending;
use vision_chat_protocol::wire::{FinishReason, Role};

use crate::strings::Strings;

/// Where a message stands.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageState {
    /// A user message that reached the service (or is on its way).
    Sent,
    /// A user message whose request failed before any answer; not part of
    /// the history sent later.
    NotSent,
    /// An answer still arriving.
    Streaming,
    /// An answer that ended with a finish reason.
    Complete(FinishReason),
    /// An answer the user stopped; the partial text is kept.
    Stopped,
    /// An answer cut off by the network or the service; the partial text is kept.
    Interrupted(Interruption),
}

/// Why an answer stopped short.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interruption {
    /// The stream ended without a finish reason.
    Cut,
    /// The service sent an error in the stream (its message).
    Failed(String),
    /// The browser could not run the request at all.
    Unsupported,
}

impl MessageState {
    /// A short status line for the message, if it needs one, in `words`.
    pub fn note(&self, words: &Strings) -> Option<String> {
        match self {
            MessageState::Sent | MessageState::Streaming | MessageState::Complete(FinishReason::Stop) => None,
            MessageState::NotSent => Some(words.note_not_sent.to_owned()),
            MessageState::Complete(FinishReason::Length) => Some(words.note_length.to_owned()),
            MessageState::Complete(FinishReason::ContentFilter) => Some(words.note_filtered.to_owned()),
            MessageState::Complete(other) => Some((words.note_finished)(other.as_str())),
            MessageState::Stopped => Some(words.note_stopped.to_owned()),
            MessageState::Interrupted(why) => Some((words.note_interrupted)(&match why {
                Interruption::Cut => words.interruption_cut.to_owned(),
                Interruption::Failed(message) => (words.interruption_failed)(message),
                Interruption::Unsupported => words.interruption_unsupported.to_owned(),
            })),
        }
    }

    /// Whether this message belongs in the history sent with the next request.
    pub fn in_history(&self) -> bool {
        !matches!(self, MessageState::NotSent | MessageState::Streaming)
    }

    /// A stable name for `data-state`, for styling and tests.
    pub fn name(&self) -> &'static str {
        match self {
            MessageState::Sent => "sent",
            MessageState::NotSent => "not-sent",
            MessageState::Streaming => "streaming",
            MessageState::Complete(_) => "complete",
            MessageState::Stopped => "stopped",
            MessageState::Interrupted(_) => "interrupted",
        }
    }
}

/// The state an answer ends in, given how its stream ended and whether the
/// user pressed Stop.
pub fn final_state(ending: &Ending, stopped_by_user: bool, answer_first_reason: Option<&FinishReason>) -> MessageState {
    if stopped_by_user {
        return MessageState::Stopped;
    }
    match ending {
        Ending::Finished => MessageState::Complete(answer_first_reason.cloned().unwrap_or(FinishReason::Stop)),
        Ending::Failed(e) => MessageState::Interrupted(Interruption::Failed(e.message.clone())),
        Ending::Interrupted => MessageState::Interrupted(Interruption::Cut),
    }
}

/// A message's content as the request history needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    pub role: Role,
    pub text: String,
    pub image: Option<String>,
    pub state: MessageState,
}

/// The turns to send: every message that is part of the history, in order.
pub fn request_turns(items: &[HistoryItem]) -> Vec<Turn> {
    items
        .iter()
        .filter(|m| m.state.in_history() && m.role != Role::System)
        .map(|m| Turn { role: m.role, text: m.text.clone(), image: m.image.clone() })
        .collect()
}

/// What a failed request shows in the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorNotice {
    pub headline: String,
    pub advice: String,
}

impl ErrorNotice {
    /// The notice for a failure, with advice in `words`.
    pub fn new(e: &Explained, words: &Strings) -> Self {
        let mut advice = (words.advice)(e.kind).to_owned();
        if let Some(ms) = e.retry_after_ms {
            advice.push(' ');
            advice.push_str(&(words.asked_to_wait)(&countdown_text(ms)));
        }
        ErrorNotice { headline: e.headline(), advice }
    }
}

/// Automatic retries after HTTP 429 before the person is asked.
pub const MAX_AUTO_RETRIES: u32 = 3;

/// How long to wait before automatic retry number `attempt` (1-based): what
/// the service asked for (`retry-after-ms` / `retry-after`), else an
/// exponential backoff of 1, 2, 4 … seconds; never less than 250 ms or more
/// than a minute.
pub fn retry_delay_ms(attempt: u32, retry_after_ms: Option<u64>) -> u64 {
    let backoff = 1000u64.saturating_mul(1u64 << attempt.saturating_sub(1).min(16));
    retry_after_ms.unwrap_or(backoff).clamp(250, 60_000)
}

/// The countdown shown while waiting: `2.4 s`.
pub fn countdown_text(ms: u64) -> String {
    format!("{} s", vision_chat_protocol::number::tenths(ms, 1_000))
}

/// Whether a key press in the composer sends (Enter without Shift, not while
/// an input method is composing).
pub fn enter_sends(key: &str, shift: bool, composing: bool) -> bool {
    key == "Enter" && !shift && !composing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strings::EN;
    use vision_chat_protocol::error::explain_http;
    use vision_chat_protocol::wire::ApiError;

    fn item(role: Role, text: &str, state: MessageState) -> HistoryItem {
        HistoryItem { role, text: text.into(), image: None, state }
    }

    #[test]
    fn history_leaves_out_unsent_and_streaming_messages() {
        let items = vec![
            item(Role::User, "first", MessageState::Sent),
            item(Role::Assistant, "partial", MessageState::Stopped),
            item(Role::User, "failed", MessageState::NotSent),
            item(Role::User, "again", MessageState::Sent),
            item(Role::Assistant, "", MessageState::Streaming),
        ];
        let turns = request_turns(&items);
        let texts: Vec<&str> = turns.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["first", "partial", "again"]);
    }

    #[test]
    fn endings_map_to_states() {
        assert_eq!(
            final_state(&Ending::Finished, false, Some(&FinishReason::Length)),
            MessageState::Complete(FinishReason::Length)
        );
        assert_eq!(final_state(&Ending::Interrupted, true, None), MessageState::Stopped);
        assert!(matches!(final_state(&Ending::Interrupted, false, None), MessageState::Interrupted(_)));
        let failed =
            Ending::Failed(ApiError { message: "boom".into(), kind: None, param: None, code: None, status: None });
        assert_eq!(
            final_state(&failed, false, None).note(&EN).unwrap(),
            "Interrupted — the partial answer is kept. The service reported: boom"
        );
        assert!(MessageState::Complete(FinishReason::ContentFilter).note(&EN).unwrap().contains("content filter"));
        assert_eq!(MessageState::Complete(FinishReason::Stop).note(&EN), None);
        assert_eq!(
            final_state(&Ending::Interrupted, false, None).note(&EN).unwrap(),
            "Interrupted — the partial answer is kept. The stream ended before the answer was complete."
        );
    }

    #[test]
    fn error_notice_mentions_the_wait() {
        let e = explain_http(429, r#"{"error":{"code":"429","message":"Rate limit is exceeded."}}"#, Some(2500));
        let n = ErrorNotice::new(&e, &EN);
        assert_eq!(n.headline, "HTTP 429: Rate limit is exceeded.");
        assert!(n.advice.ends_with("wait 2.5 s."));
    }

    #[test]
    fn retry_delays() {
        assert_eq!(retry_delay_ms(1, Some(1500)), 1500);
        assert_eq!(retry_delay_ms(1, None), 1000);
        assert_eq!(retry_delay_ms(2, None), 2000);
        assert_eq!(retry_delay_ms(3, None), 4000);
        assert_eq!(retry_delay_ms(1, Some(0)), 250);
        assert_eq!(retry_delay_ms(1, Some(3_600_000)), 60_000);
        assert_eq!(retry_delay_ms(40, None), 60_000);
        assert_eq!(countdown_text(2349), "2.3 s");
    }

    #[test]
    fn enter_sends_only_plain_enter() {
        assert!(enter_sends("Enter", false, false));
        assert!(!enter_sends("Enter", true, false));
        assert!(!enter_sends("Enter", false, true));
        assert!(!enter_sends("a", false, false));
    }
}
