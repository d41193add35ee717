//! The stored secret of an account, fetched without checking it: the web
//! layer checks it (argon2) outside the database connection, in a bounded
//! slot, and against a dummy hash when the account does not exist.

use super::{Store, StoreResult};
use rusqlite::OptionalExtension;

/// An account's id and its PHC hash (`None`: no secret set yet).
pub type StoredSecret = Option<(i64, Option<String>)>;

impl Store {
    /// An active agent's password hash, by phone.
    pub fn agent_secret(&self, phone: &crate::domain::phone::Phone) -> StoreResult<StoredSecret> {
        Ok(self
            .conn
            .query_row("SELECT id, password_hash FROM agents WHERE phone = ?1 AND active = 1", [phone.as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    /// An active staff member's password hash, by login.
    pub fn staff_password_secret(&self, login: &str) -> StoreResult<StoredSecret> {
        Ok(self
            .conn
            .query_row("SELECT id, password_hash FROM staff WHERE login = ?1 AND active = 1", [login], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    /// An active staff member's PIN hash.
    pub fn staff_pin_secret(&self, staff_id: i64) -> StoreResult<StoredSecret> {
        Ok(self
            .conn
            .query_row("SELECT id, pin_hash FROM staff WHERE id = ?1 AND active = 1", [staff_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }
}
