//! Forwarding to the configured Azure AI Model Inference endpoint.
//!
//! The request body and the `extra-parameters` header go upstream unchanged,
//! with the key added. The response comes back with its status, the headers
//! a client may need (content type, retry hints, request ids) and its body,
//! streamed chunk by chunk as it arrives: nothing waits for the end of an SSE
//! stream. Failures to reach the upstream become API-shaped JSON errors.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;

use crate::api_error::api_error;
use crate::config::{Config, Credential, Upstream};

/// Request headers from the browser that go upstream. Everything else
/// (cookies, the browser's own authorization, origin) stays here.
const FORWARDED_REQUEST_HEADERS: [HeaderName; 3] =
    [header::CONTENT_TYPE, header::ACCEPT, HeaderName::from_static("extra-parameters")];

/// Response headers that come back from upstream.
fn forwarded_response_header(name: &HeaderName) -> bool {
    let n = name.as_str();
    n == "content-type"
        || n == "retry-after"
        || n == "retry-after-ms"
        || n == "cache-control"
        || n == "x-request-id"
        || n == "apim-request-id"
        || n.starts_with("x-ms-")
        || n.starts_with("x-ratelimit-")
}

/// A client bound to one upstream.
pub struct Client {
    http: reqwest::Client,
    upstream: Upstream,
}

impl Client {
    pub fn new(upstream: &Upstream) -> Self {
        Self::with_timeouts(upstream, Config::default().upstream_read_timeout)
    }

    pub fn with_timeouts(upstream: &Upstream, read_timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .read_timeout(read_timeout)
            .user_agent(concat!("vision-chat-proxy/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Client { http, upstream: upstream.clone() }
    }

    fn url(&self, route: &str) -> String {
        let mut url = format!("{}/{route}", self.upstream.endpoint);
        if let Some(v) = &self.upstream.api_version {
            url.push_str("?api-version=");
            url.push_str(v);
        }
        url
    }

    fn authorize(&self, request: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, Box<Response>> {
        let secret = |value: &str| {
            let mut v = HeaderValue::from_str(value.trim()).unwrap_or(HeaderValue::from_static(""));
            v.set_sensitive(true);
            v
        };
        Ok(match &self.upstream.credential {
            Credential::Key(key) => {
                request.header("api-key", secret(key)).header(header::AUTHORIZATION, secret(&format!("Bearer {key}")))
            }
            Credential::Token(token) => request.header(header::AUTHORIZATION, secret(&format!("Bearer {token}"))),
            Credential::TokenFile(path) => {
                let token = std::fs::read_to_string(path).map_err(|e| {
                    Box::new(api_error(
                        StatusCode::BAD_GATEWAY,
                        "upstream_token_unavailable",
                        None,
                        format!("The proxy could not read its token file {}: {e}", path.display()),
                    ))
                })?;
                request.header(header::AUTHORIZATION, secret(&format!("Bearer {}", token.trim())))
            }
        })
    }

    pub async fn info(&self) -> Response {
        match self.authorize(self.http.get(self.url("info"))) {
            Ok(request) => self.send(request).await,
            Err(response) => *response,
        }
    }

    pub async fn chat_completions(&self, headers: &HeaderMap, body: Bytes) -> Response {
        let mut request = self.http.post(self.url("chat/completions"));
        for name in FORWARDED_REQUEST_HEADERS {
            for value in headers.get_all(&name) {
                request = request.header(&name, value);
            }
        }
        match self.authorize(request) {
            Ok(request) => self.send(request.body(body)).await,
            Err(response) => *response,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Response {
        let upstream = match request.send().await {
            Ok(r) => r,
            Err(e) => return self.unreachable(&e),
        };
        let mut response = Response::builder().status(upstream.status());
        for (name, value) in upstream.headers() {
            if forwarded_response_header(name) {
                response = response.header(name, value);
            }
        }
        let body = Body::from_stream(upstream.bytes_stream());
        response
            .body(body)
            .unwrap_or_else(|e| api_error(StatusCode::BAD_GATEWAY, "upstream_invalid_response", None, e.to_string()))
    }

    fn unreachable(&self, e: &reqwest::Error) -> Response {
        let (status, code) = if e.is_timeout() {
            (StatusCode::GATEWAY_TIMEOUT, "upstream_timeout")
        } else {
            (StatusCode::BAD_GATEWAY, "upstream_unreachable")
        };
        // reqwest's message names the URL (never the key); keep its cause chain.
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            detail.push_str(": ");
            detail.push_str(&s.to_string());
            source = s.source();
        }
        api_error(
            status,
            code,
            None,
            format!("The proxy could not reach the model endpoint {}: {detail}", self.upstream.endpoint),
        )
    }
}
