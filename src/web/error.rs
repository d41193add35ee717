//! One error type for the web layer, turned into a response in one place:
//! a page (or a redirect to sign in) for browsers, JSON for the API.
//! Internal causes are logged, never shown.

use super::error_code::ErrorCode;
use super::i18n::Lang;
use crate::store::pool::DbError;
use crate::store::{Refusal, StoreError};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("sign-in required")]
    SignIn { to: String },
    #[error("页面不存在 / not found")]
    NotFound,
    #[error("无权访问 / not allowed")]
    Forbidden,
    /// A refusal the user can act on; the message says what to do.
    #[error("{message}")]
    Refused { code: ErrorCode, message: String },
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
    /// A refusal with its own message (the code's status applies).
    pub fn bad(code: ErrorCode, message: impl ToString) -> WebError {
        WebError::Refused { code, message: message.to_string() }
    }

    /// A refusal with the code's standard message.
    pub fn code(code: ErrorCode) -> WebError {
        WebError::Refused { code, message: code.message() }
    }

    pub fn status(&self) -> StatusCode {
        self.error_code().status()
    }

    pub fn error_code(&self) -> ErrorCode {
        match self {
            WebError::SignIn { .. } => ErrorCode::Unauthenticated,
            WebError::NotFound => ErrorCode::NotFound,
            WebError::Forbidden => ErrorCode::Forbidden,
            WebError::Refused { code, .. } => *code,
            WebError::Csrf => ErrorCode::Csrf,
            WebError::TooManyAttempts => ErrorCode::RateLimited,
            WebError::NotSaved(_) => ErrorCode::NotSaved,
            WebError::Internal(_) => ErrorCode::Internal,
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
            StoreError::Conflict(m) => WebError::bad(ErrorCode::Conflict, m),
            StoreError::Invalid(m) => WebError::bad(ErrorCode::Invalid, m),
            StoreError::Refused(Refusal::ReportCancelled) => WebError::code(ErrorCode::Cancelled),
            StoreError::Refused(Refusal::SalesNotAllowed) => WebError::code(ErrorCode::SalesNotAllowed),
            StoreError::Refused(Refusal::LiveReportFound) => WebError::code(ErrorCode::LiveReportFound),
            StoreError::Late(m) => WebError::bad(ErrorCode::DisputeLate, m),
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

impl From<crate::service::ServiceError> for WebError {
    fn from(e: crate::service::ServiceError) -> Self {
        use crate::service::ServiceError as S;
        match e {
            S::Store(s) => s.into(),
            S::Db(d) => d.into(),
            S::Filing(refusal) => WebError::bad(ErrorCode::from(refusal), refusal),
            S::CodeRefused(reason) => WebError::bad(ErrorCode::CodeRefused, reason),
            S::OperatorNotAllowed(why) => WebError::bad(ErrorCode::OperatorNotAllowed, why),
            S::UnknownProject(_) => WebError::code(ErrorCode::UnknownProject),
            S::KeyRetired => WebError::code(ErrorCode::KeyRetired),
            S::Invalid(m) => WebError::bad(ErrorCode::Invalid, m),
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
        if let WebError::SignIn { to } = &self {
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
        let body = serde_json::json!({ "error": { "code": self.0.error_code(), "message": message } });
        (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
    }
}

/// Rejections by the framework itself (a path id that is not a number, a
/// bad query value, a body too large or of the wrong type, an unknown
/// route or method) answer on `/api/*` and `/kiosk/*` with the same JSON
/// shape as every other error there.
pub async fn json_rejections(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path();
    let json_route = path.starts_with("/api/") || (path.starts_with("/kiosk/"));
    let response = next.run(req).await;
    let status = response.status();
    if !json_route || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let code = ErrorCode::for_status(status);
    let detail = match axum::body::to_bytes(response.into_body(), 4096).await {
        Ok(bytes) if !bytes.is_empty() => format!(": {}", String::from_utf8_lossy(&bytes)),
        _ => String::new(),
    };
    let body = serde_json::json!({ "error": { "code": code, "message": format!("{}{detail}", code.message()) } });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}
