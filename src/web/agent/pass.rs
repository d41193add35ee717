//! The pass (带看凭证) of a report the agent can still show: the card image
//! (`GET /agent/reports/{id}/pass.png`, drawn by `crate::pass_card`) and the
//! report page's way to save it. Outside WeChat a link downloads the card;
//! WeChat's in-app browser ignores `<a download>` (Android blocks the
//! download, iOS just opens the image), so there the page shows the card
//! itself with 长按图片保存到相册 — a long press saves it to the album.

use super::super::AppState;
use super::super::error::WebError;
use super::super::i18n::Lang;
use super::super::pages::ErrorPage;
use super::super::session::CurrentAgent;
use super::reports::own_report;
use crate::config::deployment::ProjectConfig;
use crate::pass_card::PassCard;
use crate::service::filing::token_of;
use crate::store::reports::{ReportStatus, StoredReport};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// Whether the page is open in WeChat's in-app browser: its user agent
/// carries `MicroMessenger` (Android's XWEB and iOS alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InWeChat(pub bool);

impl FromRequestParts<AppState> for InWeChat {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let ua = parts.headers.get(header::USER_AGENT).map(|v| v.as_bytes()).unwrap_or_default();
        Ok(InWeChat(ua.windows(b"MicroMessenger".len()).any(|w| w == b"MicroMessenger")))
    }
}

/// The card of a report that can still be shown at the desk: pending, valid
/// at the server's clock, with a key that still signs its token. The image
/// and the report page are both made from this one struct.
pub fn pass_card(state: &AppState, report: &StoredReport, project: &ProjectConfig) -> Option<PassCard> {
    if report.status != ReportStatus::Pending {
        return None;
    }
    let now = state.clock.now().with_timezone(&project.rules.timezone).fixed_offset();
    if !project.rules.report_valid_at(report.filed_at, now) {
        return None;
    }
    let token = token_of(&state.key_ring, report)?;
    let filed = report.filed_at.to_utc();
    Some(PassCard {
        project: project.name.clone(),
        customer_masked: format!("{} {}", report.customer_name, report.customer_phone.masked()),
        agent: report.agent_name.clone(),
        agency: report.agency_name.clone(),
        manual_code: report.manual_code.to_string(),
        arrive_not_before: state.local_time(&report.project_id, &(filed + project.rules.min_gap), "%Y-%m-%d %H:%M"),
        valid_until: project.rules.report_valid_until(report.filed_at).format("%Y-%m-%d %H:%M").to_string(),
        token,
    })
}

/// The report page's save block: the card's texts (`None`: nothing to
/// save), and how to save it in this browser.
pub struct SaveBlock {
    pub card: Option<PassCard>,
    /// WeChat: the card as an image to long-press, no download link.
    pub wechat: bool,
    /// 保存凭证图片
    pub save_label: &'static str,
    /// 长按图片保存到相册
    pub long_press_hint: &'static str,
}

impl SaveBlock {
    pub fn new(card: Option<PassCard>, lang: Lang, wechat: InWeChat) -> SaveBlock {
        let (save_label, long_press_hint) = match lang {
            Lang::Zh => ("保存凭证图片", "长按图片保存到相册"),
            Lang::En => ("Save the pass image", "Press and hold the image to save it to your photos"),
        };
        SaveBlock { card, wechat: wechat.0, save_label, long_press_hint }
    }
}

/// `GET /agent/reports/{id}/pass.png`: the card of the agency's own report;
/// another agency's is "not found", a used, expired or cancelled one is
/// gone (410).
pub async fn pass_png(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let report = own_report(&state, &me, id).await?;
    let project = state.deployment.project(&report.project_id).ok_or(WebError::NotFound)?;
    let Some(card) = pass_card(&state, &report, project) else {
        return gone(lang);
    };
    // Drawing reads the font the first time (a fraction of a second): not
    // on the request threads.
    let png = tokio::task::spawn_blocking(move || card.render())
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let headers = [
        (header::CONTENT_TYPE, "image/png".to_owned()),
        (header::CONTENT_DISPOSITION, format!("inline; filename=\"panke-pass-{id}.png\"")),
        (header::CACHE_CONTROL, "private, no-store".to_owned()),
    ];
    Ok((headers, png).into_response())
}

/// 410: the report exists and is the agency's, but there is no pass to
/// show any more.
fn gone(lang: Lang) -> Result<Response, WebError> {
    let message = match lang {
        Lang::Zh => "该报备已不是待到访状态（已到访、已过期或已撤销），没有可出示的带看凭证。",
        Lang::En => "This report is no longer pending (visited, expired or cancelled): there is no pass to show.",
    };
    let page = ErrorPage { t: lang.texts(), message: message.to_owned(), status: StatusCode::GONE.as_u16() };
    let body = askama::Template::render(&page)?;
    Ok((StatusCode::GONE, [(header::CACHE_CONTROL, "private, no-store")], Html(body)).into_response())
}
