//! CORS: other sites' pages may call the API only when their origin is
//! allowed with `--allow-origin`; nothing is allowed by default.

mod common;

use std::net::SocketAddr;

use common::{client, spawn_config};
use vision_chat_proxy::Config;

async fn proxy(allow: &[&str]) -> SocketAddr {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        allow_origins: allow.iter().map(|s| s.to_string()).collect(),
        log_requests: false,
        ..Config::default()
    };
    spawn_config(config).await
}

async fn preflight(addr: SocketAddr, origin: &str) -> reqwest::Response {
    client()
        .request(reqwest::Method::OPTIONS, format!("http://{addr}/api/chat/completions"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, extra-parameters")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn nothing_is_allowed_by_default() {
    let addr = proxy(&[]).await;
    let r = preflight(addr, "https://intranet.example").await;
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = client()
        .get(format!("http://{addr}/api/info"))
        .header("origin", "https://intranet.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "same-origin use is unaffected");
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn listed_origins_are_allowed_and_others_are_not() {
    let addr = proxy(&["https://intranet.example", "http://localhost:3000"]).await;
    let r = preflight(addr, "https://intranet.example").await;
    assert_eq!(r.headers()["access-control-allow-origin"], "https://intranet.example");
    let allowed = r.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(allowed.contains("extra-parameters") && allowed.contains("content-type"), "{allowed}");
    assert!(r.headers().get("access-control-allow-credentials").is_none(), "no credentials cross origins");

    let r = client()
        .post(format!("http://{addr}/api/chat/completions"))
        .header("origin", "http://localhost:3000")
        .header("content-type", "application/json")
        .body(r#"{"messages":[{"role":"user","content":"hi"}]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "http://localhost:3000");
    let exposed = r.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(exposed.contains("retry-after-ms"), "{exposed}");

    let r = preflight(addr, "https://evil.example").await;
    assert!(r.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn allowed_origins_may_load_the_widget_files() {
    let dir = std::env::temp_dir().join(format!("vision-chat-cors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("vision-chat.js"), "export {};").unwrap();
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        static_dir: dir,
        allow_origins: vec!["https://intranet.example".into()],
        log_requests: false,
        ..Config::default()
    };
    let addr = spawn_config(config).await;
    let get =
        |origin: &'static str| client().get(format!("http://{addr}/vision-chat.js")).header("origin", origin).send();
    let r = get("https://intranet.example").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "https://intranet.example", "module imports are CORS");
    let r = get("https://evil.example").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
}
