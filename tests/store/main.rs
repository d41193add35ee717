//! Storage and ledger: each test opens a fresh database in a temporary
//! folder, through the same code the service uses.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

mod checkin;
mod crash;
mod disputes;
mod groups;
mod helpers;
mod import_backup;
mod ledger;
mod people_cli;
mod signatures;
mod transparency;
mod verify_since;
mod visits;
