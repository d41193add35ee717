//! The web service over real HTTP: each test starts panke on a random port
//! with a fresh database and a clock it controls.

// Tests may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

mod agency_api;
mod agent_account;
mod agent_pages;
mod amendments;
mod arrival;
mod audit_page;
mod back_office;
mod back_office_roles;
mod deal_fixture;
mod deals;
mod dispute_privacy;
mod dispute_shares;
mod disputes_agent;
mod disputes_staff;
mod groups_rules_fallback;
mod helpers;
mod kiosk;
mod ledger;
mod pass_card;
mod people;
mod performance;
mod rejections;
mod release_fixture;
mod replay;
mod report_api;
mod report_outcomes;
mod sessions;
mod webhooks;
