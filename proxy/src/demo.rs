//! The built-in demo endpoint, used when no upstream is configured.
//!
//! It speaks the API faithfully — `/info`, non-streaming and streaming
//! completions with the documented chunk shapes, `usage` on the last chunk,
//! `finish_reason` (`stop`, or `length` when `max_tokens` cuts the reply),
//! the one-image rule and the extra-parameters rule — and answers with a
//! deterministic description of what it received, so that the widget can be
//! tried and tested anywhere. It is not a model and says so.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use bytes::Bytes;
use futures_util::StreamExt;
use vision_chat_protocol::image::{inspect, split_data_url};
use vision_chat_protocol::json::{FromJson, ToJson};
use vision_chat_protocol::request::image_count;
use vision_chat_protocol::tokens::{estimate_text_tokens, group_digits, phi35_image_tokens};
use vision_chat_protocol::wire::{
    ChatCompletion, ChatCompletionChunk, ChatRequest, Choice, ChunkChoice, Delta, FinishReason, ModelInfo,
    ResponseMessage, Role, Usage,
};

use crate::api_error::{api_error, json_response};
use crate::config::DemoConfig;

/// The model name the demo reports.
pub const DEMO_MODEL: &str = "vision-chat-demo";

/// `GET /info` of the demo endpoint.
pub fn model_info() -> ModelInfo {
    ModelInfo {
        model_name: DEMO_MODEL.to_owned(),
        model_type: "chat-completions".to_owned(),
        model_provider_name: "vision-chat demo endpoint (no model configured)".to_owned(),
    }
}

/// `POST /chat/completions` of the demo endpoint.
pub fn chat_completions(config: &DemoConfig, headers: &HeaderMap, body: &[u8]) -> Response {
    let request = match std::str::from_utf8(body).map_err(|e| e.to_string()).and_then(ChatRequest::from_json_str) {
        Ok(r) => r,
        Err(e) => {
            return api_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                None,
                format!("The request body is not a valid chat completions request: {e}"),
            )
        }
    };
    let reply = match Reply::for_request(&request, headers) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    if request.stream == Some(true) {
        reply.stream(config)
    } else {
        json_response(StatusCode::OK, &reply.completion())
    }
}

/// A decoded, validated image of the request.
struct SeenImage {
    declared_mime: String,
    format: &'static str,
    mime: &'static str,
    width: u32,
    height: u32,
    bytes: usize,
}

/// The demo's answer to one request.
struct Reply {
    id: String,
    created: u64,
    pieces: Vec<String>,
    finish_reason: FinishReason,
    usage: Usage,
}

type Refusal = Box<Response>;

fn bad_request(param: &str, message: String) -> Refusal {
    Box::new(api_error(StatusCode::BAD_REQUEST, "invalid_request", Some(param), message))
}

impl Reply {
    fn for_request(request: &ChatRequest, headers: &HeaderMap) -> Result<Reply, Refusal> {
        if request.messages.is_empty() {
            return Err(bad_request("messages", "`messages` must contain at least one message.".into()));
        }
        let images = image_count(request);
        if images > 1 {
            return Err(bad_request(
                "messages",
                format!(
                    "Phi-3.5-vision accepts one image per request and keeps only the last one; this request carries {images} images."
                ),
            ));
        }
        if request.response_format.as_ref().is_some_and(|f| f.kind == "json_object") {
            return Err(bad_request(
                "response_format",
                "Phi-3 family models don't support JSON output formatting (response_format json_object).".into(),
            ));
        }
        let extra_mode = headers.get("extra-parameters").and_then(|v| v.to_str().ok()).unwrap_or("error");
        if !request.extra.is_empty() && extra_mode != "pass-through" && extra_mode != "drop" {
            let names: Vec<&str> = request.extra.iter().map(|(name, _)| name).collect();
            return Err(Box::new(api_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "extra_parameters_not_allowed",
                names.first().copied(),
                format!(
                    "Extra parameters {names:?} are not allowed when extra-parameters is not set or set to 'error'. Set the extra-parameters header to 'pass-through' to pass them to the model."
                ),
            )));
        }
        let image =
            request.messages.iter().flat_map(|m| m.content.image_urls()).next().map(decode_image).transpose()?;

        let text = describe(request, image.as_ref(), extra_mode);
        let prompt_text: u64 = request.messages.iter().map(|m| estimate_text_tokens(&m.content.text()) + 4).sum();
        let prompt_tokens = prompt_text + image.as_ref().map_or(0, |i| phi35_image_tokens(i.width, i.height));

        let mut pieces = tokenize(&text);
        let mut finish_reason = FinishReason::Stop;
        if let Some(stop) = &request.stop {
            let joined = pieces.concat();
            if let Some(cut) = stop.sequences().iter().filter(|s| !s.is_empty()).filter_map(|s| joined.find(s)).min() {
                pieces = tokenize(&joined[..cut]);
            }
        }
        if let Some(max) = request.max_tokens {
            if pieces.len() > max as usize {
                pieces.truncate(max as usize);
                finish_reason = FinishReason::Length;
            }
        }
        let completion_tokens = pieces.len() as u64;
        Ok(Reply {
            id: next_id(),
            created: SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            pieces,
            finish_reason,
            usage: Usage { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
        })
    }

    fn completion(&self) -> ChatCompletion {
        ChatCompletion {
            id: self.id.clone(),
            object: "chat.completion".into(),
            created: self.created,
            model: DEMO_MODEL.into(),
            choices: vec![Choice {
                index: 0,
                message: ResponseMessage {
                    role: Role::Assistant,
                    content: Some(self.pieces.concat()),
                    tool_calls: None,
                },
                finish_reason: Some(self.finish_reason.clone()),
                logprobs: None,
            }],
            usage: Some(self.usage),
        }
    }

    fn chunk(&self, delta: Delta, finish_reason: Option<FinishReason>, usage: Option<Usage>) -> Bytes {
        let chunk = ChatCompletionChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".into(),
            created: self.created,
            model: DEMO_MODEL.into(),
            choices: vec![ChunkChoice { index: 0, delta, finish_reason, logprobs: None }],
            usage,
        };
        Bytes::from(format!("data: {}\n\n", chunk.to_json()))
    }

    /// The SSE frames: role first, one per piece, then the finish with usage, then `[DONE]`.
    fn frames(&self) -> Vec<Bytes> {
        let mut frames = Vec::with_capacity(self.pieces.len() + 3);
        frames.push(self.chunk(Delta { role: Some(Role::Assistant), content: Some(String::new()) }, None, None));
        for piece in &self.pieces {
            frames.push(self.chunk(Delta { role: None, content: Some(piece.clone()) }, None, None));
        }
        frames.push(self.chunk(
            Delta { role: None, content: Some(String::new()) },
            Some(self.finish_reason.clone()),
            Some(self.usage),
        ));
        frames.push(Bytes::from_static(b"data: [DONE]\n\n"));
        frames
    }

    fn stream(&self, config: &DemoConfig) -> Response {
        let delay = config.delay;
        let frames =
            futures_util::stream::iter(self.frames().into_iter().enumerate()).then(move |(i, frame)| async move {
                // The role chunk goes at once; the rest at a steady pace, so that
                // incremental rendering can be seen.
                if i > 0 && !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                Ok::<_, Infallible>(frame)
            });
        (
            [(header::CONTENT_TYPE, "text/event-stream; charset=utf-8"), (header::CACHE_CONTROL, "no-cache")],
            Body::from_stream(frames),
        )
            .into_response()
    }
}

fn next_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    format!("demo-{:016x}{:04x}", nanos, COUNTER.fetch_add(1, Ordering::Relaxed) & 0xffff)
}

fn decode_image(url: &str) -> Result<SeenImage, Refusal> {
    let Some((declared, payload)) = split_data_url(url) else {
        return Err(bad_request(
            "messages",
            "image_url must be a base64 data URL (data:image/png;base64,…); the demo endpoint does not fetch remote images.".into(),
        ));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|e| bad_request("messages", format!("The image's base64 data is invalid: {e}.")))?;
    let header = inspect(&bytes).map_err(|e| bad_request("messages", format!("The image was refused: {e}.")))?;
    Ok(SeenImage {
        declared_mime: declared.to_owned(),
        format: header.format.name(),
        mime: header.format.mime(),
        width: header.width,
        height: header.height,
        bytes: bytes.len(),
    })
}

fn describe(request: &ChatRequest, image: Option<&SeenImage>, extra_mode: &str) -> String {
    let count = |role| request.messages.iter().filter(|m| m.role == role).count();
    let (users, assistants, systems) = (count(Role::User), count(Role::Assistant), count(Role::System));
    let mut rows: Vec<(&str, String)> =
        vec![("Turns", format!("{} ({} from you, {} from the assistant)", request.messages.len(), users, assistants))];
    if systems > 0 {
        rows.push(("System", format!("{systems} system message, which Phi-3.5-vision receives as a user message")));
    }
    if let Some(last) = request.messages.iter().rev().find(|m| m.role == Role::User) {
        let text = last.content.text();
        let shown: String = text.chars().take(80).collect();
        let ellipsis = if text.chars().count() > 80 { "…" } else { "" };
        rows.push(("Your last message", format!("\"{shown}{ellipsis}\" ({} characters)", text.chars().count())));
    }
    rows.push((
        "Image",
        match image {
            Some(img) => {
                let mut s = format!(
                    "{}, {} × {} pixels, {} bytes; costs {} prompt tokens on Phi-3.5-vision",
                    img.format,
                    img.width,
                    img.height,
                    group_digits(img.bytes as u64),
                    group_digits(phi35_image_tokens(img.width, img.height))
                );
                if img.declared_mime != img.mime {
                    s.push_str(&format!(
                        " (the data URL declared {}, but the bytes are {})",
                        img.declared_mime, img.format
                    ));
                }
                s
            }
            None => "none".to_owned(),
        },
    ));
    let mut params = Vec::new();
    if let Some(v) = &request.temperature {
        params.push(format!("temperature {v}"));
    }
    if let Some(v) = &request.top_p {
        params.push(format!("top_p {v}"));
    }
    if let Some(v) = request.max_tokens {
        params.push(format!("max_tokens {v}"));
    }
    if let Some(v) = &request.stop {
        params.push(format!("stop {:?}", v.sequences()));
    }
    if let Some(v) = &request.presence_penalty {
        params.push(format!("presence_penalty {v}"));
    }
    if let Some(v) = &request.frequency_penalty {
        params.push(format!("frequency_penalty {v}"));
    }
    if let Some(v) = &request.response_format {
        params.push(format!("response_format {}", v.kind));
    }
    params.push(format!("stream {}", request.stream == Some(true)));
    rows.push(("Parameters", params.join(", ")));
    if !request.extra.is_empty() {
        let names: Vec<&str> = request.extra.iter().map(|(name, _)| name).collect();
        rows.push(("Extra parameters", format!("{extra_mode}: {}", names.join(", "))));
    }

    let mut out = String::from(
        "This is the **vision-chat demo endpoint**, not a model: it describes the request it received.\n\n\
         | What | Received |\n| --- | --- |\n",
    );
    for (what, received) in rows {
        out.push_str(&format!("| {what} | {} |\n", escape_markdown(&received)));
    }
    out.push_str(
        "\nTo talk to a real model, start the proxy with a deployment's endpoint and key:\n\n\
         ```sh\n\
         AZURE_INFERENCE_ENDPOINT=https://<deployment>.<region>.inference.ai.azure.com \\\n\
         AZURE_INFERENCE_CREDENTIAL=<key> cargo xtask run\n\
         ```\n",
    );
    out
}

/// Text made literal inside a markdown table cell.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// The demo's "tokens": words with the white space that follows them.
fn tokenize(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut in_space = false;
    for c in text.chars() {
        if in_space && !c.is_whitespace() {
            pieces.push(std::mem::take(&mut current));
        }
        in_space = c.is_whitespace();
        current.push(c);
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_in_user_text_stays_literal() {
        assert_eq!(escape_markdown("a|b *c* <script>\nx"), "a\\|b \\*c\\* \\<script\\> x");
    }

    #[test]
    fn tokenize_keeps_every_character() {
        let text = "Hello,  world\nnext line ";
        let pieces = tokenize(text);
        assert_eq!(pieces, ["Hello,  ", "world\n", "next ", "line "]);
        assert_eq!(pieces.concat(), text);
        assert!(tokenize("").is_empty());
    }
}
