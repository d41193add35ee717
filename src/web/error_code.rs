//! Every stable error code the JSON API and the kiosk answer with, in one
//! list: its HTTP status and its message in both languages. The README and
//! `static/openapi.json` document this list (a test checks the OpenAPI
//! enum against it).

use axum::http::StatusCode;
use serde::Serialize;

macro_rules! error_codes {
    ($($variant:ident = $code:literal, $status:ident, $zh:literal, $en:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        pub enum ErrorCode {
            $(#[serde(rename = $code)] $variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            pub fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }

            pub fn zh(self) -> &'static str {
                match self { $(ErrorCode::$variant => $zh,)* }
            }

            pub fn en(self) -> &'static str {
                match self { $(ErrorCode::$variant => $en,)* }
            }
        }
    };
}

error_codes! {
    // Who is asking.
    Unauthenticated = "UNAUTHENTICATED", UNAUTHORIZED, "请先登录", "sign in first";
    SignIn = "SIGN_IN", UNPROCESSABLE_ENTITY, "请先在本设备上用 PIN 登录", "sign in on this tablet with your PIN first";
    NotPaired = "NOT_PAIRED", UNPROCESSABLE_ENTITY, "本设备尚未配对", "this tablet is not paired";
    OperatorNotAllowed = "OPERATOR_NOT_ALLOWED", FORBIDDEN,
        "只有判客岗(非工作时间也可由置业顾问)可以在前台登记到访", "only desk clerks (and, off hours, sales consultants) may record visits at the kiosk";
    Forbidden = "FORBIDDEN", FORBIDDEN, "无权访问", "not allowed";
    Csrf = "CSRF", FORBIDDEN, "表单已过期,请刷新页面后重试", "the form has expired; reload the page and try again";
    RateLimited = "RATE_LIMITED", TOO_MANY_REQUESTS, "尝试次数过多,请稍后再试", "too many attempts; try again later";
    Busy = "BUSY", SERVICE_UNAVAILABLE, "服务器繁忙,请稍后再试", "the server is busy; try again in a moment";
    BadPin = "BAD_PIN", UNPROCESSABLE_ENTITY, "PIN 不正确", "wrong PIN";
    // What was sent.
    BadRequest = "BAD_REQUEST", BAD_REQUEST, "请求格式不正确", "the request is malformed";
    BadJson = "BAD_JSON", UNPROCESSABLE_ENTITY, "请求内容不是有效的 JSON", "the body is not valid JSON of the expected shape";
    Invalid = "INVALID", UNPROCESSABLE_ENTITY, "输入内容不正确", "the input is not valid";
    BadName = "BAD_NAME", UNPROCESSABLE_ENTITY, "客户姓名不正确", "the customer's name is not valid";
    BadPhone = "BAD_PHONE", UNPROCESSABLE_ENTITY, "手机号格式不正确", "the phone number is not valid";
    BadSigner = "BAD_SIGNER", UNPROCESSABLE_ENTITY, "签名人应为客户、经纪人或置业顾问", "signer: customer, agent or sales";
    BadSignature = "BAD_SIGNATURE", UNPROCESSABLE_ENTITY, "签名无效,请重新签名", "a signature is not valid; sign again";
    UnknownProject = "UNKNOWN_PROJECT", UNPROCESSABLE_ENTITY, "请选择项目", "choose a project";
    UnknownAgent = "UNKNOWN_AGENT", UNPROCESSABLE_ENTITY, "该手机号不是本渠道的经纪人", "no active agent of this agency has that phone";
    SalesNotAllowed = "SALES_NOT_ALLOWED", UNPROCESSABLE_ENTITY,
        "所选置业顾问不是本项目在职的置业顾问", "the sales consultant chosen is not an active sales consultant of this project";
    NotFound = "NOT_FOUND", NOT_FOUND, "页面或记录不存在", "not found";
    MethodNotAllowed = "METHOD_NOT_ALLOWED", METHOD_NOT_ALLOWED, "不支持该请求方法", "this method is not allowed here";
    PayloadTooLarge = "PAYLOAD_TOO_LARGE", PAYLOAD_TOO_LARGE, "上传内容过大", "the request body is too large";
    UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE", UNSUPPORTED_MEDIA_TYPE,
        "请求内容类型不正确(应为 application/json)", "wrong content type (send application/json)";
    // The code and the report.
    CodeRefused = "CODE_REFUSED", UNPROCESSABLE_ENTITY, "二维码或手动码无效", "the code was refused";
    NoCode = "NO_CODE", UNPROCESSABLE_ENTITY, "画面中未识别到二维码", "no QR code found in the frame";
    Cancelled = "CANCELLED", CONFLICT, "该报备已撤销", "this report was cancelled";
    Gone = "GONE", GONE, "该报备已到访、过期或撤销,不再出示凭证", "the report was used, has expired or was cancelled: it has no pass any more";
    KeyRetired = "KEY_RETIRED", CONFLICT, "该报备的二维码密钥已停用,请重新报备", "this code's key was retired; file the report again";
    Conflict = "CONFLICT", CONFLICT, "与已有记录冲突", "this conflicts with an existing record";
    LiveReportFound = "LIVE_REPORT_FOUND", CONFLICT,
        "该客户有有效报备:请确认是否按自然到访登记,并选择该报备", "the customer has a live report: choose it explicitly to register a natural visit over it";
    // Filing refusals (rules.md): the report is not taken.
    ReportBeforeStart = "REPORT_BEFORE_START", CONFLICT, "项目尚未开始接受报备", "the project does not take reports yet";
    ProtectedByOtherAgency = "PROTECTED_BY_OTHER_AGENCY", CONFLICT, "该客户在其他渠道的保护期内", "the customer is protected for another agency";
    RepeatLimit = "REPEAT_LIMIT", CONFLICT, "本月对该客户的报备次数已达上限", "this month's report limit for the customer is reached";
    VisitedBefore = "VISITED_BEFORE", CONFLICT, "该客户近期已到访过", "the customer visited recently";
    NotPartner = "NOT_PARTNER", FORBIDDEN, "贵公司不是本项目的合作渠道", "your agency is not a partner of this project";
    CustomerContracted = "CUSTOMER_CONTRACTED", CONFLICT,
        "该客户已签约,不再受保护,不能报备", "the customer has signed a purchase contract and can no longer be reported";
    // Disputes.
    DisputeLate = "DISPUTE_LATE", UNPROCESSABLE_ENTITY, "已超过争议处理的期限", "the period for this step of the dispute is over";
    // The server.
    NotSaved = "NOT_SAVED", SERVICE_UNAVAILABLE, "保存失败,未记录任何内容,请重试", "the database could not commit; nothing was saved, try again";
    Internal = "INTERNAL", INTERNAL_SERVER_ERROR, "服务器内部错误,请稍后再试", "something went wrong on our side; try again";
}

impl ErrorCode {
    /// Both languages, as the pages and JSON messages show them.
    pub fn message(self) -> String {
        format!("{} / {}", self.zh(), self.en())
    }

    /// The code a framework rejection (bad path id, bad query, oversized
    /// or mistyped body) answers with.
    pub fn for_status(status: StatusCode) -> ErrorCode {
        match status {
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::BadJson,
            StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
            StatusCode::FORBIDDEN => ErrorCode::Forbidden,
            StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
            s if s.is_server_error() => ErrorCode::Internal,
            _ => ErrorCode::BadRequest,
        }
    }
}

impl From<crate::domain::filing::FilingRefusal> for ErrorCode {
    fn from(r: crate::domain::filing::FilingRefusal) -> Self {
        use crate::domain::filing::FilingRefusal as F;
        match r {
            F::BeforeReportingStart => ErrorCode::ReportBeforeStart,
            F::ProtectedByOtherAgency => ErrorCode::ProtectedByOtherAgency,
            F::RepeatLimit => ErrorCode::RepeatLimit,
            F::VisitedRecently => ErrorCode::VisitedBefore,
            F::NotPartner => ErrorCode::NotPartner,
            F::CustomerContracted => ErrorCode::CustomerContracted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serialises_as_its_stable_name_and_names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::json!(code.as_str()));
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            assert!(code.as_str().bytes().all(|b| b.is_ascii_uppercase() || b == b'_'));
            assert!(!code.zh().is_empty() && !code.en().is_empty());
        }
    }

    #[test]
    fn filing_refusals_keep_the_codes_of_the_domain() {
        use crate::domain::filing::FilingRefusal as F;
        for r in [
            F::NotPartner,
            F::BeforeReportingStart,
            F::ProtectedByOtherAgency,
            F::RepeatLimit,
            F::VisitedRecently,
            F::CustomerContracted,
        ] {
            assert_eq!(ErrorCode::from(r).as_str(), r.code());
        }
    }
}
