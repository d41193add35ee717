-- panke schema 15: agency webhooks (推送) — the addresses an agency
-- registers, a durable outbox of events, and every delivery attempt.

-- An agency's receiving address. `secret` signs every delivery
-- (HMAC-SHA256, header `Panke-Signature`): 32 random bytes as 64 hex
-- characters, shown once when the address is added. It is kept in clear,
-- unlike an API key (only its SHA-256 is stored): a digest can check a key
-- the agency sends, but HMAC needs the secret itself to *sign* what panke
-- sends. The database file is the owner's only (0600), like the personal
-- data it holds; a leaked secret is replaced by adding a new address and
-- disabling the old one.
CREATE TABLE webhook_endpoints (
    id           INTEGER PRIMARY KEY,
    agency_id    INTEGER NOT NULL REFERENCES agencies(id),
    url          TEXT NOT NULL,
    secret       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    disabled_at  TEXT,
    disabled_by  TEXT
);
CREATE INDEX webhook_endpoints_by_agency ON webhook_endpoints (agency_id, id);

-- The outbox: one row per event and address, inserted in the transaction
-- that makes the change the event tells of — the event commits with it or
-- not at all, and a restart loses nothing (the worker reads this table).
-- `payload` is the body sent, byte for byte, on every attempt; `event_id`
-- (evt_…) is the same on every attempt and on every address of the agency
-- (consumers dedupe by it), hence unique per address rather than alone.
-- The row holds the delivery's state (the due query reads one row per
-- event); `webhook_attempts` keeps each try for the delivery log.
CREATE TABLE webhook_outbox (
    id                 INTEGER PRIMARY KEY,
    event_id           TEXT NOT NULL,
    agency_id          INTEGER NOT NULL REFERENCES agencies(id),
    endpoint_id        INTEGER NOT NULL REFERENCES webhook_endpoints(id),
    event_type         TEXT NOT NULL,
    payload            TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    created_unix       INTEGER NOT NULL,
    next_attempt_unix  INTEGER NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    delivered_at       TEXT,
    gave_up_at         TEXT,
    last_status        INTEGER,
    last_error         TEXT,
    UNIQUE (endpoint_id, event_id)
);
-- Deliveries still due, by when: a partial index holds only the pending
-- rows (delivered_at and gave_up_at both NULL, so indexing those two
-- columns would add nothing), and stays small however long the log grows.
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_unix)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX webhook_outbox_by_agency ON webhook_outbox (agency_id, id);

-- Every attempt: when, the HTTP status (NULL: no answer), the error, and
-- how long it took.
CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY,
    outbox_id    INTEGER NOT NULL REFERENCES webhook_outbox(id),
    at           TEXT NOT NULL,
    status       INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_by_outbox ON webhook_attempts (outbox_id, id);
