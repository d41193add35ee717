//! `/api/v1/subscriptions`: the developer's own sales system sends its
//! subscriptions (认购), contracts (签约) and cancellations (退订), named by
//! its own id (`external_id`), and reads back their attribution (渠道业绩).
//! Authenticated by a developer key (`Authorization: Bearer pd_…`, one
//! project's, issued on /staff/deals/import); an agency's `pk_…` key is
//! refused. Errors are JSON with a stable code, as on the rest of the API.
//! The customer's phone is only ever answered masked.

use super::super::AppState;
use super::super::error::{ApiError, WebError};
use super::super::error_code::ErrorCode;
use crate::domain::attribute::AttributeReason;
use crate::store::Store;
use crate::store::deals::{AttributionInForce, SalesRef, Subscription, SubscriptionText};
use crate::store::people::By;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/subscriptions", post(create))
        .route("/api/v1/subscriptions/{external_id}", get(show))
        .route("/api/v1/subscriptions/{external_id}/contract", post(contract))
        .route("/api/v1/subscriptions/{external_id}/cancel", post(cancel))
}

fn unauthenticated() -> WebError {
    WebError::bad(
        ErrorCode::Unauthenticated,
        "缺少或无效的开发商密钥 / missing, unknown or revoked developer key (Authorization: Bearer pd_…)",
    )
}

/// The developer key a request carries (checked against the database
/// inside each handler's one database job).
pub struct DeveloperKey(String);

impl FromRequestParts<AppState> for DeveloperKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|k| k.trim().to_owned())
            .filter(|k| k.starts_with("pd_") && k.len() < 100)
            .map(DeveloperKey)
            .ok_or(ApiError(unauthenticated()))
    }
}

impl DeveloperKey {
    /// The key's id and project, inside a database job.
    fn project(&self, store: &Store) -> Result<(i64, String), WebError> {
        store.project_of_developer_key(&self.0)?.ok_or_else(unauthenticated)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateSubscription {
    external_id: String,
    customer_name: String,
    customer_phone: String,
    unit: String,
    product: String,
    /// A number (`2000000`, `1999999.5`) or a string (`"2,000,000.00"`).
    price_yuan: serde_json::Value,
    subscribed_at: String,
    #[serde(default)]
    deposit_at: Option<String>,
    #[serde(default)]
    down_payment_at: Option<String>,
    #[serde(default)]
    sales_login: Option<String>,
}

/// A contract's or cancellation's instant (absent: now).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct When {
    at: Option<String>,
}

#[derive(Serialize)]
struct AttributionJson {
    channel_performance: bool,
    agency: Option<String>,
    visit_at: Option<String>,
    reasons: Vec<AttributeReason>,
    /// The ledger entry it is sealed in.
    ledger_seq: i64,
    attributed_at: String,
}

#[derive(Serialize)]
struct SubscriptionJson {
    id: i64,
    external_id: Option<String>,
    project: String,
    customer_name: String,
    /// Always 前三后四.
    customer_phone: String,
    unit: String,
    product: String,
    /// Exact, two decimals.
    price_yuan: String,
    subscribed_at: String,
    deposit_at: Option<String>,
    down_payment_at: Option<String>,
    sales: String,
    status: &'static str,
    contracted_at: Option<String>,
    cancelled_at: Option<String>,
    attribution: Option<AttributionJson>,
}

fn json_of(s: Subscription, attribution: Option<AttributionInForce>) -> SubscriptionJson {
    SubscriptionJson {
        id: s.id,
        external_id: s.external_id,
        project: s.project_id,
        customer_name: s.customer_name,
        customer_phone: s.phone.masked().to_string(),
        unit: s.unit,
        product: s.product,
        price_yuan: format!("{}.{:02}", s.price_fen / 100, s.price_fen % 100),
        subscribed_at: s.subscribed_at,
        deposit_at: s.deposit_at,
        down_payment_at: s.down_payment_at,
        sales: s.sales_name,
        status: s.status.code(),
        contracted_at: s.contracted_at,
        cancelled_at: s.cancelled_at,
        attribution: attribution.map(|a| AttributionJson {
            channel_performance: a.channel_performance,
            agency: a.agency,
            visit_at: a.visit_at,
            reasons: a.reasons,
            ledger_seq: a.ledger_seq,
            attributed_at: a.attributed_at,
        }),
    }
}

fn invalid(message: impl ToString) -> ApiError {
    ApiError(WebError::bad(ErrorCode::Invalid, message.to_string()))
}

/// Enters a subscription and attributes it: 201 with it and its
/// attribution; 200 with the one entered before when `external_id` was
/// sent already (nothing changes).
async fn create(State(state): State<AppState>, key: DeveloperKey, body: Bytes) -> Result<Response, ApiError> {
    let req: CreateSubscription =
        serde_json::from_slice(&body).map_err(|e| ApiError(WebError::bad(ErrorCode::BadJson, e)))?;
    if req.external_id.trim().is_empty() {
        return Err(invalid("external_id: the sales system's own id of the subscription is required"));
    }
    let price_yuan = match &req.price_yuan {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.clone(),
        _ => return Err(invalid("price_yuan: a number or a string of yuan, e.g. 2000000 or \"1999999.50\"")),
    };
    let text = SubscriptionText {
        customer_name: req.customer_name,
        customer_phone: req.customer_phone,
        unit: req.unit,
        product: req.product,
        price_yuan,
        subscribed_at: req.subscribed_at,
        deposit_at: req.deposit_at.unwrap_or_default(),
        down_payment_at: req.down_payment_at.unwrap_or_default(),
        external_id: req.external_id,
    };
    let sales = req.sales_login.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).map(SalesRef::Login);
    let (deployment, now) = (state.deployment.clone(), state.clock.now());
    let (created, subscription, attribution) = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let (key_id, project_id) = key.project(store)?;
            let project = deployment.project(&project_id).ok_or_else(|| WebError::code(ErrorCode::UnknownProject))?;
            let actor = format!("api:dev:{key_id}");
            let by = By { actor: &actor, project: Some(&project_id) };
            let entered =
                crate::service::deals::enter(store, &project.id, &project.rules, &text, sales, &actor, by, now)?;
            Ok((entered.created, store.subscription(entered.id)?, store.attribution(entered.id)?))
        })
        .await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(json_of(subscription, attribution))).into_response())
}

/// The subscription with the sales system's id `external_id` and its
/// attribution in force.
async fn show(
    State(state): State<AppState>,
    key: DeveloperKey,
    Path(external_id): Path<String>,
) -> Result<Response, ApiError> {
    let (subscription, attribution) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let (_, project_id) = key.project(store)?;
            let s = store.subscription_by_external(&project_id, &external_id)?.ok_or(WebError::NotFound)?;
            let a = store.attribution(s.id)?;
            Ok((s, a))
        })
        .await?;
    Ok(Json(json_of(subscription, attribution)).into_response())
}

#[derive(Clone, Copy)]
enum Change {
    Contract,
    Cancel,
}

async fn change(
    state: AppState,
    key: DeveloperKey,
    external_id: String,
    body: Bytes,
    change: Change,
) -> Result<Response, ApiError> {
    let when: When = if body.iter().all(u8::is_ascii_whitespace) {
        When::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| ApiError(WebError::bad(ErrorCode::BadJson, e)))?
    };
    let (deployment, now) = (state.deployment.clone(), state.clock.now());
    let (subscription, attribution) = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let (key_id, project_id) = key.project(store)?;
            let project = deployment.project(&project_id).ok_or_else(|| WebError::code(ErrorCode::UnknownProject))?;
            let s = store.subscription_by_external(&project_id, &external_id)?.ok_or(WebError::NotFound)?;
            let actor = format!("api:dev:{key_id}");
            let by = By { actor: &actor, project: Some(&project_id) };
            let at = when.at.as_deref();
            match change {
                Change::Contract => crate::service::deals::contract(store, &project.rules, s.id, at, by, now)?,
                Change::Cancel => crate::service::deals::cancel(store, &project.rules, s.id, at, by, now)?,
            }
            Ok((store.subscription(s.id)?, store.attribution(s.id)?))
        })
        .await?;
    Ok(Json(json_of(subscription, attribution)).into_response())
}

/// 签约: `{"at": "2026-11-25T15:00:00+08:00"}` (or no body: now).
async fn contract(
    State(state): State<AppState>,
    key: DeveloperKey,
    Path(external_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    change(state, key, external_id, body, Change::Contract).await
}

/// 退订: `{"at": …}` (or no body: now). The subscription keeps its last
/// attribution.
async fn cancel(
    State(state): State<AppState>,
    key: DeveloperKey,
    Path(external_id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    change(state, key, external_id, body, Change::Cancel).await
}
