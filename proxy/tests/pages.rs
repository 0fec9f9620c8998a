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

/// `cargo xtask build` stores `.br` and `.gz` copies beside the files: they
/// are sent as they are to a browser that accepts them, with the original's
/// type; others get the file itself.
#[tokio::test]
async fn precompressed_copies_are_served_to_browsers_that_accept_them() {
    let dir = std::env::temp_dir().join(format!("vision-chat-precompressed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>t</title>").unwrap();
    std::fs::write(dir.join("widget.js"), "export const plain = 1;").unwrap();
    // The proxy does not look inside: distinct bytes show which file was sent.
    std::fs::write(dir.join("widget.js.br"), b"brotli copy").unwrap();
    std::fs::write(dir.join("widget.js.gz"), b"gzip copy").unwrap();
    let addr = proxy(&dir, &[]).await;
    let get = |accept: &'static str| {
        let request = client().get(format!("http://{addr}/widget.js"));
        async move {
            let r = if accept.is_empty() { request } else { request.header("accept-encoding", accept) }
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let header = |name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
            let (encoding, kind, vary) = (header("content-encoding"), header("content-type"), header("vary"));
            (encoding, kind, vary, r.bytes().await.unwrap())
        }
    };

    let (encoding, kind, vary, body) = get("gzip, deflate, br, zstd").await;
    assert_eq!(encoding.as_deref(), Some("br"));
    assert_eq!(kind.as_deref(), Some("text/javascript"));
    assert!(vary.is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")));
    assert_eq!(&body[..], b"brotli copy");

    let (encoding, kind, _, body) = get("gzip").await;
    assert_eq!((encoding.as_deref(), kind.as_deref()), (Some("gzip"), Some("text/javascript")));
    assert_eq!(&body[..], b"gzip copy");

    let (encoding, _, _, body) = get("").await;
    assert_eq!(encoding, None);
    assert_eq!(&body[..], b"export const plain = 1;");

    // A page sent as its copy still carries the page policy.
    std::fs::write(dir.join("index.html.br"), b"brotli page").unwrap();
    let page = client().get(format!("http://{addr}/")).header("accept-encoding", "br").send().await.unwrap();
    assert_eq!(page.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("br"));
    assert_eq!(page.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("text/html"));
    let csp = page.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
}
