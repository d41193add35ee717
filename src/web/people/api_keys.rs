//! An agency's API keys for its own systems (`/api/v1`): issue one (a
//! label says which system; the key is shown once) and revoke one (refused
//! from the next request on).

use super::super::AppState;
use super::super::error::WebError;
use super::super::i18n::Lang;
use super::super::listing::may_list;
use super::super::nav::StaffNav;
use super::super::session::{CurrentStaff, check_csrf};
use super::agencies::{Typed, may_manage, render_agency};
use super::{Actor, CsrfForm, Secret, SecretPage, page};
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyForm {
    csrf: String,
    label: String,
}

/// Issues a key for the agency and shows it once.
pub async fn issue(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(agency_id): Path<i64>,
    Form(form): Form<KeyForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let agency = state.db.run(move |store| store.agency(agency_id)).await.map_err(WebError::from)?;
    may_manage(&me, &agency)?;
    let (actor, label, now) = (Actor::of(&me), form.label.clone(), state.clock.now());
    let issued = state
        .db
        .write(move |store| store.issue_api_key(agency_id, &label, actor.by(), now))
        .await
        .map_err(WebError::from);
    let (key_id, key) = match issued {
        Ok(issued) => issued,
        Err(e @ WebError::Refused { .. }) => {
            let typed = Typed { key_label: form.label.clone(), ..Typed::refused(&e) };
            return render_agency(&state, &me, lang, agency_id, typed).await;
        }
        Err(e) => return Err(e),
    };
    let view = SecretPage {
        nav: StaffNav::new(&me, lang, &format!("/staff/people/agencies/{agency_id}")),
        title_zh: "API 密钥已签发",
        title_en: "API key issued",
        hint_zh: "请把密钥交给该渠道公司的技术人员,保存在其系统中:请求时带上 Authorization: Bearer 密钥。panke 只保存密钥的摘要,无法再次显示。",
        hint_en: "Hand the key to the agency's technical staff to keep in their system; requests carry Authorization: Bearer <key>. panke keeps only a digest of it and cannot show it again.",
        items: vec![
            Secret { label_zh: "渠道公司", label_en: "Agency", value: agency.name, id: "agency" },
            Secret { label_zh: "用途", label_en: "Label", value: form.label.trim().to_owned(), id: "key-label" },
            Secret { label_zh: "编号", label_en: "Key id", value: key_id.to_string(), id: "key-id" },
            Secret { label_zh: "API 密钥", label_en: "API key", value: key, id: "api-key" },
        ],
        qr: None,
        back: format!("/staff/people/agencies/{agency_id}#keys"),
    };
    page(&view, StatusCode::OK)
}

/// Revokes a key: the API refuses it from the next request on.
pub async fn revoke(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (key, agency) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let key = store.api_key(id)?;
            let agency = store.agency(key.agency_id)?;
            Ok((key, agency))
        })
        .await?;
    may_manage(&me, &agency)?;
    let (actor, now) = (Actor::of(&me), state.clock.now());
    let revoked =
        state.db.write(move |store| store.revoke_api_key_by(id, actor.by(), now)).await.map_err(WebError::from);
    match revoked {
        Ok(_) => {
            Ok(Redirect::to(&format!("/staff/people/agencies/{}?done=revoked#keys", key.agency_id)).into_response())
        }
        Err(e @ WebError::Refused { .. }) => render_agency(&state, &me, lang, agency.id, Typed::refused(&e)).await,
        Err(e) => Err(e),
    }
}
