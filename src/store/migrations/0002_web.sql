-- panke schema 2: sign-in sessions and agency API keys.

-- Sessions of agents, staff and paired kiosks. Only the SHA-256 of the
-- cookie's secret is stored, so a copy of the database cannot sign in.
CREATE TABLE sessions (
    id_sha256     TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('agent', 'staff', 'kiosk')),
    subject_id    INTEGER NOT NULL,
    csrf          TEXT NOT NULL,
    created_unix  INTEGER NOT NULL,
    expires_unix  INTEGER NOT NULL
);
CREATE INDEX sessions_by_subject ON sessions(kind, subject_id);

-- An agency's own systems file reports through /api/v1 with these keys.
CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY,
    agency_id     INTEGER NOT NULL REFERENCES agencies(id),
    key_sha256    TEXT NOT NULL UNIQUE,
    label         TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT
);
