//! The pages the proxy serves carry a Content Security Policy: no inline
//! script or style, no eval, framing only by this origin and the
//! `--allow-origin` hosts. Other files do not need one.

mod common;

use std::net::SocketAddr;

use common::{client, spawn_config};
use vision_chat_proxy::Config;

async fn proxy(static_dir: &std::path::Path, allow: &[&str]) -> SocketAddr {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        static_dir: static_dir.to_path_buf(),
        allow_origins: allow.iter().map(|s| s.to_string()).collect(),
        log_requests: false,
        ..Config::default()
    };
    spawn_config(config).await
}

fn site() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vision-chat-pages-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    std::fs::write(dir.join("frame.html"), "<!doctype html><title>f</title>").unwrap();
    std::fs::write(dir.join("vision-chat.js"), "export {};").unwrap();
    dir
}

async fn policy(addr: SocketAddr, path: &str) -> Option<String> {
    let r = client().get(format!("http://{addr}{path}")).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.headers().get("content-security-policy").map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn pages_forbid_inline_code_and_foreign_framing() {
    let dir = site();
    let addr = proxy(&dir, &[]).await;
    for path in ["/", "/index.html", "/frame.html"] {
        let csp = policy(addr, path).await.unwrap_or_else(|| panic!("{path} has no policy"));
        for directive in [
            "default-src 'self'",
            "script-src 'self' 'wasm-unsafe-eval'",
            "style-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'self'",
        ] {
            assert!(csp.split(';').any(|d| d.trim() == directive), "{path}: {directive} in {csp}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "{csp}");
        // Direct mode needs https endpoints; plain http only on loopback.
        assert!(csp.contains("connect-src 'self' https: http://127.0.0.1:* http://localhost:*"), "{csp}");
    }
    assert_eq!(policy(addr, "/vision-chat.js").await, None);
}

#[tokio::test]
async fn allowed_hosts_may_frame_the_pages() {
    let dir = site();
    let addr = proxy(&dir, &["https://intranet.example", "http://localhost:3000"]).await;
    let csp = policy(addr, "/frame.html").await.unwrap();
    assert!(
        csp.split(';').any(|d| d.trim() == "frame-ancestors 'self' https://intranet.example http://localhost:3000"),
        "{csp}"
    );
}
