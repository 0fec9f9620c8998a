//! `vision-chat-proxy`: serves the widget, keeps the API key on the server and
//! forwards chat requests to an Azure AI Model Inference endpoint — or, with
//! none configured, answers them itself with the built-in demo endpoint.
//!
//! Routes: `GET /api/info`, `POST /api/chat/completions`, `GET /healthz`, and
//! the widget's static files at `/`.

mod api_error;
pub mod config;
pub mod demo;
mod upstream;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

pub use config::{Config, Credential, Mode, Upstream};

use api_error::api_error;

/// Shared state of the handlers.
struct AppState {
    config: Config,
    upstream: Option<upstream::Client>,
}

/// The proxy's routes for a configuration.
pub fn router(config: Config) -> Router {
    let upstream = config.upstream.as_ref().map(upstream::Client::new);
    // `cargo xtask build` stores each file also compressed at the highest
    // settings (`.br`, `.gz`): served as they are, they are smaller than
    // compressing per request and cost no CPU. Files without them are
    // compressed per request.
    let static_files = ServeDir::new(&config.static_dir)
        .append_index_html_on_directories(true)
        .precompressed_br()
        .precompressed_gzip();
    let max_body = config.max_body_bytes;
    let log_requests = config.log_requests;
    let cors = cors_layer(&config.allow_origins);
    let csp = page_policy(&config.allow_origins);
    let state = Arc::new(AppState { config, upstream });

    let api = Router::new()
        .route("/api/info", get(info))
        .route("/api/chat/completions", post(chat_completions))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(state);

    let router = Router::new()
        .merge(api)
        .route("/healthz", get(|| async { "ok\n" }))
        .fallback_service(
            ServiceBuilder::new()
                // Whichever encoding went out, the answer depended on it.
                .layer(SetResponseHeaderLayer::if_not_present(
                    axum::http::header::VARY,
                    HeaderValue::from_static("accept-encoding"),
                ))
                .layer(CompressionLayer::new())
                .service(static_files),
        )
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let csp = csp.clone();
            async move { with_page_policy(next.run(request).await, csp) }
        }))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    // The API and the widget's files alike: a page on an allowed origin
    // imports the element's module and fetches the WebAssembly in CORS mode.
    let router = match cors {
        Some(cors) => router.layer(cors),
        None => router,
    };
    if log_requests {
        router.layer(middleware::from_fn(log_request))
    } else {
        router
    }
}

/// The Content Security Policy of the pages the proxy serves. No inline
/// script or style, no eval (WebAssembly compiles with 'wasm-unsafe-eval').
/// Requests may go to this origin, to https endpoints (direct mode) and to
/// loopback (local model servers), never to plain-http remote hosts, which
/// would see the key. Images in answers load from https only when clicked.
/// Pages may be framed by this origin and the `--allow-origin` hosts only.
fn page_policy(allow_origins: &[String]) -> HeaderValue {
    let mut ancestors = String::from("'self'");
    for origin in allow_origins {
        ancestors.push(' ');
        ancestors.push_str(origin);
    }
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data: blob: https:; connect-src 'self' https: http://127.0.0.1:* http://localhost:*; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// Adds the page policy to HTML responses.
fn with_page_policy(mut response: Response, policy: HeaderValue) -> Response {
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

/// CORS for the API and the widget's files, only for the origins given (`--allow-origin`). Pages
/// elsewhere send no secret (the proxy holds it), so no credentials are allowed.
fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE, header::ACCEPT, HeaderName::from_static("extra-parameters")])
            .expose_headers([HeaderName::from_static("retry-after"), HeaderName::from_static("retry-after-ms")])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

async fn info(State(state): State<Arc<AppState>>) -> Response {
    match &state.upstream {
        Some(client) => client.info().await,
        None => api_error::json_response(axum::http::StatusCode::OK, &demo::model_info()),
    }
}

async fn chat_completions(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            return api_error(
                status,
                if status.as_u16() == 413 { "request_too_large" } else { "invalid_request" },
                None,
                format!(
                    "The request body could not be read: {rejection}. The proxy accepts bodies up to {} bytes.",
                    state.config.max_body_bytes
                ),
            );
        }
    };
    match &state.upstream {
        Some(client) => client.chat_completions(&headers, body).await,
        None => demo::chat_completions(&state.config.demo, &headers, &body),
    }
}

/// One line per request on stderr: method, path, status, time to headers.
/// Never headers or bodies, so never a key or a prompt.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    if path.starts_with("/api/") {
        eprintln!(
            "{method} {path} -> {} in {:.1} ms",
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    response
}

/// Serves the router on a bound listener until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(config)).with_graceful_shutdown(shutdown).await
}
