-- panke schema 11: agencies' projects (合作项目), kiosk status, agent roster.

-- An agency reports for every project of the deployment (all_projects = 1,
-- as every agency did before this schema) or only for the projects listed
-- in agency_projects (合作项目). A report for another project is refused.
ALTER TABLE agencies ADD COLUMN all_projects INTEGER NOT NULL DEFAULT 1;
CREATE TABLE agency_projects (
    agency_id   INTEGER NOT NULL REFERENCES agencies(id),
    project_id  TEXT NOT NULL REFERENCES projects(id),
    added_at    TEXT NOT NULL,
    PRIMARY KEY (agency_id, project_id)
);

-- The agency's roster (带看人员名单): an agent joins when added
-- (created_at) and leaves when disabled (disabled_at).
ALTER TABLE agents ADD COLUMN disabled_at TEXT;
ALTER TABLE staff ADD COLUMN disabled_at TEXT;

-- A kiosk's status: when the tablet last called panke (written at most
-- once a minute) and the version of the kiosk app it runs.
ALTER TABLE kiosks ADD COLUMN last_seen_unix INTEGER;
ALTER TABLE kiosks ADD COLUMN app_version TEXT;

-- The start of an API key (pk_ and a few characters), to tell keys apart
-- without storing the key; NULL for keys issued before this schema.
ALTER TABLE api_keys ADD COLUMN prefix TEXT;
