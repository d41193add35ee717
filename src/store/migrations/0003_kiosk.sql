-- panke schema 3: kiosks and the sales consultants' rotation (轮排).

-- A tablet at a project's desk. A manager creates it and gets a one-time
-- pairing code; the tablet pairs once and keeps a device session until the
-- kiosk is revoked.
CREATE TABLE kiosks (
    id                    INTEGER PRIMARY KEY,
    project_id            TEXT NOT NULL REFERENCES projects(id),
    name                  TEXT NOT NULL,
    pairing_sha256        TEXT UNIQUE,
    pairing_expires_unix  INTEGER,
    paired_at             TEXT,
    revoked_at            TEXT,
    created_at            TEXT NOT NULL
);

-- When each sales consultant last received a customer, for 轮排.
CREATE TABLE sales_rotation (
    project_id   TEXT NOT NULL REFERENCES projects(id),
    staff_id     INTEGER NOT NULL REFERENCES staff(id),
    last_unix    INTEGER NOT NULL,
    PRIMARY KEY (project_id, staff_id)
);
