//! Simplified Chinese first, English available: every piece of text a page
//! shows, per language, checked by the compiler.

use crate::store::reports::ReportStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

pub struct Texts {
    pub html_lang: &'static str,
    pub other_lang_code: &'static str,
    pub other_lang_name: &'static str,
    pub app_name: &'static str,
    pub login_title: &'static str,
    pub phone: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub sign_out: &'static str,
    pub bad_login: &'static str,
    /// The staff sign-in names its own field (登录名), not a phone number.
    pub bad_staff_login: &'static str,
    pub invite_title: &'static str,
    pub invite_hint: &'static str,
    pub save_password: &'static str,
    pub my_reports: &'static str,
    pub my_deals: &'static str,
    pub new_report: &'static str,
    pub project: &'static str,
    pub customer_name: &'static str,
    pub customer_name_hint: &'static str,
    pub customer_phone: &'static str,
    pub customer_phone_hint: &'static str,
    pub expected_arrival: &'static str,
    pub party_size: &'static str,
    pub note: &'static str,
    pub submit_report: &'static str,
    pub report_title: &'static str,
    pub show_at_desk: &'static str,
    pub manual_code: &'static str,
    pub arrive_not_before: &'static str,
    pub valid_until: &'static str,
    pub save_image: &'static str,
    pub cancel_report: &'static str,
    pub cancel_confirm: &'static str,
    pub status: &'static str,
    pub filed_at: &'static str,
    pub customer: &'static str,
    pub no_reports: &'static str,
    pub back: &'static str,
    pub error_title: &'static str,
    pub code_unavailable: &'static str,
    pub optional: &'static str,
}

const ZH: Texts = Texts {
    html_lang: "zh-CN",
    other_lang_code: "en",
    other_lang_name: "English",
    app_name: "判客",
    login_title: "经纪人登录",
    phone: "手机号",
    password: "密码",
    sign_in: "登录",
    sign_out: "退出",
    bad_login: "手机号或密码不正确",
    bad_staff_login: "登录名或密码不正确。",
    invite_title: "设置登录密码",
    invite_hint: "至少 8 位",
    save_password: "保存并登录",
    my_reports: "我的报备",
    my_deals: "成交与业绩",
    new_report: "新建报备",
    project: "项目",
    customer_name: "客户姓名",
    customer_name_hint: "可只填姓氏,如 王先生",
    customer_phone: "客户手机号",
    customer_phone_hint: "完整号码;项目允许时可填隐号 138****5678",
    expected_arrival: "预计到访时间",
    party_size: "到访人数",
    note: "备注",
    submit_report: "提交报备",
    report_title: "报备二维码",
    show_at_desk: "客户到访时,请向判客岗出示此二维码",
    manual_code: "手动码",
    arrive_not_before: "到访不早于",
    valid_until: "有效至",
    save_image: "保存二维码图片",
    cancel_report: "撤销报备",
    cancel_confirm: "确定撤销该报备?",
    status: "状态",
    filed_at: "报备时间",
    customer: "客户",
    no_reports: "还没有报备,点击「新建报备」开始。",
    back: "返回",
    error_title: "出错了",
    code_unavailable: "该报备的二维码密钥已停用,请重新报备。",
    optional: "选填",
};

const EN: Texts = Texts {
    html_lang: "en",
    other_lang_code: "zh",
    other_lang_name: "中文",
    app_name: "panke",
    login_title: "Agent sign-in",
    phone: "Mobile number",
    password: "Password",
    sign_in: "Sign in",
    sign_out: "Sign out",
    bad_login: "Wrong mobile number or password",
    bad_staff_login: "Wrong login name or password.",
    invite_title: "Set your password",
    invite_hint: "At least 8 characters",
    save_password: "Save and sign in",
    my_reports: "My reports",
    my_deals: "Deals and performance",
    new_report: "New report",
    project: "Project",
    customer_name: "Customer name",
    customer_name_hint: "A surname is enough, e.g. 王先生",
    customer_phone: "Customer mobile",
    customer_phone_hint: "Full number; masked 138****5678 where the project allows",
    expected_arrival: "Expected arrival",
    party_size: "Party size",
    note: "Note",
    submit_report: "File report",
    report_title: "Report QR code",
    show_at_desk: "Show this code at the judging desk when the customer arrives",
    manual_code: "Manual code",
    arrive_not_before: "Arrive no earlier than",
    valid_until: "Valid until",
    save_image: "Save QR image",
    cancel_report: "Cancel report",
    cancel_confirm: "Cancel this report?",
    status: "Status",
    filed_at: "Filed",
    customer: "Customer",
    no_reports: "No reports yet. Tap “New report” to start.",
    back: "Back",
    error_title: "Something went wrong",
    code_unavailable: "This report's code was signed with a retired key; please file it again.",
    optional: "optional",
};

/// The domain's sentences (reasons) in the page's language.
impl From<Lang> for crate::domain::reason::Lang {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::Zh => crate::domain::reason::Lang::Zh,
            Lang::En => crate::domain::reason::Lang::En,
        }
    }
}

impl Lang {
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// The text in this language, for templates that carry both.
    pub fn tr<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn status_label(self, status: ReportStatus) -> &'static str {
        match (self, status) {
            (Lang::Zh, s) => s.label_zh(),
            (Lang::En, ReportStatus::Pending) => "Awaiting visit",
            (Lang::En, ReportStatus::VisitedValid) => "Valid visit",
            (Lang::En, ReportStatus::VisitedInvalid) => "Natural visit",
            (Lang::En, ReportStatus::Expired) => "Expired",
            (Lang::En, ReportStatus::Cancelled) => "Cancelled",
            (Lang::En, ReportStatus::Voided) => "Voided",
        }
    }
}
