//! Importing the sales system's export (明源-style, CSV or xlsx, up to
//! 10 MB): all or nothing — with any bad line nothing is imported and each
//! is listed by its line (its spreadsheet row); a file imported twice adds
//! nothing. And the developer's API keys (`pd_…`, `/api/v1/subscriptions`):
//! issued here, shown once, revoked here; every change audited.

use super::super::AppState;
use super::super::error::WebError;
use super::super::i18n::Lang;
use super::super::listing::may_list;
use super::super::nav::StaffNav;
use super::super::people::{Actor, CsrfForm, ProjectChoice, Secret, SecretPage, page, project_choices};
use super::super::session::{CurrentStaff, check_csrf, url_escape};
use super::{LineView, choose_project, line_views, project_for, read_upload};
use crate::store::deals::{DealImportError, DeveloperKey};
use askama::Template;
use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The upload's body: the file plus a little text.
pub(super) const UPLOAD_LIMIT: usize = 10 * 1024 * 1024 + 64 * 1024;

/// A developer key as listed (never the key itself).
struct KeyView {
    id: i64,
    project: String,
    label: String,
    created: String,
    live: bool,
    revoked: String,
}

#[derive(Template)]
#[template(path = "staff/deals/import.html")]
struct ImportPage {
    nav: StaffNav,
    notice: Option<String>,
    error: Option<String>,
    lines: Vec<LineView>,
    is_admin: bool,
    projects: Vec<ProjectChoice>,
    keys: Vec<KeyView>,
    key_label: String,
}

/// What the page says after a change (post/redirect/get).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ImportQuery {
    project: String,
    done: String,
    lines: u64,
    added: u64,
    updated: u64,
    present: u64,
    attributed: u64,
}

/// How the page comes back after a POST went wrong.
#[derive(Default)]
struct Problem {
    error: Option<String>,
    lines: Vec<LineView>,
    status: Option<StatusCode>,
    key_label: String,
}

async fn render(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    project: Option<String>,
    notice: Option<String>,
    problem: Problem,
) -> Result<Response, WebError> {
    // A manager's project's keys; an admin's chosen project's, or all.
    let listed = me.staff.project_id.clone().or(project.clone());
    let keys: Vec<DeveloperKey> =
        state.db.run(move |store| store.developer_keys(listed.as_deref())).await.map_err(WebError::from)?;
    const SHOWN: &str = "%Y-%m-%d %H:%M";
    let view = ImportPage {
        nav: StaffNav::new(me, lang, "/staff/deals/import"),
        notice,
        error: problem.error,
        lines: problem.lines,
        is_admin: me.staff.project_id.is_none(),
        projects: project_choices(state, project.as_deref().unwrap_or("")),
        keys: keys
            .into_iter()
            .map(|k| KeyView {
                id: k.id,
                project: state.project_name(&k.project_id),
                created: state.local_text(&k.project_id, &k.created_at, SHOWN),
                live: k.revoked_at.is_none(),
                revoked: k.revoked_at.as_deref().map(|t| state.local_text(&k.project_id, t, SHOWN)).unwrap_or_default(),
                label: k.label,
            })
            .collect(),
        key_label: problem.key_label,
    };
    page(&view, problem.status.unwrap_or(StatusCode::OK))
}

/// The upload form, the result of the last import, and the API keys.
pub async fn form(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<ImportQuery>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    let project = project_for(&state, &me, &q.project)?;
    let notice = match q.done.as_str() {
        "imported" => Some(format!(
            "{} {} · {} {} · {} {} · {} {} · {} {}",
            lang.tr("导入完成:共", "Imported: lines"),
            q.lines,
            lang.tr("新增", "added"),
            q.added,
            lang.tr("更新状态", "status updated"),
            q.updated,
            lang.tr("已存在", "already present"),
            q.present,
            lang.tr("渠道业绩判定", "attribution entries"),
            q.attributed
        )),
        "revoked" => Some(lang.tr("密钥已吊销,立即生效。", "Key revoked, effective at once.").to_owned()),
        _ => None,
    };
    render(&state, &me, lang, project, notice, Problem::default()).await
}

/// Imports the uploaded file; on to the page with the summary, or back to
/// it with every bad line (nothing imported).
pub async fn upload(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    multipart: Multipart,
) -> Result<Response, WebError> {
    may_list(&me)?;
    let upload = read_upload(multipart).await?;
    check_csrf(&me.session.csrf, &upload.csrf)?;
    let project = project_for(&state, &me, &upload.project)?;
    let refused = |message: String, status: StatusCode| Problem {
        error: Some(message),
        status: Some(status),
        ..Problem::default()
    };
    let Some(project) = project else {
        return render(&state, &me, lang, None, None, refused(choose_project(), StatusCode::UNPROCESSABLE_ENTITY))
            .await;
    };
    if upload.too_large {
        let message = "文件不能超过 10 MB / the file is larger than 10 MB".to_owned();
        return render(&state, &me, lang, Some(project), None, refused(message, StatusCode::PAYLOAD_TOO_LARGE)).await;
    }
    if upload.file.is_empty() {
        let message = "请选择要导入的文件(CSV 或 xlsx)/ choose a file to import (CSV or xlsx)".to_owned();
        return render(&state, &me, lang, Some(project), None, refused(message, StatusCode::UNPROCESSABLE_ENTITY))
            .await;
    }
    let rules = state.deployment.project(&project).map(|p| p.rules.clone()).ok_or(WebError::NotFound)?;
    let (actor, now, pid, bytes) = (me.actor(), state.clock.now(), project.clone(), upload.file);
    let result = state
        .db
        .write(move |store| -> Result<_, WebError> {
            Ok(crate::service::deals::import(store, &pid, &rules, &bytes, &actor, now))
        })
        .await?;
    match result {
        Ok(s) => Ok(Redirect::to(&format!(
            "/staff/deals/import?project={}&done=imported&lines={}&added={}&updated={}&present={}&attributed={}",
            url_escape(&project),
            s.lines,
            s.added,
            s.updated,
            s.already_present,
            s.attributions
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
                key_label: String::new(),
            };
            render(&state, &me, lang, Some(project), None, problem).await
        }
        Err(DealImportError::Format(message)) => {
            render(&state, &me, lang, Some(project), None, refused(message, StatusCode::UNPROCESSABLE_ENTITY)).await
        }
        Err(DealImportError::Store(e)) => match WebError::from(e) {
            e @ WebError::Refused { .. } => {
                let status = e.status();
                render(&state, &me, lang, Some(project), None, refused(e.to_string(), status)).await
            }
            other => Err(other),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct KeyForm {
    csrf: String,
    project: String,
    label: String,
}

/// Issues a developer key and shows it once.
pub async fn issue_key(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Form(form): Form<KeyForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let Some(project) = project_for(&state, &me, &form.project)? else {
        let problem = Problem {
            error: Some(choose_project()),
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            key_label: form.label.clone(),
            ..Problem::default()
        };
        return render(&state, &me, lang, None, None, problem).await;
    };
    let (actor, now, label, pid) = (Actor::of(&me), state.clock.now(), form.label.clone(), project.clone());
    let issued = state
        .db
        .write(move |store| store.issue_developer_key(&pid, &label, actor.by(), now))
        .await
        .map_err(WebError::from);
    let (key_id, key) = match issued {
        Ok(issued) => issued,
        Err(e @ WebError::Refused { .. }) => {
            let problem = Problem {
                error: Some(e.to_string()),
                status: Some(e.status()),
                key_label: form.label.clone(),
                ..Problem::default()
            };
            return render(&state, &me, lang, Some(project), None, problem).await;
        }
        Err(e) => return Err(e),
    };
    let view = SecretPage {
        nav: StaffNav::new(&me, lang, "/staff/deals/import"),
        title_zh: "开发商接口密钥已签发",
        title_en: "Developer API key issued",
        hint_zh: "请把密钥交给开发商销售系统的技术人员:请求 /api/v1/subscriptions 时带上 Authorization: Bearer 密钥。panke 只保存密钥的摘要,无法再次显示。",
        hint_en: "Hand the key to the technical staff of the developer's sales system; requests to /api/v1/subscriptions carry Authorization: Bearer <key>. panke keeps only a digest of it and cannot show it again.",
        items: vec![
            Secret { label_zh: "项目", label_en: "Project", value: state.project_name(&project), id: "project" },
            Secret { label_zh: "用途", label_en: "Label", value: form.label.trim().to_owned(), id: "key-label" },
            Secret { label_zh: "编号", label_en: "Key id", value: key_id.to_string(), id: "key-id" },
            Secret { label_zh: "API 密钥", label_en: "API key", value: key, id: "api-key" },
        ],
        qr: None,
        back: format!("/staff/deals/import?project={}#keys", url_escape(&project)),
    };
    page(&view, StatusCode::OK)
}

/// Revokes a developer key: refused from the next request on.
pub async fn revoke_key(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let key = state.db.run(move |store| store.developer_key(id)).await.map_err(WebError::from)?;
    if !me.sees(&key.project_id) {
        return Err(WebError::NotFound);
    }
    let (actor, now) = (Actor::of(&me), state.clock.now());
    let revoked =
        state.db.write(move |store| store.revoke_developer_key(id, actor.by(), now)).await.map_err(WebError::from);
    match revoked {
        Ok(_) => {
            Ok(Redirect::to(&format!("/staff/deals/import?project={}&done=revoked#keys", url_escape(&key.project_id)))
                .into_response())
        }
        Err(e @ WebError::Refused { .. }) => {
            let problem = Problem { error: Some(e.to_string()), status: Some(e.status()), ..Problem::default() };
            render(&state, &me, lang, Some(key.project_id.clone()), None, problem).await
        }
        Err(e) => Err(e),
    }
}
