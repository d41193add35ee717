-- panke schema 10: amendments that mean something. The ledger keeps the
-- evidence; these columns are what the record's amendments make of it,
-- recomputed from the record and all its amendments whenever one is added
-- (store/amendments.rs), so they can always be rebuilt.

-- The visit a history row was written for (kiosk visits; imported lines
-- have none), and whether that visit was voided: a voided visit is no
-- visit before, and gives no protection.
ALTER TABLE history ADD COLUMN record_seq INTEGER;
ALTER TABLE history ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;
UPDATE history SET record_seq = CAST(substr(source, 14) AS INTEGER) WHERE source LIKE 'kiosk:record %';
CREATE INDEX history_by_record ON history(record_seq) WHERE record_seq IS NOT NULL;

-- The amendment that voided the report's visit (the report reads 已作废).
ALTER TABLE reports ADD COLUMN voided_by INTEGER;

ALTER TABLE visit_index ADD COLUMN voided INTEGER NOT NULL DEFAULT 0;
ALTER TABLE visit_index ADD COLUMN amended INTEGER NOT NULL DEFAULT 0;

-- Files attached to amendments, named by their SHA-256 (which the
-- amendment seals in the ledger). Kept in the database so a backup holds
-- them; never changed or removed.
CREATE TABLE attachments (
    sha256      TEXT PRIMARY KEY,
    mime        TEXT NOT NULL CHECK (mime IN ('image/jpeg', 'image/png', 'application/pdf')),
    name        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    bytes       BLOB NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments
BEGIN SELECT RAISE(ABORT, 'attachments are append-only'); END;
CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments
BEGIN SELECT RAISE(ABORT, 'attachments are append-only'); END;

-- The back office filters visits by arrival period.
CREATE INDEX visit_index_arrived ON visit_index (project_id, arrived_unix);
-- … and by the last four digits of the customer's phone (what a caller reads out).
CREATE INDEX visit_index_tail ON visit_index (project_id, phone_tail);
