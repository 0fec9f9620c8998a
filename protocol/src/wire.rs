//! Wire types of the Azure AI Model Inference API (chat completions and `/info`).
//!
//! These follow the REST reference: requests are written exactly as the
//! service documents them (absent options are omitted, never `null`), and
//! responses are read leniently (unknown fields ignored, optional fields
//! defaulted, `null` as absent) so that a newer service version does not
//! break the widget. Each type reads itself from a [`Value`] and writes
//! itself as JSON text ([`crate::json`]); this module is the only place that
//! knows the names on the wire.

use crate::json::{Fields, FromJson, Map, Number, ObjectWriter, ToJson, Value};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
}

/// A message's content: a plain string or a list of typed parts.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
pub enum ContentPart {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
}

/// An image reference; for this project always a `data:` URL.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageUrl {
    pub url: String,
    pub detail: Option<String>,
}

/// A message of the conversation as sent to the service.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: Content,
}

/// `response_format` of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseFormat {
    pub kind: String,
}

/// `stop`: one string or a list of them.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    pub stream: Option<bool>,
    pub temperature: Option<Number>,
    pub top_p: Option<Number>,
    pub max_tokens: Option<u32>,
    pub stop: Option<Stop>,
    pub presence_penalty: Option<Number>,
    pub frequency_penalty: Option<Number>,
    pub response_format: Option<ResponseFormat>,
    pub seed: Option<i64>,
    pub model: Option<String>,
    /// Parameters outside the API's own list, passed through to the model.
    pub extra: Map,
}

/// Why generation stopped. Unknown reasons are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    Stop,
    Length,
    ContentFilter,
    ToolCalls,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
}

/// The assistant message of a non-streaming choice.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseMessage {
    pub role: Role,
    pub content: Option<String>,
    pub tool_calls: Option<Value>,
}

/// One choice of a non-streaming completion.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub index: u32,
    pub message: ResponseMessage,
    pub finish_reason: Option<FinishReason>,
    pub logprobs: Option<Value>,
}

/// A non-streaming completion (`object: "chat.completion"`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChatCompletion {
    pub id: String,
    pub object: String,
    pub created: u64,
    pub model: String,
    pub choices: Vec<Choice>,
    pub usage: Option<Usage>,
}

/// The incremental part of a streamed choice.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Delta {
    pub role: Option<Role>,
    pub content: Option<String>,
}

/// One choice of a streamed chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    pub finish_reason: Option<FinishReason>,
    pub logprobs: Option<Value>,
}

/// A streamed chunk (`object: "chat.completion.chunk"`).
///
/// `choices` may be empty (annotation chunks); never index it unguarded.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatCompletionChunk {
    pub id: String,
    pub object: String,
    pub created: u64,
    pub model: String,
    pub choices: Vec<ChunkChoice>,
    pub usage: Option<Usage>,
}

/// `GET /info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    pub model_name: String,
    pub model_type: String,
    pub model_provider_name: String,
}

/// The service's error envelope: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorEnvelope {
    pub error: ApiError,
}

/// The body of an API error.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub message: String,
    pub kind: Option<String>,
    pub param: Option<String>,
    pub code: Option<String>,
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

// ---- Reading and writing: the names on the wire ----

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

impl FromJson for Role {
    fn from_json(value: &Value) -> Result<Self, String> {
        match String::from_json(value)?.as_str() {
            "system" => Ok(Role::System),
            "user" => Ok(Role::User),
            "assistant" => Ok(Role::Assistant),
            other => Err(format!("unknown role `{other}`")),
        }
    }
}

impl ToJson for Role {
    fn write_json(&self, out: &mut String) {
        self.as_str().write_json(out);
    }
}

impl FromJson for Content {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(text) => Ok(Content::Text(text.clone())),
            _ => Vec::from_json(value).map(Content::Parts),
        }
    }
}

impl ToJson for Content {
    fn write_json(&self, out: &mut String) {
        match self {
            Content::Text(text) => text.write_json(out),
            Content::Parts(parts) => parts.write_json(out),
        }
    }
}

impl FromJson for ContentPart {
    fn from_json(value: &Value) -> Result<Self, String> {
        let fields = Fields::of(value, "content part")?;
        match fields.required::<String>("type")?.as_str() {
            "text" => Ok(ContentPart::Text { text: fields.required("text")? }),
            "image_url" => Ok(ContentPart::ImageUrl { image_url: fields.required("image_url")? }),
            other => Err(format!("unknown content part type `{other}`")),
        }
    }
}

impl ToJson for ContentPart {
    fn write_json(&self, out: &mut String) {
        let mut object = ObjectWriter::new(out);
        match self {
            ContentPart::Text { text } => {
                object.field("type", "text");
                object.field("text", text);
            }
            ContentPart::ImageUrl { image_url } => {
                object.field("type", "image_url");
                object.field("image_url", image_url);
            }
        }
        object.end();
    }
}

impl FromJson for Stop {
    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(s) => Ok(Stop::One(s.clone())),
            _ => Vec::from_json(value).map(Stop::Many),
        }
    }
}

impl ToJson for Stop {
    fn write_json(&self, out: &mut String) {
        match self {
            Stop::One(s) => s.write_json(out),
            Stop::Many(list) => list.write_json(out),
        }
    }
}

/// A JSON object type, member by member: its name on the wire, how it is
/// read (`required`; `optional`: absent or `null` is `None`; `or_default`)
/// and how it is written (`field`; `some`: left out when `None`).
macro_rules! json_object {
    ($type:ident as $what:literal { $($field:ident: $name:literal, $read:ident, $write:ident;)* }) => {
        impl FromJson for $type {
            fn from_json(value: &Value) -> Result<Self, String> {
                let fields = Fields::of(value, $what)?;
                Ok($type { $($field: fields.$read($name)?,)* })
            }
        }

        impl ToJson for $type {
            fn write_json(&self, out: &mut String) {
                let mut object = ObjectWriter::new(out);
                $(object.$write($name, &self.$field);)*
                object.end();
            }
        }
    };
}

json_object!(ImageUrl as "image_url" {
    url: "url", required, field;
    detail: "detail", optional, some;
});

json_object!(Message as "message" {
    role: "role", required, field;
    content: "content", required, field;
});

json_object!(ResponseFormat as "response_format" {
    kind: "type", required, field;
});

json_object!(Usage as "usage" {
    prompt_tokens: "prompt_tokens", required, field;
    completion_tokens: "completion_tokens", required, field;
    total_tokens: "total_tokens", required, field;
});

json_object!(ResponseMessage as "message" {
    role: "role", required, field;
    content: "content", optional, field;
    tool_calls: "tool_calls", optional, field;
});

json_object!(Choice as "choice" {
    index: "index", required, field;
    message: "message", required, field;
    finish_reason: "finish_reason", optional, field;
    logprobs: "logprobs", optional, field;
});

json_object!(ChatCompletion as "completion" {
    id: "id", required, field;
    object: "object", required, field;
    created: "created", required, field;
    model: "model", required, field;
    choices: "choices", required, field;
    usage: "usage", optional, field;
});

json_object!(Delta as "delta" {
    role: "role", optional, some;
    content: "content", optional, some;
});

json_object!(ChunkChoice as "choice" {
    index: "index", required, field;
    delta: "delta", or_default, field;
    finish_reason: "finish_reason", optional, field;
    logprobs: "logprobs", optional, field;
});

json_object!(ChatCompletionChunk as "chunk" {
    id: "id", or_default, field;
    object: "object", or_default, field;
    created: "created", or_default, field;
    model: "model", or_default, field;
    choices: "choices", or_default, field;
    usage: "usage", optional, some;
});

json_object!(ModelInfo as "model information" {
    model_name: "model_name", required, field;
    model_type: "model_type", required, field;
    model_provider_name: "model_provider_name", required, field;
});

json_object!(ErrorEnvelope as "error envelope" {
    error: "error", required, field;
});

json_object!(ApiError as "error" {
    message: "message", required, field;
    kind: "type", optional, field;
    param: "param", optional, field;
    code: "code", optional, field;
    status: "status", optional, field;
});

/// The request members the API itself defines; any other is an extra.
const REQUEST_FIELDS: [&str; 11] = [
    "messages",
    "stream",
    "temperature",
    "top_p",
    "max_tokens",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "response_format",
    "seed",
    "model",
];

impl FromJson for ChatRequest {
    fn from_json(value: &Value) -> Result<Self, String> {
        let f = Fields::of(value, "request")?;
        Ok(ChatRequest {
            messages: f.required("messages")?,
            stream: f.optional("stream")?,
            temperature: f.optional("temperature")?,
            top_p: f.optional("top_p")?,
            max_tokens: f.optional("max_tokens")?,
            stop: f.optional("stop")?,
            presence_penalty: f.optional("presence_penalty")?,
            frequency_penalty: f.optional("frequency_penalty")?,
            response_format: f.optional("response_format")?,
            seed: f.optional("seed")?,
            model: f.optional("model")?,
            extra: f.others(&REQUEST_FIELDS),
        })
    }
}

impl ToJson for ChatRequest {
    fn write_json(&self, out: &mut String) {
        let mut object = ObjectWriter::new(out);
        object.field("messages", &self.messages);
        object.some("stream", &self.stream);
        object.some("temperature", &self.temperature);
        object.some("top_p", &self.top_p);
        object.some("max_tokens", &self.max_tokens);
        object.some("stop", &self.stop);
        object.some("presence_penalty", &self.presence_penalty);
        object.some("frequency_penalty", &self.frequency_penalty);
        object.some("response_format", &self.response_format);
        object.some("seed", &self.seed);
        object.some("model", &self.model);
        for (name, value) in self.extra.iter().filter(|(name, _)| !REQUEST_FIELDS.contains(name)) {
            object.field(name, value);
        }
        object.end();
    }
}

impl FromJson for FinishReason {
    fn from_json(value: &Value) -> Result<Self, String> {
        Ok(match String::from_json(value)?.as_str() {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "content_filter" => FinishReason::ContentFilter,
            "tool_calls" => FinishReason::ToolCalls,
            other => FinishReason::Other(other.to_owned()),
        })
    }
}

impl ToJson for FinishReason {
    fn write_json(&self, out: &mut String) {
        self.as_str().write_json(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What serde_json reads from a type's JSON text.
    fn written(value: &impl ToJson) -> serde_json::Value {
        serde_json::from_str(&value.to_json()).unwrap()
    }

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
            temperature: Number::from_decimal("0.5"),
            max_tokens: Some(2048),
            ..Default::default()
        };
        assert_eq!(
            written(&req),
            json!({
                "messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": [
                        {"type": "text", "text": "Which conclusion?"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
                    ]}
                ],
                "stream": true,
                "temperature": 0.5,
                "max_tokens": 2048
            })
        );
    }

    #[test]
    fn extras_are_flattened_into_the_body() {
        let mut req = ChatRequest::default();
        req.extra.insert("logprobs", Value::Bool(true));
        // A member the API defines is never written twice.
        req.extra.insert("stream", Value::Bool(false));
        req.stream = Some(true);
        assert_eq!(req.to_json(), r#"{"messages":[],"stream":true,"logprobs":true}"#);
        let back = ChatRequest::from_json_str(&req.to_json()).unwrap();
        assert_eq!(back.extra.get("logprobs"), Some(&Value::Bool(true)));
        assert_eq!(back.extra.len(), 1);
        assert_eq!(back.stream, Some(true));
    }

    #[test]
    fn parses_the_documented_completion() {
        let body = r#"{"id":"0a1234b5de6789f01gh2i345j6789klm","object":"chat.completion","created":1718726686,
            "model":"Phi-3.5-vision-Instruct","choices":[{"index":0,"message":{"role":"assistant",
            "content":"As of now…","tool_calls":null},"finish_reason":"stop","logprobs":null}],
            "usage":{"prompt_tokens":2380,"completion_tokens":126,"total_tokens":2506}}"#;
        let c = ChatCompletion::from_json_str(body).unwrap();
        assert_eq!(c.choices[0].finish_reason, Some(FinishReason::Stop));
        assert_eq!(c.choices[0].message.content.as_deref(), Some("As of now…"));
        assert_eq!(c.usage.unwrap().total_tokens, 2506);
    }

    #[test]
    fn parses_chunks_including_empty_choices_and_unknown_reasons() {
        let first = ChatCompletionChunk::from_json_str(
            r#"{"id":"x","object":"chat.completion.chunk","created":1,"model":"m",
            "choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null,"logprobs":null}]}"#,
        )
        .unwrap();
        assert_eq!(first.choices[0].delta.role, Some(Role::Assistant));
        let annotation = ChatCompletionChunk::from_json_str(
            r#"{"id":"","object":"","created":0,"model":"","choices":[],"prompt_filter_results":[]}"#,
        )
        .unwrap();
        assert!(annotation.choices.is_empty());
        let odd = ChatCompletionChunk::from_json_str(r#"{"choices":[{"index":0,"delta":{},"finish_reason":"eos"}]}"#)
            .unwrap();
        assert_eq!(odd.choices[0].finish_reason, Some(FinishReason::Other("eos".into())));
        assert_eq!(odd.choices[0].finish_reason.as_ref().unwrap().as_str(), "eos");
    }

    #[test]
    fn parses_the_documented_content_filter_error() {
        let body = r#"{"error":{"message":"The response was filtered due to the prompt triggering Microsoft's content management policy. Please modify your prompt and retry.","type":null,"param":"prompt","code":"content_filter","status":400}}"#;
        let e = ErrorEnvelope::from_json_str(body).unwrap();
        assert_eq!(e.error.code.as_deref(), Some("content_filter"));
        assert_eq!(e.error.param.as_deref(), Some("prompt"));
        assert_eq!(e.error.status, Some(400));
        assert_eq!(written(&e), serde_json::from_str::<serde_json::Value>(body).unwrap());
    }

    #[test]
    fn every_type_reads_back_what_it_writes() {
        fn round_trip<T: FromJson + ToJson + PartialEq + std::fmt::Debug>(value: T) {
            assert_eq!(T::from_json_str(&value.to_json()).unwrap(), value);
        }
        let usage = Usage { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };
        let logprobs = crate::json::parse(r#"{"content":[{"token":"a","logprob":-0.5,"top_logprobs":[]}]}"#).unwrap();
        round_trip(ChatRequest {
            messages: vec![Message {
                role: Role::User,
                content: Content::Parts(vec![
                    ContentPart::Text { text: "é \"q\" \n".into() },
                    ContentPart::ImageUrl {
                        image_url: ImageUrl { url: "data:,x".into(), detail: Some("high".into()) },
                    },
                ]),
            }],
            stream: Some(false),
            temperature: Number::from_decimal("0.25"),
            top_p: Number::from_decimal("1"),
            max_tokens: Some(7),
            stop: Some(Stop::One("END".into())),
            presence_penalty: Number::from_decimal("-1.5"),
            frequency_penalty: Number::from_decimal("2"),
            response_format: Some(ResponseFormat { kind: "text".into() }),
            seed: Some(-42),
            model: Some("m".into()),
            extra: crate::json::parse(r#"{"n":2,"logit_bias":{"1":-100}}"#).unwrap().as_object().unwrap().clone(),
        });
        round_trip(ChatCompletion {
            id: "c".into(),
            object: "chat.completion".into(),
            created: 1,
            model: "m".into(),
            choices: vec![Choice {
                index: 0,
                message: ResponseMessage { role: Role::Assistant, content: Some("hi".into()), tool_calls: None },
                finish_reason: Some(FinishReason::Other("eos".into())),
                logprobs: Some(logprobs.clone()),
            }],
            usage: Some(usage),
        });
        round_trip(ChatCompletionChunk {
            id: "c".into(),
            object: "chat.completion.chunk".into(),
            created: 2,
            model: "m".into(),
            choices: vec![ChunkChoice {
                index: 1,
                delta: Delta { role: None, content: Some("x".into()) },
                finish_reason: Some(FinishReason::Length),
                logprobs: Some(logprobs),
            }],
            usage: Some(usage),
        });
        round_trip(ModelInfo { model_name: "a".into(), model_type: "b".into(), model_provider_name: "c".into() });
        round_trip(ErrorEnvelope::new(429, "rate_limit", Some("p"), "slow down"));
    }

    #[test]
    fn shapes_that_do_not_fit_are_refused_with_the_reason() {
        let refused = |text: &str| ChatCompletionChunk::from_json_str(text).unwrap_err();
        assert_eq!(refused("[]"), "expected an object (chunk), found an array");
        assert_eq!(refused(r#"{"choices":[{"delta":{}}]}"#), "`choices`: [0]: missing field `index`");
        assert_eq!(
            refused(r#"{"choices":[{"index":"0"}]}"#),
            "`choices`: [0]: `index`: expected a whole number, found a string"
        );
        assert_eq!(
            refused(r#"{"choices":[{"index":0,"delta":{"role":"robot"}}]}"#),
            "`choices`: [0]: `delta`: `role`: unknown role `robot`"
        );
        assert_eq!(refused("{"), "EOF while parsing an object at line 1 column 2");
        assert!(ChatRequest::from_json_str(r#"{"messages":[{"role":"user","content":[{"type":"audio"}]}]}"#)
            .unwrap_err()
            .contains("unknown content part type `audio`"));
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
