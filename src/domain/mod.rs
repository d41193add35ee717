//! Pure rules and values: no I/O, no clock, no randomness. Callers pass
//! instants and random numbers in, so every rule can be tested at any time.

pub mod amendment;
pub mod attribute;
pub mod dispute;
pub mod evidence;
pub mod filing;
pub mod judge;
pub mod manual_code;
pub mod merkle;
pub mod name;
pub mod phone;
pub mod reason;
pub mod rotation;
pub mod rules;
pub mod signature;
pub mod token;
pub mod transparency;
