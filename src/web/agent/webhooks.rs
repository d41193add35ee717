//! The agency's webhooks on the agent's phone, read-only: its addresses and
//! the delivery log — each event, when it was made, every attempt and the
//! answer, and the body sent (phones masked). Addresses are added and
//! disabled by the agency's manager in the back office.

use super::super::AppState;
use super::super::error::WebError;
use super::super::i18n::{Lang, Texts};
use super::super::people::webhooks::{DeliveryRow, EndpointRow, LOGGED, delivery_rows, endpoint_rows};
use super::super::session::CurrentAgent;
use super::html;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new().route("/agent/webhooks", get(page))
}

#[derive(Template)]
#[template(path = "agent/webhooks.html")]
struct WebhooksPage {
    t: &'static Texts,
    lang: Lang,
    csrf: String,
    agency: String,
    endpoints: Vec<EndpointRow>,
    deliveries: Vec<DeliveryRow>,
}

/// `GET /agent/webhooks`: the agent's own agency's log, nobody else's.
pub async fn page(State(state): State<AppState>, lang: Lang, me: CurrentAgent) -> Result<Html<String>, WebError> {
    let agency_id = me.agent.agency_id;
    let (endpoints, log) = state
        .db
        .run(move |store| -> Result<_, WebError> {
            Ok((store.webhook_endpoints(agency_id)?, store.webhook_log(agency_id, LOGGED)?))
        })
        .await?;
    html(WebhooksPage {
        t: lang.texts(),
        lang,
        csrf: me.session.csrf,
        agency: me.agent.agency_name,
        // Scheme, host and path only: a query string may hold the
        // receiver's token, which not every agent of the agency should read.
        endpoints: endpoint_rows(&state, endpoints)
            .into_iter()
            .map(|mut row| {
                row.url = reqwest::Url::parse(&row.url)
                    .map(|u| {
                        let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
                        format!("{}://{}{port}{}", u.scheme(), u.host_str().unwrap_or_default(), u.path())
                    })
                    .unwrap_or_default();
                row
            })
            .collect(),
        deliveries: delivery_rows(&state, log),
    })
}
