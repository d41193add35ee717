//! Disputes (撞单 / 申诉) on the web. The back office's pages, for managers
//! (their project) and admins (every project; the appeals): the list with
//! its deadlines (`staff`), opening a dispute about a visit record or a
//! deal (`staff_new`), one dispute with its evidence, timeline and rulings
//! (`staff_detail`) and its two forms, evidence and ruling (`staff_rule`).
//! The customer timeline as each viewer may read it (`timeline`).
//!
//! Desk clerks and sales consultants are refused (403); another project's
//! dispute is "not found" (404). Every POST carries the session's CSRF
//! token and answers with a redirect, or the form again with what was
//! typed and why it was refused.

mod staff;
mod staff_detail;
mod staff_new;
mod staff_rule;
pub mod timeline;

use super::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

/// The back office's dispute routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/disputes", get(staff::list).post(staff_new::create))
        .route("/staff/disputes/new", get(staff_new::form))
        .route("/staff/disputes/{id}", get(staff_detail::page))
        .route("/staff/disputes/{id}/rule", post(staff_rule::rule))
        .route(
            "/staff/disputes/{id}/evidence",
            post(staff_rule::upload).layer(DefaultBodyLimit::max(staff_rule::UPLOAD_LIMIT)),
        )
        .route("/staff/disputes/{id}/evidence/{eid}", get(staff_detail::download))
}
