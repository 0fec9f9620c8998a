//! The `vision-chat-proxy` binary: flags and environment in, server out.

use std::process::ExitCode;

use vision_chat_proxy::config::{Parsed, USAGE};
use vision_chat_proxy::{Config, Mode};

#[tokio::main]
async fn main() -> ExitCode {
    let config = match Config::parse(std::env::args().skip(1), |k| std::env::var(k).ok()) {
        Ok(Parsed::Run(c)) => *c,
        Ok(Parsed::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("vision-chat-proxy: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("vision-chat-proxy: cannot listen on {}: {e}", config.listen);
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(config.listen);
    match config.mode() {
        Mode::Upstream => {
            let endpoint = config.upstream.as_ref().map_or("", |u| u.endpoint.as_str());
            println!("mode: forwarding to {endpoint} (its credentials stay on this server)");
        }
        Mode::Demo => {
            println!("mode: DEMO ENDPOINT — no AZURE_INFERENCE_ENDPOINT is set, so answers are canned descriptions of each request, not a model");
        }
    }
    if !config.static_dir.join("index.html").is_file() {
        println!(
            "warning: {} has no index.html; build the widget first (cargo xtask run does)",
            config.static_dir.display()
        );
    }
    println!("vision-chat proxy listening on http://{addr}");
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(t) => t,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
    };
    if let Err(e) = vision_chat_proxy::serve(listener, config, shutdown).await {
        eprintln!("vision-chat-proxy: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
