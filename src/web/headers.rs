//! Response headers that depend on what is answered: personal data is never
//! cached, and browsers are told to keep to https once panke is served
//! over it.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Paths whose answers carry personal data (names, phones, manual codes).
const PRIVATE_PREFIXES: [&str; 5] = ["/records", "/agent", "/staff", "/kiosk", "/api"];

/// How the service is reached, decided once when the router is built.
#[derive(Debug, Clone, Copy)]
pub struct Transport {
    /// `public_url` is https: every answer gets `Strict-Transport-Security`.
    pub https: bool,
}

/// `Cache-Control: no-store` on every page (text/html) and on every answer
/// under a private path, unless the handler chose its own caching (static
/// assets are immutable, the QR image is private for a few minutes); HSTS
/// when served over https.
pub async fn protect(State(transport): State<Transport>, req: Request, next: Next) -> Response {
    let private_path = PRIVATE_PREFIXES.iter().any(|p| req.uri().path().starts_with(p));
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if (is_html || private_path) && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if transport.https && !headers.contains_key(header::STRICT_TRANSPORT_SECURITY) {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}
