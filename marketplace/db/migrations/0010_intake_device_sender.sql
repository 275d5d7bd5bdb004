-- Enrolled stations deliver with their own device credential (issue 6): a document
-- is sent either by a municipality account (sender_user_id) or by a station
-- (sender_appliance_id), never by neither. SQLite cannot drop a NOT NULL, so the
-- table is rebuilt with the same columns, rows and index.
CREATE TABLE intake_documents_new (
    municipality_ags TEXT NOT NULL CHECK (
        length(municipality_ags) = 8 AND municipality_ags NOT GLOB '*[^0-9]*'
    ),
    sha256 TEXT NOT NULL CHECK (
        length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'
    ),
    receipt_id TEXT NOT NULL UNIQUE,
    size_bytes INTEGER NOT NULL CHECK (size_bytes > 0),
    storage_path TEXT NOT NULL,
    appliance_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    office TEXT,
    route TEXT,
    leika_key TEXT,
    page_count INTEGER NOT NULL CHECK (page_count >= 1),
    keep_original INTEGER NOT NULL CHECK (keep_original IN (0, 1)),
    id_copy INTEGER NOT NULL CHECK (id_copy IN (0, 1)),
    metadata TEXT NOT NULL,
    sender_user_id INTEGER REFERENCES users (id),
    received_at TEXT NOT NULL,
    last_delivery_at TEXT NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1 CHECK (deliveries >= 1),
    sender_appliance_id INTEGER REFERENCES fleet_appliances (id),
    CHECK ((sender_user_id IS NULL) <> (sender_appliance_id IS NULL)),
    PRIMARY KEY (municipality_ags, sha256)
);
INSERT INTO intake_documents_new (
    municipality_ags, sha256, receipt_id, size_bytes, storage_path, appliance_id,
    filename, office, route, leika_key, page_count, keep_original, id_copy, metadata,
    sender_user_id, received_at, last_delivery_at, deliveries
)
SELECT
    municipality_ags, sha256, receipt_id, size_bytes, storage_path, appliance_id,
    filename, office, route, leika_key, page_count, keep_original, id_copy, metadata,
    sender_user_id, received_at, last_delivery_at, deliveries
FROM intake_documents;
DROP TABLE intake_documents;
ALTER TABLE intake_documents_new RENAME TO intake_documents;
CREATE INDEX intake_documents_received ON intake_documents (municipality_ags, received_at);
