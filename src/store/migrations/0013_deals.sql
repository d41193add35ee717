-- panke schema 13: deals (认购 → 签约 / 退订), their attribution to an agency
-- (渠道业绩), the employees list, and the channel's deal confirmation
-- (渠道成交客户确认单).

-- The ledger takes a third kind of entry: an attribution (渠道业绩 verdict of a
-- subscription), appended when the subscription is entered and again whenever
-- something it rests on changes (a voided visit, a linked family member, a
-- ruling). SQLite cannot alter a CHECK constraint; the documented way is to
-- rewrite the table's definition in the schema (no data moves), then bump
-- the schema version so every connection re-reads it.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (kind IN (''visit'', ''amendment''))', 'CHECK (kind IN (''visit'', ''amendment'', ''attribution''))')
 WHERE type = 'table' AND name = 'ledger';
PRAGMA writable_schema = OFF;

-- 认购 (subscription) and what became of it: 签约 (contract) or 退订 (cancelled).
CREATE TABLE subscriptions (
    id               INTEGER PRIMARY KEY,
    project_id       TEXT NOT NULL REFERENCES projects(id),
    customer_name    TEXT NOT NULL,
    phone            TEXT NOT NULL,            -- full: a subscription is signed with the full number
    phone_head       TEXT NOT NULL,
    phone_tail       TEXT NOT NULL,
    unit             TEXT NOT NULL,            -- 房号, e.g. 3-1-1201
    product          TEXT NOT NULL,            -- residential, commercial, office, parking, storage …
    price_fen        INTEGER NOT NULL CHECK (price_fen >= 0),
    subscribed_at    TEXT NOT NULL,            -- RFC 3339 with offset
    subscribed_unix  INTEGER NOT NULL,
    deposit_at       TEXT,                     -- 定金 (disputes count from it)
    down_payment_at  TEXT,                     -- 首付
    sales_staff_id   INTEGER REFERENCES staff(id),
    sales_name       TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL DEFAULT 'subscribed'
                     CHECK (status IN ('subscribed', 'contracted', 'cancelled')),
    contracted_at    TEXT,
    cancelled_at     TEXT,
    source           TEXT NOT NULL,            -- 'staff:3', 'import', 'api:dev:2'
    external_id      TEXT,                     -- the sales system's own id
    dedup_key        TEXT NOT NULL UNIQUE,     -- project + external id, or project + unit + time + phone
    created_at       TEXT NOT NULL
);
CREATE INDEX subscriptions_by_customer ON subscriptions (project_id, phone_head, phone_tail);
CREATE INDEX subscriptions_by_time ON subscriptions (project_id, subscribed_unix);

-- The attribution in force for each subscription: the newest attribution
-- entry of the ledger, as a row to list and sum (the ledger is the evidence).
CREATE TABLE attributions (
    subscription_id     INTEGER PRIMARY KEY REFERENCES subscriptions(id),
    project_id          TEXT NOT NULL,
    ledger_seq          INTEGER NOT NULL,
    channel_performance INTEGER NOT NULL,
    agency              TEXT,                  -- the covering visit's agency (also when withheld)
    agency_id           INTEGER,
    visit_seq           INTEGER,               -- the covering visit's record, when one of panke's
    visit_at            TEXT,
    reasons             TEXT NOT NULL,         -- reason codes, comma-separated
    subscribed_unix     INTEGER NOT NULL,
    price_fen           INTEGER NOT NULL,
    attributed_at       TEXT NOT NULL
);
CREATE INDEX attributions_by_agency ON attributions (project_id, agency_id, subscribed_unix);

-- 员工及直系亲属: never channel performance. Kept without the number itself:
-- an HMAC of the full phone (the server's key) finds a full number, and the
-- first three and last four digits find a masked one (138****5678) — the
-- only form a masked visit or report can be compared in.
CREATE TABLE employees (
    project_id  TEXT NOT NULL REFERENCES projects(id),
    phone_hmac  TEXT NOT NULL,
    phone_head  TEXT NOT NULL,
    phone_tail  TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',      -- 员工 / 家属 (no name kept)
    added_by    TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    removed_at  TEXT,
    PRIMARY KEY (project_id, phone_hmac)
);
CREATE INDEX employees_by_masked ON employees (project_id, phone_head, phone_tail);

-- The developer's own sales system files subscriptions through /api/v1 with
-- these keys (one project each); only the hash of the key is kept.
CREATE TABLE developer_keys (
    id          INTEGER PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id),
    key_sha256  TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- 渠道成交客户确认单: the channel initiates it after the deal; the sales
-- consultant and the project's channel lead (a manager) confirm it.
CREATE TABLE deal_confirmations (
    id                  INTEGER PRIMARY KEY,
    subscription_id     INTEGER NOT NULL UNIQUE REFERENCES subscriptions(id),
    project_id          TEXT NOT NULL REFERENCES projects(id),
    agency_id           INTEGER NOT NULL REFERENCES agencies(id),
    initiated_by        TEXT NOT NULL,         -- 'agent:7', 'api:3'
    initiated_at        TEXT NOT NULL,
    sales_confirmed_by  INTEGER REFERENCES staff(id),
    sales_confirmed_at  TEXT,
    lead_confirmed_by   INTEGER REFERENCES staff(id),
    lead_confirmed_at   TEXT,
    ledger_seq          INTEGER                -- the ledger entry sealing both confirmations
);

-- Channel performance counts a period's reports per agency and day.
CREATE INDEX reports_by_time ON reports (project_id, filed_unix, agency_id);
