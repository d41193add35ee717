//! SQLite storage: one database file (WAL, `synchronous=FULL`), migrations
//! applied at open, and one module per kind of record. All functions are
//! blocking; the web layer runs them off the async executor's threads.

pub mod amendments;
pub mod audit;
pub mod backup;
pub mod checkin;
pub mod confirmations;
pub mod credentials;
pub mod deals;
pub mod disputes;
pub mod first_reads;
pub mod groups;
pub mod history;
pub mod incidents;
pub mod kiosks;
pub mod ledger;
mod migrate;
pub mod people;
pub mod performance;
pub mod pool;
pub mod reports;
pub mod rule_history;
pub mod sessions;
pub mod timeline;
pub mod visits;
pub mod walk_ins;
pub mod webhooks;

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use migrate::SCHEMA_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "{path}: the database has schema version {found}, newer than this panke knows ({known}); run a newer panke"
    )]
    SchemaTooNew { path: PathBuf, found: i64, known: i64 },
    #[error("{path}: cannot create the database folder: {cause}")]
    Folder { path: PathBuf, cause: std::io::Error },
    #[error("not found: {0}")]
    NotFound(String),
    /// A uniqueness or state rule refused the write; the message is for
    /// the user.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    /// A rule of the record refused the write; the web edge gives it its
    /// code and words.
    #[error("refused: {0:?}")]
    Refused(Refusal),
    /// A dispute's step came after its period; the message names the date
    /// it was due by.
    #[error("{0}")]
    Late(String),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// The blocking task running the database work stopped (a panic).
    #[error("the database task stopped: {0}")]
    TaskStopped(String),
}

/// Why the store refused a write, for the edge to name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The report was cancelled before the visit.
    ReportCancelled,
    /// The sales consultant named is not an active sales consultant of the
    /// project.
    SalesNotAllowed,
    /// A walk-in whose phone has a live report: registering a natural visit
    /// over it needs the desk's explicit choice of that report.
    LiveReportFound,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An open database. Not `Sync`: give each thread its own `Store`.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    ledger_key: Vec<u8>,
    /// Signs the Merkle log's checkpoints (derived from the ledger key).
    checkpoint_key: ed25519_dalek::SigningKey,
    /// The ledger head file, opened on the first append.
    head_file: Option<std::fs::File>,
    /// The last record this handle committed (see `ledger::Tip`).
    tip: Option<ledger::Tip>,
    /// A record appended inside an outer transaction: the head file moves
    /// only once that transaction has committed (`Store::outer_committed`).
    /// The last two records appended inside an outer transaction (both
    /// slots of the head file are written once it commits).
    pending_head: Vec<ledger::LedgerRow>,
}

impl Store {
    /// Opens (creating if needed) the database and brings its schema up to
    /// date. `ledger_key` signs every ledger row (from the secrets file).
    pub fn open(path: &Path, ledger_key: &[u8]) -> StoreResult<Store> {
        if let Some(dir) = path.parent() {
            crate::private_dir::ensure_private_dir(dir)
                .map_err(|cause| StoreError::Folder { path: dir.to_owned(), cause })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // A new database gets 8 KB pages: a visit's ledger row (~2 KB of
        // canonical JSON) fills three of them to 4 KB's one, and its three
        // signatures' strokes (~1 KB each) two visits to a page (issue 16:
        // bytes per visit). An existing database keeps its page size.
        conn.pragma_update(None, "page_size", 8192)?;
        // WAL lets the kiosk read while a visit commits; FULL makes the
        // commit durable (fsync of the WAL) before anyone is told so.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // cache_size stays at SQLite's default: 8 MB and 32 MB caches were
        // measured (benches/ledger.rs) and made durable check-ins slower.
        // A check-in runs some 60 distinct statements; rusqlite keeps 16
        // prepared by default, and re-parsing the rest showed in the profile.
        conn.set_prepared_statement_cache_capacity(256);
        migrate::migrate(&mut conn, path)?;
        restrict_to_owner(path)?;
        Ok(Store {
            conn,
            path: path.to_owned(),
            ledger_key: ledger_key.to_vec(),
            checkpoint_key: crate::domain::transparency::derive_signing_key(ledger_key),
            head_file: None,
            tip: None,
            pending_head: Vec::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn schema_version(&self) -> StoreResult<i64> {
        Ok(self.conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
    }
}

/// A unit of writing: an IMMEDIATE transaction, or a savepoint when the
/// connection is already inside one (the web layer's group commit runs
/// many writes in one transaction, each in its own savepoint, so one
/// refused write does not undo the others).
pub(crate) enum WriteTx<'c> {
    Transaction(rusqlite::Transaction<'c>),
    Savepoint(rusqlite::Savepoint<'c>),
}

impl WriteTx<'_> {
    pub(crate) fn begin(conn: &mut Connection) -> rusqlite::Result<WriteTx<'_>> {
        if conn.is_autocommit() {
            conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map(WriteTx::Transaction)
        } else {
            conn.savepoint().map(WriteTx::Savepoint)
        }
    }

    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        match self {
            WriteTx::Transaction(t) => t.commit(),
            WriteTx::Savepoint(s) => s.commit(),
        }
    }
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            WriteTx::Transaction(t) => t,
            WriteTx::Savepoint(s) => s,
        }
    }
}

/// Turns a UNIQUE violation into a user-facing conflict message.
pub(crate) fn unique_violation(e: rusqlite::Error, message: &str) -> StoreError {
    match &e {
        // A UNIQUE or PRIMARY KEY conflict only: a CHECK or NOT NULL failure
        // is a fault, not a double submit.
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
        {
            StoreError::Conflict(message.to_owned())
        }
        _ => StoreError::Sqlite(e),
    }
}

/// The database and its WAL and shared-memory files hold personal data:
/// mode 0600 (SQLite creates them with the process's umask).
fn restrict_to_owner(db: &Path) -> StoreResult<()> {
    use std::os::unix::fs::PermissionsExt;
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let file = PathBuf::from(name);
        match std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(cause) => return Err(StoreError::Folder { path: file, cause }),
        }
    }
    Ok(())
}
