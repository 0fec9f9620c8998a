//! Proxy benchmarks, over loopback (`cargo xtask bench` runs this):
//!
//! 1. Added time to first byte: the same streaming request straight to a
//!    local fake upstream and through the proxy; medians and p99 of each,
//!    and the difference.
//! 2. 1,000 concurrent streams through the proxy, forwarding to the fake
//!    upstream and answered by the demo endpoint: errors and wall time.
//!
//! It prints figures and asserts nothing; every server stops with the process.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use futures_util::StreamExt;
use vision_chat_protocol::sse::SseParser;
use vision_chat_protocol::stream::{Answer, Ending};
use vision_chat_proxy::config::DemoConfig;
use vision_chat_proxy::{Config, Credential, Upstream};

const CHUNK: &str = "data: {\"id\":\"b\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word \"},\"finish_reason\":null}]}\n\n";
const LAST: &str = "data: {\"id\":\"b\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":20,\"total_tokens\":25}}\n\ndata: [DONE]\n\n";

/// A fake upstream streaming 20 chunks, `pace` apart.
fn fake_upstream(pace: Duration) -> Router {
    Router::new().route(
        "/chat/completions",
        post(move || async move {
            let frames = futures_util::stream::iter(0..21).then(move |i| async move {
                if i > 0 && !pace.is_zero() {
                    tokio::time::sleep(pace).await;
                }
                Ok::<_, std::convert::Infallible>(Bytes::from_static(if i < 20 { CHUNK } else { LAST }.as_bytes()))
            });
            Response::builder().header("content-type", "text/event-stream").body(Body::from_stream(frames)).unwrap()
        }),
    )
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

async fn proxy(upstream: Option<SocketAddr>, demo_delay: Duration) -> SocketAddr {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: upstream.map(|a| Upstream {
            endpoint: format!("http://{a}"),
            credential: Credential::Key("bench".into()),
            api_version: None,
        }),
        demo: DemoConfig { delay: demo_delay },
        log_requests: false,
        ..Config::default()
    };
    let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(vision_chat_proxy::serve(listener, config, std::future::pending()));
    addr
}

const BODY: &str = r#"{"messages":[{"role":"user","content":"benchmark"}],"stream":true}"#;

async fn ttfb(client: &reqwest::Client, url: &str) -> Duration {
    let started = Instant::now();
    let response = client.post(url).header("content-type", "application/json").body(BODY).send().await.unwrap();
    let mut body = response.bytes_stream();
    body.next().await.unwrap().unwrap();
    let first = started.elapsed();
    while body.next().await.is_some() {}
    first
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn one_stream(client: reqwest::Client, url: String) -> Result<(), String> {
    let response = client
        .post(&url)
        .header("content-type", "application/json")
        .body(BODY)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let mut parser = SseParser::new();
    let mut answer = Answer::new();
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        for event in parser.feed(&chunk.map_err(|e| e.to_string())?) {
            answer.apply_event(&event);
        }
    }
    match answer.ending(parser.finish()) {
        Ending::Finished if answer.usage.is_some() => Ok(()),
        other => Err(format!("stream ended as {other:?}")),
    }
}

async fn concurrent(label: &str, url: String, n: usize) {
    let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(n).build().unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(one_stream(client.clone(), url.clone()))).collect();
    let mut errors = Vec::new();
    for t in tasks {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => errors.push(e),
            Err(e) => errors.push(e.to_string()),
        }
    }
    println!(
        "{label:<44} {n} streams, {} complete, {} errors, wall {:.2} s{}",
        n - errors.len(),
        errors.len(),
        started.elapsed().as_secs_f64(),
        errors.first().map(|e| format!(" (first: {e})")).unwrap_or_default()
    );
}

#[tokio::main]
async fn main() {
    let quiet_upstream = serve(fake_upstream(Duration::ZERO)).await;
    let through = proxy(Some(quiet_upstream), Duration::ZERO).await;
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let direct_url = format!("http://{quiet_upstream}/chat/completions");
    let proxied_url = format!("http://{through}/api/chat/completions");

    for _ in 0..200 {
        ttfb(&client, &direct_url).await;
        ttfb(&client, &proxied_url).await;
    }
    let (mut direct, mut proxied) = (Vec::new(), Vec::new());
    for _ in 0..2000 {
        direct.push(ttfb(&client, &direct_url).await);
        proxied.push(ttfb(&client, &proxied_url).await);
    }
    direct.sort();
    proxied.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("\n## Proxy: time to first byte of a streamed answer (2,000 requests each, keep-alive, loopback)");
    println!(
        "direct to upstream   median {:.3} ms   p99 {:.3} ms",
        ms(percentile(&direct, 0.5)),
        ms(percentile(&direct, 0.99))
    );
    println!(
        "through the proxy    median {:.3} ms   p99 {:.3} ms",
        ms(percentile(&proxied, 0.5)),
        ms(percentile(&proxied, 0.99))
    );
    println!(
        "added by the proxy   median {:.3} ms   (budget: 1 ms)",
        ms(percentile(&proxied, 0.5)) - ms(percentile(&direct, 0.5))
    );

    println!("\n## Proxy: 1,000 concurrent streams on loopback (each 21 chunks, 20 ms apart)");
    let paced_upstream = serve(fake_upstream(Duration::from_millis(20))).await;
    let forwarding = proxy(Some(paced_upstream), Duration::ZERO).await;
    concurrent("forwarding to a fake upstream", format!("http://{forwarding}/api/chat/completions"), 1000).await;
    let demo = proxy(None, Duration::from_millis(20)).await;
    concurrent("demo endpoint", format!("http://{demo}/api/chat/completions"), 1000).await;
}
