//! Checking a password or PIN under attack: the attempt is reserved first
//! (per account and source, see `limiter.rs`), argon2 runs in one of a few
//! slots (none free: 503 at once) and off the database connection, and an
//! unknown account costs the same argon2 check as a known one (against a
//! dummy hash), so timing does not tell which accounts exist.

use super::AppState;
use super::error::WebError;
use crate::password::{hash_secret, verify_secret};
use crate::store::Store;
use crate::store::credentials::StoredSecret;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::OnceLock;

/// The address a request came from (the TCP peer). A request without one
/// (an in-process call) counts as one unspecified source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Source {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(Source(ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))))
    }
}

/// A hash with the same argon2 parameters as every stored one.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_secret("panke: no such account").unwrap_or_default())
}

/// Reserves an attempt at `account` from `source`, fetches the stored
/// secret with `lookup`, and checks `secret` against it. `Some(id)`: the
/// account whose secret it is.
pub async fn verified(
    state: &AppState,
    account: &str,
    source: Source,
    secret: String,
    lookup: impl FnOnce(&mut Store) -> crate::store::StoreResult<StoredSecret> + Send + 'static,
) -> Result<Option<i64>, WebError> {
    state.limiter.attempt(account, source.0)?;
    let slot = state.limiter.secret_slot()?;
    let found = state.db.run(move |store| lookup(store).map_err(WebError::from)).await?;
    let (id, hash) = match found {
        Some((id, Some(hash))) => (Some(id), hash),
        _ => (None, dummy_hash().to_owned()),
    };
    let limiter = state.limiter.clone();
    let ok = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        limiter.count_check();
        verify_secret(&secret, &hash)
    })
    .await
    .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(id.filter(|_| ok))
}
