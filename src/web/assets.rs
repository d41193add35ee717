//! Every asset is served by panke itself (no CDN): the files of `static/`,
//! compiled into the binary (listed by `build.rs`) so a deployment is one
//! file plus its config.
//!
//! Pages link assets under a versioned prefix (`/static/v-<hash>/…`, the
//! hash of all of `static/`), cached for a year as immutable. A new deploy
//! changes the prefix, so a tablet loads the new scripts with the new page
//! — and ES modules imported relative to `main.js` inherit the prefix.
//! Unversioned URLs still work but are revalidated on every use.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::LazyLock;

mod table {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

static PREFIX: LazyLock<String> = LazyLock::new(|| format!("/static/v-{}", table::VERSION));

/// Where pages link assets from, e.g. `/static/v-3f2a9c1d0e11`.
pub fn prefix() -> &'static str {
    PREFIX.as_str()
}

pub fn file(name: &str) -> Option<(&'static str, &'static [u8])> {
    table::FILES.iter().find(|(n, _, _)| *n == name).map(|(_, mime, body)| (*mime, *body))
}

pub async fn serve(Path(name): Path<String>) -> Response {
    let current = format!("v-{}/", table::VERSION);
    let (name, cache) = match name.strip_prefix(&current) {
        Some(rest) => (rest, "public, max-age=31536000, immutable"),
        // An older page asking for its version's file gets today's file,
        // revalidated, rather than a 404 in the middle of a visit.
        None => match name.split_once('/') {
            Some((v, rest)) if v.starts_with("v-") => (rest, "no-cache"),
            _ => (name.as_str(), "no-cache"),
        },
    };
    match file(name) {
        Some((mime, body)) => ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, cache)], body).into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}
