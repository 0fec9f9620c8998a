//! Builds request bodies from a conversation.
//!
//! Phi-3.5-vision takes one image per turn and keeps only the last image in
//! context; a request with several images is an error. So the history sent
//! keeps every turn's text but only the newest image; earlier images become
//! a short text marker, which also tells the model an image was there.

use crate::json::{Map, Number};
use crate::wire::{ChatRequest, Content, ContentPart, ImageUrl, Message, ResponseFormat, Role, Stop};

/// Stands in for an image that is no longer sent.
pub const OMITTED_IMAGE_MARKER: &str = "[earlier image omitted: only the latest image stays in context]";

/// A turn of the conversation as the widget keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub role: Role,
    pub text: String,
    /// A `data:` URL.
    pub image: Option<String>,
}

impl Turn {
    pub fn user(text: impl Into<String>, image: Option<String>) -> Self {
        Turn { role: Role::User, text: text.into(), image }
    }

    pub fn assistant(text: impl Into<String>) -> Self {
        Turn { role: Role::Assistant, text: text.into(), image: None }
    }
}

/// Options of a request other than the messages.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestOptions {
    pub system: Option<String>,
    pub stream: bool,
    pub temperature: Option<Number>,
    pub top_p: Option<Number>,
    pub max_tokens: Option<u32>,
    pub stop: Vec<String>,
    pub presence_penalty: Option<Number>,
    pub frequency_penalty: Option<Number>,
    /// `response_format.type`; `None` leaves it to the service.
    pub response_format: Option<String>,
    /// Parameters outside the API's list (`logprobs`, `n`, …), sent with
    /// `extra-parameters: pass-through`.
    pub extra: Map,
}

/// Index of the turn whose image the model sees, if any.
pub fn visible_image(turns: &[Turn]) -> Option<usize> {
    turns.iter().rposition(|t| t.image.is_some())
}

/// The messages to send: text of every turn, the newest image only.
pub fn build_messages(turns: &[Turn], system: Option<&str>) -> Vec<Message> {
    let visible = visible_image(turns);
    let system = system
        .filter(|s| !s.trim().is_empty())
        .map(|s| Message { role: Role::System, content: Content::Text(s.to_owned()) });
    let history = turns.iter().enumerate().filter_map(|(i, turn)| {
        let content = match (&turn.image, visible == Some(i)) {
            (Some(url), true) => {
                let mut parts = Vec::with_capacity(2);
                if !turn.text.is_empty() {
                    parts.push(ContentPart::Text { text: turn.text.clone() });
                }
                parts.push(ContentPart::ImageUrl { image_url: ImageUrl { url: url.clone(), detail: None } });
                Content::Parts(parts)
            }
            (Some(_), false) if turn.text.is_empty() => Content::Text(OMITTED_IMAGE_MARKER.to_owned()),
            (Some(_), false) => Content::Text(format!("{OMITTED_IMAGE_MARKER}\n{}", turn.text)),
            (None, _) if turn.text.is_empty() => return None,
            (None, _) => Content::Text(turn.text.clone()),
        };
        Some(Message { role: turn.role, content })
    });
    system.into_iter().chain(history).collect()
}

/// The request body for a conversation.
pub fn build_request(turns: &[Turn], options: &RequestOptions) -> ChatRequest {
    ChatRequest {
        messages: build_messages(turns, options.system.as_deref()),
        stream: options.stream.then_some(true),
        temperature: options.temperature.clone(),
        top_p: options.top_p.clone(),
        max_tokens: options.max_tokens,
        stop: (!options.stop.is_empty()).then(|| Stop::Many(options.stop.clone())),
        presence_penalty: options.presence_penalty.clone(),
        frequency_penalty: options.frequency_penalty.clone(),
        response_format: options.response_format.clone().map(|kind| ResponseFormat { kind }),
        extra: options.extra.clone(),
        ..Default::default()
    }
}

/// The `extra-parameters` header a request needs: `pass-through` when it
/// carries parameters outside the API's list, none otherwise.
pub fn extra_parameters_header(request: &ChatRequest) -> Option<&'static str> {
    (!request.extra.is_empty()).then_some("pass-through")
}

/// Counts the images in a request (the service accepts at most one).
pub fn image_count(request: &ChatRequest) -> usize {
    request.messages.iter().map(|m| m.content.image_urls().count()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{ToJson, Value};
    use serde_json::json;

    /// What serde_json reads from a value's JSON text.
    fn written(value: &impl ToJson) -> serde_json::Value {
        serde_json::from_str(&value.to_json()).unwrap()
    }

    #[test]
    fn only_the_newest_image_is_sent() {
        let turns = vec![
            Turn::user("first chart", Some("data:image/png;base64,AAA".into())),
            Turn::assistant("It shows A."),
            Turn::user("and this one?", Some("data:image/jpeg;base64,BBB".into())),
            Turn::assistant("It shows B."),
            Turn::user("compare them", None),
        ];
        let req = build_request(&turns, &RequestOptions { stream: true, ..Default::default() });
        assert_eq!(image_count(&req), 1);
        assert_eq!(visible_image(&turns), Some(2));
        let v = written(&req);
        assert_eq!(v["stream"], json!(true));
        assert_eq!(v["messages"][0]["content"], json!(format!("{OMITTED_IMAGE_MARKER}\nfirst chart")));
        assert_eq!(
            v["messages"][2]["content"],
            json!([{"type":"text","text":"and this one?"},{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,BBB"}}])
        );
        assert_eq!(v["messages"][4], json!({"role":"user","content":"compare them"}));
    }

    #[test]
    fn image_only_turn_and_system_message() {
        let turns = vec![Turn::user("", Some("data:image/png;base64,AAA".into()))];
        let msgs = build_messages(&turns, Some("Be brief."));
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].role, Role::System);
        assert_eq!(written(&msgs[1].content).as_array().unwrap().len(), 1);
        assert_eq!(build_messages(&turns, Some("  ")).len(), 1);
    }

    #[test]
    fn every_parameter_and_extra_lands_in_the_body() {
        let mut extra = Map::new();
        extra.insert("logprobs", Value::Bool(true));
        extra.insert("top_logprobs", Value::from(3u64));
        let options = RequestOptions {
            system: Some("You are terse.".into()),
            stream: true,
            temperature: Number::from_decimal("0.0"),
            top_p: Number::from_decimal("1.0"),
            max_tokens: Some(2048),
            stop: vec!["<|endoftext|>".into()],
            presence_penalty: Number::from_decimal("0.1"),
            frequency_penalty: Number::from_decimal("0.8"),
            response_format: Some("text".into()),
            extra,
        };
        let req = build_request(&[Turn::user("How many languages are in the world?", None)], &options);
        assert_eq!(
            written(&req),
            json!({
                "messages": [
                    {"role": "system", "content": "You are terse."},
                    {"role": "user", "content": "How many languages are in the world?"}
                ],
                "stream": true,
                "presence_penalty": 0.1,
                "frequency_penalty": 0.8,
                "max_tokens": 2048,
                "stop": ["<|endoftext|>"],
                "temperature": 0.0,
                "top_p": 1.0,
                "response_format": {"type": "text"},
                "logprobs": true,
                "top_logprobs": 3
            })
        );
        assert_eq!(extra_parameters_header(&req), Some("pass-through"));
    }

    #[test]
    fn empty_turns_are_skipped_and_no_extras_means_no_header() {
        let turns = vec![Turn::user("hi", None), Turn::assistant("")];
        let req = build_request(&turns, &RequestOptions::default());
        assert_eq!(req.messages.len(), 1);
        assert_eq!(req.stream, None);
        assert_eq!(extra_parameters_header(&req), None);
        let mut req = req;
        req.extra.insert("logprobs", Value::Bool(true));
        assert_eq!(extra_parameters_header(&req), Some("pass-through"));
    }
}
