//! The proxy against a fake upstream on loopback: what goes up, what comes back.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use common::{client, closed_port, spawn_proxy, spawn_proxy_with, spawn_router, SECRET};
use futures_util::StreamExt;
use tokio::sync::mpsc;
use vision_chat_proxy::Credential;

#[derive(Default, Clone)]
struct Seen {
    headers: Vec<HeaderMap>,
    bodies: Vec<Bytes>,
    paths: Vec<String>,
}

fn recording_upstream(seen: Arc<Mutex<Seen>>, status: StatusCode, reply: &'static str) -> Router {
    let seen_info = seen.clone();
    Router::new()
        .route(
            "/chat/completions",
            post(move |headers: HeaderMap, body: Bytes| {
                let seen = seen.clone();
                async move {
                    let mut s = seen.lock().unwrap();
                    s.headers.push(headers);
                    s.bodies.push(body);
                    s.paths.push("/chat/completions".into());
                    (
                        status,
                        [
                            ("content-type", "application/json"),
                            ("retry-after-ms", "1500"),
                            ("retry-after", "2"),
                            ("x-ms-region", "eastus2"),
                            // A careless upstream echoing the key: must not pass the proxy.
                            ("x-echo-key", SECRET),
                            ("set-cookie", "session=upstream"),
                        ],
                        reply,
                    )
                }
            }),
        )
        .route(
            "/info",
            get(move |headers: HeaderMap| {
                let seen = seen_info.clone();
                async move {
                    seen.lock().unwrap().headers.push(headers);
                    axum::Json(serde_json::json!({
                        "model_name": "Phi-3.5-vision-Instruct",
                        "model_type": "chat-completions",
                        "model_provider_name": "Microsoft"
                    }))
                }
            }),
        )
}

const COMPLETION: &str = r#"{"id":"1","object":"chat.completion","created":1,"model":"Phi-3.5-vision-Instruct","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","tool_calls":null},"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":19,"total_tokens":20,"completion_tokens":1}}"#;

#[tokio::test]
async fn key_goes_upstream_body_unchanged_and_nothing_secret_comes_back() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let upstream = spawn_router(recording_upstream(seen.clone(), StatusCode::OK, COMPLETION)).await;
    let proxy = spawn_proxy(Some(format!("http://{upstream}")), Duration::ZERO).await;

    // Unusual but valid JSON formatting must reach the upstream byte for byte.
    let body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi \\u00e9\"}],  \"logprobs\":true}";
    let response = client()
        .post(format!("http://{proxy}/api/chat/completions"))
        .header("content-type", "application/json")
        .header("extra-parameters", "pass-through")
        .header("cookie", "intranet-session=abc")
        .header("authorization", "Bearer browser-token")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    assert_eq!(text, COMPLETION);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-ms-region"], "eastus2");
    assert!(headers.get("x-echo-key").is_none());
    assert!(headers.get("set-cookie").is_none());
    for (name, value) in &headers {
        assert!(!value.as_bytes().windows(SECRET.len()).any(|w| w == SECRET.as_bytes()), "{name} leaks the key");
    }

    let seen = seen.lock().unwrap();
    let up = &seen.headers[0];
    assert_eq!(up["api-key"], SECRET);
    assert_eq!(up["authorization"], format!("Bearer {SECRET}"));
    assert_eq!(up["extra-parameters"], "pass-through");
    assert_eq!(up["content-type"], "application/json");
    assert!(up.get("cookie").is_none(), "browser cookies stay at the proxy");
    assert_eq!(seen.bodies[0], body.as_bytes());
}

#[tokio::test]
async fn extra_parameters_header_is_absent_when_the_client_sends_none() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let upstream = spawn_router(recording_upstream(seen.clone(), StatusCode::OK, COMPLETION)).await;
    let proxy = spawn_proxy(Some(format!("http://{upstream}")), Duration::ZERO).await;
    client()
        .post(format!("http://{proxy}/api/chat/completions"))
        .header("content-type", "application/json")
        .body(r#"{"messages":[]}"#)
        .send()
        .await
        .unwrap();
    assert!(seen.lock().unwrap().headers[0].get("extra-parameters").is_none());
}

#[tokio::test]
async fn info_is_forwarded_with_the_key() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let upstream = spawn_router(recording_upstream(seen.clone(), StatusCode::OK, COMPLETION)).await;
    let proxy = spawn_proxy(Some(format!("http://{upstream}")), Duration::ZERO).await;
    let info: serde_json::Value =
        client().get(format!("http://{proxy}/api/info")).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["model_name"], "Phi-3.5-vision-Instruct");
    assert_eq!(seen.lock().unwrap().headers[0]["api-key"], SECRET);
}

#[tokio::test]
async fn error_statuses_bodies_and_retry_headers_are_preserved() {
    for (status, body) in [
        (
            StatusCode::BAD_REQUEST,
            r#"{"error":{"message":"The response was filtered due to the prompt triggering Microsoft's content management policy. Please modify your prompt and retry.","type":null,"param":"prompt","code":"content_filter","status":400}}"#,
        ),
        (
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"error":{"code":"429","message":"Rate limit is exceeded. Try again in 2 seconds."}}"#,
        ),
        (
            StatusCode::UNAUTHORIZED,
            r#"{"error":{"code":"401","message":"Access denied due to invalid subscription key."}}"#,
        ),
        (StatusCode::SERVICE_UNAVAILABLE, "upstream overloaded, not even JSON"),
    ] {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let upstream = spawn_router(recording_upstream(seen, status, body)).await;
        let proxy = spawn_proxy(Some(format!("http://{upstream}")), Duration::ZERO).await;
        let response = client()
            .post(format!("http://{proxy}/api/chat/completions"))
            .header("content-type", "application/json")
            .body(r#"{"messages":[{"role":"user","content":"x"}]}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["retry-after-ms"], "1500");
        assert_eq!(response.headers()["retry-after"], "2");
        assert_eq!(response.text().await.unwrap(), body);
    }
}

/// The upstream sends one chunk, then waits until the test has seen that
/// chunk come out of the proxy: only a proxy that does not buffer passes.
#[tokio::test]
async fn streams_arrive_incrementally() {
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let rx = Arc::new(Mutex::new(Some(rx)));
    let upstream = spawn_router(Router::new().route(
        "/chat/completions",
        post(move || {
            let rx = rx.lock().unwrap().take().expect("one request");
            async move {
                let stream =
                    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
                Response::builder()
                    .header("content-type", "text/event-stream")
                    .body(Body::from_stream(stream))
                    .unwrap()
                    .into_response()
            }
        }),
    ))
    .await;
    let proxy = spawn_proxy(Some(format!("http://{upstream}")), Duration::ZERO).await;

    let first = "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n";
    let second = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}\n\ndata: [DONE]\n\n";
    tx.send(Ok(Bytes::from(first))).await.unwrap();

    let response = client()
        .post(format!("http://{proxy}/api/chat/completions"))
        .header("content-type", "application/json")
        .body(r#"{"messages":[{"role":"user","content":"x"}],"stream":true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    let mut received = Vec::new();
    while received.len() < first.len() {
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
            .await
            .expect("the first chunk must arrive while the upstream is still streaming")
            .expect("stream open")
            .unwrap();
        received.extend_from_slice(&chunk);
    }
    assert_eq!(received, first.as_bytes(), "only what the upstream has sent so far");

    tx.send(Ok(Bytes::from(second))).await.unwrap();
    drop(tx);
    while let Some(chunk) = tokio::time::timeout(Duration::from_secs(10), body.next()).await.expect("stream ends") {
        received.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(String::from_utf8(received).unwrap(), format!("{first}{second}"));
}

#[tokio::test]
async fn upstream_down_gives_a_prompt_json_error() {
    let proxy = spawn_proxy(Some(format!("http://127.0.0.1:{}", closed_port())), Duration::ZERO).await;
    let response = tokio::time::timeout(
        Duration::from_secs(10),
        client()
            .post(format!("http://{proxy}/api/chat/completions"))
            .header("content-type", "application/json")
            .body(r#"{"messages":[{"role":"user","content":"x"}]}"#)
            .send(),
    )
    .await
    .expect("no hang")
    .unwrap();
    assert_eq!(response.status(), 502);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upstream_unreachable");
    assert_eq!(body["error"]["status"], 502);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("could not reach"), "{message}");
    assert!(!message.contains(SECRET));

    let info = client().get(format!("http://{proxy}/api/info")).send().await.unwrap();
    assert_eq!(info.status(), 502);
}

#[tokio::test]
async fn oversized_bodies_get_an_api_shaped_413() {
    let proxy = spawn_proxy(Some(format!("http://127.0.0.1:{}", closed_port())), Duration::ZERO).await;
    let big = format!(r#"{{"messages":[{{"role":"user","content":"{}"}}]}}"#, "x".repeat(2 * 1024 * 1024));
    let response = client()
        .post(format!("http://{proxy}/api/chat/completions"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "request_too_large");
}

#[tokio::test]
async fn healthz_answers() {
    let proxy = spawn_proxy(None, Duration::ZERO).await;
    let r = client().get(format!("http://{proxy}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok\n");
}

#[tokio::test]
async fn bearer_tokens_go_up_instead_of_a_key_and_token_files_are_reread() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let upstream = spawn_router(recording_upstream(seen.clone(), StatusCode::OK, COMPLETION)).await;
    let proxy =
        spawn_proxy_with(Some(format!("http://{upstream}")), Credential::Token("entra-token-1".into()), Duration::ZERO)
            .await;
    client().get(format!("http://{proxy}/api/info")).send().await.unwrap();
    {
        let s = seen.lock().unwrap();
        assert_eq!(s.headers[0]["authorization"], "Bearer entra-token-1");
        assert!(s.headers[0].get("api-key").is_none(), "a token is not a key");
    }

    let file = std::env::temp_dir().join(format!("vision-chat-token-{}", std::process::id()));
    std::fs::write(&file, "first-token\n").unwrap();
    let proxy =
        spawn_proxy_with(Some(format!("http://{upstream}")), Credential::TokenFile(file.clone()), Duration::ZERO).await;
    let post = || client().post(format!("http://{proxy}/api/chat/completions")).body(r#"{"messages":[]}"#).send();
    post().await.unwrap();
    std::fs::write(&file, "second-token").unwrap();
    post().await.unwrap();
    {
        let s = seen.lock().unwrap();
        let auth: Vec<_> = s.headers[1..].iter().map(|h| h["authorization"].to_str().unwrap().to_owned()).collect();
        assert_eq!(auth, ["Bearer first-token", "Bearer second-token"]);
    }
    std::fs::remove_file(&file).unwrap();
    let r = post().await.unwrap();
    assert_eq!(r.status(), 502);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upstream_token_unavailable");
}
