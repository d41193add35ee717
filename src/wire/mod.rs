//! The JSON shapes that are stored or exchanged: the `panke judge` case and
//! verdict (`case`), and the ledger's record bodies (`record`). Edges parse
//! into domain types here; nothing here does I/O.

pub mod attribute;
pub mod case;
pub mod dispute;
pub mod record;
