use crate::support::{TestDeployment, serve};
use chrono::{DateTime, Utc};
use panke::clock::{Clock, FixedClock};
use panke::domain::phone::Phone;
use panke::domain::token::KeyRing;
use panke::store::Store;
use std::sync::Arc;

pub const PASSWORD: &str = "correct horse";
pub const AGENT_PHONE: &str = "13800000001";
pub const RIVAL_PHONE: &str = "13800000002";

pub struct TestApp {
    pub base: String,
    pub clock: Arc<FixedClock>,
    pub store: Store,
    pub key_ring: KeyRing,
    pub agency: i64,
    pub rival_agency: i64,
    _dir: TestDeployment,
}

pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// The API tests' projects: the demo project, one that refuses masked
/// phones, one that does not take reports yet.
pub fn deployment() -> TestDeployment {
    TestDeployment::new(&[
        ("demo", "[project]\nname = \"云境·演示项目\"\n"),
        ("strict", "[project]\nname = \"严格项目\"\n[rules]\nallow_masked_phone = false\n"),
        ("later", "[project]\nname = \"未开盘项目\"\n[rules]\nreporting_start = \"2030-01-01T00:00:00+08:00\"\n"),
        (
            "firstvisit",
            "[project]\nname = \"先到访项目\"\n[rules]\noverlap_rule = \"first-visit\"\nprotection_days = 30\n",
        ),
    ])
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_in(deployment()).await
    }

    /// The service over a prepared deployment (e.g. one holding a database
    /// written by an earlier release).
    pub async fn spawn_in(dep: TestDeployment) -> TestApp {
        let now = t("2026-11-18T10:00:00+08:00");
        let clock = Arc::new(FixedClock::new(now));
        let ctx = dep.context(now);
        let store = ctx.open_store(now).unwrap();
        let key_ring = ctx.secrets.key_ring().unwrap();
        let agency = store.create_agency("链家-天河店", None, now).unwrap();
        let rival_agency = store.create_agency("中原-体育西", None, now).unwrap();
        for (agency, name, phone) in [(agency, "张三", AGENT_PHONE), (rival_agency, "李四", RIVAL_PHONE)] {
            let (_, invite) = store.create_agent(agency, name, &Phone::parse(phone).unwrap(), now).unwrap();
            store.accept_invite(&invite, PASSWORD, now).unwrap();
        }
        let base = serve(ctx, clock.clone() as Arc<dyn Clock>, 2).await;
        TestApp { base, clock, store, key_ring, agency, rival_agency, _dir: dep }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser: keeps cookies, does not follow redirects (tests see them).
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    pub async fn get_text(&self, c: &reqwest::Client, path: &str) -> (u16, String) {
        let r = c.get(self.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Signs in through the login form; returns the browser.
    pub async fn signed_in(&self, phone: &str) -> reqwest::Client {
        let c = self.browser();
        let (_, page) = self.get_text(&c, "/agent/login").await;
        let r = c
            .post(self.url("/agent/login"))
            .form(&[("csrf", csrf(&page).as_str()), ("phone", phone), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "sign-in failed");
        c
    }

    /// Fills in the report form; returns the response (not followed).
    pub async fn file(&self, c: &reqwest::Client, project: &str, name: &str, phone: &str) -> reqwest::Response {
        self.file_with(c, project, name, phone, &panke::crypto::random_secret()).await
    }

    pub async fn file_with(
        &self,
        c: &reqwest::Client,
        project: &str,
        name: &str,
        phone: &str,
        idem: &str,
    ) -> reqwest::Response {
        let (_, form) = self.get_text(c, "/agent/reports/new").await;
        let expected = self.expected_arrival();
        c.post(self.url("/agent/reports"))
            .form(&[
                ("csrf", csrf(&form).as_str()),
                ("idem", idem),
                ("project", project),
                ("customer_name", name),
                ("customer_phone", phone),
                ("expected_arrival", expected.as_str()),
                ("party_size", "2"),
                ("note", ""),
            ])
            .send()
            .await
            .unwrap()
    }

    /// The expected arrival the form gets: 15:00 (inside every day's desk
    /// hours) of the clock's day while that is ahead, else of the next day —
    /// never in the past, which is refused.
    pub fn expected_arrival(&self) -> String {
        let now = self.clock.now().with_timezone(&chrono_tz::Asia::Shanghai).naive_local();
        let today = now.date().and_hms_opt(15, 0, 0).unwrap();
        let at = if now < today { today } else { today + chrono::Duration::days(1) };
        at.format("%Y-%m-%dT%H:%M").to_string()
    }

    /// Files and returns the new report's id.
    pub async fn filed_id(&self, c: &reqwest::Client, project: &str, name: &str, phone: &str) -> i64 {
        let r = self.file(c, project, name, phone).await;
        assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap_or_default());
        location_id(&r)
    }
}

pub fn location_id(r: &reqwest::Response) -> i64 {
    let loc = r.headers().get("location").unwrap().to_str().unwrap();
    loc.rsplit('/').next().unwrap().parse().unwrap()
}

/// Signs a staff member in on the staff sign-in page (a password session)
/// in the browser `http` of the service at `base`.
pub async fn staff_sign_in(http: &reqwest::Client, base: &str, login: &str, password: &str) {
    let page = http.get(format!("{base}/staff/login")).send().await.unwrap().text().await.unwrap();
    let r = http
        .post(format!("{base}/staff/login"))
        .form(&[("csrf", csrf(&page).as_str()), ("login", login), ("password", password), ("next", "/records/1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "staff sign-in failed");
}

/// The CSRF token a page's form carries.
pub fn csrf(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a form with a csrf field") + 19;
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// Decodes a QR PNG with an independent decoder (rqrr).
pub fn decode_qr(png: &[u8]) -> String {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| {
        img.get_pixel(x as u32, y as u32)[0]
    });
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}
