//! (being written)

use crate::web::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
