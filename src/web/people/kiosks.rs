//! The desk tablets (前台平板): the list with each one's status (paired,
//! last seen, the clerk signed in now, the kiosk app's version), adding one
//! (a pairing code, shown once with a QR code of the pairing address), and
//! revoking one (the tablet and every clerk on it are signed out at once).

use super::super::AppState;
use super::super::error::WebError;
use super::super::error_code::ErrorCode;
use super::super::i18n::Lang;
use super::super::listing::may_list;
use super::super::nav::{StaffNav, role_zh};
use super::super::session::{CurrentStaff, check_csrf};
use super::{
    Actor, CsrfForm, ListQuery, ProjectChoice, Secret, SecretPage, chosen, local, local_unix, notice, page,
    project_choices, public_url, qr_data_uri, role_en,
};
use crate::store::kiosks::KioskStatus;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

struct Row {
    id: i64,
    name: String,
    project: String,
    /// `revoked`, `paired`, `waiting` (a live pairing code) or `unpaired`.
    status: &'static str,
    status_zh: &'static str,
    status_en: &'static str,
    badge: &'static str,
    added: String,
    last_seen: String,
    clerk: String,
    clerk_role_zh: &'static str,
    clerk_role_en: &'static str,
    version: String,
    current_version: bool,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "staff/people/kiosks.html")]
struct ListPage {
    nav: StaffNav,
    notice: Option<(&'static str, &'static str)>,
    error: Option<String>,
    is_admin: bool,
    rows: Vec<Row>,
    current_version: &'static str,
    form_name: String,
    project_choices: Vec<ProjectChoice>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KioskForm {
    csrf: String,
    name: String,
    /// An admin's choice.
    project: String,
}

/// The version the kiosk app sends when it runs today's assets.
fn current_version() -> &'static str {
    super::super::assets::prefix().trim_start_matches("/static/")
}

fn row(state: &AppState, k: KioskStatus, now: i64) -> Row {
    let (status, status_zh, status_en, badge) = if k.kiosk.revoked {
        ("revoked", "已吊销", "Revoked", "danger")
    } else if k.device_live {
        ("paired", "已配对", "Paired", "ok")
    } else if k.pairing_expires_unix.is_some_and(|t| t >= now) {
        ("waiting", "待配对", "Waiting to pair", "warn")
    } else {
        ("unpaired", "未配对(配对码已失效)", "Not paired (code expired)", "warn")
    };
    let project = k.kiosk.project_id.as_str();
    let (clerk, clerk_role_zh, clerk_role_en) = match &k.clerk {
        Some(s) => (s.name.clone(), role_zh(s.role), role_en(s.role)),
        None => ("—".to_owned(), "", ""),
    };
    let version = k.kiosk.app_version.clone().unwrap_or_else(|| "—".into());
    Row {
        id: k.kiosk.id,
        project: state.project_name(project),
        status,
        status_zh,
        status_en,
        badge,
        added: local(state, Some(project), Some(k.created_at.as_str()), "%Y-%m-%d"),
        last_seen: local_unix(state, project, k.kiosk.last_seen_unix, "%Y-%m-%d %H:%M"),
        clerk,
        clerk_role_zh,
        clerk_role_en,
        current_version: version == current_version(),
        version,
        revoked: k.kiosk.revoked,
        name: k.kiosk.name.clone(),
    }
}

async fn render_list(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    filter: Option<String>,
    form: &KioskForm,
    done: &str,
    error: Option<(String, StatusCode)>,
) -> Result<Response, WebError> {
    let project = me.staff.project_id.clone().or(filter);
    let now = state.clock.now();
    let kiosks =
        state.db.run(move |store| store.kiosk_statuses(project.as_deref(), now)).await.map_err(WebError::from)?;
    let (error, status) = match error {
        Some((message, status)) => (Some(message), status),
        None => (None, StatusCode::OK),
    };
    let list = ListPage {
        nav: StaffNav::new(me, lang, "/staff/people/kiosks"),
        notice: notice(done),
        error,
        is_admin: me.staff.project_id.is_none(),
        rows: kiosks.into_iter().map(|k| row(state, k, now.timestamp())).collect(),
        current_version: current_version(),
        form_name: form.name.clone(),
        project_choices: project_choices(state, &form.project),
    };
    page(&list, status)
}

pub async fn list(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    render_list(&state, &me, lang, chosen(&q.project), &KioskForm::default(), &q.done, None).await
}

/// Adds a kiosk to the project and shows its pairing code once, with a QR
/// code of the pairing address for the tablet's camera.
pub async fn add(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Form(form): Form<KioskForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let project = match &me.staff.project_id {
        Some(own) if chosen(&form.project).is_some_and(|p| &p != own) => return Err(WebError::Forbidden),
        Some(own) => own.clone(),
        None => match chosen(&form.project) {
            Some(p) if state.deployment.project(&p).is_some() => p,
            _ => {
                let e = WebError::bad(ErrorCode::Invalid, "请选择项目 / choose a project");
                return render_list(&state, &me, lang, None, &form, "", Some((e.to_string(), e.status()))).await;
            }
        },
    };
    let (actor, name, now) = (Actor::of(&me), form.name.clone(), state.clock.now());
    let created = state
        .db
        .write(move |store| store.create_kiosk_by(&project, &name, actor.who(), now))
        .await
        .map_err(WebError::from);
    let (kiosk, code) = match created {
        Ok(created) => created,
        Err(e @ WebError::Refused { .. }) => {
            return render_list(&state, &me, lang, None, &form, "", Some((e.to_string(), e.status()))).await;
        }
        Err(e) => return Err(e),
    };
    let address = format!("{}/kiosk?pair={code}", public_url(&state));
    let view = SecretPage {
        nav: StaffNav::new(&me, lang, "/staff/people/kiosks"),
        title_zh: "前台平板已添加",
        title_en: "Kiosk added",
        hint_zh: "在平板上用 Chrome 或 Safari 打开 /kiosk(或扫描二维码),输入配对码。配对码 24 小时内有效,只能使用一次;配对后平板保持登录一年,除非被吊销。",
        hint_en: "On the tablet open /kiosk in Chrome or Safari (or scan the QR code) and enter the pairing code. It works once, for 24 hours; a paired tablet stays paired for a year unless revoked.",
        items: vec![
            Secret {
                label_zh: "平板",
                label_en: "Kiosk",
                value: format!("{} · {}", kiosk.name, state.project_name(&kiosk.project_id)),
                id: "kiosk",
            },
            Secret { label_zh: "配对码", label_en: "Pairing code", value: code, id: "pairing-code" },
            Secret {
                label_zh: "配对网址", label_en: "Pairing address", value: address.clone(), id: "pairing-address"
            },
        ],
        qr: Some(qr_data_uri(&address)?),
        back: "/staff/people/kiosks".to_owned(),
    };
    page(&view, StatusCode::OK)
}

/// Revokes a kiosk: its device session and every PIN session opened on it
/// end at once; it cannot pair again.
pub async fn revoke(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let kiosk = state.db.run(move |store| store.kiosk(id)).await.map_err(WebError::from)?;
    if !me.sees(&kiosk.project_id) {
        return Err(WebError::NotFound);
    }
    let (actor, now) = (Actor::of(&me), state.clock.now());
    let revoked =
        state.db.write(move |store| store.revoke_kiosk_by(id, actor.who(), now)).await.map_err(WebError::from);
    match revoked {
        Ok(()) => Ok(Redirect::to("/staff/people/kiosks?done=revoked").into_response()),
        Err(e @ WebError::Refused { .. }) => {
            let form = KioskForm::default();
            render_list(&state, &me, lang, None, &form, "", Some((e.to_string(), e.status()))).await
        }
        Err(e) => Err(e),
    }
}
