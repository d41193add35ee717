//! The back office's frame: the role-aware navigation every staff page
//! shows, and the language switch its templates read (`l.tr(zh, en)`:
//! Chinese first, English beside it in the same template).

use super::i18n::Lang;
use super::session::CurrentStaff;
use crate::store::people::Role;

/// One link of the navigation.
pub struct NavItem {
    pub href: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// The page shown is this item (or under it).
    pub current: bool,
    /// A count beside the link: disputes waiting on the signed-in person's
    /// office (`CurrentStaff::disputes_waiting`).
    pub badge: Option<i64>,
}

/// What a staff page's frame shows: who is signed in, where they may go,
/// and the session's CSRF token for the sign-out button.
pub struct StaffNav {
    pub items: Vec<NavItem>,
    pub name: String,
    pub role_zh: &'static str,
    pub role_en: &'static str,
    pub project: Option<String>,
    pub csrf: String,
    pub lang: Lang,
}

/// Every back-office page, in the order the navigation lists them, with
/// the roles that may open it.
const PAGES: &[(&str, &str, &str, &[Role])] = &[
    ("/staff/home", "首页", "Home", &[Role::Admin, Role::Manager, Role::Desk, Role::Sales]),
    ("/staff/visits", "带看台账", "Visits", &[Role::Admin, Role::Manager]),
    ("/staff/reports", "报备", "Reports", &[Role::Admin, Role::Manager]),
    ("/staff/funnel", "渠道漏斗", "Funnel", &[Role::Admin, Role::Manager]),
    ("/staff/deals", "认购与业绩", "Deals", &[Role::Admin, Role::Manager]),
    ("/staff/disputes", "争议处理", "Disputes", &[Role::Admin, Role::Manager]),
    ("/staff/employees", "员工名单", "Employees", &[Role::Admin, Role::Manager]),
    ("/staff/performance", "渠道业绩", "Channel performance", &[Role::Admin, Role::Manager]),
    ("/staff/settlement", "结佣对账", "Settlement", &[Role::Admin, Role::Manager]),
    ("/staff/confirmations", "成交确认单", "Deal confirmations", &[Role::Admin, Role::Manager, Role::Sales]),
    ("/staff/groups", "客户组", "Customer groups", &[Role::Admin, Role::Manager]),
    ("/staff/people", "人员与设备", "People & devices", &[Role::Admin, Role::Manager]),
    ("/staff/rules", "判客规则", "Rules", &[Role::Admin, Role::Manager]),
    ("/staff/fallback", "补录", "Fallback reports", &[Role::Admin, Role::Manager]),
    ("/staff/audit", "审计日志", "Audit log", &[Role::Admin, Role::Manager]),
];

pub fn role_zh(role: Role) -> &'static str {
    match role {
        Role::Admin => "集团管理员",
        Role::Manager => "案场经理",
        Role::Desk => "判客岗",
        Role::Sales => "置业顾问",
    }
}

impl StaffNav {
    /// The frame for `me` on the page at `path`.
    pub fn new(me: &CurrentStaff, lang: Lang, path: &str) -> StaffNav {
        let items = PAGES
            .iter()
            .filter(|(_, _, _, roles)| roles.contains(&me.staff.role))
            .map(|(href, zh, en, _)| NavItem {
                href,
                zh,
                en,
                current: path == *href || (*href != "/staff/home" && path.starts_with(&format!("{href}/"))),
                badge: (*href == "/staff/disputes" && me.disputes_waiting > 0).then_some(me.disputes_waiting),
            })
            .collect();
        StaffNav {
            items,
            name: me.staff.name.clone(),
            role_zh: role_zh(me.staff.role),
            role_en: me.staff.role.code(),
            project: me.staff.project_id.clone(),
            csrf: me.session.csrf.clone(),
            lang,
        }
    }

    pub fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        self.lang.tr(zh, en)
    }
}
