//! 员工名单: the employees (and their family) whose purchases are never
//! channel performance. Listed masked (the list keeps no number: see
//! `store::deals::employees`), added one by one or imported from a CSV of
//! phones, removed when they leave; every change audited and followed by
//! the re-attribution of the subscriptions it touches.

use super::super::AppState;
use super::super::error::WebError;
use super::super::i18n::Lang;
use super::super::listing::may_list;
use super::super::nav::StaffNav;
use super::super::people::{Actor, CsrfForm, ProjectChoice, page, project_choices};
use super::super::session::{CurrentStaff, check_csrf, url_escape};
use super::{LineView, choose_project, line_views, project_for, read_upload};
use crate::domain::phone::Phone;
use crate::store::deals::DealImportError;
use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// A CSV of phones is small.
pub(super) const UPLOAD_LIMIT: usize = 1024 * 1024 + 64 * 1024;

struct EmployeeView {
    id: i64,
    phone: String,
    note: String,
    added_at: String,
}

#[derive(Template)]
#[template(path = "staff/deals/employees.html")]
struct EmployeesPage {
    nav: StaffNav,
    notice: Option<String>,
    error: Option<String>,
    lines: Vec<LineView>,
    /// The project listed; `None`: an admin chooses first.
    project: Option<String>,
    project_name: String,
    projects: Vec<ProjectChoice>,
    rows: Vec<EmployeeView>,
    form_phone: String,
    form_note: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    project: String,
    done: String,
    added: u64,
    present: u64,
}

/// What a POST that went wrong brings back.
#[derive(Default)]
struct Problem {
    error: Option<String>,
    lines: Vec<LineView>,
    status: Option<StatusCode>,
    phone: String,
    note: String,
}

impl Problem {
    fn of(message: String, status: StatusCode) -> Problem {
        Problem { error: Some(message), status: Some(status), ..Problem::default() }
    }
}

async fn render(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    project: Option<String>,
    notice: Option<String>,
    problem: Problem,
) -> Result<Response, WebError> {
    let listed = project.clone();
    let entries = match listed {
        Some(p) => state.db.run(move |store| store.employees(&p)).await.map_err(WebError::from)?,
        None => Vec::new(),
    };
    let rows = entries
        .into_iter()
        .map(|e| EmployeeView {
            id: e.id,
            phone: e.phone_masked,
            note: e.note,
            added_at: state.local_text(project.as_deref().unwrap_or(""), &e.added_at, "%Y-%m-%d"),
        })
        .collect();
    let view = EmployeesPage {
        nav: StaffNav::new(me, lang, "/staff/employees"),
        notice,
        error: problem.error,
        lines: problem.lines,
        project_name: project.as_deref().map(|p| state.project_name(p)).unwrap_or_default(),
        projects: project_choices(state, project.as_deref().unwrap_or("")),
        project,
        rows,
        form_phone: problem.phone,
        form_note: problem.note,
    };
    page(&view, problem.status.unwrap_or(StatusCode::OK))
}

/// The project's list (masked), with the forms to add and import.
pub async fn list(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    let project = project_for(&state, &me, &q.project)?;
    let notice = match q.done.as_str() {
        "added" => Some(lang.tr("已加入员工名单。", "Added to the employees list.").to_owned()),
        "removed" => Some(lang.tr("已移出员工名单。", "Removed from the employees list.").to_owned()),
        "imported" => Some(format!(
            "{} {} · {} {}",
            lang.tr("导入完成:新增", "Imported: added"),
            q.added,
            lang.tr("已在名单中", "already listed"),
            q.present
        )),
        _ => None,
    };
    render(&state, &me, lang, project, notice, Problem::default()).await
}

fn back(project: &str, done: &str) -> Response {
    Redirect::to(&format!("/staff/employees?project={}&done={done}", url_escape(project))).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AddForm {
    csrf: String,
    project: String,
    phone: String,
    note: String,
}

/// Puts a phone on the list (full number; kept as a keyed hash and its
/// first three and last four digits).
pub async fn add(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Form(form): Form<AddForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let typed = |message: String, status: StatusCode| Problem {
        phone: form.phone.clone(),
        note: form.note.clone(),
        ..Problem::of(message, status)
    };
    let Some(project) = project_for(&state, &me, &form.project)? else {
        return render(&state, &me, lang, None, None, typed(choose_project(), StatusCode::UNPROCESSABLE_ENTITY)).await;
    };
    let phone = match Phone::parse(&form.phone) {
        Ok(p) => p,
        Err(e) => {
            let problem = typed(e.to_string(), StatusCode::UNPROCESSABLE_ENTITY);
            return render(&state, &me, lang, Some(project), None, problem).await;
        }
    };
    let (actor, now, pid, note) = (Actor::of(&me), state.clock.now(), project.clone(), form.note.clone());
    let added = state
        .db
        .write(move |store| store.add_employee(&pid, &phone, &note, actor.by(), now))
        .await
        .map_err(WebError::from);
    match added {
        Ok(()) => Ok(back(&project, "added")),
        Err(e @ WebError::Refused { .. }) => {
            let problem = typed(e.to_string(), e.status());
            render(&state, &me, lang, Some(project), None, problem).await
        }
        Err(e) => Err(e),
    }
}

/// Takes an entry off the list.
pub async fn remove(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let Some(project) = project_for(&state, &me, &q.project)? else {
        return Err(WebError::NotFound);
    };
    let (actor, now, pid) = (Actor::of(&me), state.clock.now(), project.clone());
    state.db.write(move |store| store.remove_employee(&pid, id, actor.by(), now)).await.map_err(WebError::from)?;
    Ok(back(&project, "removed"))
}

/// Imports a CSV of phones (header 手机号 / phone): all or nothing.
pub async fn import(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    multipart: Multipart,
) -> Result<Response, WebError> {
    may_list(&me)?;
    let upload = read_upload(multipart).await?;
    check_csrf(&me.session.csrf, &upload.csrf)?;
    let Some(project) = project_for(&state, &me, &upload.project)? else {
        let problem = Problem::of(choose_project(), StatusCode::UNPROCESSABLE_ENTITY);
        return render(&state, &me, lang, None, None, problem).await;
    };
    if upload.too_large || upload.file.is_empty() {
        let (message, status) = if upload.too_large {
            ("文件不能超过 1 MB / the file is larger than 1 MB", StatusCode::PAYLOAD_TOO_LARGE)
        } else {
            ("请选择 CSV 文件 / choose a CSV file", StatusCode::UNPROCESSABLE_ENTITY)
        };
        return render(&state, &me, lang, Some(project), None, Problem::of(message.to_owned(), status)).await;
    }
    let (actor, now, pid, bytes) = (Actor::of(&me), state.clock.now(), project.clone(), upload.file);
    let result = state
        .db
        .write(move |store| -> Result<_, WebError> { Ok(store.import_employees(&pid, &bytes, actor.by(), now)) })
        .await?;
    match result {
        Ok(s) => Ok(Redirect::to(&format!(
            "/staff/employees?project={}&done=imported&added={}&present={}",
            url_escape(&project),
            s.added,
            s.already_present
        ))
        .into_response()),
        Err(DealImportError::BadLines(lines)) => {
            let problem = Problem {
                error: Some(format!(
                    "{} 行有误,未导入任何数据 / {} bad line(s); nothing was imported",
                    lines.len(),
                    lines.len()
                )),
                lines: line_views(lines),
                status: Some(StatusCode::UNPROCESSABLE_ENTITY),
                ..Problem::default()
            };
            render(&state, &me, lang, Some(project), None, problem).await
        }
        Err(DealImportError::Format(message)) => {
            let problem = Problem::of(message, StatusCode::UNPROCESSABLE_ENTITY);
            render(&state, &me, lang, Some(project), None, problem).await
        }
        Err(DealImportError::Store(e)) => Err(e.into()),
    }
}
