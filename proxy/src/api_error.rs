//! Errors the proxy itself produces, in the API's own error shape.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use vision_chat_protocol::json::ToJson;
use vision_chat_protocol::wire::ErrorEnvelope;

pub fn api_error(status: StatusCode, code: &str, param: Option<&str>, message: impl Into<String>) -> Response {
    json_response(status, &ErrorEnvelope::new(status.as_u16(), code, param, message))
}

/// `body` as an `application/json` response.
pub fn json_response(status: StatusCode, body: &impl ToJson) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_json()).into_response()
}
