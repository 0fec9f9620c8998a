//! Test helpers: servers on loopback with free ports, stopped when the test ends.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use vision_chat_proxy::config::DemoConfig;
use vision_chat_proxy::{Config, Credential, Upstream};

/// Serves a router on 127.0.0.1 with a port the OS picks.
pub async fn spawn_router(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// Starts the proxy; `upstream` is a base URL, or `None` for demo mode.
pub async fn spawn_proxy(upstream: Option<String>, demo_delay: Duration) -> SocketAddr {
    spawn_proxy_with(upstream, Credential::Key(SECRET.into()), demo_delay).await
}

/// Starts the proxy with a given credential for the upstream.
pub async fn spawn_proxy_with(upstream: Option<String>, credential: Credential, demo_delay: Duration) -> SocketAddr {
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        static_dir: std::env::temp_dir().join("vision-chat-no-static"),
        upstream: upstream.map(|endpoint| Upstream { endpoint, credential, api_version: None }),
        demo: DemoConfig { delay: demo_delay },
        max_body_bytes: 1024 * 1024,
        ..Config::default()
    };
    spawn_config(config).await
}

/// Starts the proxy with a whole configuration (its `listen` address is used).
pub async fn spawn_config(config: Config) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind(config.listen).await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(vision_chat_proxy::serve(listener, config, std::future::pending()));
    addr
}

/// The key the tests configure; it must never come back to a client.
pub const SECRET: &str = "test-secret-key-5f1b2c";

/// A port on loopback that nothing listens on.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(20)).build().expect("client")
}
