//! Reading a code at the desk: the scanned token or typed manual code, the
//! surname check, and the server-side QR decoder for cameras the browser
//! cannot read.

use super::super::AppState;
use super::super::error::{ApiError, WebError};
use super::super::error_code::ErrorCode;
use super::KioskOperator;
use super::views::{LiveReportView, Named, OutcomeView, ProvisionalView, ReasonView, ReportCard, ScanView};
use crate::domain::judge::Verdict;
use crate::domain::name::CustomerName;
use crate::domain::phone::Phone;
use crate::service::statements::statements_for;
use crate::service::{self, ServiceError};
use crate::store::checkin::DecisiveAnswers;
use crate::store::people::Role;
use crate::store::reports::{ReportStatus, StoredReport};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// Resolves a code for this operator's project; a refused code is audited.
pub(super) async fn resolve(state: &AppState, op: &KioskOperator, code: &str) -> Result<StoredReport, ApiError> {
    let (key_ring, project, code) = (state.key_ring.clone(), op.kiosk.project_id.clone(), code.to_owned());
    let resolved = state
        .db
        .run(move |store| -> Result<_, WebError> { Ok(service::scan::resolve_code(store, &key_ring, &project, &code)) })
        .await?;
    match resolved {
        Ok(report) => Ok(report),
        Err(e) => Err(refusal(state, op, e).await),
    }
}

/// The answer to a code that found no report: a refused code is audited
/// (summarised), and after too many of them the clerk is signed out.
pub(super) async fn refusal(state: &AppState, op: &KioskOperator, error: ServiceError) -> ApiError {
    match error {
        ServiceError::CodeRefused(reason) => {
            let now = state.clock.now();
            // Someone typing manual codes at random: after too many refused
            // codes the kiosk's clerk must sign in with the PIN again.
            let guessing = !state.limiter.refused_code(op.kiosk.id);
            // Summarised per kiosk and minute: a paired tablet cannot flood
            // the append-only audit log.
            let row = state.limiter.audit.note("kiosk.code_refused", format!("kiosk {}", op.kiosk.id), now);
            let (actor, project, kiosk) = (op.actor(), op.kiosk.project_id.clone(), op.kiosk.id);
            let detail = row.map(|r| format!("{reason} ({r})"));
            let written = state
                .db
                .write(move |store| -> Result<_, ServiceError> {
                    if let Some(detail) = detail {
                        service::scan::audit_refusal(store, now, &actor, &project, &detail)?;
                    }
                    if guessing {
                        store.end_sessions_at_kiosk(kiosk)?;
                        store.audit(now, &actor, "kiosk.signed_out_for_guessing", Some(&project), "")?;
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = written {
                tracing::warn!(error = %e, "a refused code could not be audited");
            }
            if guessing {
                return WebError::bad(
                    ErrorCode::RateLimited,
                    "二维码或手动码错误次数过多，请判客岗重新输入 PIN 登录 / too many refused codes; the clerk signs in again with the PIN",
                )
                .into();
            }
            WebError::bad(ErrorCode::CodeRefused, reason).into()
        }
        e => ApiError::from(e),
    }
}

/// The operator's role at this instant (desk clerks; sales only off hours).
pub(super) fn may_record(state: &AppState, op: &KioskOperator) -> Result<(), ApiError> {
    let project = state.deployment.project(&op.kiosk.project_id).ok_or(WebError::NotFound)?;
    service::checkin::operator_may_record(&op.staff, &project.rules, state.clock.now()).map_err(ApiError::from)
}

#[derive(Deserialize)]
pub struct ScanRequest {
    code: String,
}

pub async fn scan(
    State(state): State<AppState>,
    op: KioskOperator,
    Json(req): Json<ScanRequest>,
) -> Result<Response, ApiError> {
    may_record(&state, &op)?;
    let report = resolve(&state, &op, &req.code).await?;
    let project = state.deployment.project(&report.project_id).ok_or(WebError::NotFound)?;
    let (id, project_id) = (report.id, report.project_id.clone());
    let today = state.clock.now().with_timezone(&project.rules.timezone).date_naive();
    let (existing, next_sales, sales) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            Ok((
                store.visit_of_report(id)?,
                store.next_sales(&project_id, today)?,
                store.project_staff(&project_id, Role::Sales)?,
            ))
        })
        .await?;
    if let Some(done) = existing {
        let outcome = OutcomeView::new(&done, project.rules.timezone);
        return Ok(Json(ScanView::Recorded { outcome }).into_response());
    }
    if report.status == ReportStatus::Cancelled {
        // Shown at the desk like any refused code, so audited like one.
        let (now, actor, pid, detail) = (
            state.clock.now(),
            op.actor(),
            op.kiosk.project_id.clone(),
            format!("report {} is cancelled", report.id.0),
        );
        let audited =
            state.db.write(move |store| service::scan::audit_refusal(store, now, &actor, &pid, &detail)).await;
        if let Err(e) = audited {
            tracing::warn!(error = %e, "a cancelled code could not be audited");
        }
        return Err(WebError::code(ErrorCode::Cancelled).into());
    }
    // The arrival instant: recorded at the first read, before anything
    // else; reading the code again later does not move it.
    let now = state.clock.now();
    let (pid, rid, kiosk, clerk) = (project.id.clone(), report.id, op.kiosk.id, op.staff.id);
    let at = now.with_timezone(&project.rules.timezone).fixed_offset();
    let first_read = state
        .db
        .write(move |store| -> Result<_, WebError> {
            Ok(store.record_first_read(&pid, rid, Some(kiosk), Some(clerk), at)?)
        })
        .await?;
    let view = ScanView::Ok {
        report: ReportCard {
            agency: report.agency_name.clone(),
            agent: report.agent_name.clone(),
            customer_name: report.customer_name.to_string(),
            masked_phone: report.customer_phone.masked().to_string(),
            filed_at: state.local_time(&project.id, &report.filed_at, "%m-%d %H:%M"),
            first_read_at: state.local_time(&project.id, &first_read.at, "%m-%d %H:%M:%S"),
            minutes_since_filing: (first_read.at - report.filed_at).num_minutes(),
            min_gap_minutes: project.rules.min_gap.num_minutes(),
        },
        off_hours: project.rules.is_off_hours(first_read.at),
        next_sales: next_sales.map(|s| Named { id: s.id, name: s.name }),
        sales: sales.into_iter().map(|s| Named { id: s.id, name: s.name }).collect(),
    };
    Ok(Json(view).into_response())
}

#[derive(Deserialize)]
pub struct NameCheck {
    reported: String,
    name: String,
}

/// Warns the desk when the arrival's surname differs from the reported one
/// but sounds alike (黄/王), compared by pinyin. Never part of the verdict.
pub async fn name_check(_op: KioskOperator, Json(req): Json<NameCheck>) -> Result<Response, ApiError> {
    let reported = CustomerName::from_stored(&req.reported);
    let (false, Ok(name)) = (req.reported.trim().is_empty(), CustomerName::parse(&req.name)) else {
        return Err(WebError::bad(ErrorCode::BadName, "客户姓名不能为空 / the name is empty").into());
    };
    Ok(Json(json!({ "matches": reported.reported_matches(&name), "near_miss": reported.surname_sounds_like(&name) }))
        .into_response())
}

/// The server-side fallback for cameras the browser cannot decode: a
/// The largest camera frame decoded on the server, a side in pixels.
const MAX_FRAME_SIDE: u32 = 2048;

/// captured frame (PNG or JPEG) decoded with rqrr.
pub async fn decode(_op: KioskOperator, body: Bytes) -> Result<Response, ApiError> {
    // Two decodes at once at most (the rest are told to retry), each of a
    // frame no larger than a camera's: a crafted image cannot take the
    // server's memory or CPU.
    static DECODES: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    let slot = DECODES
        .get_or_init(|| Arc::new(tokio::sync::Semaphore::new(2)))
        .clone()
        .try_acquire_owned()
        .map_err(|_| WebError::code(ErrorCode::Busy))?;
    let text = tokio::task::spawn_blocking(move || -> Option<String> {
        let _slot = slot;
        let mut reader = image::ImageReader::new(std::io::Cursor::new(&body)).with_guessed_format().ok()?;
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(MAX_FRAME_SIDE);
        limits.max_image_height = Some(MAX_FRAME_SIDE);
        limits.max_alloc = Some(32 * 1024 * 1024);
        reader.limits(limits);
        let img = reader.decode().ok()?.to_luma8();
        let (w, h) = img.dimensions();
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
            img.get_pixel(x as u32, y as u32)[0]
        });
        prepared.detect_grids().into_iter().find_map(|g| g.decode().ok().map(|(_, text)| text))
    })
    .await
    .map_err(|e| WebError::Internal(e.to_string()))?;
    match text {
        Some(text) => Ok(Json(json!({ "text": text })).into_response()),
        None => Err(WebError::code(ErrorCode::NoCode).into()),
    }
}

#[derive(Deserialize)]
pub struct ProvisionalRequest {
    /// The scanned token or typed manual code; absent for a walk-in.
    code: Option<String>,
    customer_phone: String,
    customer_name: Option<String>,
    /// A walk-in's registration (judged at its start).
    walk_in_id: Option<i64>,
    /// The desk's answers, once given (after the questions): then the
    /// verdict before signing, whose statements are the ones signed.
    agent_present: Option<bool>,
    customer_confirms_agent: Option<bool>,
}

/// The verdict before anyone signs (rules.md): called once the customer's
/// full phone is in; every reason already certain, judged at the recorded
/// first read.
pub async fn provisional(
    State(state): State<AppState>,
    op: KioskOperator,
    Json(req): Json<ProvisionalRequest>,
) -> Result<Response, ApiError> {
    may_record(&state, &op)?;
    let phone = Phone::parse(&req.customer_phone).map_err(|e| ApiError(WebError::bad(ErrorCode::BadPhone, e)))?;
    let name = match req.customer_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(CustomerName::parse(n).map_err(|e| ApiError(WebError::bad(ErrorCode::BadName, e)))?),
        None => None,
    };
    let report = match req.code.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(code) => Some(resolve(&state, &op, code).await?),
        None => None,
    };
    let project = state.deployment.project(&op.kiosk.project_id).ok_or(WebError::NotFound)?;
    let (rules, pid, now) = (project.rules.clone(), project.id.clone(), state.clock.now());
    let walk_in_id = req.walk_in_id;
    let answers = match (req.agent_present, req.customer_confirms_agent) {
        (Some(agent_present), Some(customer_confirms_agent)) => {
            Some(DecisiveAnswers { agent_present, customer_confirms_agent })
        }
        _ => None,
    };
    let (report_seen, name_seen) = (report.clone(), name.clone());
    let (p, live) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let started = match walk_in_id {
                Some(id) => Some(store.walk_in(id)?).filter(|w| w.project_id == pid).ok_or(WebError::NotFound)?.at,
                None => now.with_timezone(&rules.timezone).fixed_offset(),
            };
            let p = store.provisional(&pid, report.as_ref(), phone, name, answers, &rules, started.to_utc())?;
            // A walk-in: the live reports of this customer the desk must see.
            let live = match report {
                Some(_) => Vec::new(),
                None => store.live_reports(&pid, &phone, &rules, started)?,
            };
            Ok((p, live))
        })
        .await?;
    let tz = project.rules.timezone;
    let local = |t: chrono::DateTime<chrono::FixedOffset>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    Ok(Json(ProvisionalView {
        verdict: p.judgement.verdict.code(),
        reasons: p.judgement.reasons.iter().map(ReasonView::from).collect(),
        protected_until: p.judgement.protected_until.map(local),
        return_visit: p.return_visit_until.is_some(),
        arrival_at: local(p.arrival_at),
        sign: if p.judgement.verdict == Verdict::Valid { "confirmation" } else { "natural-visit" },
        statements: statements_for(project, &p, report_seen.as_ref(), name_seen.as_ref()),
        live_reports: live
            .iter()
            .map(|r| LiveReportView {
                id: r.id.0,
                agency: r.agency_name.clone(),
                agent: r.agent_name.clone(),
                masked_phone: r.customer_phone.masked().to_string(),
                filed_at: local(r.filed_at),
            })
            .collect(),
    })
    .into_response())
}

/// The desk starts registering a walk-in (未报备客户登记): the server records
/// the arrival instant now.
pub async fn start_walk_in(State(state): State<AppState>, op: KioskOperator) -> Result<Response, ApiError> {
    may_record(&state, &op)?;
    let project = state.deployment.project(&op.kiosk.project_id).ok_or(WebError::NotFound)?;
    let at = state.clock.now().with_timezone(&project.rules.timezone).fixed_offset();
    let (pid, kiosk, clerk) = (project.id.clone(), op.kiosk.id, op.staff.id);
    let (walk_in, next_sales, sales) = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let walk_in = store.start_walk_in(&pid, Some(kiosk), Some(clerk), at)?;
            Ok((walk_in, store.next_sales(&pid, at.date_naive())?, store.project_staff(&pid, Role::Sales)?))
        })
        .await?;
    // Walk-ins get the rotation's proposal too.
    Ok(Json(json!({
        "walk_in_id": walk_in.id,
        "started_at": walk_in.at.format("%H:%M:%S").to_string(),
        "next_sales": next_sales.map(|s| Named { id: s.id, name: s.name }),
        "sales": sales.into_iter().map(|s| Named { id: s.id, name: s.name }).collect::<Vec<_>>(),
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct CancelRequest {
    code: Option<String>,
    walk_in_id: Option<i64>,
    /// The step the clerk cancelled at (for the audit log).
    #[serde(default)]
    step: String,
}

/// The clerk cancels the visit in progress. Nothing is recorded in the
/// ledger; the first read stays (a cancelled and restarted visit is still
/// judged at the first read), and the cancellation is audited.
pub async fn cancel_visit(
    State(state): State<AppState>,
    op: KioskOperator,
    Json(req): Json<CancelRequest>,
) -> Result<Response, ApiError> {
    let report = match req.code.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(code) => Some(resolve(&state, &op, code).await?),
        None => None,
    };
    let step: String =
        req.step.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ':').take(40).collect();
    let what = match (&report, req.walk_in_id) {
        (Some(r), _) => format!("report {}", r.id),
        (None, Some(id)) => format!("walk-in {id}"),
        (None, None) => "visit".to_owned(),
    };
    let (now, actor, project) = (state.clock.now(), op.actor(), op.kiosk.project_id.clone());
    let report_id = report.map(|r| r.id);
    let first_read = state
        .db
        .write(move |store| -> Result<_, WebError> {
            let read = report_id.map(|id| store.first_read(id)).transpose()?.flatten();
            let kept = read.as_ref().map(|r| format!(", first read {} kept", crate::time::format_instant(r.at)));
            store.audit(
                now,
                &actor,
                "kiosk.visit_cancelled",
                Some(&project),
                &format!("{what} at step {step}{}", kept.unwrap_or_default()),
            )?;
            Ok(read)
        })
        .await?;
    Ok(Json(json!({ "cancelled": true, "first_read_kept": first_read.is_some() })).into_response())
}

#[derive(Deserialize)]
pub struct PresenceRequest {
    staff_id: i64,
    presence: String,
}

/// The rotation board (轮排) of today: who is present, away or busy, and
/// whose turn it is.
pub async fn rotation(State(state): State<AppState>, op: KioskOperator) -> Result<Response, ApiError> {
    let project = state.deployment.project(&op.kiosk.project_id).ok_or(WebError::NotFound)?;
    let today = state.clock.now().with_timezone(&project.rules.timezone).date_naive();
    let pid = project.id.clone();
    let (board, next) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            Ok((store.rotation_board(&pid, today)?, store.next_sales(&pid, today)?.map(|s| s.id)))
        })
        .await?;
    let seats: Vec<_> = board
        .into_iter()
        .map(|(staff, seat)| {
            json!({ "id": staff.id, "name": staff.name, "presence": seat.presence.code(), "next": Some(staff.id) == next })
        })
        .collect();
    Ok(Json(json!({ "day": today.to_string(), "board": seats })).into_response())
}

/// A consultant marks themselves present, away (轮空) or busy (累计) for today.
pub async fn set_presence(
    State(state): State<AppState>,
    op: KioskOperator,
    Json(req): Json<PresenceRequest>,
) -> Result<Response, ApiError> {
    let presence = crate::domain::rotation::Presence::parse(&req.presence)
        .ok_or_else(|| ApiError(WebError::bad(ErrorCode::Invalid, "presence: present, away or busy")))?;
    let project = state.deployment.project(&op.kiosk.project_id).ok_or(WebError::NotFound)?;
    let now = state.clock.now();
    let today = now.with_timezone(&project.rules.timezone).date_naive();
    let (pid, actor, staff_id) = (project.id.clone(), op.actor(), req.staff_id);
    state
        .db
        .write(move |store| -> Result<_, WebError> {
            Ok(store.set_presence(&pid, staff_id, today, presence, &actor, now)?)
        })
        .await?;
    rotation(State(state), op).await
}
