//! 员工及直系亲属: the developer's and the sales office's employees and
//! their immediate family, whose purchases are never channel performance
//! (reason `EMPLOYEE`). Entered one by one or imported (one phone per line),
//! removed when they leave; every change audited and followed by the
//! re-attribution of the subscriptions it touches.
//!
//! The list keeps no number: for each phone an HMAC-SHA256 of the full
//! number under the server's ledger key (`phone_hmac`), and its first three
//! and last four digits. **Matching:** a full phone is an employee's when
//! its HMAC is on the list — exactly, nothing else can match; a masked phone
//! (前三后四 or 前四后五, as reports and imported visits may carry) is an
//! employee's when an entry has the same first three and last four digits —
//! the only digits both forms keep, so a masked phone can match more than
//! one number (as the masked-phone rules of rules.md always do). Without
//! the key, the list does not give the numbers back (10^4 candidates per
//! entry would have to be tried against the HMAC, which needs the key).

use super::super::people::By;
use super::super::{Store, StoreError, StoreResult, WriteTx};
use super::import::{DealImportError, NOT_UTF8, normalise_header};
use super::{LineError, reattribute_after_change_in};
use crate::domain::phone::{CustomerPhone, Phone};
use chrono::{DateTime, Utc};
use data_encoding::HEXLOWER;
use hmac::Mac;
use rusqlite::{Connection, OptionalExtension, params};

/// An employee (or family member) on the list, as the back office shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmployeeEntry {
    /// Names the entry in forms (never the number).
    pub id: i64,
    /// 前三后四.
    pub phone_masked: String,
    /// 员工 / 家属 (no name is kept).
    pub note: String,
    pub added_by: String,
    pub added_at: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EmployeeImportSummary {
    pub lines: u64,
    pub added: u64,
    pub already_present: u64,
}

/// The keyed hash a full phone is listed by.
pub(crate) fn phone_hmac(key: &[u8], phone: &Phone) -> String {
    let mut mac = super::super::ledger::keyed(key);
    mac.update(b"panke-employee-phone-v1\n");
    mac.update(phone.as_str().as_bytes());
    HEXLOWER.encode(&mac.finalize().into_bytes())
}

/// Is `phone` an employee's (see the module's matching rules)?
pub(crate) fn is_employee_in(
    conn: &Connection,
    key: &[u8],
    project_id: &str,
    phone: &CustomerPhone,
) -> StoreResult<bool> {
    let found: bool = match phone {
        CustomerPhone::Full(full) => conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM employees
                 WHERE project_id = ?1 AND phone_hmac = ?2 AND removed_at IS NULL)",
            )?
            .query_row(params![project_id, phone_hmac(key, full)], |r| r.get(0))?,
        CustomerPhone::Masked(masked) => conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM employees
                 WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3 AND removed_at IS NULL)",
            )?
            .query_row(params![project_id, masked.head(), masked.tail()], |r| r.get(0))?,
    };
    Ok(found)
}

/// 员工 when left empty; otherwise a short visible text.
fn checked_note(raw: &str) -> StoreResult<String> {
    match raw.trim() {
        "" => Ok("员工".to_owned()),
        note => super::super::people::checked_name(note, "备注", "note"),
    }
}

/// Lists `phone` (again, if it was removed); `false` when it is listed
/// already.
fn add_in(
    conn: &Connection,
    key: &[u8],
    project_id: &str,
    phone: &Phone,
    note: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let hmac = phone_hmac(key, phone);
    let existing: Option<Option<String>> = conn
        .prepare_cached("SELECT removed_at FROM employees WHERE project_id = ?1 AND phone_hmac = ?2")?
        .query_row(params![project_id, hmac], |r| r.get(0))
        .optional()?;
    let at = crate::time::stamp(now);
    match existing {
        Some(None) => Ok(false),
        Some(Some(_)) => {
            conn.prepare_cached(
                "UPDATE employees SET removed_at = NULL, note = ?3, added_by = ?4, added_at = ?5
                 WHERE project_id = ?1 AND phone_hmac = ?2",
            )?
            .execute(params![project_id, hmac, note, actor, at])?;
            Ok(true)
        }
        None => {
            let masked = phone.masked();
            conn.prepare_cached(
                "INSERT INTO employees (project_id, phone_hmac, phone_head, phone_tail, note, added_by, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![project_id, hmac, masked.head(), masked.tail(), note, actor, at])?;
            Ok(true)
        }
    }
}

/// The full phones the project knows (subscriptions, customer groups) whose
/// HMAC is `hmac`: whose subscriptions a removed entry may have touched.
fn known_phones_in(
    conn: &Connection,
    key: &[u8],
    project_id: &str,
    (head, tail, hmac): (&str, &str, &str),
) -> StoreResult<Vec<Phone>> {
    let mut candidates: Vec<String> = conn
        .prepare_cached(
            "SELECT phone FROM subscriptions WHERE project_id = ?1 AND phone_head = ?2 AND phone_tail = ?3",
        )?
        .query_map(params![project_id, head, tail], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let members: Vec<String> = conn
        .prepare_cached(
            "SELECT phone FROM customer_group_members
             WHERE project_id = ?1 AND substr(phone, 1, 3) = ?2 AND substr(phone, 8, 4) = ?3",
        )?
        .query_map(params![project_id, head, tail], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    candidates.extend(members);
    let mut phones: Vec<Phone> = Vec::new();
    for p in candidates.iter().filter_map(|c| Phone::parse(c).ok()) {
        if phone_hmac(key, &p) == hmac && !phones.contains(&p) {
            phones.push(p);
        }
    }
    Ok(phones)
}

impl Store {
    /// Puts a phone on the project's employees list (员工 or 家属 in
    /// `note`); audited; the subscriptions of that customer are attributed
    /// again (cause `employees`).
    pub fn add_employee(
        &mut self,
        project_id: &str,
        phone: &Phone,
        note: &str,
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let note = checked_note(note)?;
        let tx = WriteTx::begin(&mut self.conn)?;
        if !add_in(&tx, &self.ledger_key, project_id, phone, &note, by.actor, now)? {
            return Err(StoreError::Conflict(
                "该手机号已在员工名单中 / this phone is already on the employees list".into(),
            ));
        }
        super::super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            by.actor,
            "employee.add",
            Some(project_id),
            &format!("{} ({note})", phone.masked()),
        )?;
        let rows = reattribute_after_change_in(
            &tx,
            &self.ledger_key,
            self.tip.clone(),
            project_id,
            &[*phone],
            "employees",
            now,
        )?;
        tx.commit()?;
        self.appended_all(&rows);
        Ok(())
    }

    /// Takes entry `id` off the project's list (kept, with the time it was
    /// removed); audited; the subscriptions it touched are attributed again.
    pub fn remove_employee(&mut self, project_id: &str, id: i64, by: By<'_>, now: DateTime<Utc>) -> StoreResult<()> {
        let tx = WriteTx::begin(&mut self.conn)?;
        let found: Option<(String, String, String)> = tx
            .query_row(
                "SELECT phone_hmac, phone_head, phone_tail FROM employees
                 WHERE rowid = ?1 AND project_id = ?2 AND removed_at IS NULL",
                params![id, project_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((hmac, head, tail)) = found else {
            return Err(StoreError::NotFound(format!("employee {id}")));
        };
        tx.execute("UPDATE employees SET removed_at = ?1 WHERE rowid = ?2", params![crate::time::stamp(now), id])?;
        super::super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            by.actor,
            "employee.remove",
            Some(project_id),
            &format!("{head}****{tail}"),
        )?;
        let phones = known_phones_in(&tx, &self.ledger_key, project_id, (&head, &tail, &hmac))?;
        let rows = reattribute_after_change_in(
            &tx,
            &self.ledger_key,
            self.tip.clone(),
            project_id,
            &phones,
            "employees",
            now,
        )?;
        tx.commit()?;
        self.appended_all(&rows);
        Ok(())
    }

    /// The project's employees list (entries not removed), newest first.
    pub fn employees(&self, project_id: &str) -> StoreResult<Vec<EmployeeEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT rowid, phone_head, phone_tail, note, added_by, added_at FROM employees
             WHERE project_id = ?1 AND removed_at IS NULL ORDER BY added_at DESC, rowid DESC",
        )?;
        let rows = stmt.query_map([project_id], |r| {
            let (head, tail): (String, String) = (r.get(1)?, r.get(2)?);
            Ok(EmployeeEntry {
                id: r.get(0)?,
                phone_masked: format!("{head}****{tail}"),
                note: r.get(3)?,
                added_by: r.get(4)?,
                added_at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Imports a CSV of phones, one per line, under a header naming the
    /// column (手机号 / phone; an optional 备注 / note column says 员工 or
    /// 家属). Every line is checked first: with any bad line nothing is
    /// written. Phones already listed are skipped. Audited as one import.
    pub fn import_employees(
        &mut self,
        project_id: &str,
        csv_bytes: &[u8],
        by: By<'_>,
        now: DateTime<Utc>,
    ) -> Result<EmployeeImportSummary, DealImportError> {
        let text = std::str::from_utf8(csv_bytes).map_err(|_| DealImportError::Format(NOT_UTF8.into()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
        let unreadable = |e: csv::Error| DealImportError::Format(format!("CSV 无法读取 / the CSV cannot be read: {e}"));
        let headers = reader.headers().map_err(unreadable)?.clone();
        let column = |names: &[&str]| headers.iter().position(|h| names.contains(&normalise_header(h).as_str()));
        let Some(phone_col) = column(&["手机号", "手机号码", "手机", "电话", "联系电话", "phone"])
        else {
            return Err(DealImportError::Format(
                "第一行应为表头,并有“手机号”一列 / the first row must name the columns, one of them 手机号 (phone)"
                    .into(),
            ));
        };
        let note_col = column(&["备注", "关系", "身份", "note"]);
        let mut listed: Vec<(Phone, String)> = Vec::new();
        let mut errors = Vec::new();
        for record in reader.records() {
            let record = record.map_err(unreadable)?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            if record.iter().all(str::is_empty) {
                continue;
            }
            let phone = match Phone::parse(record.get(phone_col).unwrap_or("")) {
                Ok(p) => p,
                Err(e) => {
                    errors.push(LineError { line, message: e.to_string() });
                    continue;
                }
            };
            match checked_note(note_col.and_then(|i| record.get(i)).unwrap_or("")) {
                Ok(note) => listed.push((phone, note)),
                Err(e) => errors.push(LineError { line, message: e.to_string() }),
            }
        }
        if !errors.is_empty() {
            return Err(DealImportError::BadLines(errors));
        }
        if listed.is_empty() {
            return Err(DealImportError::Format("文件中没有手机号 / the file holds no phone".into()));
        }
        let tx = WriteTx::begin(&mut self.conn)?;
        let mut summary = EmployeeImportSummary { lines: listed.len() as u64, ..EmployeeImportSummary::default() };
        let mut added = Vec::new();
        for (phone, note) in &listed {
            if add_in(&tx, &self.ledger_key, project_id, phone, note, by.actor, now)? {
                summary.added += 1;
                added.push(*phone);
            } else {
                summary.already_present += 1;
            }
        }
        super::super::audit::record_in(
            &tx,
            &self.ledger_key,
            now,
            by.actor,
            "employee.import",
            Some(project_id),
            &format!("{} lines, {} added, {} already present", summary.lines, summary.added, summary.already_present),
        )?;
        let rows =
            reattribute_after_change_in(&tx, &self.ledger_key, self.tip.clone(), project_id, &added, "employees", now)?;
        tx.commit()?;
        self.appended_all(&rows);
        Ok(summary)
    }
}
