//! Errors the proxy itself produces, in the API's own error shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use vision_chat_protocol::wire::ErrorEnvelope;

pub fn api_error(status: StatusCode, code: &str, param: Option<&str>, message: impl Into<String>) -> Response {
    (status, axum::Json(ErrorEnvelope::new(status.as_u16(), code, param, message))).into_response()
}
