//! QR code images of a report's token, for the agent pages and the API.

use super::error::WebError;
use axum::http::header;
use axum::response::{IntoResponse, Response};

pub fn qr_response(token: Option<String>, svg: bool) -> Result<Response, WebError> {
    let token = token.ok_or_else(|| WebError::code(super::error_code::ErrorCode::KeyRetired))?;
    let private = (header::CACHE_CONTROL, "private, max-age=300");
    if svg {
        let body = crate::qr::svg(&token).map_err(|e| WebError::Internal(e.to_string()))?;
        Ok(([(header::CONTENT_TYPE, "image/svg+xml"), private], body).into_response())
    } else {
        let body = crate::qr::png(&token).map_err(|e| WebError::Internal(e.to_string()))?;
        Ok(([(header::CONTENT_TYPE, "image/png"), private], body).into_response())
    }
}
