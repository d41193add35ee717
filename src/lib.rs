//! panke (判客): QR-code check-in for the sales offices of Chinese
//! real-estate projects. `domain` holds the pure rules; everything with I/O
//! (config files, secrets, storage, the CLI) sits around it.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod pass_card;
pub mod password;
pub mod private_dir;
pub mod qr;
pub mod secrets;
pub mod service;
pub mod store;
pub mod time;
pub mod web;
pub mod wire;
