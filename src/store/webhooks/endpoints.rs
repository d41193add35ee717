//! An agency's receiving addresses: registered (checked, audited, with a
//! signing secret shown once), listed, disabled.

use crate::store::people::By;
use crate::store::{Store, StoreError, StoreResult};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

/// Active addresses one agency may have at once (each event is sent to
/// each of them).
pub const MAX_ENDPOINTS: i64 = 5;

const URL_MAX: usize = 500;

/// An agency's receiving address, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub id: i64,
    pub agency_id: i64,
    pub url: String,
    pub created_by: String,
    /// UTC stamp.
    pub created_at: String,
    pub disabled_at: Option<String>,
}

impl WebhookEndpoint {
    pub fn active(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// 32 random bytes, hex.
pub(super) fn new_secret() -> String {
    use rand::RngCore;
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    data_encoding::HEXLOWER.encode(&raw)
}

/// Checks a receiving address: `https://` (a host name or a public
/// address), or `http://` to this machine only (`127.0.0.1`, `[::1]`,
/// `localhost`: a local relay, the tests). No user name or password in it,
/// no private, link-local or reserved IP address (a literal one: names are
/// not resolved here). Returns it normalised.
pub fn check_webhook_url(raw: &str) -> StoreResult<String> {
    let bad = |zh: &str, en: &str| StoreError::Invalid(format!("{zh} / {en}"));
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > URL_MAX || raw.chars().any(char::is_control) {
        return Err(bad(
            "推送地址应为 https:// 开头的网址(500 字符以内)",
            "the address is an https:// URL (500 characters at most)",
        ));
    }
    let mut url = reqwest::Url::parse(raw)
        .map_err(|_| bad("推送地址应为 https:// 开头的网址", "the address is an https:// URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "推送地址不能包含用户名或密码:请用签名核实来源",
            "no user name or password in the address: check the signature instead",
        ));
    }
    url.set_fragment(None);
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if host.is_empty() {
        return Err(bad("推送地址缺少主机名", "the address has no host"));
    }
    let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().ok();
    let loopback = host == "localhost" || ip.is_some_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(bad(
                "推送地址必须使用 https(仅本机 127.0.0.1 / localhost 可用 http)",
                "the address must be https (http only to 127.0.0.1 / localhost)",
            ));
        }
    }
    if let Some(ip) = ip
        && !ip.is_loopback()
        && !is_public(ip)
    {
        return Err(bad("推送地址不能是内网、链路本地或保留地址", "not a private, link-local or reserved address"));
    }
    Ok(url.to_string())
}

/// Does an address point at this machine (`localhost`, a loopback IP)?
/// Such an address is for a local relay only (`[server]
/// webhooks_to_loopback`).
pub fn points_at_this_machine(url: &str) -> bool {
    let host = reqwest::Url::parse(url.trim()).ok().and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    host.is_some_and(|h| {
        h == "localhost"
            || h.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

/// A globally routable address (not private, shared, link-local — cloud
/// metadata lives there —, documentation, multicast or unspecified).
pub(crate) fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_unspecified()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                // benchmarking (198.18/15) and IETF protocol assignments (192.0.0/24)
                || (a == 198 && (b == 18 || b == 19))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            // NAT64 (64:ff9b::/96), 6to4 (2002::/16) and IPv4-compatible
            // (::/96) addresses carry an IPv4 address: judge that one.
            if (seg[0] == 0x64 && seg[1] == 0xff9b && seg[2..6] == [0, 0, 0, 0]) || seg[..6] == [0, 0, 0, 0, 0, 0] {
                let o = v6.octets();
                return is_public(IpAddr::V4(std::net::Ipv4Addr::new(o[12], o[13], o[14], o[15])));
            }
            if seg[0] == 0x2002 {
                let o = v6.octets();
                return is_public(IpAddr::V4(std::net::Ipv4Addr::new(o[2], o[3], o[4], o[5])));
            }
            let first = seg[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8))
        }
    }
}

fn read_endpoint(r: &rusqlite::Row<'_>) -> rusqlite::Result<WebhookEndpoint> {
    Ok(WebhookEndpoint {
        id: r.get(0)?,
        agency_id: r.get(1)?,
        url: r.get(2)?,
        created_by: r.get(3)?,
        created_at: r.get(4)?,
        disabled_at: r.get(5)?,
    })
}

const ENDPOINT_COLUMNS: &str = "id, agency_id, url, created_by, created_at, disabled_at";

/// The scheme and host of an address, for the audit log (a query string
/// may hold the receiver's token).
fn origin(url: &str) -> String {
    reqwest::Url::parse(url)
        .map(|u| format!("{}://{}", u.scheme(), u.host_str().unwrap_or_default()))
        .unwrap_or_default()
}

impl Store {
    /// Registers a receiving address for the agency (checked by
    /// `check_webhook_url`), audited; returns its id and its signing
    /// secret, to be shown once.
    pub fn add_webhook_endpoint(
        &self,
        agency_id: i64,
        url: &str,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<(i64, String)> {
        let url = check_webhook_url(url)?;
        self.all_or_nothing(|store| {
            let known: bool = store
                .conn
                .query_row("SELECT EXISTS (SELECT 1 FROM agencies WHERE id = ?1)", [agency_id], |r| r.get(0))?;
            if !known {
                return Err(StoreError::NotFound(format!("agency {agency_id}")));
            }
            let active: i64 = store.conn.query_row(
                "SELECT count(*) FROM webhook_endpoints WHERE agency_id = ?1 AND disabled_at IS NULL",
                [agency_id],
                |r| r.get(0),
            )?;
            if active >= MAX_ENDPOINTS {
                return Err(StoreError::Conflict(format!(
                    "每个渠道公司最多 {MAX_ENDPOINTS} 个推送地址,请先停用不用的地址 / at most {MAX_ENDPOINTS} addresses per agency: disable one first"
                )));
            }
            let secret = new_secret();
            store.conn.execute(
                "INSERT INTO webhook_endpoints (agency_id, url, secret, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![agency_id, url, secret, by.actor, crate::time::stamp(now)],
            )?;
            let id = store.conn.last_insert_rowid();
            store.audit(
                now,
                by.actor,
                "agency.webhook",
                by.project,
                &format!("webhook {id} of agency {agency_id}: {}", origin(&url)),
            )?;
            Ok((id, secret))
        })
    }

    pub fn webhook_endpoint(&self, id: i64) -> StoreResult<WebhookEndpoint> {
        self.conn
            .query_row(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1"), [id], read_endpoint)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("webhook {id}")))
    }

    /// The agency's addresses, active and disabled, oldest first.
    pub fn webhook_endpoints(&self, agency_id: i64) -> StoreResult<Vec<WebhookEndpoint>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE agency_id = ?1 ORDER BY id"))?;
        let rows = stmt.query_map([agency_id], read_endpoint)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Disables an address, audited: no new event goes to it, and what it
    /// had not yet received is given up.
    pub fn disable_webhook_endpoint(&self, id: i64, by: By<'_>, now: DateTime<Utc>) -> StoreResult<WebhookEndpoint> {
        self.all_or_nothing(|store| {
            let endpoint = store.webhook_endpoint(id)?;
            let stamp = crate::time::stamp(now);
            let changed = store.conn.execute(
                "UPDATE webhook_endpoints SET disabled_at = ?2, disabled_by = ?3 WHERE id = ?1 AND disabled_at IS NULL",
                params![id, stamp, by.actor],
            )?;
            if changed == 0 {
                return Err(StoreError::Conflict("该推送地址已停用 / this address is already disabled".into()));
            }
            store.conn.execute(
                "UPDATE webhook_outbox SET gave_up_at = ?2, last_error = 'address disabled'
                 WHERE endpoint_id = ?1 AND delivered_at IS NULL AND gave_up_at IS NULL",
                params![id, stamp],
            )?;
            store.audit(
                now,
                by.actor,
                "agency.webhook_disable",
                by.project,
                &format!("webhook {id} of agency {}: {}", endpoint.agency_id, origin(&endpoint.url)),
            )?;
            store.webhook_endpoint(id)
        })
    }
}
