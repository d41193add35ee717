//! An agency's webhooks (推送地址) in the back office: add an address (its
//! signing secret is shown once), disable one. The agency's page shows its
//! addresses and the delivery log (`agencies::render_agency`), to the
//! managers who manage the agency; the agents read the same log at
//! `/agent/webhooks` (the rows are built here for both).

use super::super::AppState;
use super::super::error::WebError;
use super::super::i18n::Lang;
use super::super::listing::may_list;
use super::super::nav::StaffNav;
use super::super::session::{CurrentStaff, check_csrf};
use super::agencies::{Typed, may_manage, render_agency};
use super::{Actor, CsrfForm, Secret, SecretPage, page};
use crate::store::webhooks::{DeliveryState, EventType, LoggedEvent, WebhookEndpoint};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// Events the delivery log shows, newest first.
pub const LOGGED: u32 = 50;

const WHEN: &str = "%Y-%m-%d %H:%M:%S";

/// A UTC stamp in Beijing time (the log is the agency's, across projects);
/// `—` when absent.
fn when(state: &AppState, stamp: Option<&str>) -> String {
    stamp.map(|t| state.local_text("", t, WHEN)).filter(|s| !s.is_empty()).unwrap_or_else(|| "—".to_owned())
}

/// An address as listed.
pub struct EndpointRow {
    pub id: i64,
    pub url: String,
    pub created: String,
    pub disabled: String,
    pub active: bool,
}

pub fn endpoint_rows(state: &AppState, endpoints: Vec<WebhookEndpoint>) -> Vec<EndpointRow> {
    endpoints
        .into_iter()
        .map(|e| EndpointRow {
            id: e.id,
            active: e.active(),
            created: when(state, Some(e.created_at.as_str())),
            disabled: when(state, e.disabled_at.as_deref()),
            url: e.url,
        })
        .collect()
}

/// One attempt as listed.
pub struct TryRow {
    pub at: String,
    pub result: String,
    pub ok: bool,
    pub duration_ms: i64,
}

/// One event to one address, as the delivery log lists it.
pub struct DeliveryRow {
    pub outbox_id: i64,
    pub event_id: String,
    pub event_type: String,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub url: String,
    pub created: String,
    pub attempts: i64,
    /// `pending`, `delivered`, `gave-up`.
    pub state: &'static str,
    pub state_zh: &'static str,
    pub state_en: &'static str,
    pub badge: &'static str,
    /// The last attempt's status or error (`—` before the first).
    pub last: String,
    pub delivered: String,
    /// The next attempt, while pending.
    pub next: String,
    /// The body sent.
    pub payload: String,
    pub tries: Vec<TryRow>,
}

fn result_text(status: Option<i64>, error: Option<&str>) -> String {
    match (status, error) {
        (_, Some(e)) => e.to_owned(),
        (Some(s), None) => format!("HTTP {s}"),
        (None, None) => "—".to_owned(),
    }
}

pub fn delivery_rows(state: &AppState, events: Vec<LoggedEvent>) -> Vec<DeliveryRow> {
    events
        .into_iter()
        .map(|e| {
            let kind = EventType::parse(&e.event_type);
            let delivery = e.state();
            let badge = match delivery {
                DeliveryState::Delivered => "ok",
                DeliveryState::Pending => "warn",
                DeliveryState::GaveUp => "danger",
            };
            let next = match delivery {
                DeliveryState::Pending => chrono::DateTime::from_timestamp(e.next_attempt_unix, 0)
                    .map(|t| state.local_time("", &t, WHEN))
                    .unwrap_or_else(|| "—".to_owned()),
                _ => "—".to_owned(),
            };
            let tries = e
                .tries
                .iter()
                .map(|t| TryRow {
                    at: when(state, Some(t.at.as_str())),
                    result: result_text(t.status, t.error.as_deref()),
                    ok: t.error.is_none() && t.status.is_some_and(|s| (200..300).contains(&s)),
                    duration_ms: t.duration_ms,
                })
                .collect();
            DeliveryRow {
                outbox_id: e.outbox_id,
                label_zh: kind.map(EventType::label_zh).unwrap_or("事件"),
                label_en: kind.map(EventType::label_en).unwrap_or("Event"),
                created: when(state, Some(e.created_at.as_str())),
                attempts: e.attempts,
                state: delivery.code(),
                state_zh: delivery.label_zh(),
                state_en: delivery.label_en(),
                badge,
                last: if e.attempts == 0 {
                    "—".to_owned()
                } else {
                    result_text(e.last_status, e.last_error.as_deref())
                },
                delivered: when(state, e.delivered_at.as_deref()),
                next,
                tries,
                event_id: e.event_id,
                event_type: e.event_type,
                url: e.url,
                payload: e.payload,
            }
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WebhookForm {
    csrf: String,
    url: String,
}

/// Adds an address for the agency and shows its signing secret once.
pub(super) async fn add(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(agency_id): Path<i64>,
    Form(form): Form<WebhookForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let agency = state.db.run(move |store| store.agency(agency_id)).await.map_err(WebError::from)?;
    may_manage(&me, &agency)?;
    let (actor, url, now) = (Actor::of(&me), form.url.clone(), state.clock.now());
    let to_loopback = state.deployment.server.webhooks_to_loopback;
    let added = state
        .db
        .write(move |store| -> Result<_, crate::store::StoreError> {
            // This machine only where the deployment allows it (a local
            // relay): an agency's address must not reach the server itself.
            if crate::store::webhooks::points_at_this_machine(&url) && !to_loopback {
                return Err(crate::store::StoreError::Invalid(
                    "推送地址不能指向本机 / the address may not point at this machine".into(),
                ));
            }
            let (id, secret) = store.add_webhook_endpoint(agency_id, &url, actor.by(), now)?;
            Ok((store.webhook_endpoint(id)?, secret))
        })
        .await
        .map_err(WebError::from);
    let (endpoint, secret) = match added {
        Ok(added) => added,
        Err(e @ WebError::Refused { .. }) => {
            let typed = Typed { webhook_url: form.url.clone(), ..Typed::refused(&e) };
            return render_agency(&state, &me, lang, agency_id, typed).await;
        }
        Err(e) => return Err(e),
    };
    let view = SecretPage {
        nav: StaffNav::new(&me, lang, &format!("/staff/people/agencies/{agency_id}")),
        title_zh: "推送地址已添加",
        title_en: "Webhook added",
        hint_zh: "请把签名密钥交给该渠道公司的技术人员。panke 以 POST 发送 JSON 事件,请求头 Panke-Signature: t=<时间戳>,v1=<十六进制>,其中 v1 = HMAC-SHA256(密钥, \"<t>.<请求体原文>\"):接收方用密钥重算并比对,拒绝时间相差超过 5 分钟的请求。同一事件可能送达多次,请按事件 id 去重。2xx 以外的回应或超时(10 秒)会按退避重试 24 小时。",
        hint_en: "Hand the signing secret to the agency's technical staff. panke POSTs JSON events with the header Panke-Signature: t=<timestamp>,v1=<hex>, where v1 = HMAC-SHA256(secret, \"<t>.<raw body>\"): the receiver recomputes and compares it, and refuses a timestamp more than 5 minutes off. An event may arrive more than once: dedupe by its id. Anything but a 2xx answer within 10 s is retried with back-off for 24 h.",
        items: vec![
            Secret { label_zh: "渠道公司", label_en: "Agency", value: agency.name, id: "agency" },
            Secret { label_zh: "推送地址", label_en: "Address", value: endpoint.url, id: "webhook-url" },
            Secret { label_zh: "编号", label_en: "Id", value: endpoint.id.to_string(), id: "webhook-id" },
            Secret { label_zh: "签名密钥", label_en: "Signing secret", value: secret, id: "webhook-secret" },
        ],
        qr: None,
        back: format!("/staff/people/agencies/{agency_id}#webhooks"),
    };
    page(&view, StatusCode::OK)
}

/// Disables an address: no new event goes to it; what it had not received
/// is given up.
pub(super) async fn disable(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (endpoint, agency) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let endpoint = store.webhook_endpoint(id)?;
            let agency = store.agency(endpoint.agency_id)?;
            Ok((endpoint, agency))
        })
        .await?;
    may_manage(&me, &agency)?;
    let (actor, now) = (Actor::of(&me), state.clock.now());
    let disabled =
        state.db.write(move |store| store.disable_webhook_endpoint(id, actor.by(), now)).await.map_err(WebError::from);
    match disabled {
        Ok(_) => Ok(Redirect::to(&format!("/staff/people/agencies/{}?done=webhook_off#webhooks", endpoint.agency_id))
            .into_response()),
        Err(e @ WebError::Refused { .. }) => render_agency(&state, &me, lang, agency.id, Typed::refused(&e)).await,
        Err(e) => Err(e),
    }
}
