//! Wire types of the Azure AI Model Inference API (chat completions and `/info`).
//!
//! These follow the REST reference: requests are serialised exactly as the
//! service documents them (absent options are omitted, never `null`), and
//! responses are parsed leniently (unknown fields ignored, optional fields
//! defaulted) so that a newer service version does not break the widget.

use serde::{Deserialize, Serialize};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// A message's content: a plain string or a list of typed parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl Content {
    /// All text of the content, parts joined by newlines.
    pub fn text(&self) -> String {
        match self {
            Content::Text(t) => t.clone(),
            Content::Parts(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    ContentPart::Text { text } => Some(text.as_str()),
                    ContentPart::ImageUrl { .. } => None,
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// The image URLs the content carries.
    pub fn image_urls(&self) -> impl Iterator<Item = &str> {
        let parts: &[ContentPart] = match self {
            Content::Text(_) => &[],
            Content::Parts(parts) => parts,
        };
        parts.iter().filter_map(|p| match p {
            ContentPart::ImageUrl { image_url } => Some(image_url.url.as_str()),
            ContentPart::Text { .. } => None,
        })
    }
}

/// One part of a multi-part content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
}

/// An image reference; for this project always a `data:` URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageUrl {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A message of the conversation as sent to the service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: Content,
}

/// `response_format` of a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseFormat {
    #[serde(rename = "type")]
    pub kind: String,
}

/// `stop`: one string or a list of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

impl Stop {
    pub fn sequences(&self) -> Vec<&str> {
        match self {
            Stop::One(s) => vec![s.as_str()],
            Stop::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// Body of `POST /chat/completions`.
///
/// Extra parameters (`logprobs`, `n`, …) travel in [`ChatRequest::extra`]
/// and require the `extra-parameters: pass-through` header.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Parameters outside the API's own list, passed through to the model.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Why generation stopped. Unknown reasons are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    Length,
    ContentFilter,
    ToolCalls,
    #[serde(untagged)]
    Other(String),
}

impl FinishReason {
    pub fn as_str(&self) -> &str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::Other(s) => s,
        }
    }
}

/// Token accounting of a completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

/// The assistant message of a non-streaming choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseMessage {
    pub role: Role,
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub tool_calls: Option<serde_json::Value>,
}

/// One choice of a non-streaming completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    pub index: u32,
    pub message: ResponseMessage,
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
    #[serde(default)]
    pub logprobs: Option<serde_json::Value>,
}

/// A non-streaming completion (`object: "chat.completion"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletion {
    pub id: String,
    pub object: String,
    pub created: u64,
    pub model: String,
    pub choices: Vec<Choice>,
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// The incremental part of a streamed choice.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// One choice of a streamed chunk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkChoice {
    pub index: u32,
    #[serde(default)]
    pub delta: Delta,
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
    #[serde(default)]
    pub logprobs: Option<serde_json::Value>,
}

/// A streamed chunk (`object: "chat.completion.chunk"`).
///
/// `choices` may be empty (annotation chunks); never index it unguarded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionChunk {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub object: String,
    #[serde(default)]
    pub created: u64,
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// `GET /info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub model_name: String,
    pub model_type: String,
    pub model_provider_name: String,
}

/// The service's error envelope: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ApiError,
}

/// The body of an API error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    pub message: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub param: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
}

impl ErrorEnvelope {
    /// An error in the API's own shape.
    pub fn new(status: u16, code: &str, param: Option<&str>, message: impl Into<String>) -> Self {
        ErrorEnvelope {
            error: ApiError {
                message: message.into(),
                kind: None,
                param: param.map(str::to_owned),
                code: Some(code.to_owned()),
                status: Some(status),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_serialises_exactly_as_documented() {
        let req = ChatRequest {
            messages: vec![
                Message { role: Role::System, content: Content::Text("You are a helpful assistant.".into()) },
                Message {
                    role: Role::User,
                    content: Content::Parts(vec![
                        ContentPart::Text { text: "Which conclusion?".into() },
                        ContentPart::ImageUrl {
                            image_url: ImageUrl { url: "data:image/png;base64,AAAA".into(), detail: None },
                        },
                    ]),
                },
            ],
            stream: Some(true),
            temperature: Some(0.0),
            max_tokens: Some(2048),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&req).unwrap(),
            json!({
                "messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": [
                        {"type": "text", "text": "Which conclusion?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
                    ]}
                ],
                "stream": true,
                "temperature": 0.0,
                "max_tokens": 2048
            })
        );
    }

    #[test]
    fn extras_are_flattened_into_the_body() {
        let mut req = ChatRequest::default();
        req.extra.insert("logprobs".into(), json!(true));
        let v = serde_json::to_value(&req).unwrap();
        assert_eq!(v, json!({"messages": [], "logprobs": true}));
        let back: ChatRequest = serde_json::from_value(v).unwrap();
        assert_eq!(back.extra.get("logprobs"), Some(&json!(true)));
    }

    #[test]
    fn parses_the_documented_completion() {
        let body = r#"{"id":"0a1234b5de6789f01gh2i345j6789klm","object":"chat.completion","created":1718726686,
            "model":"Phi-3.5-vision-Instruct","choices":[{"index":0,"message":{"role":"assistant",
            "content":"As of now…","tool_calls":null},"finish_reason":"stop","logprobs":null}],
            "usage":{"prompt_tokens":2380,"completion_tokens":126,"total_tokens":2506}}"#;
        let c: ChatCompletion = serde_json::from_str(body).unwrap();
        assert_eq!(c.choices[0].finish_reason, Some(FinishReason::Stop));
        assert_eq!(c.choices[0].message.content.as_deref(), Some("As of now…"));
        assert_eq!(c.usage.unwrap().total_tokens, 2506);
    }

    #[test]
    fn parses_chunks_including_empty_choices_and_unknown_reasons() {
        let first: ChatCompletionChunk = serde_json::from_str(
            r#"{"id":"x","object":"chat.completion.chunk","created":1,"model":"m",
            "choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,"logprobs":null}]}"#,
        )
        .unwrap();
        assert_eq!(first.choices[0].delta.role, Some(Role::Assistant));
        let annotation: ChatCompletionChunk = serde_json::from_str(
            r#"{"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[]}"#,
        )
        .unwrap();
        assert!(annotation.choices.is_empty());
        let odd: ChatCompletionChunk =
            serde_json::from_str(r#"{"choices":[{"index":0,"delta":{},"finish_reason":"eos"}]}"#).unwrap();
        assert_eq!(odd.choices[0].finish_reason, Some(FinishReason::Other("eos".into())));
        assert_eq!(odd.choices[0].finish_reason.as_ref().unwrap().as_str(), "eos");
    }

    #[test]
    fn parses_the_documented_content_filter_error() {
        let body = r#"{"error":{"message":"The response was filtered due to the prompt triggering Microsoft's content management policy. Please modify your prompt and retry.","type":null,"param":"prompt","code":"content_filter","status":400}}"#;
        let e: ErrorEnvelope = serde_json::from_str(body).unwrap();
        assert_eq!(e.error.code.as_deref(), Some("content_filter"));
        assert_eq!(e.error.param.as_deref(), Some("prompt"));
        assert_eq!(e.error.status, Some(400));
        assert_eq!(serde_json::from_str::<serde_json::Value>(body).unwrap()["error"]["type"], json!(null));
    }

    #[test]
    fn content_text_and_images() {
        let c = Content::Parts(vec![
            ContentPart::Text { text: "a".into() },
            ContentPart::ImageUrl { image_url: ImageUrl { url: "data:x".into(), detail: None } },
            ContentPart::Text { text: "b".into() },
        ]);
        assert_eq!(c.text(), "a\nb");
        assert_eq!(c.image_urls().collect::<Vec<_>>(), vec!["data:x"]);
        assert_eq!(Content::Text("t".into()).image_urls().count(), 0);
    }
}
