//! The agent's pages (phone-sized, often inside WeChat): sign in, accept an
//! invitation (`auth`), file a report, show its QR code, list and cancel
//! reports (`reports`), the pass card to save (`pass`); the agency's
//! deals, performance, settlement statements and deal confirmations
//! (`deals`); its disputes (`disputes`).

mod account;
mod auth;
pub mod deals;
mod disputes;
mod filing;
pub mod outcome;
pub mod pass;
pub(crate) mod reports;
mod webhooks;

use super::AppState;
use super::error::WebError;
use askama::Template;
use axum::Router;
use axum::response::Html;
use axum::routing::{get, post};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/login", get(auth::login_page).post(auth::login))
        .route("/agent/logout", post(auth::logout))
        .route("/invite/{secret}", get(auth::invite_page).post(auth::accept_invite))
        .route("/agent/reports", get(reports::list).post(reports::file))
        .route("/agent/reports/new", get(reports::new_form))
        .route("/agent/reports/{id}", get(reports::show))
        .route("/agent/reports/{id}/qr.png", get(reports::qr_png))
        .route("/agent/reports/{id}/qr.svg", get(reports::qr_svg))
        .route("/agent/reports/{id}/pass.png", get(pass::pass_png))
        .route("/agent/reports/{id}/cancel", post(reports::cancel))
        .route("/agent/reports/{id}/receipt", get(reports::receipt))
        .merge(outcome::routes())
        .merge(deals::routes())
        .merge(account::routes())
        .merge(disputes::routes())
        .merge(webhooks::routes())
}

fn html(page: impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(page.render()?))
}
