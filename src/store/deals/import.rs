//! The developer's sales export (明源-style 认购/签约 台账), CSV (UTF-8) or
//! xlsx (the first worksheet), with the discipline of the history import:
//!
//! - **All or nothing.** Every line is checked first; with any bad line
//!   nothing is written and each bad line is named — by its line in the CSV
//!   file, or its row number in the spreadsheet (as Excel shows it).
//! - **Idempotent.** A subscription is the same subscription when it has the
//!   same 认购单号 (external id), or else the same unit, instant and phone:
//!   importing a file twice adds nothing. What a known subscription's line
//!   brings beyond a new status is ignored.
//! - **Status.** A line with a 签约日期 (or 状态 签约) makes its subscription
//!   contracted; 状态 退订 (or a 退订日期) cancelled — also for a
//!   subscription imported or entered before, which is then updated
//!   (audited, and attributed again).
//!
//! The header row is found among the first ten rows (a title row above it
//! is skipped); columns are matched by their Chinese (or English) names,
//! see `ALIASES`. Each new subscription is attributed (cause `imported`).

use super::super::history::LineError;
use super::super::{Store, StoreError, WriteTx};
use super::{
    Appender, DealStatus, Inserted, NewSubscription, SalesRef, Standing, SubscriptionText, attribute_subscription_in,
    insert_in, parse_local_time, reattribute_customer_in, resolve_sales_in, set_cancelled_in, set_contracted_in,
    status_in,
};
use crate::domain::phone::Phone;
use crate::domain::rules::Rules;
use chrono::{DateTime, FixedOffset, Utc};
use chrono_tz::Tz;

/// The message for a CSV file that is not UTF-8 (Excel's “CSV” in GBK).
pub(crate) const NOT_UTF8: &str = "文件不是 UTF-8 编码的 CSV:请在 Excel 中另存为“CSV UTF-8”,或直接上传 xlsx / \
     the file is not UTF-8 CSV: save it as “CSV UTF-8” in Excel, or upload the xlsx";

/// At most this many lines per file.
const MAX_LINES: usize = 100_000;

/// Where the lines go and who imports them.
#[derive(Debug, Clone, Copy)]
pub struct DealImport<'a> {
    pub project_id: &'a str,
    /// `staff:3`.
    pub actor: &'a str,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DealImportSummary {
    /// Lines with a subscription.
    pub lines: u64,
    /// New subscriptions.
    pub added: u64,
    /// Known subscriptions whose status the file changed (签约, 退订).
    pub updated: u64,
    pub already_present: u64,
    /// Attribution entries appended to the ledger.
    pub attributions: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum DealImportError {
    #[error("{} bad line(s); nothing was imported", .0.len())]
    BadLines(Vec<LineError>),
    /// The file as a whole cannot be read (its message is for people).
    #[error("{0}")]
    Format(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for DealImportError {
    fn from(e: rusqlite::Error) -> Self {
        DealImportError::Store(e.into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Phone,
    Unit,
    Product,
    Price,
    SubscribedAt,
    ContractedAt,
    CancelledAt,
    DepositAt,
    DownPaymentAt,
    Sales,
    ExternalId,
    Status,
}

/// The column names each field is found by (as `normalise_header` leaves
/// them: no spaces, ASCII parentheses, lower case).
const ALIASES: &[(Field, &[&str])] = &[
    (Field::Name, &["客户名称", "客户姓名", "客户", "姓名", "认购人", "购房人", "customer_name", "name"]),
    (
        Field::Phone,
        &["联系电话", "手机号码", "手机号", "手机", "电话", "客户电话", "联系方式", "customer_phone", "phone"],
    ),
    (Field::Unit, &["房间", "房号", "房间号", "房间编号", "房源", "房屋", "unit"]),
    (Field::Product, &["产品类型", "业态", "产品", "物业类型", "product"]),
    (
        Field::Price,
        &[
            "成交总价",
            "认购总价",
            "总价(元)",
            "总价",
            "成交总价(元)",
            "认购总价(元)",
            "成交金额",
            "成交金额(元)",
            "合同总价",
            "price_yuan",
            "price",
        ],
    ),
    (Field::SubscribedAt, &["认购日期", "认购时间", "subscribed_at"]),
    (Field::ContractedAt, &["签约日期", "签约时间", "contracted_at"]),
    (Field::CancelledAt, &["退订日期", "退订时间", "cancelled_at"]),
    (Field::DepositAt, &["定金日期", "定金时间", "交定金日期", "deposit_at"]),
    (Field::DownPaymentAt, &["首付日期", "首付时间", "首付款日期", "down_payment_at"]),
    (Field::Sales, &["置业顾问", "销售顾问", "销售员", "sales", "sales_name"]),
    (Field::ExternalId, &["认购单号", "订单编号", "认购编号", "单号", "external_id"]),
    (Field::Status, &["状态", "认购状态", "交易状态", "status"]),
];

const REQUIRED: [(Field, &str); 6] = [
    (Field::Name, "客户名称"),
    (Field::Phone, "联系电话"),
    (Field::Unit, "房间"),
    (Field::Product, "产品类型"),
    (Field::Price, "成交总价"),
    (Field::SubscribedAt, "认购日期"),
];

/// A header as compared: without white space, BOM or `*` (required-column
/// marks), full-width parentheses made ASCII, lower case.
pub(crate) fn normalise_header(h: &str) -> String {
    h.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{feff}' && *c != '*')
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

/// Every row of the file with its number as the file shows it.
type Rows = Vec<(u64, Vec<String>)>;

/// xlsx by its first bytes (a zip archive), CSV otherwise.
fn read_table(bytes: &[u8]) -> Result<Rows, DealImportError> {
    if bytes.starts_with(b"PK\x03\x04") { read_xlsx(bytes) } else { read_csv(bytes) }
}

fn read_csv(bytes: &[u8]) -> Result<Rows, DealImportError> {
    let text = std::str::from_utf8(bytes).map_err(|_| DealImportError::Format(NOT_UTF8.into()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|e| DealImportError::Format(format!("CSV 无法读取 / the CSV cannot be read: {e}")))?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        rows.push((line, record.iter().map(str::to_owned).collect()));
        if rows.len() > MAX_LINES + 10 {
            return Err(too_many());
        }
    }
    Ok(rows)
}

fn too_many() -> DealImportError {
    DealImportError::Format(format!(
        "文件超过 {MAX_LINES} 行,请分批导入 / the file has more than {MAX_LINES} lines: import it in parts"
    ))
}

fn read_xlsx(bytes: &[u8]) -> Result<Rows, DealImportError> {
    use calamine::Reader;
    let unreadable =
        |e: String| DealImportError::Format(format!("xlsx 文件无法读取 / the xlsx file cannot be read: {e}"));
    type Source<'b> = std::io::Cursor<&'b [u8]>;
    let mut book =
        calamine::open_workbook_from_rs::<calamine::Xlsx<Source<'_>>, Source<'_>>(std::io::Cursor::new(bytes))
            .map_err(|e: calamine::XlsxError| unreadable(e.to_string()))?;
    let Some(range) = book.worksheet_range_at(0) else {
        return Err(unreadable("没有工作表 / it has no worksheet".into()));
    };
    let range = range.map_err(|e| unreadable(e.to_string()))?;
    // Spreadsheet rows count from 1; the range starts where the sheet's
    // data does.
    let first = u64::from(range.start().map(|(row, _)| row).unwrap_or(0)) + 1;
    let mut rows = Vec::new();
    for (i, row) in range.rows().enumerate() {
        rows.push((first + i as u64, row.iter().map(cell_text).collect()));
        if rows.len() > MAX_LINES + 10 {
            return Err(too_many());
        }
    }
    Ok(rows)
}

/// A cell as text: whole numbers without a decimal point (phones and prices
/// are often numbers in Excel), dates as `2026-11-20` (or with the time of
/// day when it has one).
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::DateTime(t) => {
            let (y, mo, d, h, mi, s, _) = t.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{d:02}")
            } else {
                format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTimeIso(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

/// The header row (its index among `rows`) and the fields' columns.
fn find_header(rows: &Rows) -> Result<(usize, Vec<(Field, usize)>), DealImportError> {
    let map = |cells: &[String]| -> Vec<(Field, usize)> {
        let mut found: Vec<(Field, usize)> = Vec::new();
        for (i, h) in cells.iter().enumerate() {
            let h = normalise_header(h);
            let field = ALIASES.iter().find(|(_, names)| names.contains(&h.as_str())).map(|(f, _)| *f);
            if let Some(field) = field
                && !found.iter().any(|(f, _)| *f == field)
            {
                found.push((field, i));
            }
        }
        found
    };
    let candidates = rows.iter().enumerate().filter(|(_, (_, cells))| cells.iter().any(|c| !c.trim().is_empty()));
    let mut first_found: Option<Vec<(Field, usize)>> = None;
    for (index, (_, cells)) in candidates.take(10) {
        let found = map(cells.as_slice());
        if REQUIRED.iter().all(|(f, _)| found.iter().any(|(g, _)| g == f)) {
            return Ok((index, found));
        }
        if first_found.is_none() {
            first_found = Some(found);
        }
    }
    let found = first_found.unwrap_or_default();
    let missing: Vec<&str> =
        REQUIRED.iter().filter(|(f, _)| !found.iter().any(|(g, _)| g == f)).map(|(_, name)| *name).collect();
    Err(DealImportError::Format(format!(
        "找不到表头或缺少列:{} / no header row with the columns needed (missing: {})",
        missing.join("、"),
        missing.join(", ")
    )))
}

/// One line, checked.
struct Line {
    new: NewSubscription,
    status: DealStatus,
    contracted_at: Option<DateTime<FixedOffset>>,
    cancelled_at: Option<DateTime<FixedOffset>>,
}

/// 联系电话 may hold more than one number (`138…/139…`): the first is the
/// subscriber's.
fn first_phone(raw: &str) -> String {
    raw.split(['/', ';', '；', ',', '，', '、']).map(str::trim).find(|p| !p.is_empty()).unwrap_or("").to_owned()
}

/// 状态 as written: `None` for an unknown word, `Some(None)` when empty.
fn status_word(raw: &str) -> Option<Option<DealStatus>> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" => Some(None),
        "认购" | "已认购" | "subscribed" => Some(Some(DealStatus::Subscribed)),
        "签约" | "已签约" | "网签" | "已网签" | "contracted" => Some(Some(DealStatus::Contracted)),
        "退订" | "已退订" | "退房" | "cancelled" | "canceled" => Some(Some(DealStatus::Cancelled)),
        _ => None,
    }
}

fn parse_line(
    cells: &[String],
    columns: &[(Field, usize)],
    project_id: &str,
    tz: Tz,
    now_local: DateTime<FixedOffset>,
) -> Result<Line, String> {
    let get = |field: Field| {
        columns.iter().find(|(f, _)| *f == field).and_then(|(_, i)| cells.get(*i)).map(|s| s.trim()).unwrap_or("")
    };
    let text = SubscriptionText {
        customer_name: get(Field::Name).to_owned(),
        customer_phone: first_phone(get(Field::Phone)),
        unit: get(Field::Unit).to_owned(),
        product: get(Field::Product).to_owned(),
        price_yuan: get(Field::Price).to_owned(),
        subscribed_at: get(Field::SubscribedAt).to_owned(),
        deposit_at: get(Field::DepositAt).to_owned(),
        down_payment_at: get(Field::DownPaymentAt).to_owned(),
        external_id: get(Field::ExternalId).to_owned(),
    };
    let sales = Some(get(Field::Sales)).filter(|s| !s.is_empty()).map(|s| SalesRef::Name(s.to_owned()));
    let new = NewSubscription::parse(project_id, &text, sales, tz)?;
    let date = |field: Field, zh: &str, en: &str| -> Result<Option<DateTime<FixedOffset>>, String> {
        match get(field) {
            "" => Ok(None),
            raw => parse_local_time(raw, tz)
                .map(Some)
                .ok_or_else(|| format!("{zh}格式不正确(如 2026-11-25)/ the {en} is not a date such as 2026-11-25")),
        }
    };
    let contracted_at = date(Field::ContractedAt, "签约日期", "contract date")?;
    let cancelled_at = date(Field::CancelledAt, "退订日期", "cancellation date")?;
    let Some(word) = status_word(get(Field::Status)) else {
        return Err("状态应为 认购、签约 或 退订 / status: 认购, 签约 or 退订".into());
    };
    let status = if word == Some(DealStatus::Cancelled) || cancelled_at.is_some() {
        DealStatus::Cancelled
    } else if word == Some(DealStatus::Contracted) || contracted_at.is_some() {
        DealStatus::Contracted
    } else {
        DealStatus::Subscribed
    };
    if status == DealStatus::Contracted && contracted_at.is_none() {
        return Err("状态为签约,但没有签约日期 / status 签约 needs a 签约日期 (contract date)".into());
    }
    for (at, zh, en) in [(contracted_at, "签约", "contract"), (cancelled_at, "退订", "cancellation")] {
        if at.is_some_and(|t| t < new.subscribed_at) {
            return Err(format!("{zh}日期早于认购日期 / the {en} date comes before the subscription"));
        }
    }
    // A cancellation without its date is taken as of the import.
    let cancelled_at = match status {
        DealStatus::Cancelled => Some(cancelled_at.unwrap_or(now_local)),
        _ => None,
    };
    Ok(Line { new, status, contracted_at, cancelled_at })
}

impl Store {
    /// Imports the sales export `bytes` (CSV or xlsx) into `job.project_id`,
    /// attributing each new subscription with `rules` — all in one
    /// transaction, all or nothing (see the module).
    pub fn import_subscriptions(
        &mut self,
        job: &DealImport<'_>,
        bytes: &[u8],
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> Result<DealImportSummary, DealImportError> {
        let DealImport { project_id, actor } = *job;
        self.project(project_id)?;
        let tz = rules.timezone;
        let now_local = now.with_timezone(&tz).fixed_offset();
        let rows = read_table(bytes)?;
        let (header, columns) = find_header(&rows)?;
        let mut lines = Vec::new();
        let mut errors = Vec::new();
        for (line, cells) in rows.iter().skip(header + 1) {
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            match parse_line(cells, &columns, project_id, tz, now_local) {
                Ok(l) => lines.push(l),
                Err(message) => errors.push(LineError { line: *line, message }),
            }
        }
        if !errors.is_empty() {
            return Err(DealImportError::BadLines(errors));
        }
        if lines.is_empty() {
            return Err(DealImportError::Format("文件中没有认购记录 / the file holds no subscription".into()));
        }

        let tx = WriteTx::begin(&mut self.conn)?;
        let mut summary = DealImportSummary { lines: lines.len() as u64, ..DealImportSummary::default() };
        let mut added: Vec<(DateTime<FixedOffset>, i64)> = Vec::new();
        let mut added_phones: Vec<Phone> = Vec::new();
        let mut contracted: Vec<i64> = Vec::new();
        let mut cancelled_phones: Vec<Phone> = Vec::new();
        for l in &lines {
            let sales = resolve_sales_in(&tx, project_id, l.new.sales.as_ref())?;
            let standing = Standing { status: l.status, contracted_at: l.contracted_at, cancelled_at: l.cancelled_at };
            match insert_in(&tx, &l.new, sales, &standing, "import", now)? {
                Inserted::New(id) => {
                    summary.added += 1;
                    added.push((l.new.subscribed_at, id));
                    added_phones.push(l.new.phone);
                }
                Inserted::Existing(id) => match (status_in(&tx, id)?, l.status, l.contracted_at, l.cancelled_at) {
                    (DealStatus::Subscribed, DealStatus::Contracted, Some(at), _) => {
                        set_contracted_in(&tx, &self.ledger_key, id, at, actor, now)?;
                        contracted.push(id);
                        summary.updated += 1;
                    }
                    (DealStatus::Subscribed | DealStatus::Contracted, DealStatus::Cancelled, _, Some(at)) => {
                        let (_, phone) = set_cancelled_in(&tx, &self.ledger_key, id, at, actor, now)?;
                        cancelled_phones.push(phone);
                        summary.updated += 1;
                    }
                    _ => summary.already_present += 1,
                },
            }
        }
        super::super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            actor,
            "deal.import",
            Some(project_id),
            &format!(
                "{} lines, {} added, {} updated, {} already present",
                summary.lines, summary.added, summary.updated, summary.already_present
            ),
        )?;
        // Attributed once every line is in, oldest first: a subscription
        // sees every earlier one of its customer, whatever the file's order.
        added.sort();
        let mut app = Appender::new(&self.ledger_key, self.tip.clone());
        for (_, id) in &added {
            attribute_subscription_in(&tx, &mut app, rules, *id, "imported", now)?;
        }
        for id in &contracted {
            attribute_subscription_in(&tx, &mut app, rules, *id, "contract", now)?;
        }
        reattribute_customer_in(&tx, &mut app, rules, project_id, &added_phones, "imported", now)?;
        reattribute_customer_in(&tx, &mut app, rules, project_id, &cancelled_phones, "cancel", now)?;
        let rows = app.into_rows();
        summary.attributions = rows.len() as u64;
        tx.commit()?;
        self.appended_all(&rows);
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn the_header_is_found_below_a_title_row_by_its_chinese_names() {
        let rows: Rows = vec![
            (1, row(&["云境项目认购台账"])),
            (2, row(&["认购单号", "客户名称", "联系电话", "房间", "业态", "成交总价（元）", "认购日期", "签约日期"])),
        ];
        let (index, columns) = find_header(&rows).unwrap();
        assert_eq!(index, 1);
        assert!(columns.contains(&(Field::Price, 5)) && columns.contains(&(Field::ContractedAt, 7)));
    }

    #[test]
    fn a_missing_column_is_named() {
        let rows: Rows = vec![(1, row(&["客户名称", "联系电话"]))];
        let Err(DealImportError::Format(message)) = find_header(&rows) else { panic!("refused") };
        assert!(message.contains("房间") && message.contains("认购日期"), "{message}");
    }

    #[test]
    fn a_contract_date_makes_the_line_contracted_and_a_cancellation_wins() {
        let tz = chrono_tz::Asia::Shanghai;
        let now = parse_local_time("2026-12-01 10:00", tz).unwrap();
        let columns = vec![
            (Field::Name, 0),
            (Field::Phone, 1),
            (Field::Unit, 2),
            (Field::Product, 3),
            (Field::Price, 4),
            (Field::SubscribedAt, 5),
            (Field::ContractedAt, 6),
            (Field::Status, 7),
        ];
        let line = |contract: &str, status: &str| {
            parse_line(
                &row(&[
                    "王小明",
                    "13812345678/13900001111",
                    "3-1-1201",
                    "住宅",
                    "2000000",
                    "2026-11-20",
                    contract,
                    status,
                ]),
                &columns,
                "demo",
                tz,
                now,
            )
        };
        let l = line("2026-11-25", "").unwrap();
        assert_eq!((l.status, l.new.phone.as_str()), (DealStatus::Contracted, "13812345678"));
        assert_eq!(line("", "退订").unwrap().cancelled_at, Some(now));
        assert!(line("", "签约").is_err(), "签约 without its date");
        assert!(line("2026-11-01", "").is_err(), "a contract before the subscription");
        assert!(line("", "作废").is_err(), "an unknown status");
    }
}
