//! Disputes (撞单 / 申诉) as the seeds set them (customer-confirmation
//! templates, 争议客户处理注意事项):
//!
//! 1. an objection within 5 days after the deposit (交完定金5日内提出异议);
//! 2. evidence within 3 days after the down payment (交完首付3天内提供证明材料)
//!    — 户口本、结婚证、通话记录(限在册分销人员)、短信、客户签字书面证明、电话录音 —
//!    else the closing party keeps the customer and the commission;
//! 3. the office's opinion within 3 days of the evidence (3日内提供处理意见);
//!    otherwise the earliest report prevails (以时间最早的报备信息为准).
//!
//! Days are counted on the project's local calendar: a deposit at 23:30 on
//! the 1st leaves objections open through the whole of the 6th, whatever
//! the server's time zone. The periods are per-project settings with the
//! seeds' figures as defaults. A ruling is upheld, rejected or split by a
//! percentage (甲乙各50%, 甲30%乙70%), and may be appealed once.

mod periods;

pub use periods::{
    Deadlines, DealDates, Late, Next, SeedsDefault, Settings, appeal_due, days_left, deadlines, local_date,
    may_add_evidence, may_appeal, may_object, next, seeds_default,
};

/// What the claimant says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimKind {
    /// Two agencies claim one customer (撞单).
    Collision,
    /// The visit was judged a natural visit (自然到访) wrongly.
    NaturalVerdict,
    /// A family member (儿女、父母、夫妻) was reported or visited first.
    Family,
    /// The reported number differs from the customer's real one.
    PhoneMismatch,
    Other,
}

impl ClaimKind {
    pub const ALL: [ClaimKind; 5] = [
        ClaimKind::Collision,
        ClaimKind::NaturalVerdict,
        ClaimKind::Family,
        ClaimKind::PhoneMismatch,
        ClaimKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ClaimKind::Collision => "collision",
            ClaimKind::NaturalVerdict => "natural_verdict",
            ClaimKind::Family => "family",
            ClaimKind::PhoneMismatch => "phone_mismatch",
            ClaimKind::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<ClaimKind> {
        ClaimKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn zh(self) -> &'static str {
        match self {
            ClaimKind::Collision => "撞单:客户应归我方",
            ClaimKind::NaturalVerdict => "对自然到访判定有异议",
            ClaimKind::Family => "家庭成员(同组客户)已先报备或到访",
            ClaimKind::PhoneMismatch => "报备号码与客户真实号码不一致",
            ClaimKind::Other => "其他",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ClaimKind::Collision => "Collision: the customer is ours",
            ClaimKind::NaturalVerdict => "The natural-visit verdict is wrong",
            ClaimKind::Family => "A family member was reported or visited first",
            ClaimKind::PhoneMismatch => "The reported number differs from the customer's real one",
            ClaimKind::Other => "Other",
        }
    }
}

/// The seeds' list of evidence (争议证明材料).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceKind {
    /// 户口本
    Hukou,
    /// 结婚证
    Marriage,
    /// 通话记录 — only of agents on the agency's roster with the customer.
    CallRecords,
    /// 短信 / 微信记录
    Messages,
    /// 客户签字书面证明
    Statement,
    /// 电话录音 (a transcript or screenshot: uploads are JPEG, PNG or PDF)
    Recording,
}

impl EvidenceKind {
    pub const ALL: [EvidenceKind; 6] = [
        EvidenceKind::Hukou,
        EvidenceKind::Marriage,
        EvidenceKind::CallRecords,
        EvidenceKind::Messages,
        EvidenceKind::Statement,
        EvidenceKind::Recording,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EvidenceKind::Hukou => "hukou",
            EvidenceKind::Marriage => "marriage",
            EvidenceKind::CallRecords => "call_records",
            EvidenceKind::Messages => "messages",
            EvidenceKind::Statement => "statement",
            EvidenceKind::Recording => "recording",
        }
    }

    pub fn parse(code: &str) -> Option<EvidenceKind> {
        EvidenceKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn zh(self) -> &'static str {
        match self {
            EvidenceKind::Hukou => "户口本",
            EvidenceKind::Marriage => "结婚证",
            EvidenceKind::CallRecords => "通话记录(限在册渠道人员与客户)",
            EvidenceKind::Messages => "短信 / 微信记录",
            EvidenceKind::Statement => "客户签字书面证明",
            EvidenceKind::Recording => "电话录音(截图或文字稿)",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            EvidenceKind::Hukou => "Household register",
            EvidenceKind::Marriage => "Marriage certificate",
            EvidenceKind::CallRecords => "Call records (rostered agents with the customer only)",
            EvidenceKind::Messages => "Text or WeChat messages",
            EvidenceKind::Statement => "The customer's signed statement",
            EvidenceKind::Recording => "Call recording (screenshot or transcript)",
        }
    }
}

/// Who a dispute's step comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Claimant,
    Respondent,
    /// The sales office (客服部 / 案场): staff.
    Office,
}

impl Party {
    pub fn code(self) -> &'static str {
        match self {
            Party::Claimant => "claimant",
            Party::Respondent => "respondent",
            Party::Office => "office",
        }
    }

    pub fn parse(code: &str) -> Option<Party> {
        [Party::Claimant, Party::Respondent, Party::Office].into_iter().find(|p| p.code() == code)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Party::Claimant => "申诉方",
            Party::Respondent => "被申诉方",
            Party::Office => "案场",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Party::Claimant => "claimant",
            Party::Respondent => "respondent",
            Party::Office => "sales office",
        }
    }
}

/// A ruling's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The claim holds: the claimant takes the customer.
    Upheld,
    /// The claim fails: the attribution by the rules stands.
    Rejected,
    /// Shared: the claimant takes this percentage (1–99), the respondent
    /// the rest.
    Split { claimant_percent: u8 },
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Upheld => "upheld",
            Outcome::Rejected => "rejected",
            Outcome::Split { .. } => "split",
        }
    }

    /// The claimant's share, as stored.
    pub fn claimant_percent(self) -> u8 {
        match self {
            Outcome::Upheld => 100,
            Outcome::Rejected => 0,
            Outcome::Split { claimant_percent } => claimant_percent,
        }
    }

    /// From a form or the database; a split needs a percentage strictly
    /// between 0 and 100 (0 and 100 are rejected and upheld).
    pub fn parse(code: &str, percent: Option<i64>) -> Result<Outcome, OutcomeError> {
        match code {
            "upheld" => Ok(Outcome::Upheld),
            "rejected" => Ok(Outcome::Rejected),
            "split" => match percent {
                Some(p) if (1..=99).contains(&p) => Ok(Outcome::Split { claimant_percent: p as u8 }),
                _ => Err(OutcomeError::SplitPercent),
            },
            _ => Err(OutcomeError::Unknown),
        }
    }

    pub fn zh(self) -> String {
        match self {
            Outcome::Upheld => "支持申诉".to_owned(),
            Outcome::Rejected => "驳回申诉".to_owned(),
            Outcome::Split { claimant_percent } => {
                format!("按比例分配:申诉方 {claimant_percent}%,被申诉方 {}%", 100 - claimant_percent)
            }
        }
    }

    pub fn en(self) -> String {
        match self {
            Outcome::Upheld => "Upheld".to_owned(),
            Outcome::Rejected => "Rejected".to_owned(),
            Outcome::Split { claimant_percent } => {
                format!("Split: claimant {claimant_percent} %, respondent {} %", 100 - claimant_percent)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OutcomeError {
    #[error("裁决结果只能是支持、驳回或按比例分配 / a ruling is upheld, rejected or split")]
    Unknown,
    #[error("按比例分配须填写申诉方比例(1–99)/ a split needs the claimant's percentage (1–99)")]
    SplitPercent,
}

/// Where a dispute stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for evidence and the office's ruling.
    Open,
    /// Ruled by the project's manager; either party may appeal once.
    Ruled,
    /// Appealed: waiting for the admin.
    Appealed,
    /// The admin ruled on the appeal: final.
    Closed,
    /// The claimant withdrew before a ruling.
    Withdrawn,
}

impl Status {
    pub const ALL: [Status; 5] = [Status::Open, Status::Ruled, Status::Appealed, Status::Closed, Status::Withdrawn];

    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Ruled => "ruled",
            Status::Appealed => "appealed",
            Status::Closed => "closed",
            Status::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn zh(self) -> &'static str {
        match self {
            Status::Open => "处理中",
            Status::Ruled => "已裁决",
            Status::Appealed => "复核中",
            Status::Closed => "已终裁",
            Status::Withdrawn => "已撤回",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Ruled => "ruled",
            Status::Appealed => "under appeal",
            Status::Closed => "final",
            Status::Withdrawn => "withdrawn",
        }
    }
}

/// Who earns a deal after a ruling: the claimant and the respondent, each
/// an agency or the site itself (`None`: 现场/自然来访, no channel).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Award<A> {
    /// The first share: the claimant's when upheld or split.
    pub agency: Option<A>,
    pub percent: u8,
    /// The respondent's share of a split.
    pub co: Option<(Option<A>, u8)>,
}

/// What a ruling does to the deal's attribution: `None` when rejected (the
/// rules' attribution stands).
pub fn award<A: Clone>(outcome: Outcome, claimant: Option<A>, respondent: Option<A>) -> Option<Award<A>> {
    match outcome {
        Outcome::Rejected => None,
        Outcome::Upheld => Some(Award { agency: claimant, percent: 100, co: None }),
        Outcome::Split { claimant_percent } => {
            Some(Award { agency: claimant, percent: claimant_percent, co: Some((respondent, 100 - claimant_percent)) })
        }
    }
}

/// A claim's text: what is claimed and why, 4–1000 characters.
pub fn claim_text(raw: &str) -> Result<String, &'static str> {
    let text: String = raw.trim().chars().filter(|c| !c.is_control() || *c == '\n').collect();
    match text.chars().count() {
        0..=3 => Err("请写明申诉内容和理由(至少 4 个字)/ say what you claim and why (at least 4 characters)"),
        1001.. => Err("申诉内容最多 1000 字 / at most 1000 characters"),
        _ => Ok(text),
    }
}

/// A ruling's reasons: required, 4–2000 characters.
pub fn ruling_reasons(raw: &str) -> Result<String, &'static str> {
    let text: String = raw.trim().chars().filter(|c| !c.is_control() || *c == '\n').collect();
    match text.chars().count() {
        0..=3 => Err("请写明裁决理由(至少 4 个字)/ give the ruling's reasons (at least 4 characters)"),
        2001.. => Err("裁决理由最多 2000 字 / at most 2000 characters"),
        _ => Ok(text),
    }
}

#[cfg(test)]
mod tests;
