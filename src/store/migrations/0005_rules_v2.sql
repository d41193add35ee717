-- panke schema 5: judging rules v2.

-- A visit panke judged valid names the agency and the end of its
-- protection, so later judgements see 保护期 (PROTECTED_BY_OTHER) and
-- return visits (复访). Imported and natural visits leave both NULL.
ALTER TABLE history ADD COLUMN agency TEXT;
ALTER TABLE history ADD COLUMN protected_until TEXT;

-- The arrival instant: the first read of a report's code at a kiosk of its
-- project, recorded before anything else and never moved.
CREATE TABLE first_reads (
    report_id  INTEGER PRIMARY KEY REFERENCES reports(id),
    project_id TEXT NOT NULL REFERENCES projects(id),
    at         TEXT NOT NULL,
    at_unix    INTEGER NOT NULL,
    kiosk_id   INTEGER REFERENCES kiosks(id),
    staff_id   INTEGER REFERENCES staff(id)
);
CREATE TRIGGER first_reads_never_move BEFORE UPDATE ON first_reads
BEGIN SELECT RAISE(ABORT, 'the first read of a code is never moved'); END;
CREATE TRIGGER first_reads_never_removed BEFORE DELETE ON first_reads
BEGIN SELECT RAISE(ABORT, 'the first read of a code is never removed'); END;

-- Customer groups (直系亲属 = one customer): phones staff linked together.
CREATE TABLE customer_group_members (
    project_id TEXT NOT NULL REFERENCES projects(id),
    group_id   INTEGER NOT NULL,
    phone      TEXT NOT NULL,
    PRIMARY KEY (project_id, phone)
);
CREATE INDEX customer_groups_by_group ON customer_group_members(project_id, group_id);

-- A kiosk visit names the report it was recorded for, or the live report a
-- walk-in was registered over: that report's own check-in later does not
-- count the desk's registration as a visit before (老客户).
ALTER TABLE history ADD COLUMN report_id INTEGER REFERENCES reports(id);

-- A walk-in registration (未报备客户登记): its arrival instant is when the
-- desk started it, recorded by the server.
CREATE TABLE walk_ins (
    id         INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id),
    at         TEXT NOT NULL,
    kiosk_id   INTEGER REFERENCES kiosks(id),
    staff_id   INTEGER REFERENCES staff(id),
    record_seq INTEGER REFERENCES ledger(seq)
);
