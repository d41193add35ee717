//! The agent's pages (phone-sized, often inside WeChat): sign in, accept an
//! invitation, file a report, show its QR code, list and cancel reports.

use super::AppState;
use super::error::WebError;
use super::i18n::{Lang, Texts};
use super::pages::{InvitePage, LoginPage, NewReportPage, ReportPage, ReportRow, ReportsPage};
use super::session::{
    AGENT_COOKIE, AGENT_SESSION_SECS, CurrentAgent, PRE_CSRF_COOKIE, check_csrf, clear_cookie, cookie, pre_csrf,
    set_cookie, with_pre_csrf,
};
use crate::domain::name::CustomerName;
use crate::domain::phone::{CustomerPhone, Phone};
use crate::domain::token::ReportId;
use crate::store::reports::{FilingError, NewReport, ReportStatus, StoredReport};
use crate::store::sessions::{SessionKind, random_secret};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{NaiveDateTime, TimeZone};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/login", get(login_page).post(login))
        .route("/agent/logout", post(logout))
        .route("/invite/{secret}", get(invite_page).post(accept_invite))
        .route("/agent/reports", get(list).post(file))
        .route("/agent/reports/new", get(new_form))
        .route("/agent/reports/{id}", get(show))
        .route("/agent/reports/{id}/qr.png", get(qr_png))
        .route("/agent/reports/{id}/qr.svg", get(qr_svg))
        .route("/agent/reports/{id}/cancel", post(cancel))
}

fn html(page: impl Template) -> Result<Html<String>, WebError> {
    Ok(Html(page.render()?))
}

async fn login_page(State(state): State<AppState>, lang: Lang, headers: HeaderMap) -> Response {
    let (csrf, fresh) = pre_csrf(&headers);
    let page = html(LoginPage { t: lang.texts(), csrf: csrf.clone(), error: None, phone: String::new() });
    with_pre_csrf(page, &csrf, fresh, StatusCode::OK, state.secure_cookies)
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    phone: String,
    password: String,
}

async fn login(State(state): State<AppState>, lang: Lang, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let t = lang.texts();
    let expected = cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default();
    if let Err(e) = check_csrf(&expected, &form.csrf) {
        return e.into_response();
    }
    let again = |error: String| {
        let page = html(LoginPage { t, csrf: expected.clone(), error: Some(error), phone: form.phone.clone() });
        with_pre_csrf(page, &expected, false, StatusCode::UNAUTHORIZED, state.secure_cookies)
    };
    let phone = match Phone::parse(&form.phone) {
        Ok(p) => p,
        Err(e) => return again(e.to_string()),
    };
    let limiter_key = format!("agent:{}", phone.as_str());
    if !state.limiter.allowed(&limiter_key) {
        return WebError::TooManyAttempts.into_response();
    }
    let now = state.clock.now();
    let password = form.password.clone();
    // argon2 runs on a reader connection, outside the writers' queue.
    let checked = state.db.run(move |store| store.check_agent_password(&phone, &password)).await;
    let signed_in = match checked {
        Ok(found) => {
            state
                .db
                .write(move |store| -> Result<_, WebError> {
                    let Some(agent) = found else {
                        store.audit(now, "anonymous", "agent.sign_in_failed", None, &phone.masked().to_string())?;
                        return Ok(None);
                    };
                    let secret = store.create_session(SessionKind::Agent, agent.id, AGENT_SESSION_SECS, now)?;
                    store.audit(now, &format!("agent:{}", agent.id), "agent.sign_in", None, "")?;
                    Ok(Some(secret))
                })
                .await
        }
        Err(e) => Err(WebError::from(e)),
    };
    match signed_in {
        Ok(Some(secret)) => {
            state.limiter.reset(&limiter_key);
            let cookie = set_cookie(AGENT_COOKIE, &secret, AGENT_SESSION_SECS, state.secure_cookies);
            ([(header::SET_COOKIE, cookie)], Redirect::to("/agent/reports")).into_response()
        }
        Ok(None) => {
            state.limiter.failed(&limiter_key);
            again(t.bad_login.to_owned())
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    me: CurrentAgent,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let secret = me.secret.clone();
    state.db.write(move |store| store.end_session(&secret)).await.map_err(WebError::from)?;
    Ok(([(header::SET_COOKIE, clear_cookie(AGENT_COOKIE))], Redirect::to("/agent/login")).into_response())
}

async fn invite_page(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(secret): Path<String>,
) -> Response {
    let (csrf, fresh) = pre_csrf(&headers);
    let page = html(InvitePage { t: lang.texts(), csrf: csrf.clone(), secret, error: None });
    with_pre_csrf(page, &csrf, fresh, StatusCode::OK, state.secure_cookies)
}

#[derive(Deserialize)]
struct InviteForm {
    csrf: String,
    password: String,
}

async fn accept_invite(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Path(secret): Path<String>,
    Form(form): Form<InviteForm>,
) -> Response {
    let expected = cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default();
    if let Err(e) = check_csrf(&expected, &form.csrf) {
        return e.into_response();
    }
    if !state.limiter.allowed("invite") {
        return WebError::TooManyAttempts.into_response();
    }
    let now = state.clock.now();
    let invite = secret.clone();
    let result = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let agent_id = store.accept_invite(&invite, &form.password, now)?;
            Ok(store.create_session(SessionKind::Agent, agent_id, AGENT_SESSION_SECS, now)?)
        })
        .await;
    match result {
        Ok(session) => {
            let cookie = set_cookie(AGENT_COOKIE, &session, AGENT_SESSION_SECS, state.secure_cookies);
            ([(header::SET_COOKIE, cookie)], Redirect::to("/agent/reports")).into_response()
        }
        Err(WebError::BadRequest { message, .. }) => {
            state.limiter.failed("invite");
            let page = html(InvitePage { t: lang.texts(), csrf: expected.clone(), secret, error: Some(message) });
            with_pre_csrf(page, &expected, false, StatusCode::UNPROCESSABLE_ENTITY, state.secure_cookies)
        }
        Err(e) => e.into_response(),
    }
}

pub fn status_class(s: ReportStatus) -> &'static str {
    match s {
        ReportStatus::Pending => "pending",
        ReportStatus::VisitedValid => "valid",
        ReportStatus::VisitedInvalid => "invalid",
        ReportStatus::Expired | ReportStatus::Cancelled => "closed",
    }
}

fn project_name(state: &AppState, id: &str) -> String {
    state.deployment.project(id).map(|p| p.name.clone()).unwrap_or_else(|| id.to_owned())
}

async fn list(State(state): State<AppState>, lang: Lang, me: CurrentAgent) -> Result<Html<String>, WebError> {
    let agent_id = me.agent.id;
    let reports = state.db.run(move |store| store.reports_of_agent(agent_id, 200)).await.map_err(WebError::from)?;
    let rows = reports
        .iter()
        .map(|r| ReportRow {
            id: r.id.0,
            project_name: project_name(&state, &r.project_id),
            customer_name: r.customer_name.to_string(),
            masked_phone: r.customer_phone.masked().to_string(),
            filed_local: state.local_time(&r.project_id, &r.filed_at, "%m-%d %H:%M"),
            status_label: lang.status_label(r.status),
            status_class: status_class(r.status),
        })
        .collect();
    html(ReportsPage {
        t: lang.texts(),
        csrf: me.session.csrf,
        agency: me.agent.agency_name,
        agent: me.agent.name,
        rows,
    })
}

#[derive(Deserialize, Default)]
struct ReportForm {
    csrf: String,
    idem: String,
    project: String,
    customer_name: String,
    customer_phone: String,
    #[serde(default)]
    expected_arrival: String,
    #[serde(default)]
    party_size: String,
    #[serde(default)]
    note: String,
}

fn form_page(
    state: &AppState,
    t: &'static Texts,
    csrf: String,
    form: ReportForm,
    error: Option<String>,
) -> NewReportPage {
    NewReportPage {
        t,
        csrf,
        idem: if form.idem.is_empty() { random_secret() } else { form.idem },
        error,
        projects: state.deployment.projects.iter().map(|p| (p.id.clone(), p.name.clone())).collect(),
        project: form.project,
        customer_name: form.customer_name,
        customer_phone: form.customer_phone,
        expected_arrival: form.expected_arrival,
        party_size: form.party_size,
        note: form.note,
    }
}

async fn new_form(State(state): State<AppState>, lang: Lang, me: CurrentAgent) -> Result<Html<String>, WebError> {
    html(form_page(&state, lang.texts(), me.session.csrf, ReportForm::default(), None))
}

/// A report as typed, checked field by field; the error is for the agent.
fn parse_report(state: &AppState, agent_id: i64, form: &ReportForm) -> Result<NewReport, WebError> {
    let bad = |e: &dyn ToString| WebError::bad("INVALID", e.to_string());
    let project = state
        .deployment
        .project(&form.project)
        .ok_or_else(|| WebError::bad("UNKNOWN_PROJECT", "请选择项目 / choose a project"))?;
    let customer_name = CustomerName::parse(&form.customer_name).map_err(|e| bad(&e))?;
    let customer_phone =
        CustomerPhone::parse(&form.customer_phone, project.rules.allow_masked_phone).map_err(|e| bad(&e))?;
    let party_size = match form.party_size.trim() {
        "" => None,
        s => Some(
            s.parse::<i64>()
                .ok()
                .filter(|n| (1..=50).contains(n))
                .ok_or_else(|| WebError::bad("INVALID", "到访人数应为 1–50 / party size is 1 to 50"))?,
        ),
    };
    let expected_arrival = match form.expected_arrival.trim() {
        "" => None,
        s => {
            let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").map_err(|_| {
                WebError::bad("INVALID", "预计到访时间格式不正确 / expected arrival is not a date and time")
            })?;
            let at = project.rules.timezone.from_local_datetime(&naive).earliest().ok_or_else(|| {
                WebError::bad("INVALID", "预计到访时间格式不正确 / expected arrival is not a date and time")
            })?;
            Some(crate::contract::format_instant(at.fixed_offset()))
        }
    };
    let note = form.note.trim();
    if note.chars().count() > 200 {
        return Err(WebError::bad("INVALID", "备注最多 200 字 / the note has at most 200 characters"));
    }
    Ok(NewReport {
        project_id: project.id.clone(),
        agent_id,
        customer_name,
        customer_phone,
        expected_arrival,
        party_size,
        note: (!note.is_empty()).then(|| note.to_owned()),
        idempotency_key: (!form.idem.is_empty()).then(|| format!("form:{agent_id}:{}", form.idem)),
        demo: state.demo,
    })
}

/// Files a report with the project's rules at the server's clock.
pub async fn file_report(state: &AppState, new: NewReport) -> Result<StoredReport, WebError> {
    let filing = Filing::new(state, &new.project_id)?;
    state.db.write(move |store| filing.file(store, new)).await
}

/// What a filing needs from the server, ready to move into a database job.
pub struct Filing {
    rules: crate::domain::rules::Rules,
    key_id: crate::domain::token::KeyId,
    filed_at: chrono::DateTime<chrono::FixedOffset>,
}

impl Filing {
    pub fn new(state: &AppState, project_id: &str) -> Result<Filing, WebError> {
        let project = state.deployment.project(project_id).ok_or(WebError::NotFound)?;
        let rules = project.rules.clone();
        let filed_at = state.clock.now().with_timezone(&rules.timezone).fixed_offset();
        Ok(Filing { rules, key_id: state.key_ring.signing_key(), filed_at })
    }

    /// Runs on the writer: the project's filing checks and the insert.
    pub fn file(self, store: &mut crate::store::Store, new: NewReport) -> Result<StoredReport, WebError> {
        let mut rng = rand::rngs::OsRng;
        match store.file_report_checked(new, Some(&self.rules), self.key_id, self.filed_at, || {
            rand::RngCore::next_u64(&mut rng)
        }) {
            Ok(r) => {
                tracing::info!(report = r.id.0, project = %r.project_id, "report filed");
                Ok(r)
            }
            Err(FilingError::Refused(refusal)) => {
                Err(WebError::Conflict { code: refusal.code(), message: refusal.to_string() })
            }
            Err(FilingError::Store(e)) => Err(e.into()),
        }
    }
}

async fn file(State(state): State<AppState>, lang: Lang, me: CurrentAgent, Form(form): Form<ReportForm>) -> Response {
    if let Err(e) = check_csrf(&me.session.csrf, &form.csrf) {
        return e.into_response();
    }
    let t = lang.texts();
    let outcome = match parse_report(&state, me.agent.id, &form) {
        Ok(new) => file_report(&state, new).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(report) => Redirect::to(&format!("/agent/reports/{}", report.id)).into_response(),
        Err(e @ (WebError::BadRequest { .. } | WebError::Conflict { .. })) => {
            let status = e.status();
            let page = form_page(&state, t, me.session.csrf.clone(), form, Some(e.to_string()));
            match html(page) {
                Ok(body) => (status, body).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => e.into_response(),
    }
}

/// The report, if it belongs to the agent's agency; another agency's
/// report is "not found", so its existence is not revealed.
async fn own_report(state: &AppState, me: &CurrentAgent, id: i64) -> Result<StoredReport, WebError> {
    let report = state.db.run(move |store| store.report(ReportId(id))).await.map_err(WebError::from)?;
    if report.agency_id != me.agent.agency_id {
        return Err(WebError::NotFound);
    }
    Ok(report)
}

pub fn token_of(state: &AppState, report: &StoredReport) -> Option<String> {
    state.key_ring.sign_with(report.key_id, report.id, report.filed_at.to_utc())
}

async fn show(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentAgent,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let r = own_report(&state, &me, id).await?;
    let project = state.deployment.project(&r.project_id).ok_or(WebError::NotFound)?;
    let filed = r.filed_at.to_utc();
    html(ReportPage {
        t: lang.texts(),
        csrf: me.session.csrf,
        id: r.id.0,
        project_name: project.name.clone(),
        customer_name: r.customer_name.to_string(),
        masked_phone: r.customer_phone.masked().to_string(),
        manual_code: r.manual_code.to_string(),
        filed_local: state.local_time(&r.project_id, &filed, "%Y-%m-%d %H:%M"),
        not_before: state.local_time(&r.project_id, &(filed + project.rules.min_gap), "%m-%d %H:%M"),
        valid_until: project.rules.report_valid_until(r.filed_at).format("%Y-%m-%d %H:%M").to_string(),
        status_label: lang.status_label(r.status),
        status_class: status_class(r.status),
        pending: r.status == ReportStatus::Pending,
        qr_available: token_of(&state, &r).is_some(),
    })
}

pub fn qr_response(token: Option<String>, svg: bool) -> Result<Response, WebError> {
    let token = token.ok_or_else(|| WebError::Conflict {
        code: "KEY_RETIRED",
        message: "该报备的二维码密钥已停用,请重新报备 / this code's key was retired; file the report again".into(),
    })?;
    let private = (header::CACHE_CONTROL, "private, max-age=300");
    if svg {
        let body = crate::qr::svg(&token).map_err(|e| WebError::Internal(e.to_string()))?;
        Ok(([(header::CONTENT_TYPE, "image/svg+xml"), private], body).into_response())
    } else {
        let body = crate::qr::png(&token).map_err(|e| WebError::Internal(e.to_string()))?;
        Ok(([(header::CONTENT_TYPE, "image/png"), private], body).into_response())
    }
}

async fn qr_png(State(state): State<AppState>, me: CurrentAgent, Path(id): Path<i64>) -> Result<Response, WebError> {
    let r = own_report(&state, &me, id).await?;
    qr_response(token_of(&state, &r), false)
}

async fn qr_svg(State(state): State<AppState>, me: CurrentAgent, Path(id): Path<i64>) -> Result<Response, WebError> {
    let r = own_report(&state, &me, id).await?;
    qr_response(token_of(&state, &r), true)
}

async fn cancel(
    State(state): State<AppState>,
    me: CurrentAgent,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    check_csrf(&me.session.csrf, &form.csrf)?;
    let (agency, actor, now) = (me.agent.agency_id, format!("agent:{}", me.agent.id), state.clock.now());
    state
        .db
        .write(move |store| store.cancel_report(ReportId(id), agency, &actor, now))
        .await
        .map_err(WebError::from)?;
    Ok(Redirect::to(&format!("/agent/reports/{id}")).into_response())
}
