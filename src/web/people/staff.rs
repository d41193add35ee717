//! Project staff: the list with roles and status, adding a member (a
//! password, and a kiosk PIN for desk clerks and sales consultants,
//! generated and shown once), disabling, and new passwords and PINs
//! (generated and shown once; the old ones stop working and the sessions
//! they opened end).
//!
//! A manager acts on their own project's staff and adds desk clerks, sales
//! consultants and managers of that project; an admin on anyone, and adds
//! admins too. Nobody disables or resets their own password here.

use super::super::AppState;
use super::super::error::WebError;
use super::super::error_code::ErrorCode;
use super::super::i18n::Lang;
use super::super::listing::may_list;
use super::super::nav::{StaffNav, role_zh};
use super::super::session::{CurrentStaff, check_csrf};
use super::{
    Actor, CsrfForm, ListQuery, ProjectChoice, Secret, SecretPage, chosen, local, notice, page, project_choices,
    role_en,
};
use crate::store::people::{NewStaff, Role, StaffEntry, generated_password, generated_pin};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

struct Row {
    id: i64,
    login: String,
    name: String,
    role: &'static str,
    role_zh: &'static str,
    role_en: &'static str,
    project: String,
    active: bool,
    since: String,
    until: String,
    is_me: bool,
    uses_pin: bool,
}

/// A role a form offers.
struct RoleChoice {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "staff/people/staff.html")]
struct ListPage {
    nav: StaffNav,
    notice: Option<(&'static str, &'static str)>,
    error: Option<String>,
    is_admin: bool,
    rows: Vec<Row>,
    form_login: String,
    form_name: String,
    roles: Vec<RoleChoice>,
    project_choices: Vec<ProjectChoice>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StaffForm {
    csrf: String,
    login: String,
    name: String,
    role: String,
    /// An admin's choice (empty for an admin account).
    project: String,
}

/// The roles `me` may give.
fn roles_for(me: &CurrentStaff) -> &'static [Role] {
    if me.staff.project_id.is_none() {
        &[Role::Desk, Role::Sales, Role::Manager, Role::Admin]
    } else {
        &[Role::Desk, Role::Sales, Role::Manager]
    }
}

fn row(state: &AppState, me: &CurrentStaff, s: StaffEntry) -> Row {
    let project = s.project_id.as_deref();
    Row {
        id: s.id,
        role: s.role.code(),
        role_zh: role_zh(s.role),
        role_en: role_en(s.role),
        project: project.map(|p| state.project_name(p)).unwrap_or_else(|| "—".into()),
        active: s.active,
        since: local(state, project, Some(s.created_at.as_str()), "%Y-%m-%d"),
        until: local(state, project, s.disabled_at.as_deref(), "%Y-%m-%d"),
        is_me: s.id == me.staff.id,
        uses_pin: matches!(s.role, Role::Desk | Role::Sales),
        login: s.login,
        name: s.name,
    }
}

async fn render_list(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    filter: Option<String>,
    form: &StaffForm,
    done: &str,
    error: Option<(String, StatusCode)>,
) -> Result<Response, WebError> {
    // A manager sees their project; an admin everyone, or one project.
    let project = me.staff.project_id.clone().or(filter);
    let entries = state.db.run(move |store| store.staff_entries(project.as_deref())).await.map_err(WebError::from)?;
    let (error, status) = match error {
        Some((message, status)) => (Some(message), status),
        None => (None, StatusCode::OK),
    };
    let list = ListPage {
        nav: StaffNav::new(me, lang, "/staff/people/staff"),
        notice: notice(done),
        error,
        is_admin: me.staff.project_id.is_none(),
        rows: entries.into_iter().map(|s| row(state, me, s)).collect(),
        form_login: form.login.clone(),
        form_name: form.name.clone(),
        roles: roles_for(me)
            .iter()
            .map(|r| RoleChoice { code: r.code(), zh: role_zh(*r), en: role_en(*r), selected: r.code() == form.role })
            .collect(),
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
    render_list(&state, &me, lang, chosen(&q.project), &StaffForm::default(), &q.done, None).await
}

/// The page that shows new secrets once.
fn secrets_page(me: &CurrentStaff, lang: Lang, title: (&'static str, &'static str), items: Vec<Secret>) -> SecretPage {
    SecretPage {
        nav: StaffNav::new(me, lang, "/staff/people/staff"),
        title_zh: title.0,
        title_en: title.1,
        hint_zh: "请当面交给本人。密码用于 /staff/login 登录后台,PIN 用于在前台平板上登录;请本人妥善保管。",
        hint_en: "Hand these over in person. The password signs in at /staff/login, the PIN at the desk tablets; they are theirs to keep safe.",
        items,
        qr: None,
        back: "/staff/people/staff".to_owned(),
    }
}

/// Adds a staff member and shows their password (and PIN) once.
pub async fn add(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Form(form): Form<StaffForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let Some(role) = roles_for(&me).iter().copied().find(|r| r.code() == form.role) else {
        return Err(if Role::parse(&form.role).is_some() {
            WebError::Forbidden
        } else {
            WebError::bad(ErrorCode::Invalid, "请选择岗位 / choose a role")
        });
    };
    let project = match &me.staff.project_id {
        Some(own) if chosen(&form.project).is_some_and(|p| &p != own) => return Err(WebError::Forbidden),
        Some(own) => Some(own.clone()),
        None if role == Role::Admin => None,
        None => match chosen(&form.project) {
            Some(p) if state.deployment.project(&p).is_some() => Some(p),
            _ => {
                let e = WebError::bad(ErrorCode::Invalid, "请选择项目 / choose a project");
                return render_list(&state, &me, lang, None, &form, "", Some((e.to_string(), e.status()))).await;
            }
        },
    };
    let password = generated_password();
    let pin = matches!(role, Role::Desk | Role::Sales).then(generated_pin);
    let slot = state.limiter.secret_slot()?;
    let (actor, now) = (Actor::of(&me), state.clock.now());
    let (login, name, secret, code) = (form.login.clone(), form.name.clone(), password.clone(), pin.clone());
    let added = state
        .db
        .write(move |store| {
            let _slot = slot;
            let new = NewStaff {
                project_id: project.as_deref(),
                login: &login,
                name: &name,
                role,
                password: Some(&secret),
                pin: code.as_deref(),
            };
            store.add_staff(&new, actor.by(), now)
        })
        .await
        .map_err(WebError::from);
    match added {
        Ok(_) => {
            let mut items = vec![
                Secret { label_zh: "登录名", label_en: "Login", value: form.login.trim().to_owned(), id: "login" },
                Secret { label_zh: "岗位", label_en: "Role", value: role_zh(role).to_owned(), id: "role" },
                Secret { label_zh: "密码", label_en: "Password", value: password, id: "new-password" },
            ];
            if let Some(pin) = pin {
                items.push(Secret { label_zh: "前台 PIN", label_en: "Kiosk PIN", value: pin, id: "new-pin" });
            }
            page(&secrets_page(&me, lang, ("员工已添加", "Staff member added"), items), StatusCode::OK)
        }
        Err(e @ WebError::Refused { .. }) => {
            render_list(&state, &me, lang, None, &form, "", Some((e.to_string(), e.status()))).await
        }
        Err(e) => Err(e),
    }
}

/// The staff member, if `me` may change them: their own project's (an
/// admin: anyone's), never themselves. Another project's are not found.
async fn member_to_change(state: &AppState, me: &CurrentStaff, id: i64) -> Result<StaffEntry, WebError> {
    let entry = state.db.run(move |store| store.staff_entry(id)).await.map_err(WebError::from)?;
    let visible = match (&me.staff.project_id, &entry.project_id) {
        (None, _) => true,
        (Some(mine), Some(theirs)) => mine == theirs,
        (Some(_), None) => false,
    };
    if !visible {
        return Err(WebError::NotFound);
    }
    if entry.id == me.staff.id {
        return Err(WebError::bad(ErrorCode::Conflict, "不能对自己执行此操作 / you cannot do this to yourself"));
    }
    if !entry.active {
        return Err(WebError::bad(ErrorCode::Conflict, "该员工已停用 / this staff member is disabled"));
    }
    Ok(entry)
}

/// Disables a staff member: no sign-in (password or PIN), every session
/// ends.
pub async fn disable(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    member_to_change(&state, &me, id).await?;
    let (actor, now) = (Actor::of(&me), state.clock.now());
    state.db.write(move |store| store.disable_staff(id, actor.who(), now)).await.map_err(WebError::from)?;
    Ok(Redirect::to("/staff/people/staff?done=disabled").into_response())
}

/// A new password, shown once; every session of theirs ends.
pub async fn reset_password(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let entry = member_to_change(&state, &me, id).await?;
    let password = generated_password();
    let slot = state.limiter.secret_slot()?;
    let (actor, now, secret) = (Actor::of(&me), state.clock.now(), password.clone());
    state
        .db
        .write(move |store| {
            let _slot = slot;
            store.reset_staff_password(id, &secret, actor.by(), now)
        })
        .await
        .map_err(WebError::from)?;
    let items = vec![
        Secret { label_zh: "登录名", label_en: "Login", value: entry.login, id: "login" },
        Secret { label_zh: "新密码", label_en: "New password", value: password, id: "new-password" },
    ];
    page(&secrets_page(&me, lang, ("密码已重置", "Password reset"), items), StatusCode::OK)
}

/// A new kiosk PIN (desk clerks and sales consultants), shown once; the
/// PIN sessions at kiosks end.
pub async fn reset_pin(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let entry = member_to_change(&state, &me, id).await?;
    if !matches!(entry.role, Role::Desk | Role::Sales) {
        return Err(WebError::bad(
            ErrorCode::Invalid,
            "只有判客岗和置业顾问使用前台 PIN / only desk clerks and sales consultants use a kiosk PIN",
        ));
    }
    let pin = generated_pin();
    let slot = state.limiter.secret_slot()?;
    let (actor, now, code) = (Actor::of(&me), state.clock.now(), pin.clone());
    state
        .db
        .write(move |store| {
            let _slot = slot;
            store.reset_staff_pin(id, &code, actor.by(), now)
        })
        .await
        .map_err(WebError::from)?;
    let items = vec![
        Secret { label_zh: "登录名", label_en: "Login", value: entry.login, id: "login" },
        Secret { label_zh: "新 PIN", label_en: "New PIN", value: pin, id: "new-pin" },
    ];
    page(&secrets_page(&me, lang, ("PIN 已重置", "PIN reset"), items), StatusCode::OK)
}
