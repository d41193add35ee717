//! Storage and ledger: each test opens a fresh database in a temporary
//! folder, through the same code the service uses.

mod checkin;
mod crash;
mod helpers;
mod import_backup;
mod ledger;
