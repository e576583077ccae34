-- One-time seeding (the demo event) must happen once per database, even when several
-- instances start at the same moment: the marker row is inserted in the same transaction
-- as what it seeds, and its primary key lets only one instance win.
CREATE TABLE seeds (
    name       TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);
