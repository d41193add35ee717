//! Every asset is served by panke itself (no CDN): the files of `static/`,
//! compiled into the binary so a deployment is one file plus its config.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../static/app.css")),
    ("agent.js", "text/javascript; charset=utf-8", include_bytes!("../../static/agent.js")),
    ("openapi.json", "application/json", include_bytes!("../../static/openapi.json")),
    ("kiosk.js", "text/javascript; charset=utf-8", include_bytes!("../../static/kiosk.js")),
    ("kiosk.css", "text/css; charset=utf-8", include_bytes!("../../static/kiosk.css")),
    ("sheet.css", "text/css; charset=utf-8", include_bytes!("../../static/sheet.css")),
    ("vendor/jsQR.js", "text/javascript; charset=utf-8", include_bytes!("../../static/vendor/jsQR.js")),
    ("vendor/jsQR.LICENSE", "text/plain; charset=utf-8", include_bytes!("../../static/vendor/jsQR.LICENSE")),
];

pub fn file(name: &str) -> Option<(&'static str, &'static [u8])> {
    FILES.iter().find(|(n, _, _)| *n == name).map(|(_, mime, body)| (*mime, *body))
}

pub async fn serve(Path(name): Path<String>) -> Response {
    match file(&name) {
        Some((mime, body)) => {
            ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
