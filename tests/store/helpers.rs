use chrono::{DateTime, Duration, FixedOffset, Utc};
use panke::domain::name::CustomerName;
use panke::domain::phone::{CustomerPhone, Phone};
use panke::domain::rules::Rules;
use panke::domain::token::KeyId;
use panke::store::Store;
use panke::store::checkin::{CheckInOutcome, CheckInRequest};
use panke::store::reports::{NewReport, StoredReport};
use panke::wire::record::DeskAnswers;
use std::path::PathBuf;

pub const LEDGER_KEY: [u8; 32] = [42; 32];

pub use crate::support::TestDeployment;

/// A store with projects `demo` and `other`, one agency with an agent,
/// a second agency with an agent, a desk clerk and a sales consultant.
pub struct World {
    pub store: Store,
    pub rules: Rules,
    pub agent: i64,
    pub rival_agent: i64,
    pub desk: i64,
    pub sales: i64,
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

/// What the signers of `World::request` confirm.
pub const FACTS: panke::domain::signature::StatementFacts<'static> = panke::domain::signature::StatementFacts {
    project: "演示项目",
    agency: "链家-天河店",
    agent: "张三",
    reported_name: "王先生",
    arrived_name: "王先生",
    arrival: "2026-11-18 10:45",
};

pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub fn local(rules: &Rules, at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&rules.timezone).fixed_offset()
}

impl World {
    pub fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("panke.db");
        let store = Store::open(&path, &LEDGER_KEY).unwrap();
        let now = t("2026-11-01T09:00:00+08:00");
        store.sync_project("demo", "演示项目", "x", now).unwrap();
        store.sync_project("other", "另一个项目", "x", now).unwrap();
        let lianjia = store.create_agency("链家-天河店", None, now).unwrap();
        let zhongyuan = store.create_agency("中原-体育西", None, now).unwrap();
        let (agent, _) = store.create_agent(lianjia, "张三", &Phone::parse("13500000001").unwrap(), now).unwrap();
        let (rival_agent, _) =
            store.create_agent(zhongyuan, "李四", &Phone::parse("13500000002").unwrap(), now).unwrap();
        let staff = |login, name, role, pin| panke::store::people::NewStaff {
            project_id: Some("demo"),
            login,
            name,
            role,
            password: None,
            pin: Some(pin),
        };
        let desk =
            store.create_staff(&staff("desk1", "赵判客", panke::store::people::Role::Desk, "1234"), now).unwrap();
        let sales =
            store.create_staff(&staff("sales1", "钱顾问", panke::store::people::Role::Sales, "5678"), now).unwrap();
        World { store, rules: Rules::default(), agent, rival_agent, desk, sales, path, _dir: dir }
    }

    /// A staff member of `project` (PIN 0000).
    pub fn staff_of(&self, project: &str, login: &str, role: panke::store::people::Role) -> i64 {
        let staff = panke::store::people::NewStaff {
            project_id: Some(project),
            login,
            name: login,
            role,
            password: None,
            pin: Some("0000"),
        };
        self.store.create_staff(&staff, t("2026-11-01T09:00:00+08:00")).unwrap()
    }

    pub fn file(&mut self, agent: i64, phone: &str, at: &str) -> StoredReport {
        self.file_in("demo", agent, phone, at)
    }

    /// A report as an agent would file it now (for the filing checks).
    pub fn new_report(&self, agent: i64, phone: &str) -> NewReport {
        NewReport {
            project_id: "demo".into(),
            agent_id: agent,
            customer_name: CustomerName::parse("王先生").unwrap(),
            customer_phone: CustomerPhone::parse(phone, true).unwrap(),
            expected_arrival: None,
            party_size: None,
            note: None,
            idempotency_key: None,
            demo: false,
        }
    }

    pub fn file_in(&mut self, project: &str, agent: i64, phone: &str, at: &str) -> StoredReport {
        let filed = local(&self.rules, t(at));
        let mut n = filed.timestamp() as u64 ^ (agent as u64 * 7919);
        self.store
            .file_report(
                NewReport {
                    project_id: project.into(),
                    agent_id: agent,
                    customer_name: CustomerName::parse("王先生").unwrap(),
                    customer_phone: CustomerPhone::parse(phone, true).unwrap(),
                    expected_arrival: None,
                    party_size: Some(2),
                    note: None,
                    idempotency_key: None,
                    demo: false,
                },
                KeyId(1),
                filed,
                || {
                    n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    n
                },
            )
            .unwrap()
    }

    pub fn request<'a>(&self, project: &'a str, report: Option<&StoredReport>, phone: &str) -> CheckInRequest<'a> {
        let (name, phone) = (CustomerName::parse("王小明").unwrap(), Phone::parse(phone).unwrap());
        let signatures = panke::demo::signatures(3, &FACTS).unwrap();
        CheckInRequest {
            answers: DeskAnswers { first_visit: Some(true), contacted_before: Some(false), badge_seen: true },
            desk_clerk_id: Some(self.desk),
            sales_id: Some(self.sales),
            ..CheckInRequest::accompanied(project, report.map(|r| r.id), name, phone, signatures)
        }
    }

    pub fn check_in(&mut self, report: Option<&StoredReport>, phone: &str, at: &str) -> CheckInOutcome {
        let req = self.request("demo", report, phone);
        self.store.record_checkin(req, &self.rules, t(at)).unwrap()
    }

    /// Fills the ledger with `n` visits, an hour apart.
    pub fn visits(&mut self, n: usize) {
        let start = t("2026-11-18T10:00:00+08:00");
        for i in 0..n {
            let phone = format!("1380000{:04}", i);
            let filed = start + Duration::hours(i as i64);
            let r = self.file(self.agent, &phone, &filed.to_rfc3339());
            self.check_in(Some(&r), &phone, &(filed + Duration::minutes(45)).to_rfc3339());
        }
    }

    /// A raw connection, as someone with the sqlite3 command line has.
    pub fn raw(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.path).unwrap()
    }
}
