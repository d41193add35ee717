-- panke schema 1. Instants are stored twice where queries need them:
-- RFC 3339 text with the original offset (what people read and the ledger
-- hashes) and unix seconds (what range queries use).

CREATE TABLE projects (
    id          TEXT PRIMARY KEY CHECK (id GLOB '[a-z0-9]*' AND length(id) BETWEEN 1 AND 40),
    name        TEXT NOT NULL,
    rules_sha256 TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);

-- 渠道公司: shared by every project of the deployment.
CREATE TABLE agencies (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    contract_end  TEXT,               -- local date YYYY-MM-DD, 委托代理期到期日
    created_at    TEXT NOT NULL
);

CREATE TABLE agents (
    id                 INTEGER PRIMARY KEY,
    agency_id          INTEGER NOT NULL REFERENCES agencies(id),
    name               TEXT NOT NULL,
    phone              TEXT NOT NULL UNIQUE,   -- sign-in name; full number
    password_hash      TEXT,                   -- argon2 PHC string; NULL until invited agent sets it
    invite_sha256      TEXT UNIQUE,            -- hash of the invitation secret
    invite_expires_at  INTEGER,
    active             INTEGER NOT NULL DEFAULT 1,
    created_at         TEXT NOT NULL
);

CREATE TABLE staff (
    id             INTEGER PRIMARY KEY,
    project_id     TEXT REFERENCES projects(id),  -- NULL: admin of the deployment
    login          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'desk', 'sales')),
    password_hash  TEXT,
    pin_hash       TEXT,
    active         INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    CHECK (role = 'admin' OR project_id IS NOT NULL)
);

-- 报备
CREATE TABLE reports (
    id                INTEGER PRIMARY KEY,
    project_id        TEXT NOT NULL REFERENCES projects(id),
    agency_id         INTEGER NOT NULL REFERENCES agencies(id),
    agent_id          INTEGER NOT NULL REFERENCES agents(id),
    customer_name     TEXT NOT NULL,
    customer_phone    TEXT NOT NULL,           -- full, or 前三后四 138****5678
    phone_head        TEXT NOT NULL,           -- first 3 digits, for same-customer lookups
    phone_tail        TEXT NOT NULL,           -- last 4 digits
    expected_arrival  TEXT,
    party_size        INTEGER CHECK (party_size IS NULL OR party_size BETWEEN 1 AND 50),
    note              TEXT,
    filed_at          TEXT NOT NULL,
    filed_unix        INTEGER NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'visited-valid', 'visited-invalid', 'expired', 'cancelled')),
    key_id            INTEGER NOT NULL,        -- the token key that signed its QR code
    manual_code       TEXT NOT NULL UNIQUE,
    idempotency_key   TEXT UNIQUE,             -- one report per form submission
    cancelled_at      TEXT,
    demo              INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX reports_by_customer ON reports(project_id, phone_head, phone_tail, filed_unix);
CREATE INDEX reports_by_agent ON reports(agent_id, filed_unix);

-- 来访登记: the developer's own visit records, imported or made by the kiosk.
CREATE TABLE history (
    id          INTEGER PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id),
    at          TEXT NOT NULL,
    at_unix     INTEGER NOT NULL,
    customer_name TEXT,
    phone       TEXT NOT NULL,                 -- full, or 前三后四
    phone_head  TEXT NOT NULL,
    phone_tail  TEXT NOT NULL,
    source      TEXT NOT NULL,
    dedup_key   TEXT NOT NULL UNIQUE           -- re-importing a line adds nothing
);
CREATE INDEX history_by_customer ON history(project_id, phone_head, phone_tail, at_unix);

-- 带看确认单: the append-only, hash-chained visit ledger.
CREATE TABLE ledger (
    seq          INTEGER PRIMARY KEY,          -- record number, 1, 2, 3 … without gaps
    kind         TEXT NOT NULL CHECK (kind IN ('visit', 'amendment')),
    project_id   TEXT NOT NULL REFERENCES projects(id),
    report_id    INTEGER REFERENCES reports(id),
    amends_seq   INTEGER REFERENCES ledger(seq),
    recorded_at  TEXT NOT NULL,
    body         TEXT NOT NULL,                -- canonical JSON of the record
    prev_sha256  TEXT NOT NULL,                -- SHA-256 of the previous row's canonical bytes
    row_hmac     TEXT NOT NULL,                -- HMAC-SHA256 of this row's canonical bytes, server key
    CHECK ((kind = 'amendment') = (amends_seq IS NOT NULL))
);
-- A report is checked in once: reading the same code again finds this row.
CREATE UNIQUE INDEX ledger_one_visit_per_report ON ledger(report_id) WHERE kind = 'visit' AND report_id IS NOT NULL;
CREATE INDEX ledger_by_project ON ledger(project_id, seq);

CREATE TABLE signatures (
    ledger_seq        INTEGER NOT NULL REFERENCES ledger(seq),
    signer            TEXT NOT NULL CHECK (signer IN ('customer', 'agent', 'sales')),
    png               BLOB NOT NULL,
    png_sha256        TEXT NOT NULL,
    width             INTEGER NOT NULL,
    height            INTEGER NOT NULL,
    strokes           TEXT NOT NULL,           -- JSON [[x, y, pressure, t_ms], …] per stroke
    statement         TEXT NOT NULL,           -- the text the signer signed
    statement_sha256  TEXT NOT NULL,
    PRIMARY KEY (ledger_seq, signer)
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,                 -- 'staff:3', 'agent:7', 'kiosk:2', 'cli', 'system'
    action      TEXT NOT NULL,
    project_id  TEXT,
    detail      TEXT NOT NULL DEFAULT ''
);

-- Evidence is never changed in place: corrections are new amendment rows.
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the visit ledger is append-only: add an amendment instead'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the visit ledger is append-only: records are never deleted'); END;
CREATE TRIGGER signatures_no_update BEFORE UPDATE ON signatures
BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END;
CREATE TRIGGER signatures_no_delete BEFORE DELETE ON signatures
BEGIN SELECT RAISE(ABORT, 'signatures are append-only'); END;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
