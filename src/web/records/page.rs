//! The record page: everything the record holds, what its amendments make
//! of it, and — for managers — the form to amend it.

use super::{Shown, masked, record};
use crate::domain::amendment::{AmendKind, attachment_of, describe};
use crate::domain::judge::Signer;
use crate::domain::reason::Lang as ReasonLang;
use crate::store::people::Role;
use crate::web::AppState;
use crate::web::error::WebError;
use crate::web::i18n::Lang;
use crate::web::nav::StaffNav;
use crate::web::session::CurrentStaff;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

pub(super) struct SignatureView {
    pub signer: &'static str,
    pub label_zh: &'static str,
    pub label_en: &'static str,
    pub statement: String,
}

pub(super) struct AmendmentView {
    pub seq: i64,
    pub at: String,
    pub by: String,
    pub what: String,
    pub reason: String,
    /// (sha256, name, size in KB)
    pub attachment: Option<(String, String, u64)>,
}

/// What the manager typed into the amendment form (kept on an error).
#[derive(Debug, Default, Clone)]
pub(super) struct AmendForm {
    pub kind: String,
    pub reason: String,
    pub customer_name: String,
    pub customer_phone: String,
    pub sales_id: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "records/page.html")]
struct RecordPage {
    nav: StaffNav,
    seq: i64,
    project: String,
    recorded_at: String,
    sealed: bool,
    hash: String,
    receipt_code: String,
    valid: bool,
    voided: bool,
    amended: bool,
    reasons: Vec<&'static str>,
    agency: String,
    agent: String,
    report_id: Option<i64>,
    customer_name: String,
    /// The name as sealed, when an amendment changed it.
    original_name: Option<String>,
    customer_phone: String,
    original_phone: Option<String>,
    filed_at: String,
    first_read: String,
    arrived_at: String,
    protected_until: String,
    off_hours: bool,
    desk_clerk: String,
    sales: String,
    original_sales: Option<String>,
    kiosk_id: Option<i64>,
    demo: bool,
    signatures: Vec<SignatureView>,
    amendments: Vec<AmendmentView>,
    may_amend: bool,
    kinds: Vec<(&'static str, &'static str, &'static str)>,
    consultants: Vec<(i64, String)>,
    form: AmendForm,
    error: Option<String>,
    notice: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Done {
    done: Option<String>,
}

pub(super) async fn page(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path(seq): Path<i64>,
    Query(done): Query<Done>,
) -> Result<Response, WebError> {
    let notice = done.done.is_some();
    render(&state, lang, &me, seq, AmendForm::default(), None, notice).await
}

/// Managers and admins of the record's project amend; desk clerks and
/// sales consultants only read.
pub(super) fn may_amend(me: &CurrentStaff) -> bool {
    matches!(me.staff.role, Role::Manager | Role::Admin)
}

pub(super) async fn render(
    state: &AppState,
    lang: Lang,
    me: &CurrentStaff,
    seq: i64,
    form: AmendForm,
    error: Option<String>,
    notice: bool,
) -> Result<Response, WebError> {
    let Shown { row, body, sealed, amendments, now } = record(state, me, seq).await?;
    let project_id = row.project_id.clone();
    let actors: Vec<String> = amendments.iter().map(|(_, b)| b.by.clone()).collect();
    let (statements, receipt, consultants, names) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let names: Vec<String> = actors
                .iter()
                .map(|by| {
                    by.strip_prefix("staff:")
                        .and_then(|id| id.parse().ok())
                        .and_then(|id| store.staff(id).ok())
                        .map(|s| format!("{}({})", s.name, s.login))
                        .unwrap_or_else(|| by.clone())
                })
                .collect();
            Ok((
                store.signature_statements(seq)?,
                store.receipt_for(seq).ok().map(|r| r.code()),
                store.project_staff(&project_id, Role::Sales)?,
                names,
            ))
        })
        .await?;
    let local = |t: Option<chrono::DateTime<chrono::FixedOffset>>| {
        t.map(|t| state.local_time(&row.project_id, &t, "%Y-%m-%d %H:%M:%S")).unwrap_or_default()
    };
    let original_sales = body.sales_consultant.as_ref().map(|s| s.name.clone());
    let current_sales = now.sales.as_ref().map(|(_, n)| n.clone());
    let amendment_views = amendments
        .iter()
        .zip(names)
        .map(|((a, b), by)| AmendmentView {
            seq: a.seq,
            at: state.local_text(&a.project_id, &a.recorded_at, "%Y-%m-%d %H:%M"),
            by,
            what: describe(&b.changes, lang == Lang::Zh),
            reason: b.reason.clone(),
            attachment: attachment_of(&b.changes).map(|x| (x.sha256, x.name, x.size.div_ceil(1024))),
        })
        .collect();
    let page = RecordPage {
        nav: StaffNav::new(me, lang, "/staff/visits"),
        seq,
        project: state.project_name(&row.project_id),
        recorded_at: state.local_text(&row.project_id, &row.recorded_at, "%Y-%m-%d %H:%M:%S"),
        sealed,
        hash: row.sha256_hex(),
        receipt_code: receipt.unwrap_or_default(),
        valid: body.verdict.is_valid(),
        voided: now.voided,
        amended: now.amended,
        reasons: body.verdict.reasons.iter().map(|r| r.message(ReasonLang::from(lang))).collect(),
        agency: body.agency().to_owned(),
        agent: body.agent().to_owned(),
        report_id: row.report_id,
        original_name: (now.customer_name != body.customer_name()).then(|| body.customer_name().to_owned()),
        customer_name: now.customer_name.clone(),
        original_phone: (now.customer_phone != body.customer_phone()).then(|| masked(body.customer_phone())),
        customer_phone: if state
            .deployment
            .project(&row.project_id)
            .is_some_and(|p| p.shows_full_phone(me.staff.role.code()))
        {
            now.customer_phone.clone()
        } else {
            masked(&now.customer_phone)
        },
        filed_at: local(body.filed_at()),
        first_read: local(body.first_read.as_ref().map(|f| f.at)),
        arrived_at: local(body.arrival_at()),
        protected_until: local(body.verdict.protected_until),
        off_hours: body.verdict.off_hours,
        desk_clerk: body.desk_clerk.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
        original_sales: original_sales.clone().filter(|o| Some(o) != current_sales.as_ref()),
        sales: current_sales.unwrap_or_default(),
        kiosk_id: body.kiosk_id,
        demo: body.demo,
        signatures: Signer::ALL
            .into_iter()
            .filter(|s| body.signature(*s).is_some())
            .map(|s| SignatureView {
                signer: s.code(),
                label_zh: match s {
                    Signer::Customer => "客户签字",
                    Signer::Agent => "经纪人签字",
                    Signer::Sales => "置业顾问签字",
                },
                label_en: match s {
                    Signer::Customer => "Customer",
                    Signer::Agent => "Agent",
                    Signer::Sales => "Sales consultant",
                },
                statement: statements.iter().find(|(who, _)| *who == s).map(|(_, t)| t.clone()).unwrap_or_default(),
            })
            .collect(),
        amendments: amendment_views,
        may_amend: may_amend(me),
        kinds: AmendKind::ALL
            .into_iter()
            .filter(|k| {
                if now.voided {
                    matches!(k, AmendKind::Reinstate | AmendKind::Note)
                } else {
                    *k != AmendKind::Reinstate
                }
            })
            .map(|k| (k.code(), k.label_zh(), k.label_en()))
            .collect(),
        consultants: consultants.into_iter().map(|s| (s.id, s.name)).collect(),
        form,
        notice,
        error,
    };
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Html(page.render()?)).into_response())
}
