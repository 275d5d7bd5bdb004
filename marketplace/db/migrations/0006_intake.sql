-- Scanned mail delivered by mailroom appliances. One row per document and
-- municipality, keyed by the SHA-256 of the PDF bytes (the appliance's idempotency
-- key): a document that arrives again only counts another delivery.
CREATE TABLE intake_documents (
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
    sender_user_id INTEGER NOT NULL REFERENCES users (id),
    received_at TEXT NOT NULL,
    last_delivery_at TEXT NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1 CHECK (deliveries >= 1),
    PRIMARY KEY (municipality_ags, sha256)
);
CREATE INDEX intake_documents_received ON intake_documents (municipality_ags, received_at);
