//! Files under `kiosk-config/`: what a deployment and its projects are set
//! up with.

pub mod deployment;
pub mod rules;
