//! Visit records for signed-in staff: the printable confirmation sheet
//! (带看确认单), signature images, and the record's verification page that
//! the sheet's QR code opens. Also the staff sign-in page.

use super::AppState;
use super::error::WebError;
use super::i18n::Lang;
use super::session::{
    CurrentStaff, PRE_CSRF_COOKIE, STAFF_COOKIE, STAFF_SESSION_SECS, check_csrf, cookie, pre_csrf, set_cookie,
    with_pre_csrf,
};
use crate::domain::judge::Signer;
use crate::domain::phone::Phone;
use crate::domain::reason::{Lang as ReasonLang, Reason};
use crate::store::ledger::LedgerRow;
use crate::store::sessions::SessionKind;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/login", get(login_page).post(login))
        .route("/records/{seq}", get(verify_page))
        .route("/records/{seq}/sheet", get(sheet))
        .route("/records/{seq}/signatures/{signer}", get(signature))
}

#[derive(Template)]
#[template(path = "staff/login.html")]
struct LoginPage {
    t: &'static super::i18n::Texts,
    csrf: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct Next {
    next: Option<String>,
}

/// Only paths of this site: no open redirect.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| n.starts_with("/records/") && !n.contains("//")).unwrap_or("/staff/login").to_owned()
}

async fn login_page(State(state): State<AppState>, lang: Lang, headers: HeaderMap, Query(q): Query<Next>) -> Response {
    let (csrf, fresh) = pre_csrf(&headers);
    let page = LoginPage { t: lang.texts(), csrf: csrf.clone(), next: safe_next(q.next.as_deref()), error: None }
        .render()
        .map(Html)
        .map_err(WebError::from);
    with_pre_csrf(page, &csrf, fresh, StatusCode::OK, state.secure_cookies)
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    login: String,
    password: String,
    next: String,
}

async fn login(
    State(state): State<AppState>,
    lang: Lang,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let expected = cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default();
    check_csrf(&expected, &form.csrf)?;
    let key = format!("staff:{}", form.login.trim());
    if !state.limiter.allowed(&key) {
        return Err(WebError::TooManyAttempts);
    }
    let (login, password, now) = (form.login.clone(), form.password.clone(), state.clock.now());
    let found =
        state.db.run(move |store| store.check_staff_password(&login, &password)).await.map_err(WebError::from)?;
    let Some(staff) = found else {
        state.limiter.failed(&key);
        let t = lang.texts();
        let page =
            LoginPage { t, csrf: expected, next: safe_next(Some(&form.next)), error: Some(t.bad_login.to_owned()) };
        return Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response());
    };
    state.limiter.reset(&key);
    let project = staff.project_id.clone();
    let secret = state
        .db
        .write(move |store| -> Result<_, WebError> {
            store.audit(now, &format!("staff:{}", staff.id), "staff.sign_in", project.as_deref(), "")?;
            Ok(store.create_session(SessionKind::Staff, staff.id, STAFF_SESSION_SECS, now)?)
        })
        .await?;
    let cookie = set_cookie(STAFF_COOKIE, &secret, STAFF_SESSION_SECS, state.secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&safe_next(Some(&form.next)))).into_response())
}

/// A record the signed-in staff member may see, with its parsed body.
async fn record(
    state: &AppState,
    me: &CurrentStaff,
    seq: i64,
) -> Result<(LedgerRow, serde_json::Value, bool, Vec<LedgerRow>), WebError> {
    let (row, sealed, amendments) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            Ok((store.ledger_row(seq)?, store.record_sealed(seq)?, store.amendments_of(seq)?))
        })
        .await?;
    if !me.sees(&row.project_id) || row.kind != "visit" {
        return Err(WebError::NotFound);
    }
    let body = row.body_json()?;
    Ok((row, body, sealed, amendments))
}

fn str_of(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or("").to_owned()
}

fn masked(phone: &str) -> String {
    Phone::parse(phone).map(|p| p.masked().to_string()).unwrap_or_else(|_| phone.to_owned())
}

struct SignatureView {
    signer: &'static str,
    label: &'static str,
    statement_sha256: String,
}

#[derive(Template)]
#[template(path = "records/sheet.html")]
struct SheetPage {
    seq: i64,
    size: &'static str,
    copy_label: &'static str,
    project: String,
    agency: String,
    agent: String,
    customer_name: String,
    customer_phone: String,
    filed_at: String,
    arrived_at: String,
    valid: bool,
    reasons: Vec<&'static str>,
    protected_until: String,
    off_hours: bool,
    desk_clerk: String,
    sales: String,
    signatures: Vec<SignatureView>,
    hash: String,
    qr_svg: String,
    demo: bool,
    amended: bool,
}

#[derive(Deserialize, Default)]
struct SheetQuery {
    copy: Option<String>,
    size: Option<String>,
}

fn reasons_zh(verdict: &serde_json::Value) -> Vec<&'static str> {
    verdict["reasons"]
        .as_array()
        .map(|a| {
            a.iter().filter_map(|c| c.as_str().and_then(Reason::from_code)).map(|r| r.message(ReasonLang::Zh)).collect()
        })
        .unwrap_or_default()
}

async fn sheet(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(seq): Path<i64>,
    Query(q): Query<SheetQuery>,
) -> Result<Html<String>, WebError> {
    let (row, body, _, amendments) = record(&state, &me, seq).await?;
    let project = state.deployment.project(&row.project_id);
    let case = &body["case"];
    let report = &case["report"];
    let phone = str_of(&case["arrival"]["customer_phone"]);
    let (copy_label, full_phone) = match q.copy.as_deref() {
        Some("agency") => ("代理公司联 / agency copy", false),
        Some("channel") => ("渠道联 / channel copy", project.is_some_and(|p| p.channel_copy_full_phone)),
        _ => ("开发商联 / developer copy", false),
    };
    let url = format!("{}/records/{seq}", state.deployment.server.public_url.trim_end_matches('/'));
    let stored: Vec<String> =
        body["signatures"].as_array().map(|a| a.iter().map(|s| str_of(&s["signer"])).collect()).unwrap_or_default();
    let signatures = Signer::ALL
        .into_iter()
        .map(|s| SignatureView {
            signer: if stored.iter().any(|x| x == s.code()) { s.code() } else { "" },
            label: match s {
                Signer::Customer => "客户签字 / customer",
                Signer::Agent => "经纪人签字 / agent",
                Signer::Sales => "置业顾问签字 / sales consultant",
            },
            statement_sha256: body["signatures"]
                .as_array()
                .and_then(|a| a.iter().find(|x| x["signer"] == s.code()))
                .map(|x| str_of(&x["statement_sha256"]))
                .unwrap_or_default(),
        })
        .collect();
    let page = SheetPage {
        seq,
        size: if q.size.as_deref() == Some("a5") { "A5" } else { "A4" },
        copy_label,
        project: project.map(|p| p.name.clone()).unwrap_or_else(|| row.project_id.clone()),
        agency: str_of(&report["agency"]),
        agent: str_of(&report["agent"]),
        customer_name: str_of(&case["arrival"]["customer_name"]),
        customer_phone: if full_phone { phone.clone() } else { masked(&phone) },
        filed_at: state.local_text(&row.project_id, &str_of(&report["filed_at"]), "%Y-%m-%d %H:%M"),
        arrived_at: state.local_text(&row.project_id, &str_of(&case["arrival"]["at"]), "%Y-%m-%d %H:%M"),
        valid: body["verdict"]["verdict"] == "valid",
        reasons: reasons_zh(&body["verdict"]),
        protected_until: state.local_text(
            &row.project_id,
            &str_of(&body["verdict"]["protected_until"]),
            "%Y-%m-%d %H:%M",
        ),
        off_hours: body["verdict"]["off_hours"].as_bool().unwrap_or(false),
        desk_clerk: str_of(&body["desk_clerk"]["name"]),
        sales: str_of(&body["sales_consultant"]["name"]),
        signatures,
        hash: row.sha256_hex(),
        qr_svg: crate::qr::svg(&url).map_err(|e| WebError::Internal(e.to_string()))?,
        demo: body["demo"].as_bool().unwrap_or(false),
        amended: !amendments.is_empty(),
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "records/verify.html")]
struct VerifyPage {
    seq: i64,
    project: String,
    recorded_at: String,
    sealed: bool,
    valid: bool,
    reasons: Vec<&'static str>,
    agency: String,
    agent: String,
    customer: String,
    hash: String,
    amendments: Vec<(i64, String, String)>,
}

async fn verify_page(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path(seq): Path<i64>,
) -> Result<Html<String>, WebError> {
    let (row, body, sealed, amendments) = record(&state, &me, seq).await?;
    let case = &body["case"];
    let page = VerifyPage {
        seq,
        project: state
            .deployment
            .project(&row.project_id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| row.project_id.clone()),
        recorded_at: state.local_text(&row.project_id, &row.recorded_at, "%Y-%m-%d %H:%M"),
        sealed,
        valid: body["verdict"]["verdict"] == "valid",
        reasons: reasons_zh(&body["verdict"]),
        agency: str_of(&case["report"]["agency"]),
        agent: str_of(&case["report"]["agent"]),
        customer: format!(
            "{} {}",
            str_of(&case["arrival"]["customer_name"]),
            masked(&str_of(&case["arrival"]["customer_phone"]))
        ),
        hash: row.sha256_hex(),
        amendments: amendments
            .iter()
            .map(|a| {
                let b = a.body_json().unwrap_or_default();
                (a.seq, str_of(&b["by"]), str_of(&b["reason"]))
            })
            .collect(),
    };
    Ok(Html(page.render()?))
}

async fn signature(
    State(state): State<AppState>,
    me: CurrentStaff,
    Path((seq, signer)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let signer = Signer::from_code(signer.trim_end_matches(".png")).ok_or(WebError::NotFound)?;
    let (row, png) = state
        .db
        .run(move |store| -> Result<_, WebError> { Ok((store.ledger_row(seq)?, store.signature_png(seq, signer)?)) })
        .await?;
    if !me.sees(&row.project_id) {
        return Err(WebError::NotFound);
    }
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "private, max-age=3600")], png).into_response())
}
