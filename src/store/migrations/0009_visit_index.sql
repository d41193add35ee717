-- panke schema 9: the visits as a table the back office lists and filters
-- (台账): one row per visit record, written in the record's transaction
-- from its sealed body (and filled in at start-up for older records). The
-- ledger stays the evidence; this is only its index.
CREATE TABLE visit_index (
    seq           INTEGER PRIMARY KEY,
    project_id    TEXT NOT NULL,
    arrived_at    TEXT NOT NULL,
    arrived_unix  INTEGER NOT NULL,
    agency        TEXT NOT NULL,
    agent         TEXT NOT NULL,
    verdict       TEXT NOT NULL,
    reasons       TEXT NOT NULL,
    off_hours     INTEGER NOT NULL,
    sales         TEXT NOT NULL,
    kiosk_id      INTEGER,
    customer_name TEXT NOT NULL,
    phone         TEXT NOT NULL,
    phone_head    TEXT NOT NULL,
    phone_tail    TEXT NOT NULL
);
CREATE INDEX visit_index_project ON visit_index (project_id, seq);
CREATE INDEX visit_index_phone ON visit_index (project_id, phone_head, phone_tail);
