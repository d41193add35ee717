//! The HTTP service: one module per screen or API resource, thin handlers
//! over the store and the domain; `Application::build` wires it together.

pub mod agent;
pub mod api;
pub mod assets;
pub mod audit_throttle;
pub mod credentials;
pub mod error;
pub mod error_code;
mod headers;
pub mod i18n;
pub mod kiosk;
pub mod ledger;
pub mod limiter;
pub mod pages;
pub mod qr;

pub mod audit_page;
pub mod confirmations;
pub mod deals;
pub mod dispute_api;
pub mod disputes;
pub mod fallback;
pub mod funnel;
pub mod groups_page;
pub mod listing;
pub mod nav;
pub mod people;
pub mod performance;
pub mod records;
pub mod report_api;
pub mod reports_page;
pub mod rules_page;
pub mod session;
pub mod settlement;
pub mod staff;
pub mod svg_chart;
pub mod visits;

use crate::app::{AppError, Context};
use crate::clock::Clock;
use crate::config::deployment::Deployment;
use crate::domain::token::KeyRing;
use crate::store::pool::Db;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, Request, header};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Forms and API bodies are small; the kiosk's signature uploads get their
/// own, larger limit on their routes.
pub const BODY_LIMIT: usize = 64 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub deployment: Arc<Deployment>,
    pub key_ring: Arc<KeyRing>,
    pub clock: Arc<dyn Clock>,
    pub limiter: Arc<limiter::Limiter>,
    /// Cookies get `Secure` when panke is reached over https.
    pub secure_cookies: bool,
    /// Records made by `serve --demo` are marked as demo.
    pub demo: bool,
}

/// How `AppState::from_context` sets up what the configuration does not say.
#[derive(Debug, Clone, Copy)]
pub struct StateOptions {
    /// Reading connections beside the one writer.
    pub readers: usize,
    /// Records made by `serve --demo` are marked as demo.
    pub demo: bool,
}

impl Default for StateOptions {
    fn default() -> Self {
        StateOptions { readers: 4, demo: false }
    }
}

impl AppState {
    /// The one way the service is wired — by `serve`, the tests and the
    /// benchmarks alike (zero2prod's `Application::build(settings)`): the
    /// loaded configuration and secrets, a clock, and the database opened
    /// with its writer thread.
    pub fn from_context(ctx: Context, clock: Arc<dyn Clock>, opts: StateOptions) -> Result<AppState, AppError> {
        let db = Db::open(&ctx.deployment.storage.database, ctx.ledger_key(), opts.readers)?;
        let secure_cookies = ctx.deployment.server.public_url.starts_with("https://");
        Ok(AppState {
            db,
            secure_cookies,
            deployment: Arc::new(ctx.deployment),
            key_ring: Arc::new(ctx.key_ring),
            clock,
            limiter: Arc::new(limiter::Limiter::default()),
            demo: opts.demo,
        })
    }

    /// A project's name from the configuration (its id when unknown).
    pub fn project_name(&self, project_id: &str) -> String {
        self.deployment.project(project_id).map(|p| p.name.clone()).unwrap_or_else(|| project_id.to_owned())
    }

    /// The project's time zone ("local" in the rules); Shanghai for an
    /// unknown project id.
    pub fn project_tz(&self, project_id: &str) -> chrono_tz::Tz {
        self.deployment.project(project_id).map(|p| p.rules.timezone).unwrap_or(chrono_tz::Asia::Shanghai)
    }

    /// An instant in the project's local time, as people read it.
    pub fn local_time<Z: chrono::TimeZone>(&self, project_id: &str, at: &chrono::DateTime<Z>, format: &str) -> String {
        at.with_timezone(&self.project_tz(project_id)).format(format).to_string()
    }

    /// The same for an RFC 3339 text from a record ("" when absent).
    pub fn local_text(&self, project_id: &str, rfc3339: &str, format: &str) -> String {
        chrono::DateTime::parse_from_rfc3339(rfc3339)
            .map(|t| self.local_time(project_id, &t, format))
            .unwrap_or_default()
    }
}

pub fn router(state: AppState) -> Router {
    let csp = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; \
               script-src 'self'; style-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
    let transport = headers::Transport { https: state.deployment.server.public_url.starts_with("https://") };
    Router::new()
        .route("/", get(home))
        .route("/health", get(health))
        .route("/lang/{code}", get(set_lang))
        .route("/static/{*file}", get(assets::serve))
        .merge(agent::routes())
        .merge(api::routes())
        .merge(kiosk::routes())
        .merge(ledger::routes())
        .merge(records::routes())
        .merge(staff::routes())
        .merge(visits::routes())
        .merge(funnel::routes())
        .merge(reports_page::routes())
        .merge(audit_page::routes())
        .merge(people::routes())
        .merge(groups_page::routes())
        .merge(rules_page::routes())
        .merge(fallback::routes())
        .merge(deals::routes())
        .merge(performance::routes())
        .merge(settlement::routes())
        .merge(confirmations::routes())
        .merge(disputes::routes())
        .merge(dispute_api::routes())
        .merge(report_api::routes())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(error::json_rejections))
        // Outside `json_rejections`, so its JSON answers are covered too.
        .layer(axum::middleware::from_fn_with_state(transport, headers::protect))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp)))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(
            // Logged: method, route pattern (never the query), status, time.
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let route = req
                    .extensions()
                    .get::<axum::extract::MatchedPath>()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "-".to_owned());
                tracing::info_span!("http", method = %req.method(), route = %route)
            }),
        )
        .with_state(state)
}

async fn home() -> Redirect {
    Redirect::to("/agent/reports")
}

async fn health(State(state): State<AppState>) -> Response {
    let result = state.db.run(|store| store.schema_version()).await;
    match result {
        Ok(version) => Json(serde_json::json!({ "status": "ok", "schema_version": version })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({ "status": "unavailable" })))
                .into_response()
        }
    }
}

/// Switches the language and goes back where the visitor was (same site
/// only, so this is no open redirect).
async fn set_lang(State(state): State<AppState>, Path(code): Path<String>, headers: HeaderMap) -> Response {
    let lang = i18n::Lang::parse(&code).unwrap_or(i18n::Lang::Zh);
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.chars().any(char::is_control))
        .unwrap_or_else(|| "/".to_owned());
    let cookie = session::set_cookie(session::LANG_COOKIE, lang.code(), 365 * 24 * 3600, state.secure_cookies);
    ([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response()
}

/// What one server may be made to hold: a slow or idle client is cut off,
/// and connections beyond the cap wait in the kernel's backlog instead of
/// taking file descriptors (set `LimitNOFILE` above the cap, see README).
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// Time to send a request's headers, and to send the next request on a
    /// kept-alive connection.
    pub header_read: Duration,
    /// Time to send a request's body.
    pub body_read: Duration,
    /// Time for a handler to answer.
    pub handler: Duration,
    /// Open connections at once.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(30),
            handler: Duration::from_secs(60),
            max_connections: 512,
        }
    }
}

/// A bound, ready-to-run service (the port is known before it runs, so
/// tests can start it on port 0).
pub struct Application {
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
}

impl Application {
    pub async fn build(state: AppState, listen: &str) -> std::io::Result<Application> {
        Self::build_with(state, listen, ServeLimits::default()).await
    }

    pub async fn build_with(state: AppState, listen: &str, limits: ServeLimits) -> std::io::Result<Application> {
        let listener = TcpListener::bind(listen).await?;
        let router = router(state).layer(tower_http::timeout::RequestBodyTimeoutLayer::new(limits.body_read)).layer(
            tower_http::timeout::TimeoutLayer::with_status_code(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                limits.handler,
            ),
        );
        Ok(Application { listener, router, limits })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until `shutdown` resolves, then finishes requests in flight
    /// (for at most 10 s). Each request knows its peer's address
    /// (`ConnectInfo`, for the sign-in limits).
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        use hyper_util::rt::{TokioIo, TokioTimer};
        use tower::ServiceExt;
        let Application { listener, router, limits } = self;
        let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(limits.header_read);
        tokio::pin!(shutdown);
        loop {
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => match slot { Ok(s) => s, Err(_) => break },
                () = &mut shutdown => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors, typically: say so, and
                        // give the kernel a moment rather than spin.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let router = router.clone();
            let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                router.clone().oneshot(req.map(axum::body::Body::new))
            });
            let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
            tokio::spawn(async move {
                let _slot = slot;
                let _ = connection.await;
            });
        }
        drop(listener);
        if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await.is_err() {
            tracing::warn!("requests still in flight after 10 s were cut off at shutdown");
        }
        Ok(())
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Housekeeping while the service runs: expire reports, purge sessions.
pub fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            let deployment = state.deployment.clone();
            let now = state.clock.now();
            let result = state
                .db
                .write(move |store| -> Result<usize, crate::store::pool::DbError> {
                    let mut n = store.purge_expired_sessions(now)?;
                    for p in &deployment.projects {
                        n += store.expire_due_reports(&p.id, &p.rules, now)?;
                    }
                    Ok(n)
                })
                .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "housekeeping failed");
            }
        }
    });
}
