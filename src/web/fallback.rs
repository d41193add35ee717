//! (being written)

use super::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
