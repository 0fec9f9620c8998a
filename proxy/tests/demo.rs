//! The built-in demo endpoint over real HTTP: the API's shapes and rules.

mod common;

use std::time::Duration;

use base64::Engine;
use common::{client, spawn_proxy};
use futures_util::StreamExt;
use serde_json::{json, Value};
use vision_chat_protocol::json::{FromJson, ToJson};
use vision_chat_protocol::sse::SseParser;
use vision_chat_protocol::stream::{Answer, Ending, StreamItem};
use vision_chat_protocol::tokens::phi35_image_tokens;
use vision_chat_protocol::wire::{ChatCompletion, FinishReason};

fn data_url(mime: &str, file: &str) -> String {
    let path = format!("{}/../tests/fixtures/images/{file}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

async fn post(proxy: std::net::SocketAddr, body: Value, extra: Option<&str>) -> reqwest::Response {
    let mut req = client().post(format!("http://{proxy}/api/chat/completions")).json(&body);
    if let Some(v) = extra {
        req = req.header("extra-parameters", v);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn info_names_itself_a_demo() {
    let proxy = spawn_proxy(None, Duration::ZERO).await;
    let info: Value = client().get(format!("http://{proxy}/api/info")).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["model_type"], "chat-completions");
    assert!(info["model_provider_name"].as_str().unwrap().contains("demo"));
    assert!(info["model_name"].as_str().unwrap().contains("demo"));
}

#[tokio::test]
async fn streamed_and_plain_answers_agree() {
    let proxy = spawn_proxy(None, Duration::ZERO).await;
    let messages = json!([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What does the chart show?"}
    ]);
    let plain: ChatCompletion =
        completion(post(proxy, json!({"messages": messages, "temperature": 0.2}), None).await).await;
    assert_eq!(plain.object, "chat.completion");
    assert_eq!(plain.choices[0].finish_reason, Some(FinishReason::Stop));
    let text = plain.choices[0].message.content.clone().unwrap();
    assert!(text.contains("demo endpoint"));
    assert!(text.contains("\"What does the chart show?\""));
    assert!(text.contains("system message"));
    assert!(text.contains("temperature 0.2"));
    let usage = plain.usage.unwrap();
    assert_eq!(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);

    let response = post(proxy, json!({"messages": messages, "temperature": 0.2, "stream": true}), None).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let raw = response.text().await.unwrap();
    assert!(raw.ends_with("data: [DONE]\n\n"));
    let mut parser = SseParser::new();
    let events = parser.feed(raw.as_bytes());
    let items: Vec<StreamItem> = events.iter().map(StreamItem::from_event).collect();
    let StreamItem::Chunk(first) = &items[0] else { panic!("first item {:?}", items[0]) };
    assert_eq!(first.object, "chat.completion.chunk");
    let delta: Value = serde_json::from_str(&first.choices[0].delta.to_json()).unwrap();
    assert_eq!(delta, json!({"role": "assistant", "content": ""}));
    let StreamItem::Chunk(last) = &items[items.len() - 2] else { panic!() };
    assert_eq!(last.choices[0].finish_reason, Some(FinishReason::Stop));
    assert_eq!(last.usage, Some(usage), "same request, same usage");
    assert!(items[..items.len() - 2].iter().all(|i| matches!(i, StreamItem::Chunk(c) if c.usage.is_none())));

    let mut answer = Answer::new();
    for event in &events {
        answer.apply_event(event);
    }
    assert_eq!(answer.text(), text.replace("stream false", "stream true"));
    assert_eq!(answer.ending(parser.finish()), Ending::Finished);
    assert_eq!(usage.completion_tokens as usize, items.len() - 3, "one token per content chunk");
}

#[tokio::test]
async fn image_is_described_from_its_bytes_and_costed() {
    let proxy = spawn_proxy(None, Duration::ZERO).await;
    let text_only: ChatCompletion = completion(
        post(
            proxy,
            json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "Which region grew?"}]}]}),
            None,
        )
        .await,
    )
    .await;
    // Declared as JPEG, but the bytes are PNG: the demo says so.
    let with_image: ChatCompletion = completion(
        post(
            proxy,
            json!({"messages": [{"role": "user", "content": [
                {"type": "text", "text": "Which region grew?"},
                {"type": "image_url", "image_url": {"url": data_url("image/jpeg", "revenue-by-region.png")}}
            ]}]}),
            None,
        )
        .await,
    )
    .await;
    let text = with_image.choices[0].message.content.clone().unwrap();
    let cost = phi35_image_tokens(990, 550);
    assert!(text.contains("| Image | PNG, 990 × 550 pixels, 59,618 bytes;"), "{text}");
    assert!(
        text.contains(&format!("costs {} prompt tokens", cost))
            || text.contains(&format!("costs {},{:03} prompt tokens", cost / 1000, cost % 1000)),
        "{text}"
    );
    assert!(text.contains("declared image/jpeg, but the bytes are PNG"), "{text}");
    assert_eq!(with_image.usage.unwrap().prompt_tokens, text_only.usage.unwrap().prompt_tokens + cost);
}

#[tokio::test]
async fn the_api_rules_are_enforced_with_api_shaped_errors() {
    let proxy = spawn_proxy(None, Duration::ZERO).await;
    let img = data_url("image/png", "requests-bar-small.gif");
    let two_images = json!({"messages": [
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": img}}]},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": img}}]}
    ]});
    let r = post(proxy, two_images, None).await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["status"], 400);
    assert!(e["error"]["message"].as_str().unwrap().contains("one image"));

    let svg = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(b"<svg><script>alert(1)</script></svg>")
    );
    let r = post(
        proxy,
        json!({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": svg}}]}]}),
        None,
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("SVG"));

    let r = post(
        proxy,
        json!({"messages": [{"role": "user", "content": "hi"}], "response_format": {"type": "json_object"}}),
        None,
    )
    .await;
    assert_eq!(r.status(), 400);

    let r = post(proxy, json!({"messages": [{"role": "user", "content": "hi"}], "logprobs": true}), None).await;
    assert_eq!(r.status(), 422);
    let r =
        post(proxy, json!({"messages": [{"role": "user", "content": "hi"}], "logprobs": true}), Some("pass-through"))
            .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("| Extra parameters | pass-through: logprobs |"));

    let r = client().post(format!("http://{proxy}/api/chat/completions")).body("{").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["code"], "invalid_request");

    let r = post(proxy, json!({"messages": []}), None).await;
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn max_tokens_and_stop_end_the_reply() {
    let proxy = spawn_proxy(None, Duration::ZERO).await;
    let c: ChatCompletion =
        completion(post(proxy, json!({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}), None).await)
            .await;
    assert_eq!(c.choices[0].finish_reason, Some(FinishReason::Length));
    assert_eq!(c.usage.unwrap().completion_tokens, 5);
    let c: ChatCompletion =
        completion(post(proxy, json!({"messages": [{"role": "user", "content": "hi"}], "stop": ["demo"]}), None).await)
            .await;
    assert_eq!(c.choices[0].finish_reason, Some(FinishReason::Stop));
    assert_eq!(c.choices[0].message.content.as_deref(), Some("This is the **vision-chat "));
}

/// With a pace set, the first chunk is readable long before the stream ends.
#[tokio::test]
async fn streams_at_the_configured_pace() {
    let proxy = spawn_proxy(None, Duration::from_millis(50)).await;
    let response = post(proxy, json!({"messages": [{"role": "user", "content": "hi"}], "stream": true}), None).await;
    let started = std::time::Instant::now();
    let mut body = response.bytes_stream();
    let mut chunks = 0;
    let mut first_at = None;
    while let Some(chunk) = body.next().await {
        chunk.unwrap();
        chunks += 1;
        first_at.get_or_insert(started.elapsed());
    }
    let total = started.elapsed();
    assert!(chunks > 10, "arrives in many reads, got {chunks}");
    assert!(total > first_at.unwrap() + Duration::from_millis(500), "paced: {first_at:?} .. {total:?}");
}

/// A non-streaming answer, read by the protocol crate.
async fn completion(response: reqwest::Response) -> ChatCompletion {
    ChatCompletion::from_json_str(&response.text().await.unwrap()).unwrap()
}
