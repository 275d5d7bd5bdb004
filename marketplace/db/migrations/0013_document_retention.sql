-- Retention of document bodies (issue 8): a body is deleted from the document
-- store once every submission that needs it is delivered and the retention has
-- passed; the rows keep SHA-256, size and receipt (the proof) and record when
-- the body went. Times are Unix seconds, like the outbox's scheduling columns.
ALTER TABLE intake_documents ADD COLUMN body_purged_at REAL;
ALTER TABLE delivery_submissions ADD COLUMN body_purged_at REAL;

-- The document store keys a submission's envelope refers to, one row per
-- (submission, key): content addressing lets several submissions share a key,
-- and this table answers "who still needs this body?" with an index.
CREATE TABLE delivery_documents (
    submission_id TEXT NOT NULL REFERENCES delivery_submissions (id),
    location TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    body_purged_at REAL,
    PRIMARY KEY (submission_id, location)
);
CREATE INDEX delivery_documents_location ON delivery_documents (location);
INSERT OR IGNORE INTO delivery_documents (submission_id, location, sha256, size_bytes)
SELECT s.id, json_extract(d.value, '$.location'), json_extract(d.value, '$.sha256'),
    json_extract(d.value, '$.size')
FROM delivery_submissions s, json_each(CAST(s.envelope AS TEXT), '$.documents') d;

-- Every object the purge deleted (retention or orphan): the operator's record and
-- the fence that lets a writer who stored the same key meanwhile store it again.
-- Keys hold an AGS and a SHA-256, no personal data. Append-only.
CREATE TABLE document_deletions (
    id INTEGER PRIMARY KEY,
    location TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('retention', 'orphan')),
    size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),
    at REAL NOT NULL
);
CREATE INDEX document_deletions_location ON document_deletions (location, at);

CREATE TRIGGER document_deletions_no_update
BEFORE UPDATE ON document_deletions
BEGIN
    SELECT RAISE(ABORT, 'the record of deletions is append-only');
END;

CREATE TRIGGER document_deletions_no_delete
BEFORE DELETE ON document_deletions
BEGIN
    SELECT RAISE(ABORT, 'the record of deletions is append-only');
END;

-- The transfer log also records that a delivered submission's documents were
-- deleted (outcome 'purged'). SQLite cannot change a CHECK, so the table is
-- rebuilt with the same rows, index and triggers.
CREATE TABLE delivery_transfer_log_new (
    id INTEGER PRIMARY KEY,
    entry_id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    municipality_ags TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    outbox_id INTEGER NOT NULL,
    service_leika TEXT NOT NULL,
    purpose TEXT NOT NULL,
    receiver TEXT NOT NULL,
    connector TEXT NOT NULL,
    environment TEXT NOT NULL,
    channel TEXT NOT NULL,
    identification_level TEXT NOT NULL,
    data_fields TEXT NOT NULL,        -- JSON array of names
    documents TEXT NOT NULL,          -- JSON array of {document_id, media_type, size, sha256}
    outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'deferred', 'rejected', 'purged')),
    receipt_reference TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT ''
);
INSERT INTO delivery_transfer_log_new SELECT * FROM delivery_transfer_log;
DROP TABLE delivery_transfer_log;
ALTER TABLE delivery_transfer_log_new RENAME TO delivery_transfer_log;
CREATE INDEX delivery_transfer_log_municipality
    ON delivery_transfer_log (municipality_ags, id);

CREATE TRIGGER delivery_transfer_log_no_update
BEFORE UPDATE ON delivery_transfer_log
BEGIN
    SELECT RAISE(ABORT, 'the transfer log is append-only');
END;

CREATE TRIGGER delivery_transfer_log_no_delete
BEFORE DELETE ON delivery_transfer_log
BEGIN
    SELECT RAISE(ABORT, 'the transfer log is append-only');
END;
