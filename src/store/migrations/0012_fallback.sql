-- panke schema 12: incident windows and fallback reports (补录), rule history.

-- Who linked or unlinked a phone of a customer group (直系亲属), when and
-- why. Links made before schema 12 have no row here (the audit log has them).
CREATE TABLE customer_group_events (
    id          INTEGER PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id),
    group_id    INTEGER NOT NULL,
    phone       TEXT NOT NULL,                  -- full number, as in customer_group_members
    action      TEXT NOT NULL CHECK (action IN ('link', 'unlink')),
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,                  -- 'staff:3', 'cli'
    at          TEXT NOT NULL
);
CREATE INDEX customer_group_events_by_phone ON customer_group_events(project_id, phone, id);
CREATE INDEX customer_group_events_by_group ON customer_group_events(project_id, group_id, id);
CREATE TRIGGER customer_group_events_no_update BEFORE UPDATE ON customer_group_events
BEGIN SELECT RAISE(ABORT, 'customer group events are append-only'); END;
CREATE TRIGGER customer_group_events_no_delete BEFORE DELETE ON customer_group_events
BEGIN SELECT RAISE(ABORT, 'customer group events are append-only'); END;

-- The effective rules of a project each time they changed, recorded at
-- start-up: the rules spelled out (JSON, the text whose SHA-256 the
-- project row keeps) and where each value came from.
CREATE TABLE rule_versions (
    id            INTEGER PRIMARY KEY,
    project_id    TEXT NOT NULL REFERENCES projects(id),
    rules_sha256  TEXT NOT NULL,
    rules_json    TEXT NOT NULL,
    sources_json  TEXT NOT NULL DEFAULT '{}',
    first_seen_at TEXT NOT NULL
);
CREATE INDEX rule_versions_by_project ON rule_versions(project_id, id);
CREATE TRIGGER rule_versions_no_update BEFORE UPDATE ON rule_versions
BEGIN SELECT RAISE(ABORT, 'rule versions are append-only'); END;
CREATE TRIGGER rule_versions_no_delete BEFORE DELETE ON rule_versions
BEGIN SELECT RAISE(ABORT, 'rule versions are append-only'); END;

-- An incident window (报备系统故障): while the reporting system was down,
-- agents reported in the WeChat group. An admin opens it; during it and
-- for a grace period after its end a manager enters those reports with the
-- message's time. Outside an open window nothing is back-dated.
CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id),
    from_at     TEXT NOT NULL,                  -- RFC 3339, project's offset
    from_unix   INTEGER NOT NULL,
    to_at       TEXT NOT NULL,
    to_unix     INTEGER NOT NULL,
    why         TEXT NOT NULL,
    opened_by   TEXT NOT NULL,                  -- 'staff:1'
    opened_at   TEXT NOT NULL,
    closed_at   TEXT,                           -- closed early: no more entries
    closed_by   TEXT,
    CHECK (to_unix > from_unix)
);
CREATE INDEX incidents_by_project ON incidents(project_id, id);

-- A report entered from the WeChat group (补录): an ordinary report whose
-- filed_at is the message's time, with the screenshot of the message.
CREATE TABLE fallback_reports (
    report_id          INTEGER PRIMARY KEY REFERENCES reports(id),
    incident_id        INTEGER NOT NULL REFERENCES incidents(id),
    message_at         TEXT NOT NULL,           -- RFC 3339, = reports.filed_at
    message_unix       INTEGER NOT NULL,
    screenshot         BLOB NOT NULL,
    screenshot_sha256  TEXT NOT NULL,
    screenshot_mime    TEXT NOT NULL CHECK (screenshot_mime IN ('image/jpeg', 'image/png')),
    entered_by         TEXT NOT NULL,           -- 'staff:2'
    entered_at         TEXT NOT NULL
);
CREATE INDEX fallback_reports_by_incident ON fallback_reports(incident_id, report_id);
CREATE TRIGGER fallback_reports_no_update BEFORE UPDATE ON fallback_reports
BEGIN SELECT RAISE(ABORT, 'fallback reports are evidence: never changed'); END;
CREATE TRIGGER fallback_reports_no_delete BEFORE DELETE ON fallback_reports
BEGIN SELECT RAISE(ABORT, 'fallback reports are evidence: never removed'); END;
