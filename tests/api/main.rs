//! The web service over real HTTP: each test starts panke on a random port
//! with a fresh database and a clock it controls.

mod agency_api;
mod agent_pages;
mod helpers;
mod kiosk;
