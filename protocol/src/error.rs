//! Failed requests, explained: classifies an HTTP error (status, the API's
//! error body, retry headers) or a network failure into something a person
//! can act on.

use crate::json::FromJson;
use crate::number::decimal;
use crate::wire::{ApiError, ErrorEnvelope};

/// What kind of failure this is, which decides the advice and the recovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// HTTP 400 `content_filter`: the prompt was blocked.
    ContentFilter,
    /// Other 400/422: the request was not accepted.
    BadRequest,
    /// 401/403.
    Auth,
    /// 404.
    NotFound,
    /// 413.
    TooLarge,
    /// 429.
    RateLimited,
    /// 5xx.
    Server,
    /// No HTTP response at all.
    Network,
    Other,
}

/// A failure, with the service's own words kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    pub kind: ErrorKind,
    /// HTTP status, when there was a response.
    pub status: Option<u16>,
    /// The API's error code (`content_filter`, …), when it sent one.
    pub code: Option<String>,
    /// The service's message, or the start of its body.
    pub message: String,
    /// How long the service asked to wait before retrying.
    pub retry_after_ms: Option<u64>,
}

impl Explained {
    /// One line for the conversation: `HTTP 429 rate_limit: message`.
    pub fn headline(&self) -> String {
        let mut s = String::new();
        if let Some(status) = self.status {
            s.push_str(&format!("HTTP {status}"));
        }
        // Some services repeat the status as the code ("429"): say it once.
        let code = self.code.as_ref().filter(|c| self.status.is_none_or(|st| c.as_str() != st.to_string()));
        if let Some(code) = code {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(code);
        }
        if !s.is_empty() {
            s.push_str(": ");
        }
        s.push_str(&self.message);
        s
    }

    /// Whether sending the same request again may succeed.
    pub fn retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::RateLimited | ErrorKind::Server | ErrorKind::Network)
    }
}

/// `retry-after-ms` (milliseconds) wins over `retry-after` (seconds; an
/// HTTP date is not supported and is ignored).
pub fn parse_retry_after(retry_after_ms: Option<&str>, retry_after: Option<&str>) -> Option<u64> {
    let ms = retry_after_ms.and_then(|v| decimal(v.trim())).filter(|v| *v >= 0.0);
    if let Some(ms) = ms {
        return Some(ms.ceil() as u64);
    }
    retry_after.and_then(|v| decimal(v.trim())).filter(|v| *v >= 0.0).map(|s| (s * 1000.0).ceil() as u64)
}

/// Explains an HTTP error response.
pub fn explain_http(status: u16, body: &str, retry_after_ms: Option<u64>) -> Explained {
    let api: Option<ApiError> = ErrorEnvelope::from_json_str(body).ok().map(|e| e.error);
    let code = api.as_ref().and_then(|e| e.code.clone());
    let message = match &api {
        Some(e) if !e.message.trim().is_empty() => e.message.clone(),
        _ => {
            let snippet: String = body.trim().chars().take(200).collect();
            if snippet.is_empty() {
                default_reason(status).to_owned()
            } else {
                snippet
            }
        }
    };
    let kind = match status {
        400 if code.as_deref() == Some("content_filter") => ErrorKind::ContentFilter,
        400 | 422 => ErrorKind::BadRequest,
        401 | 403 => ErrorKind::Auth,
        404 => ErrorKind::NotFound,
        413 => ErrorKind::TooLarge,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::Other,
    };
    Explained { kind, status: Some(status), code, message, retry_after_ms }
}

/// Explains a failure that produced no HTTP response.
pub fn explain_network(detail: &str) -> Explained {
    Explained {
        kind: ErrorKind::Network,
        status: None,
        code: None,
        message: if detail.trim().is_empty() { "the network request failed".to_owned() } else { detail.to_owned() },
        retry_after_ms: None,
    }
}

fn default_reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "request failed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_filter_keeps_the_service_message() {
        let body = r#"{"error":{"message":"The response was filtered due to the prompt triggering Microsoft's content management policy.","type":null,"param":"prompt","code":"content_filter","status":400}}"#;
        let e = explain_http(400, body, None);
        assert_eq!(e.kind, ErrorKind::ContentFilter);
        assert_eq!(e.code.as_deref(), Some("content_filter"));
        assert!(e.headline().starts_with("HTTP 400 content_filter: The response was filtered"));
        assert!(!e.retryable());
    }

    #[test]
    fn statuses_classify() {
        assert_eq!(explain_http(401, "", None).kind, ErrorKind::Auth);
        assert_eq!(explain_http(403, "", None).kind, ErrorKind::Auth);
        assert_eq!(explain_http(404, "", None).message, "Not Found");
        assert_eq!(explain_http(413, "", None).kind, ErrorKind::TooLarge);
        assert_eq!(
            explain_http(400, r#"{"error":{"message":"bad","code":"invalid"}}"#, None).kind,
            ErrorKind::BadRequest
        );
        let e = explain_http(429, r#"{"error":{"message":"slow down","code":"429"}}"#, Some(1500));
        assert_eq!((e.kind, e.retry_after_ms, e.retryable()), (ErrorKind::RateLimited, Some(1500), true));
        assert_eq!(e.headline(), "HTTP 429: slow down");
        let e = explain_http(502, "<html>bad gateway</html>", None);
        assert_eq!((e.kind, e.message.as_str()), (ErrorKind::Server, "<html>bad gateway</html>"));
        assert_eq!(explain_network("").headline(), "the network request failed");
    }

    #[test]
    fn retry_after_headers() {
        assert_eq!(parse_retry_after(Some("1500"), Some("9")), Some(1500));
        assert_eq!(parse_retry_after(Some("12.2"), None), Some(13));
        assert_eq!(parse_retry_after(None, Some("2")), Some(2000));
        assert_eq!(parse_retry_after(Some("soon"), Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(parse_retry_after(Some("-1"), None), None);
        assert_eq!(parse_retry_after(None, None), None);
    }
}
