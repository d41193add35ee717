//! A customer group's page — or a customer's in none yet — with its
//! phones (who linked each, when, why), its visits and its link history;
//! linking another phone and unlinking one, each with a reason.

use super::super::AppState;
use super::super::error::WebError;
use super::super::error_code::ErrorCode;
use super::super::i18n::Lang;
use super::super::nav::StaffNav;
use super::super::rules_page::chosen_project;
use super::super::session::{CurrentStaff, check_csrf};
use super::{Anchor, EVENTS_LISTED, PATH, VISITS_LISTED, actor, masked, refused};
use crate::config::deployment::ProjectConfig;
use crate::domain::phone::{CustomerPhone, Phone};
use crate::store::groups::CustomerRef;
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

struct MemberView {
    member_id: i64,
    phone: String,
    linked_at: String,
    linked_by: String,
    reason: String,
}

struct EventView {
    at: String,
    unlink: bool,
    phone: String,
    actor: String,
    reason: String,
}

struct VisitView {
    seq: Option<i64>,
    at: String,
    agency: String,
    valid: bool,
    customer: String,
    phone: String,
    source: String,
    voided: bool,
}

/// What the link form had, kept when it is shown again with an error.
#[derive(Debug, Default)]
pub(super) struct Kept {
    phone: String,
    reason: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "staff/groups_group.html")]
struct GroupPage {
    nav: StaffNav,
    project_id: String,
    project_name: String,
    group: Option<i64>,
    /// The group's id for the unlink forms (0 when none).
    group_id: i64,
    anchor: String,
    /// The customer when in no group yet: masked phone and name.
    customer_phone: String,
    customer_name: String,
    /// False when only a masked number is known (隐号): nothing to link.
    linkable: bool,
    members: Vec<MemberView>,
    events: Vec<EventView>,
    visits: Vec<VisitView>,
    kept: Kept,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct GroupQuery {
    done: String,
}

pub(super) async fn group(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Path((project, group)): Path<(String, i64)>,
    Query(q): Query<GroupQuery>,
) -> Result<Response, WebError> {
    let project = chosen_project(&state, &me, &project)?;
    let notice = match q.done.as_str() {
        "linked" => Some(lang.tr("已关联。", "Linked.")),
        "unlinked" => Some(lang.tr("已解除关联。", "Unlinked.")),
        _ => None,
    };
    anchor_page(&state, &me, lang, project, Anchor::Group(group), Kept { notice, ..Kept::default() }).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct CustomerQueryString {
    project: String,
    /// The row the customer was found in (`record:12`).
    #[serde(rename = "ref")]
    found: String,
}

pub(super) async fn customer(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<CustomerQueryString>,
) -> Result<Response, WebError> {
    let project = chosen_project(&state, &me, &q.project)?;
    let found = CustomerRef::parse(&q.found).ok_or(WebError::NotFound)?;
    anchor_page(&state, &me, lang, project, Anchor::Customer(found), Kept::default()).await
}

/// The page of a group, or of a customer in none (which shows their
/// group when they have one).
pub(super) async fn anchor_page(
    state: &AppState,
    me: &CurrentStaff,
    lang: Lang,
    project: &ProjectConfig,
    anchor: Anchor,
    kept: Kept,
) -> Result<Response, WebError> {
    let id = project.id.clone();
    let view = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let (anchor, customer) = match anchor {
                Anchor::Group(g) => (Anchor::Group(g), None),
                Anchor::Customer(r) => {
                    let (phone, name) = store.customer_by_ref(&id, r)?;
                    let group = match phone {
                        CustomerPhone::Full(p) => store.group_of_phone(&id, &p)?,
                        CustomerPhone::Masked(_) => None,
                    };
                    match group {
                        Some(g) => (Anchor::Group(g), None),
                        None => (anchor, Some((phone, name))),
                    }
                }
            };
            let (members, events) = match anchor {
                Anchor::Group(g) => (store.group_members(&id, g)?, store.group_events(&id, g, EVENTS_LISTED)?),
                Anchor::Customer(_) => (Vec::new(), Vec::new()),
            };
            if matches!(anchor, Anchor::Group(_)) && members.is_empty() {
                return Err(WebError::NotFound);
            }
            let mut phones: Vec<Phone> = members.iter().map(|m| m.phone).collect();
            if let Some((CustomerPhone::Full(p), _)) = &customer {
                phones.push(*p);
            }
            let visits = store.customer_visits(&id, &phones, VISITS_LISTED)?;
            Ok((anchor, customer, members, events, visits))
        })
        .await?;
    let (anchor, customer, members, events, visits) = view;
    let local = |at: &str| state.local_text(&project.id, at, "%Y-%m-%d %H:%M");
    let who = |actor: &str, name: Option<&str>| match name {
        Some(n) => format!("{n} ({actor})"),
        None => actor.to_owned(),
    };
    let status = if kept.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = GroupPage {
        nav: StaffNav::new(me, lang, PATH),
        project_id: project.id.clone(),
        project_name: project.name.clone(),
        group: match anchor {
            Anchor::Group(g) => Some(g),
            Anchor::Customer(_) => None,
        },
        group_id: match anchor {
            Anchor::Group(g) => g,
            Anchor::Customer(_) => 0,
        },
        anchor: anchor.text(),
        linkable: customer.as_ref().is_none_or(|(p, _)| matches!(p, CustomerPhone::Full(_))),
        customer_phone: customer.as_ref().map(|(p, _)| p.masked().to_string()).unwrap_or_default(),
        customer_name: customer.map(|(_, n)| n).unwrap_or_default(),
        members: members
            .into_iter()
            .map(|m| MemberView {
                member_id: m.member_id,
                phone: masked(&m.phone),
                linked_at: m.linked_at.as_deref().map(local).unwrap_or_default(),
                linked_by: m.linked_by.as_deref().map(|a| who(a, m.linked_by_name.as_deref())).unwrap_or_default(),
                reason: m.reason.unwrap_or_default(),
            })
            .collect(),
        events: events
            .into_iter()
            .map(|e| EventView {
                at: local(&e.at),
                unlink: e.action == "unlink",
                phone: Phone::parse(&e.phone).map(|p| masked(&p)).unwrap_or_default(),
                actor: who(&e.actor, e.actor_name.as_deref()),
                reason: e.reason,
            })
            .collect(),
        visits: visits
            .into_iter()
            .map(|v| VisitView {
                seq: v.seq,
                at: local(&v.at),
                agency: v.agency,
                valid: v.verdict == "valid",
                customer: v.customer_name,
                phone: v.phone.masked().to_string(),
                source: v.source,
                voided: v.voided,
            })
            .collect(),
        kept,
    };
    Ok((status, Html(page.render()?)).into_response())
}

// ---------------------------------------------------------------- link, unlink

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LinkForm {
    csrf: String,
    project: String,
    anchor: String,
    /// A search result to link (the row it was found in) …
    other: String,
    /// … or a full phone typed by the manager.
    phone: String,
    reason: String,
}

/// The full number of a customer row; a masked one cannot be linked.
fn full_phone(phone: CustomerPhone) -> Result<Phone, WebError> {
    match phone {
        CustomerPhone::Full(p) => Ok(p),
        CustomerPhone::Masked(_) => Err(refused(
            "该客户只有隐号(138****5678),无法关联;请输入完整手机号 / only a masked number is known for this customer; type the full number",
        )),
    }
}

pub(super) async fn link(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Form(form): Form<LinkForm>,
) -> Result<Response, WebError> {
    super::super::listing::may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let project = chosen_project(&state, &me, &form.project)?;
    let anchor = Anchor::parse(&form.anchor).ok_or(WebError::NotFound)?;
    let (id, who, now) = (project.id.clone(), actor(&me), state.clock.now());
    let (other, typed, reason) = (form.other.clone(), form.phone.clone(), form.reason.clone());
    let linked = state
        .db
        .write(move |store| -> Result<i64, WebError> {
            let mine = match anchor {
                Anchor::Group(g) => {
                    store.group_members(&id, g)?.first().map(|m| m.phone).ok_or(WebError::NotFound)?
                }
                Anchor::Customer(r) => full_phone(store.customer_by_ref(&id, r)?.0)?,
            };
            let theirs = match (CustomerRef::parse(&other), typed.trim()) {
                (Some(r), _) => full_phone(store.customer_by_ref(&id, r)?.0)?,
                (None, "") => {
                    return Err(refused(
                        "请输入要关联的完整手机号,或先搜索客户 / type the full phone to link, or search for the customer",
                    ));
                }
                (None, t) => Phone::parse(t).map_err(|e| WebError::bad(ErrorCode::BadPhone, e))?,
            };
            if mine == theirs {
                return Err(refused("这是同一个手机号 / this is the same phone"));
            }
            if reason.trim().is_empty() {
                return Err(refused("请写明关联原因(如 户口本、结婚证) / say why (e.g. household register seen)"));
            }
            if reason.trim().chars().count() > 200 {
                return Err(refused("原因最多 200 字 / the reason has at most 200 characters"));
            }
            store.link_group(&id, &[mine, theirs], &who, reason.trim(), now)?;
            store.group_of_phone(&id, &mine)?.ok_or(WebError::NotFound)
        })
        .await;
    match linked {
        Ok(g) => Ok(Redirect::to(&format!("/staff/groups/{}/{g}?done=linked", project.id)).into_response()),
        Err(WebError::Refused { message, .. }) => {
            let kept = Kept { phone: form.phone, reason: form.reason, error: Some(message), notice: None };
            anchor_page(&state, &me, lang, project, anchor, kept).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct UnlinkForm {
    csrf: String,
    project: String,
    group: i64,
    member: i64,
    reason: String,
}

pub(super) async fn unlink(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Form(form): Form<UnlinkForm>,
) -> Result<Response, WebError> {
    super::super::listing::may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let project = chosen_project(&state, &me, &form.project)?;
    let (id, who, now, group, member) = (project.id.clone(), actor(&me), state.clock.now(), form.group, form.member);
    let reason = form.reason.clone();
    let left = state
        .db
        .write(move |store| -> Result<usize, WebError> {
            let phone = store
                .group_members(&id, group)?
                .into_iter()
                .find(|m| m.member_id == member)
                .map(|m| m.phone)
                .ok_or(WebError::NotFound)?;
            if reason.trim().is_empty() {
                return Err(refused("请写明解除关联的原因 / say why the phone is unlinked"));
            }
            if reason.trim().chars().count() > 200 {
                return Err(refused("原因最多 200 字 / the reason has at most 200 characters"));
            }
            store.unlink_group(&id, &phone, &who, reason.trim(), now)?;
            Ok(store.group_members(&id, group)?.len())
        })
        .await;
    match left {
        Ok(0) => Ok(Redirect::to(&format!("/staff/groups?project={}&done=dissolved", project.id)).into_response()),
        Ok(_) => Ok(Redirect::to(&format!("/staff/groups/{}/{group}?done=unlinked", project.id)).into_response()),
        Err(WebError::Refused { message, .. }) => {
            let kept = Kept { error: Some(message), ..Kept::default() };
            anchor_page(&state, &me, lang, project, Anchor::Group(group), kept).await
        }
        Err(e) => Err(e),
    }
}
