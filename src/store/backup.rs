//! Online backup with SQLite's backup API: consistent while the service
//! keeps writing. Restore = stop panke, put the file in place, start.

use super::{Store, StoreError, StoreResult};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;
use std::time::Duration;

impl Store {
    /// Copies the database to `dest` (which must not exist) page batch by
    /// page batch, letting writers in between, then writes the ledger head
    /// for the copy so `panke verify` on it checks the copied tail too.
    pub fn backup_to(&self, dest: &Path, mut progress: impl FnMut(i32, i32)) -> StoreResult<i64> {
        if dest.exists() {
            return Err(StoreError::Conflict(format!("{}: already exists; choose a new file", dest.display())));
        }
        let mut target = Connection::open(dest)?;
        {
            let backup = Backup::new(&self.conn, &mut target)?;
            loop {
                match backup.step(256)? {
                    StepResult::Done => break,
                    StepResult::More => {}
                    // Locked or busy: a writer is committing; give it a moment.
                    _ => std::thread::sleep(Duration::from_millis(5)),
                }
                let p = backup.progress();
                progress(p.pagecount - p.remaining, p.pagecount);
            }
        }
        // The copy is a standalone database: fold the WAL into it.
        target.pragma_update(None, "journal_mode", "DELETE")?;
        drop(target);
        let mut copy = Store::open(dest, &self.ledger_key)?;
        let last: Option<i64> =
            copy.conn.query_row("SELECT max(seq) FROM ledger", [], |r| r.get(0)).optional()?.flatten();
        // Both slots of the head file, as the live one has them.
        for seq in last.map(|n| (n - 1).max(1)..=n).into_iter().flatten() {
            let row = copy.ledger_row(seq)?;
            copy.appended(&row);
        }
        // Personal data: readable by the service's user only.
        for file in [dest.to_owned(), copy.head_path()] {
            restrict_to_owner(&file).map_err(|cause| StoreError::Folder { path: file.clone(), cause })?;
        }
        copy.ledger_len()
    }
}

/// Mode 0600: the backup holds the same personal data as the database.
fn restrict_to_owner(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}
