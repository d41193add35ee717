//! The use cases that more than one entry point runs — the agent pages,
//! the agency API, the kiosk, the CLI and the demo: file a report, resolve
//! a scanned code, check a visit in, amend a record. Each is a plain
//! function over a `Store` (run inside one database job) plus the values it
//! needs from the deployment; the web handlers only parse and render.

pub mod amend;
pub mod checkin;
pub mod deals;
pub mod disputes;
pub mod fallback;
pub mod filing;
pub mod replay;
pub mod scan;
pub mod statements;
pub mod webhooks;

use crate::domain::filing::FilingRefusal;
use crate::store::StoreError;

/// Why a use case did not go through. The web layer turns each into a
/// stable error code; the CLI prints it.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The project's filing rules refused the report.
    #[error("{0}")]
    Filing(FilingRefusal),
    /// A scanned or typed code that does not open a report of this project.
    #[error("{0}")]
    CodeRefused(String),
    /// The signed-in person may not record visits at this kiosk now.
    #[error("{0}")]
    OperatorNotAllowed(&'static str),
    #[error("unknown project {0}")]
    UnknownProject(String),
    /// The report's QR key was retired: its code can no longer be shown.
    #[error("the key of this report's code was retired")]
    KeyRetired,
    #[error("{0}")]
    Invalid(String),
    /// The database job did not run or did not commit.
    #[error("{0}")]
    Db(#[from] crate::store::pool::DbError),
}

pub type ServiceResult<T> = Result<T, ServiceError>;
