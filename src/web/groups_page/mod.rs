//! Customer groups (客户组, 直系亲属 = one customer) for managers: find a
//! customer in the project's visit records, reports and visit history (full
//! phone, masked 138****5678, last four digits or name), open their group,
//! link another phone into it or take one out — each with a reason, each
//! audited. Phones are personal data: never in a URL (the search is a POST
//! whose results render at once; links name record numbers, group ids and
//! the rows customers were found in), shown masked.
//!
//! `/staff/groups?record={seq}` opens the group of a visit record's
//! customer (the record page links there).
//!
//! This file: the list of groups and the customer search. `group.rs`: a
//! group's (or a customer's) page, linking and unlinking.

mod group;

use self::group::{Kept, anchor_page};
use super::AppState;
use super::error::WebError;
use super::error_code::ErrorCode;
use super::i18n::Lang;
use super::nav::StaffNav;
use super::rules_page::{chosen_project, project_choices};
use super::session::{CurrentStaff, check_csrf};
use crate::domain::phone::{CustomerPhone, Phone};
use crate::store::groups::{CustomerQuery, CustomerRef};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/groups", get(index))
        .route("/staff/groups/search", post(search))
        .route("/staff/groups/customer", get(group::customer))
        .route("/staff/groups/link", post(group::link))
        .route("/staff/groups/unlink", post(group::unlink))
        .route("/staff/groups/{project}/{group}", get(group::group))
}

const PATH: &str = "/staff/groups";
const GROUPS_LISTED: usize = 200;
const FOUND_LISTED: usize = 50;
const VISITS_LISTED: usize = 50;
const EVENTS_LISTED: u32 = 50;

/// What a group page is about: a group, or a customer in none yet (named
/// by the row they were found in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    Group(i64),
    Customer(CustomerRef),
}

impl Anchor {
    fn parse(s: &str) -> Option<Anchor> {
        match s.trim().strip_prefix("group:") {
            Some(n) => n.parse().ok().filter(|n: &i64| *n > 0).map(Anchor::Group),
            None => CustomerRef::parse(s).map(Anchor::Customer),
        }
    }

    fn text(self) -> String {
        match self {
            Anchor::Group(g) => format!("group:{g}"),
            Anchor::Customer(r) => r.to_string(),
        }
    }
}

fn masked(phone: &Phone) -> String {
    phone.masked().to_string()
}

fn actor(me: &CurrentStaff) -> String {
    me.actor()
}

fn refused(message: &str) -> WebError {
    WebError::bad(ErrorCode::Invalid, message)
}

// ---------------------------------------------------------------- index

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct IndexQuery {
    project: String,
    record: Option<i64>,
    done: String,
}

struct GroupRow {
    group_id: i64,
    phones: String,
    count: usize,
}

#[derive(Template)]
#[template(path = "staff/groups.html")]
struct IndexPage {
    nav: StaffNav,
    projects: Vec<(String, String)>,
    project_id: String,
    project_name: String,
    notice: Option<&'static str>,
    groups: Vec<GroupRow>,
}

async fn index(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Query(q): Query<IndexQuery>,
) -> Result<Response, WebError> {
    super::listing::may_list(&me)?;
    if let Some(seq) = q.record {
        let project = state.db.run(move |store| store.record_project(seq)).await.map_err(WebError::from)?;
        // A record of another project is not found (as on the record page).
        if !me.sees(&project) {
            return Err(WebError::NotFound);
        }
        let project = chosen_project(&state, &me, &project)?;
        return anchor_page(&state, &me, lang, project, Anchor::Customer(CustomerRef::Record(seq)), Kept::default())
            .await;
    }
    let project = chosen_project(&state, &me, &q.project)?;
    let id = project.id.clone();
    let groups = state.db.run(move |store| store.project_groups(&id, GROUPS_LISTED)).await.map_err(WebError::from)?;
    let page = IndexPage {
        nav: StaffNav::new(&me, lang, PATH),
        projects: project_choices(&state, &me),
        project_id: project.id.clone(),
        project_name: project.name.clone(),
        notice: (q.done == "dissolved").then(|| {
            lang.tr(
                "已解除关联;该客户组只剩一个号码,已解散。",
                "Unlinked; the group had one phone left and was dissolved.",
            )
        }),
        groups: groups
            .into_iter()
            .map(|g| GroupRow {
                group_id: g.group_id,
                count: g.phones.len(),
                phones: g.phones.iter().map(masked).collect::<Vec<_>>().join("、"),
            })
            .collect(),
    };
    Ok(Html(page.render()?).into_response())
}

// ---------------------------------------------------------------- search

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SearchForm {
    csrf: String,
    project: String,
    q: String,
    /// The group page the search was started from (its link forms link
    /// into it); empty from the index.
    anchor: String,
}

struct FoundView {
    phone: String,
    names: String,
    visits: u32,
    reports: u32,
    history: u32,
    last_seen: String,
    group: Option<i64>,
    link_ref: Option<String>,
    /// Already in the group the search links into.
    in_anchor_group: bool,
}

#[derive(Template)]
#[template(path = "staff/groups_search.html")]
struct SearchPage {
    nav: StaffNav,
    project_id: String,
    project_name: String,
    q: String,
    anchor: String,
    /// The page the search was started from.
    back: String,
    error: Option<String>,
    searched: bool,
    found: Vec<FoundView>,
}

async fn search(
    State(state): State<AppState>,
    lang: Lang,
    me: CurrentStaff,
    Form(form): Form<SearchForm>,
) -> Result<Response, WebError> {
    super::listing::may_list(&me)?;
    check_csrf(&me.session.csrf, &form.csrf)?;
    let project = chosen_project(&state, &me, &form.project)?;
    let anchor = Anchor::parse(&form.anchor);
    let mut page = SearchPage {
        nav: StaffNav::new(&me, lang, PATH),
        project_id: project.id.clone(),
        project_name: project.name.clone(),
        q: form.q.clone(),
        anchor: anchor.map(Anchor::text).unwrap_or_default(),
        back: match anchor {
            Some(Anchor::Group(g)) => format!("/staff/groups/{}/{g}", project.id),
            Some(Anchor::Customer(r)) => format!("/staff/groups/customer?project={}&ref={r}", project.id),
            None => format!("/staff/groups?project={}", project.id),
        },
        error: None,
        searched: false,
        found: Vec::new(),
    };
    let query = match CustomerQuery::parse(&form.q) {
        Ok(q) => q,
        Err(message) => {
            page.error = Some(message.to_owned());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
        }
    };
    let id = project.id.clone();
    let (found, anchor_group) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            let found = store.search_customers(&id, &query, FOUND_LISTED)?;
            let anchor_group = match anchor {
                Some(Anchor::Group(g)) => Some(g),
                Some(Anchor::Customer(r)) => match store.customer_by_ref(&id, r)?.0 {
                    CustomerPhone::Full(p) => store.group_of_phone(&id, &p)?,
                    CustomerPhone::Masked(_) => None,
                },
                None => None,
            };
            Ok((found, anchor_group))
        })
        .await?;
    page.searched = true;
    page.found = found
        .into_iter()
        .map(|c| FoundView {
            phone: c.phone.masked().to_string(),
            names: c.names.join("、"),
            visits: c.visits,
            reports: c.reports,
            history: c.history,
            last_seen: state.local_text(&project.id, &c.last_seen, "%Y-%m-%d %H:%M"),
            in_anchor_group: c.group.is_some() && c.group == anchor_group,
            group: c.group,
            link_ref: c.link_ref.map(|r| r.to_string()),
        })
        .collect();
    Ok(Html(page.render()?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anchor_reads_back_what_it_wrote() {
        for a in [Anchor::Group(4), Anchor::Customer(CustomerRef::Record(9)), Anchor::Customer(CustomerRef::History(2))]
        {
            assert_eq!(Anchor::parse(&a.text()), Some(a));
        }
        assert_eq!(Anchor::parse("group:0"), None);
        assert_eq!(Anchor::parse(""), None);
    }
}
