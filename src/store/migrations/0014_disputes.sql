-- panke schema 14: disputes (撞单 / 申诉) — the claim, its evidence, the
-- ruling and one appeal — and what a ruling does to a deal's attribution.

-- The ledger takes a fourth kind of entry: a dispute's step (opened,
-- evidence attached with its SHA-256, appealed, ruled, withdrawn). Same
-- documented procedure as schema 13.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (kind IN (''visit'', ''amendment'', ''attribution''))', 'CHECK (kind IN (''visit'', ''amendment'', ''attribution'', ''dispute''))')
 WHERE type = 'table' AND name = 'ledger';
PRAGMA writable_schema = OFF;

CREATE TABLE disputes (
    id                    INTEGER PRIMARY KEY,
    project_id            TEXT NOT NULL REFERENCES projects(id),
    -- What is disputed: a deal, a visit record, or both (a visit's
    -- customer with a deal).
    subscription_id       INTEGER REFERENCES subscriptions(id),
    visit_seq             INTEGER,
    -- The claimant's own report the claim rests on, when it names one.
    report_id             INTEGER REFERENCES reports(id),
    -- The customer as the subject holds the number (full, or 前三后四):
    -- finds the customer group for the timeline.
    phone                 TEXT NOT NULL,
    phone_head            TEXT NOT NULL,
    phone_tail            TEXT NOT NULL,
    claim_kind            TEXT NOT NULL
                          CHECK (claim_kind IN ('collision', 'natural_verdict', 'family', 'phone_mismatch', 'other')),
    claim                 TEXT NOT NULL,
    -- NULL: the site itself (现场/自然来访) claims, or holds.
    claimant_agency_id    INTEGER REFERENCES agencies(id),
    respondent_agency_id  INTEGER REFERENCES agencies(id),
    opened_by             TEXT NOT NULL,       -- 'agent:7', 'staff:3', 'api:2'
    opened_at             TEXT NOT NULL,
    opened_seq            INTEGER NOT NULL,    -- the ledger entry
    -- The project's periods (days) when the dispute was opened: a later
    -- change of the project's file does not move this dispute's deadlines.
    objection_days        INTEGER NOT NULL,
    evidence_days         INTEGER NOT NULL,
    opinion_days          INTEGER NOT NULL,
    appeal_days           INTEGER NOT NULL,
    status                TEXT NOT NULL DEFAULT 'open'
                          CHECK (status IN ('open', 'ruled', 'appealed', 'closed', 'withdrawn')),
    updated_at            TEXT NOT NULL,
    idempotency_key       TEXT UNIQUE,
    CHECK (subscription_id IS NOT NULL OR visit_seq IS NOT NULL)
);
CREATE INDEX disputes_by_project ON disputes (project_id, status, id);
CREATE INDEX disputes_by_claimant ON disputes (claimant_agency_id, id);
CREATE INDEX disputes_by_respondent ON disputes (respondent_agency_id, id);
CREATE INDEX disputes_by_subscription ON disputes (subscription_id);
CREATE INDEX disputes_by_customer ON disputes (project_id, phone_head, phone_tail);
-- One live dispute per claimant and subject: a double submit or a second
-- objection on the same thing is refused, not duplicated.
CREATE UNIQUE INDEX disputes_one_live ON disputes
    (project_id, coalesce(subscription_id, -1), coalesce(visit_seq, -1), coalesce(claimant_agency_id, -1))
    WHERE status IN ('open', 'ruled', 'appealed');

-- Evidence files, content-addressed, kept IN the database: the file and
-- the ledger entry sealing its hash commit together (a power cut leaves
-- neither a sealed hash without its file nor a file without its seal), one
-- backup (`panke backup`) carries both, and `panke verify` re-hashes every
-- file against its seal. Disputes are rare next to visits, so this costs
-- little of the database's size.
CREATE TABLE evidence_files (
    sha256  TEXT PRIMARY KEY,
    mime    TEXT NOT NULL,
    bytes   BLOB NOT NULL
);

CREATE TABLE dispute_evidence (
    id               INTEGER PRIMARY KEY,
    dispute_id       INTEGER NOT NULL REFERENCES disputes(id),
    party            TEXT NOT NULL CHECK (party IN ('claimant', 'respondent', 'office')),
    agency_id        INTEGER REFERENCES agencies(id),
    kind             TEXT NOT NULL
                     CHECK (kind IN ('hukou', 'marriage', 'call_records', 'messages', 'statement', 'recording')),
    name             TEXT NOT NULL,
    mime             TEXT NOT NULL,
    size             INTEGER NOT NULL,
    sha256           TEXT NOT NULL REFERENCES evidence_files(sha256),
    original_sha256  TEXT NOT NULL,            -- the upload as received (images are re-encoded)
    note             TEXT NOT NULL DEFAULT '',
    uploaded_by      TEXT NOT NULL,
    uploaded_at      TEXT NOT NULL,
    ledger_seq       INTEGER NOT NULL
);
CREATE INDEX dispute_evidence_by_dispute ON dispute_evidence (dispute_id, id);

-- Level 1: the project's manager; level 2: the admin, on the one appeal.
CREATE TABLE dispute_rulings (
    dispute_id        INTEGER NOT NULL REFERENCES disputes(id),
    level             INTEGER NOT NULL CHECK (level IN (1, 2)),
    outcome           TEXT NOT NULL CHECK (outcome IN ('upheld', 'rejected', 'split')),
    claimant_percent  INTEGER NOT NULL CHECK (claimant_percent BETWEEN 0 AND 100),
    reasons           TEXT NOT NULL,
    ruled_by          INTEGER NOT NULL REFERENCES staff(id),
    ruled_at          TEXT NOT NULL,
    ledger_seq        INTEGER NOT NULL,
    PRIMARY KEY (dispute_id, level)
);

-- Once per dispute: the primary key refuses a second.
CREATE TABLE dispute_appeals (
    dispute_id   INTEGER PRIMARY KEY REFERENCES disputes(id),
    party        TEXT NOT NULL CHECK (party IN ('claimant', 'respondent')),
    agency_id    INTEGER REFERENCES agencies(id),
    by_actor     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    appealed_at  TEXT NOT NULL,
    ledger_seq   INTEGER NOT NULL
);

-- What each party is told (the badge and list on their pages):
-- recipient 'agency:<id>', 'managers:<project>', or 'admins'.
CREATE TABLE dispute_notices (
    id          INTEGER PRIMARY KEY,
    dispute_id  INTEGER NOT NULL REFERENCES disputes(id),
    recipient   TEXT NOT NULL,
    event       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    read_at     TEXT
);
CREATE INDEX dispute_notices_unread ON dispute_notices (recipient, read_at, id);

-- A ruling may share a deal: the first agency's share, the second agency
-- (the respondent of a split) and its share, and the dispute that decided.
ALTER TABLE attributions ADD COLUMN share_percent INTEGER NOT NULL DEFAULT 100;
ALTER TABLE attributions ADD COLUMN co_agency_id INTEGER;
ALTER TABLE attributions ADD COLUMN co_agency TEXT;
ALTER TABLE attributions ADD COLUMN co_percent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attributions ADD COLUMN dispute_id INTEGER;
CREATE INDEX attributions_by_co_agency ON attributions (project_id, co_agency_id, subscribed_unix)
    WHERE co_agency_id IS NOT NULL;

-- A record's amendments by the record they amend (the record page and the
-- dispute timeline read them; before this, a scan of the ledger).
CREATE INDEX ledger_by_amends ON ledger (amends_seq) WHERE amends_seq IS NOT NULL;

-- A ruling (or any new attribution) may give a deal to another agency
-- after the first agency initiated its confirmation sheet: the agency now
-- holding the deal initiates its own, and the earlier sheet is superseded
-- (kept, marked, for the staff) instead of refusing the new one. One LIVE
-- sheet per subscription: the column-level UNIQUE becomes a partial unique
-- index. SQLite's documented procedure for changing a table's definition
-- (create the new table, copy, drop, rename); nothing references
-- deal_confirmations, and every column and reference of schema 13 stays.
CREATE TABLE deal_confirmations_new (
    id                  INTEGER PRIMARY KEY,
    subscription_id     INTEGER NOT NULL REFERENCES subscriptions(id),
    project_id          TEXT NOT NULL REFERENCES projects(id),
    agency_id           INTEGER NOT NULL REFERENCES agencies(id),
    initiated_by        TEXT NOT NULL,         -- 'agent:7', 'api:agency:3'
    initiated_at        TEXT NOT NULL,
    sales_confirmed_by  INTEGER REFERENCES staff(id),
    sales_confirmed_at  TEXT,
    lead_confirmed_by   INTEGER REFERENCES staff(id),
    lead_confirmed_at   TEXT,
    ledger_seq          INTEGER,               -- the ledger entry sealing both confirmations
    superseded_at       TEXT,                  -- when the agency now holding the deal initiated its own
    superseded_by       TEXT                   -- who did: 'agent:7', 'api:agency:3'
);
INSERT INTO deal_confirmations_new (id, subscription_id, project_id, agency_id, initiated_by, initiated_at,
        sales_confirmed_by, sales_confirmed_at, lead_confirmed_by, lead_confirmed_at, ledger_seq)
    SELECT id, subscription_id, project_id, agency_id, initiated_by, initiated_at,
        sales_confirmed_by, sales_confirmed_at, lead_confirmed_by, lead_confirmed_at, ledger_seq
    FROM deal_confirmations;
DROP TABLE deal_confirmations;
ALTER TABLE deal_confirmations_new RENAME TO deal_confirmations;
CREATE UNIQUE INDEX deal_confirmations_live ON deal_confirmations (subscription_id) WHERE superseded_at IS NULL;
