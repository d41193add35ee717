//! A signature drawn on the kiosk and the statement its signer signs.
//!
//! Since issue 16 the record of a signature is its pen strokes (`pen`):
//! checked for enough ink, stored compactly and sealed by their SHA-256; the
//! image is drawn from them (`render`). Records from before keep the PNG the
//! kiosk exported (`png`), checked and sealed as they were.

pub mod pen;
pub mod png;
pub mod render;

pub use pen::Pen;
pub use png::{ValidPng, validate_png};

use super::judge::Signer;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("签名图片过大(最大 512 KB)/ the signature image is larger than 512 KB")]
    TooLarge,
    #[error("签名不是有效的 PNG 图片 / the signature is not a valid PNG image")]
    NotPng,
    #[error("签名图片尺寸不符(100–4096 像素)/ the signature image must be 100 to 4096 pixels a side")]
    BadDimensions,
    #[error("签名为空或过于简单,请重新签名 / the signature is empty or too small; please sign again")]
    Blank,
    #[error(
        "签名区域几乎被涂满,这不是签名,请重新签名 / the pad is nearly all ink: that is no signature; please sign again"
    )]
    Filled,
    #[error("笔迹数据格式不正确 / the strokes are malformed")]
    BadStrokes,
    #[error("笔迹点数过多(最多 200 笔、5000 点)/ too many strokes or points (at most 200 and 5,000)")]
    TooManyPoints,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(bytes))
}

/// The facts a signer confirms, as the kiosk shows them above the pad and
/// the sheet prints them: who brought whom, where and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFacts<'a> {
    pub project: &'a str,
    pub agency: &'a str,
    pub agent: &'a str,
    /// The customer's name as reported by the agency.
    pub reported_name: &'a str,
    /// The name the customer gave at the desk.
    pub arrived_name: &'a str,
    /// The arrival instant (the first read of the code), local time as
    /// printed ("2026-11-18 10:45").
    pub arrival: &'a str,
}

impl StatementFacts<'_> {
    /// "王小明" — or "王小明（报备姓名 王先生）" when the names differ.
    fn customer(&self) -> String {
        if self.reported_name == self.arrived_name || self.reported_name.is_empty() {
            self.arrived_name.to_owned()
        } else {
            format!("{}（报备姓名 {}）", self.arrived_name, self.reported_name)
        }
    }
}

/// The version printed at the end of every statement; v1 (before
/// 2026-11) named only the agency, agent and project.
pub const STATEMENT_VERSION: &str = "v2";

/// What each party signs; the text is versioned, and its SHA-256 is kept
/// with the signature, so a later change of wording cannot be passed off
/// as what was signed.
pub fn statement(signer: Signer, f: &StatementFacts<'_>) -> String {
    let (customer, v) = (f.customer(), STATEMENT_VERSION);
    let StatementFacts { project, agency, agent, arrival, .. } = f;
    match signer {
        Signer::Customer => format!(
            "本人 {customer} 于 {arrival} 到访 {project}，确认由 {agency} 经纪人 {agent} 带看，以上到访信息属实。（声明版本 {v}）"
        ),
        Signer::Agent => format!(
            "本人 {agent}（{agency}）确认于 {arrival} 亲自陪同客户 {customer} 到访 {project}，所报信息属实。（声明版本 {v}）"
        ),
        Signer::Sales => format!(
            "本人作为 {project} 现场置业顾问，确认于 {arrival} 接待客户 {customer}，并见证以上签字。（声明版本 {v}）"
        ),
    }
}

/// What is signed when the verdict before signing is already a natural
/// visit (自然到访): nobody confirms a 带看 the rules refuse. The customer
/// registers the visit; the agent may sign having seen the reasons; the
/// sales consultant witnesses.
pub fn natural_visit_statement(signer: Signer, f: &StatementFacts<'_>, reasons: &str) -> String {
    let (customer, v) = (f.customer(), STATEMENT_VERSION);
    let StatementFacts { project, agency, agent, arrival, .. } = f;
    match signer {
        Signer::Customer => format!("本人 {customer} 于 {arrival} 到访 {project}，按自然到访登记。（声明版本 {v}）"),
        Signer::Agent => format!(
            "本人 {agent}（{agency}）已知悉客户 {customer} 于 {arrival} 的到访按自然到访处理，原因：{reasons}（声明版本 {v}）"
        ),
        Signer::Sales => format!(
            "本人作为 {project} 现场置业顾问，见证客户 {customer} 于 {arrival} 的自然到访登记。（声明版本 {v}）"
        ),
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    const FACTS: StatementFacts<'static> = StatementFacts {
        project: "云境",
        agency: "链家-天河店",
        agent: "张三",
        reported_name: "王先生",
        arrived_name: "王小明",
        arrival: "2026-11-18 10:45",
    };

    #[test]
    fn every_statement_names_the_facts_it_confirms() {
        for signer in Signer::ALL {
            let text = statement(signer, &FACTS);
            for fact in ["云境", "王小明（报备姓名 王先生）", "2026-11-18 10:45", "（声明版本 v2）"]
            {
                assert!(text.contains(fact), "{signer:?}: {fact} missing from {text}");
            }
            assert!(!text.contains(',') && !text.contains('('), "full-width punctuation: {text}");
        }
        assert!(statement(Signer::Agent, &FACTS).contains("张三（链家-天河店）"));
    }

    #[test]
    fn a_name_as_reported_is_said_once() {
        let same = StatementFacts { arrived_name: "王先生", ..FACTS };
        assert!(!statement(Signer::Customer, &same).contains("报备姓名"));
    }

    #[test]
    fn a_natural_visit_statement_confirms_no_visit_with_the_agent() {
        let text = natural_visit_statement(Signer::Customer, &FACTS, "经纪人未陪同。");
        assert!(text.contains("按自然到访登记") && !text.contains("带看"), "{text}");
        assert!(natural_visit_statement(Signer::Agent, &FACTS, "经纪人未陪同。").contains("原因：经纪人未陪同。"));
    }
}
