//! An agency's roster (带看人员名单): adding an agent (an invitation link,
//! shown once with its QR code), resetting a password by a new invitation,
//! and disabling (the agent leaves the roster; every session ends).

use super::super::AppState;
use super::super::error::WebError;
use super::super::i18n::Lang;
use super::super::listing::may_list;
use super::super::nav::StaffNav;
use super::super::session::{CurrentStaff, check_csrf};
use super::agencies::{Typed, may_manage, render_agency};
use super::{Actor, CsrfForm, Secret, SecretPage, page, public_url, qr_data_uri};
use crate::domain::phone::Phone;
use crate::store::people::{Agency, RosterEntry};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AgentForm {
    csrf: String,
    name: String,
    phone: String,
}

/// The one-time page of an invitation: the link and its QR code.
fn invitation_page(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    agent: &RosterEntry,
    secret: &str,
    reset: bool,
) -> Result<Response, WebError> {
    let link = format!("{}/invite/{secret}", public_url(state));
    let (title_zh, title_en) = if reset {
        ("已重置:新的邀请链接", "Password reset: a new invitation")
    } else {
        ("经纪人已加入名单", "Agent added")
    };
    let view = SecretPage {
        nav: StaffNav::new(me, lang, &format!("/staff/people/agencies/{}", agent.agency_id)),
        title_zh,
        title_en,
        hint_zh: "请把链接或二维码发给经纪人本人:经纪人打开后设置密码(至少 8 位)即可登录报备。链接 7 天内有效,只能使用一次。",
        hint_en: "Send the link or QR code to the agent in person: they open it, set a password (8+ characters) and are signed in. It works once, for 7 days.",
        items: vec![
            Secret {
                label_zh: "经纪人",
                label_en: "Agent",
                value: format!("{} {}", agent.name, agent.phone_masked),
                id: "agent",
            },
            Secret { label_zh: "邀请链接", label_en: "Invitation link", value: link.clone(), id: "invite-link" },
        ],
        qr: Some(qr_data_uri(&link)?),
        back: format!("/staff/people/agencies/{}#roster", agent.agency_id),
    };
    page(&view, StatusCode::OK)
}

/// Adds an agent to the agency's roster and shows the invitation once.
pub async fn add(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(agency_id): Path<i64>,
    Form(form): Form<AgentForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let agency = state.db.run(move |store| store.agency(agency_id)).await.map_err(WebError::from)?;
    may_manage(&me, &agency)?;
    let refused =
        |e: &WebError| Typed { agent_name: form.name.clone(), agent_phone: form.phone.clone(), ..Typed::refused(e) };
    let phone = match Phone::parse(&form.phone) {
        Ok(p) => p,
        Err(e) => {
            let e = WebError::bad(super::super::error_code::ErrorCode::BadPhone, e);
            return render_agency(&state, &me, lang, agency_id, refused(&e)).await;
        }
    };
    let (actor, name, now) = (Actor::of(&me), form.name.clone(), state.clock.now());
    let added = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let (id, secret) = store.add_agent(agency_id, &name, &phone, actor.by(), now)?;
            Ok((store.roster_entry(id)?, secret))
        })
        .await;
    match added {
        Ok((agent, secret)) => invitation_page(&state, &me, lang, &agent, &secret, false),
        Err(e @ WebError::Refused { .. }) => render_agency(&state, &me, lang, agency_id, refused(&e)).await,
        Err(e) => Err(e),
    }
}

/// The agent and their agency, if this viewer may change that roster.
async fn agent_to_manage(state: &AppState, me: &CurrentStaff, id: i64) -> Result<(RosterEntry, Agency), WebError> {
    let (agent, agency) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let agent = store.roster_entry(id)?;
            let agency = store.agency(agent.agency_id)?;
            Ok((agent, agency))
        })
        .await?;
    may_manage(me, &agency)?;
    Ok((agent, agency))
}

/// Resets an agent's password by a new invitation: the old password stops
/// working, every session ends, and the new link is shown once.
pub async fn reinvite(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (agent, agency) = agent_to_manage(&state, &me, id).await?;
    let (actor, now) = (Actor::of(&me), state.clock.now());
    let secret = state.db.write(move |store| store.reinvite_agent(id, actor.by(), now)).await.map_err(WebError::from);
    match secret {
        Ok(secret) => invitation_page(&state, &me, lang, &agent, &secret, true),
        Err(e @ WebError::Refused { .. }) => render_agency(&state, &me, lang, agency.id, Typed::refused(&e)).await,
        Err(e) => Err(e),
    }
}

/// Disables an agent: they leave the roster today, cannot sign in or
/// report, and every session of theirs ends.
pub async fn disable(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (_, agency) = agent_to_manage(&state, &me, id).await?;
    let (actor, now) = (Actor::of(&me), state.clock.now());
    state.db.write(move |store| store.disable_agent_by(id, actor.by(), now)).await.map_err(WebError::from)?;
    Ok(Redirect::to(&format!("/staff/people/agencies/{}?done=disabled#roster", agency.id)).into_response())
}
