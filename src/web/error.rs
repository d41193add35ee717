//! One error type for the web layer, turned into a response in one place:
//! a page (or a redirect to sign in) for browsers, JSON for the API.
//! Internal causes are logged, never shown.

use super::i18n::Lang;
use crate::db::DbError;
use crate::store::StoreError;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("sign-in required")]
    SignIn { to: &'static str },
    #[error("页面不存在 / not found")]
    NotFound,
    #[error("无权访问 / not allowed")]
    Forbidden,
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("表单已过期,请刷新页面后重试 / the form has expired; reload the page and try again")]
    Csrf,
    #[error("尝试次数过多,请稍后再试 / too many attempts; try again later")]
    TooManyAttempts,
    /// The write was not committed: nothing was saved, and the user is told
    /// so rather than shown a success.
    #[error("{0}")]
    NotSaved(String),
    #[error("服务器内部错误,请稍后再试 / something went wrong on our side; try again")]
    Internal(String),
}

impl WebError {
    pub fn bad(code: &'static str, message: impl ToString) -> WebError {
        WebError::BadRequest { code, message: message.to_string() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            WebError::SignIn { .. } => StatusCode::UNAUTHORIZED,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::BadRequest { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::Conflict { .. } => StatusCode::CONFLICT,
            WebError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            WebError::NotSaved(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            WebError::SignIn { .. } => "UNAUTHENTICATED",
            WebError::NotFound => "NOT_FOUND",
            WebError::Forbidden => "FORBIDDEN",
            WebError::BadRequest { code, .. } | WebError::Conflict { code, .. } => code,
            WebError::Csrf => "CSRF",
            WebError::TooManyAttempts => "RATE_LIMITED",
            WebError::NotSaved(_) => "NOT_SAVED",
            WebError::Internal(_) => "INTERNAL",
        }
    }

    fn log(&self) {
        if let WebError::Internal(cause) = self {
            tracing::error!(%cause, "request failed");
        }
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(_) => WebError::NotFound,
            StoreError::Conflict(m) => WebError::Conflict { code: "CONFLICT", message: m },
            StoreError::Invalid(m) => WebError::BadRequest { code: "INVALID", message: m },
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<DbError> for WebError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Store(s) => s.into(),
            DbError::Join(m) => WebError::Internal(m),
            e @ DbError::NotCommitted => WebError::NotSaved(e.to_string()),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("template: {e}"))
    }
}

/// Pages: a sign-in redirect, or a small error page in both languages.
impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log();
        if let WebError::SignIn { to } = self {
            return Redirect::to(to).into_response();
        }
        let page =
            super::pages::ErrorPage { t: Lang::Zh.texts(), message: self.to_string(), status: self.status().as_u16() };
        let body = askama::Template::render(&page).unwrap_or_else(|_| self.to_string());
        (self.status(), Html(body)).into_response()
    }
}

/// The API's errors: JSON with a stable code and a message.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.log();
        let status = if let WebError::SignIn { .. } = self.0 { StatusCode::UNAUTHORIZED } else { self.0.status() };
        let message = match &self.0 {
            WebError::SignIn { .. } => "missing or unknown API key (Authorization: Bearer pk_…)".to_owned(),
            other => other.to_string(),
        };
        let body = serde_json::json!({ "error": { "code": self.0.code(), "message": message } });
        (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
    }
}
