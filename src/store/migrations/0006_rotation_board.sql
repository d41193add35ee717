-- panke schema 6: the rotation board (轮排): a consultant's presence for a
-- local day (present is the default: no row).
CREATE TABLE sales_presence (
    project_id TEXT NOT NULL REFERENCES projects(id),
    staff_id   INTEGER NOT NULL REFERENCES staff(id),
    day        TEXT NOT NULL,
    presence   TEXT NOT NULL CHECK (presence IN ('present', 'away', 'busy')),
    PRIMARY KEY (project_id, staff_id, day)
);
