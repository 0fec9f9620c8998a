//! From SSE events to an answer: interprets each event's data as the API's
//! streaming shapes and accumulates the choices, their finish reasons and
//! the usage of the final chunk.

use crate::json::{self, FromJson};
use crate::logprobs::{self, TokenLogprob};
use crate::sse::SseEvent;
use crate::wire::{ApiError, ChatCompletion, ChatCompletionChunk, ErrorEnvelope, FinishReason, Usage};

/// What one event of a completion stream means.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    Chunk(ChatCompletionChunk),
    /// `data: [DONE]`.
    Done,
    /// An error object sent inside the stream.
    Error(ApiError),
    /// Data that is neither; kept short for diagnostics.
    Malformed(String),
}

impl StreamItem {
    pub fn from_event(event: &SseEvent) -> StreamItem {
        let data = event.data.trim();
        if data == "[DONE]" {
            return StreamItem::Done;
        }
        let Ok(value) = json::parse(data) else {
            return StreamItem::Malformed(data.chars().take(120).collect());
        };
        match ChatCompletionChunk::from_json(&value) {
            // Every chunk field is optional, so an error object also reads as
            // an empty chunk: only an empty one is worth a second look.
            Ok(chunk) if !chunk.choices.is_empty() || chunk.usage.is_some() => StreamItem::Chunk(chunk),
            parsed => match ErrorEnvelope::from_json(&value) {
                Ok(env) => StreamItem::Error(env.error),
                Err(_) => match parsed {
                    Ok(chunk) => StreamItem::Chunk(chunk),
                    Err(_) => StreamItem::Malformed(data.chars().take(120).collect()),
                },
            },
        }
    }
}

/// One choice as accumulated so far.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChoiceText {
    pub index: u32,
    pub text: String,
    pub finish_reason: Option<FinishReason>,
    /// Token log probabilities, when the request asked for them.
    pub tokens: Vec<TokenLogprob>,
}

/// How a finished stream ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    /// Every choice has a finish reason.
    Finished,
    /// The service reported an error in the stream.
    Failed(ApiError),
    /// The stream ended before the answer was complete.
    Interrupted,
}

/// What applying one item changed, for the caller to mirror into its view.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Progress {
    /// Text appended to choices, by choice index.
    pub appended: Vec<(u32, String)>,
    /// `true` when usage arrived with this item.
    pub usage: bool,
    /// `true` when a finish reason arrived with this item.
    pub finished: bool,
}

/// An answer being streamed in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    pub model: String,
    pub choices: Vec<ChoiceText>,
    pub usage: Option<Usage>,
    pub done_marker: bool,
    pub error: Option<ApiError>,
    /// Events whose data could not be understood (skipped, not fatal).
    pub malformed: u32,
}

impl Answer {
    pub fn new() -> Self {
        Self::default()
    }

    /// An answer from a non-streaming completion.
    pub fn from_completion(c: &ChatCompletion) -> Self {
        Answer {
            model: c.model.clone(),
            choices: c
                .choices
                .iter()
                .map(|ch| ChoiceText {
                    index: ch.index,
                    text: ch.message.content.clone().unwrap_or_default(),
                    finish_reason: ch.finish_reason.clone(),
                    tokens: ch.logprobs.as_ref().map(logprobs::parse).unwrap_or_default(),
                })
                .collect(),
            usage: c.usage,
            done_marker: true,
            error: None,
            malformed: 0,
        }
    }

    /// The text of the first choice (the one the widget shows by default).
    pub fn text(&self) -> &str {
        self.choice(0).map_or("", |c| c.text.as_str())
    }

    pub fn choice(&self, index: u32) -> Option<&ChoiceText> {
        self.choices.iter().find(|c| c.index == index)
    }

    fn choice_mut(&mut self, index: u32) -> &mut ChoiceText {
        match self.choices.iter().position(|c| c.index == index) {
            Some(i) => &mut self.choices[i],
            None => {
                // Kept in index order: insert where it belongs.
                let i = self.choices.partition_point(|c| c.index < index);
                self.choices.insert(i, ChoiceText { index, ..Default::default() });
                &mut self.choices[i]
            }
        }
    }

    /// Applies one event of the stream.
    pub fn apply(&mut self, item: StreamItem) -> Progress {
        let mut progress = Progress::default();
        match item {
            StreamItem::Chunk(chunk) => {
                if self.model.is_empty() && !chunk.model.is_empty() {
                    self.model = chunk.model;
                }
                for ch in chunk.choices {
                    let state = self.choice_mut(ch.index);
                    if let Some(text) = ch.delta.content.filter(|t| !t.is_empty()) {
                        state.text.push_str(&text);
                        progress.appended.push((ch.index, text));
                    }
                    if let Some(lp) = &ch.logprobs {
                        state.tokens.extend(logprobs::parse(lp));
                    }
                    if let Some(reason) = ch.finish_reason {
                        state.finish_reason = Some(reason);
                        progress.finished = true;
                    }
                }
                if let Some(usage) = chunk.usage {
                    self.usage = Some(usage);
                    progress.usage = true;
                }
            }
            StreamItem::Done => self.done_marker = true,
            StreamItem::Error(e) => self.error = Some(e),
            StreamItem::Malformed(_) => self.malformed += 1,
        }
        progress
    }

    /// Applies a dispatched SSE event.
    pub fn apply_event(&mut self, event: &SseEvent) -> Progress {
        self.apply(StreamItem::from_event(event))
    }

    /// How the stream ended, judged once the body has been read to its end.
    /// `truncated` is what [`crate::sse::SseParser::finish`] reported.
    pub fn ending(&self, truncated: bool) -> Ending {
        if let Some(e) = &self.error {
            return Ending::Failed(e.clone());
        }
        let all_finished = !self.choices.is_empty() && self.choices.iter().all(|c| c.finish_reason.is_some());
        if all_finished && !truncated {
            Ending::Finished
        } else {
            Ending::Interrupted
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::SseParser;

    const RECORDED: &str = concat!(
        "data: {\"id\":\"23b5\",\"object\":\"chat.completion.chunk\",\"created\":1718726371,\"model\":\"Phi-3.5-vision-Instruct\",",
        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null,\"logprobs\":null}]}\n\n",
        "data: {\"id\":\"\",\"object\":\"\",\"created\":0,\"model\":\"\",\"choices\":[],\"prompt_filter_results\":[{\"prompt_index\":0}]}\n\n",
        "data: {\"id\":\"23b5\",\"object\":\"chat.completion.chunk\",\"created\":1718726371,\"model\":\"Phi-3.5-vision-Instruct\",",
        "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Revenue grew \"},\"finish_reason\":null,\"logprobs\":null}]}\n\n",
        "data: {\"id\":\"23b5\",\"object\":\"chat.completion.chunk\",\"created\":1718726371,\"model\":\"Phi-3.5-vision-Instruct\",",
        "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"in Europe — 📈\"},\"finish_reason\":null,\"logprobs\":null}]}\n\n",
        "data: {\"id\":\"23b5\",\"object\":\"chat.completion.chunk\",\"created\":1718726371,\"model\":\"Phi-3.5-vision-Instruct\",",
        "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"stop\",\"logprobs\":null}],",
        "\"usage\":{\"prompt_tokens\":2380,\"total_tokens\":2390,\"completion_tokens\":10}}\n\n",
        "data: [DONE]\n\n",
    );

    fn run(parts: &[&[u8]]) -> (Answer, bool) {
        let mut parser = SseParser::new();
        let mut answer = Answer::new();
        for part in parts {
            for ev in parser.feed(part) {
                answer.apply_event(&ev);
            }
        }
        let truncated = parser.finish();
        (answer, truncated)
    }

    #[test]
    fn recorded_stream_at_every_split() {
        let bytes = RECORDED.as_bytes();
        for cut in 0..=bytes.len() {
            let (a, truncated) = run(&[&bytes[..cut], &bytes[cut..]]);
            assert_eq!(a.text(), "Revenue grew in Europe — 📈", "cut {cut}");
            assert_eq!(a.usage.map(|u| u.total_tokens), Some(2390));
            assert_eq!(a.ending(truncated), Ending::Finished);
            assert!(a.done_marker);
            assert_eq!(a.model, "Phi-3.5-vision-Instruct");
        }
    }

    #[test]
    fn cut_stream_is_interrupted_and_keeps_text() {
        let bytes = RECORDED.as_bytes();
        let cut = RECORDED.find("in Europe").unwrap() + 20;
        let (a, truncated) = run(&[&bytes[..cut]]);
        assert_eq!(a.text(), "Revenue grew ");
        assert!(truncated);
        assert_eq!(a.ending(truncated), Ending::Interrupted);
    }

    #[test]
    fn finish_without_done_marker_is_finished() {
        let end = RECORDED.find("data: [DONE]").unwrap();
        let (a, truncated) = run(&[&RECORDED.as_bytes()[..end]]);
        assert_eq!(a.ending(truncated), Ending::Finished);
        assert!(!a.done_marker);
    }

    #[test]
    fn malformed_chunk_is_skipped_not_fatal() {
        let mut a = Answer::new();
        let p =
            a.apply(StreamItem::from_event(&SseEvent { event: "message".into(), data: "{not json".into(), id: None }));
        assert_eq!(p, Progress::default());
        assert_eq!(a.malformed, 1);
        let p = a.apply_event(&SseEvent {
            event: "message".into(),
            data: r#"{"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"length"}]}"#.into(),
            id: None,
        });
        assert_eq!(p.appended, vec![(0, "ok".to_owned())]);
        assert!(p.finished);
        assert_eq!(a.ending(false), Ending::Finished);
    }

    #[test]
    fn error_inside_stream_fails_the_answer() {
        let mut a = Answer::new();
        a.apply_event(&SseEvent {
            event: "message".into(),
            data: r#"{"error":{"message":"boom","code":"server_error","status":500}}"#.into(),
            id: None,
        });
        match a.ending(false) {
            Ending::Failed(e) => assert_eq!(e.message, "boom"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn logprobs_accumulate_per_choice() {
        let mut a = Answer::new();
        for data in [
            r#"{"choices":[{"index":0,"delta":{"content":"Tue"},"logprobs":{"content":[{"token":"Tue","logprob":-0.1,"top_logprobs":[]}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"sday"},"logprobs":{"content":[{"token":"sday","logprob":-0.01}]},"finish_reason":"stop"}]}"#,
        ] {
            a.apply_event(&SseEvent { event: "message".into(), data: data.into(), id: None });
        }
        let tokens: Vec<&str> = a.choice(0).unwrap().tokens.iter().map(|t| t.token.as_str()).collect();
        assert_eq!(tokens, ["Tue", "sday"]);
    }

    #[test]
    fn several_choices_accumulate_separately() {
        let mut a = Answer::new();
        for data in [
            r#"{"choices":[{"index":1,"delta":{"content":"B"}},{"index":0,"delta":{"content":"A"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]}"#,
        ] {
            a.apply_event(&SseEvent { event: "message".into(), data: data.into(), id: None });
        }
        assert_eq!(a.choice(0).unwrap().text, "Aa");
        assert_eq!(a.choice(1).unwrap().text, "B");
        assert_eq!(a.ending(false), Ending::Interrupted, "choice 1 never finished");
    }
}
