//! The browser edge: the only module that talks HTTP.
//!
//! Components call [`fetch_info`] and [`stream_chat`]; request bodies come
//! from `vision_chat_protocol::request`, and response bytes go through the
//! incremental SSE parser into an [`Answer`], reporting each read's new text
//! as it arrives.

use crate::connection::Auth;
use js_sys::Uint8Array;
use vision_chat_protocol::error::{explain_http, explain_network, parse_retry_after, Explained};
use vision_chat_protocol::json::{FromJson, ToJson};
use vision_chat_protocol::request::extra_parameters_header;
use vision_chat_protocol::sse::SseParser;
use vision_chat_protocol::stream::{Answer, Ending};
use vision_chat_protocol::wire::{ChatCompletion, ChatRequest, ModelInfo};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, Headers, ReadableStreamDefaultReader, ReadableStreamReadResult, RequestInit, Response};

/// `GET {endpoint}/info`.
pub async fn fetch_info(endpoint: &str, auth: &Auth) -> Result<ModelInfo, Explained> {
    let headers = headers(&[("accept", "application/json")], auth)?;
    let response = fetch(&format!("{endpoint}/info"), "GET", &headers, None, None).await?;
    let response = ok_or_explained(response).await?;
    let body = text(&response).await?;
    ModelInfo::from_json_str(&body)
        .map_err(|e| explain_network(&format!("the model information could not be read: {e}")))
}

/// How a chat request ended, when it produced an answer.
pub struct Streamed {
    pub answer: Answer,
    pub ending: Ending,
}

/// `POST {endpoint}/chat/completions`, streaming. `on_text` receives each
/// read's new text of the first choice, `on_usage` the final usage.
///
/// `Err` means no answer at all (HTTP error or network failure before the
/// response); once the response has started, failures end the answer as
/// [`Ending::Interrupted`] with its partial text kept.
pub async fn stream_chat(
    endpoint: &str,
    auth: &Auth,
    request: &ChatRequest,
    signal: &AbortSignal,
    mut on_text: impl FnMut(&str),
) -> Result<Streamed, Explained> {
    let body = request.to_json();
    let accept = if request.stream == Some(true) { "text/event-stream" } else { "application/json" };
    let headers = headers(&[("content-type", "application/json"), ("accept", accept)], auth)?;
    if let Some(extra) = extra_parameters_header(request) {
        headers.set("extra-parameters", extra).map_err(|e| explain_network(&js_error(&e)))?;
    }
    let response = fetch(&format!("{endpoint}/chat/completions"), "POST", &headers, Some(&body), Some(signal)).await?;
    let response = ok_or_explained(response).await?;

    let is_sse = header(&response, "content-type").is_some_and(|t| t.starts_with("text/event-stream"));
    if !is_sse {
        // A non-streaming answer (or a server that ignored `stream`).
        let text = text(&response).await?;
        let completion = ChatCompletion::from_json_str(&text)
            .map_err(|e| explain_network(&format!("the answer could not be read: {e}")))?;
        let answer = Answer::from_completion(&completion);
        on_text(answer.text());
        let ending = answer.ending(false);
        return Ok(Streamed { answer, ending });
    }

    let mut answer = Answer::new();
    let Some(stream) = response.body() else {
        return Ok(Streamed { ending: answer.ending(true), answer });
    };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let mut parser = SseParser::new();
    let mut fresh = String::new();
    let mut slice_started = now();
    let truncated = loop {
        // Reads that are already buffered resolve at once, in microtasks of
        // one task: give the page a turn every few milliseconds so that a
        // burst of data never blocks input or rendering.
        if now() - slice_started > TIME_SLICE_MS {
            yield_to_event_loop().await;
            slice_started = now();
        }
        let result = match JsFuture::from(reader.read()).await {
            Ok(r) => r.unchecked_into::<ReadableStreamReadResult>(),
            // Aborted by the user or cut by the network: keep what arrived.
            Err(_) => break true,
        };
        if result.get_done().unwrap_or(true) {
            break parser.finish();
        }
        let bytes = result.get_value().unchecked_into::<Uint8Array>().to_vec();
        // A large read is handled in slices, with the page's turn between them.
        for slice in bytes.chunks(SLICE_BYTES) {
            if now() - slice_started > TIME_SLICE_MS {
                yield_to_event_loop().await;
                slice_started = now();
            }
            fresh.clear();
            for event in parser.feed(slice) {
                for (index, text) in answer.apply_event(&event).appended {
                    if index == 0 {
                        fresh.push_str(&text);
                    }
                }
            }
            if !fresh.is_empty() {
                on_text(&fresh);
            }
        }
    };
    reader.release_lock();
    let ending = answer.ending(truncated);
    Ok(Streamed { answer, ending })
}

/// Longest stretch of stream processing before the page gets a turn.
const TIME_SLICE_MS: f64 = 3.0;

/// Bytes of a read processed between two checks of the time slice.
const SLICE_BYTES: usize = 4 * 1024;

fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Lets the browser run a task (input, rendering) before continuing.
async fn yield_to_event_loop() {
    sleep_ms(0).await;
}

/// Waits `ms` milliseconds without blocking the page.
pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Request headers: `fixed`, then the credentials' header if any.
fn headers(fixed: &[(&str, &str)], auth: &Auth) -> Result<Headers, Explained> {
    let set = || {
        let headers = Headers::new()?;
        for (name, value) in fixed {
            headers.set(name, value)?;
        }
        if let Some((name, value)) = auth.header() {
            headers.set(name, &value)?;
        }
        Ok(headers)
    };
    set().map_err(|e: JsValue| explain_network(&js_error(&e)))
}

/// `fetch(url, {method, headers, body, signal})`: the response, whatever its status.
async fn fetch(
    url: &str,
    method: &str,
    headers: &Headers,
    body: Option<&str>,
    signal: Option<&AbortSignal>,
) -> Result<Response, Explained> {
    let window = web_sys::window().ok_or_else(|| explain_network("no window to fetch from"))?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_headers(headers);
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    init.set_signal(signal);
    let response =
        JsFuture::from(window.fetch_with_str_and_init(url, &init)).await.map_err(|e| explain_network(&js_error(&e)))?;
    Ok(response.unchecked_into())
}

/// The whole body as text.
async fn text(response: &Response) -> Result<String, Explained> {
    let promise = response.text().map_err(|e| explain_network(&js_error(&e)))?;
    let text = JsFuture::from(promise).await.map_err(|e| explain_network(&js_error(&e)))?;
    Ok(text.as_string().unwrap_or_default())
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).ok().flatten()
}

/// What a rejected promise says: `TypeError: Failed to fetch` and the like.
fn js_error(value: &JsValue) -> String {
    match value.dyn_ref::<js_sys::Error>() {
        Some(error) => format!("{}: {}", String::from(error.name()), String::from(error.message())),
        None => value.as_string().unwrap_or_default(),
    }
}

async fn ok_or_explained(response: Response) -> Result<Response, Explained> {
    if response.ok() {
        return Ok(response);
    }
    let retry =
        parse_retry_after(header(&response, "retry-after-ms").as_deref(), header(&response, "retry-after").as_deref());
    let body = text(&response).await.unwrap_or_default();
    Err(explain_http(response.status(), &body, retry))
}
