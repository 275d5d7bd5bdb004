-- Delivery engine (issue 4): routes of a subscription, submissions waiting to be
-- delivered, one outbox row per (submission, route), and the transfer log.
-- Test and production are kept apart here too, whatever the code does: an outbox
-- row repeats the submission's test flag and the route's environment, a CHECK ties
-- them together and a trigger proves the copies match their rows.

CREATE TABLE delivery_routes (
    id INTEGER PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    environment TEXT NOT NULL CHECK (environment IN ('test', 'production')),
    kind TEXT NOT NULL CHECK (kind IN ('fitconnect', 'xdomea', 'webhook', 'dropfolder')),
    settings TEXT NOT NULL,          -- JSON, secrets included; never shown back
    endpoint TEXT NOT NULL,          -- the circuit breaker's key (origin or folder)
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (subscription_id, name)
);

-- A route never changes sides: its environment and kind are fixed at creation.
CREATE TRIGGER delivery_routes_environment_fixed
BEFORE UPDATE OF environment, kind, subscription_id ON delivery_routes
WHEN NEW.environment IS NOT OLD.environment OR NEW.kind IS NOT OLD.kind
    OR NEW.subscription_id IS NOT OLD.subscription_id
BEGIN
    SELECT RAISE(ABORT, 'environment and kind of a route are fixed');
END;

-- One online submission, scanned letter or test delivery ("probe"). Document
-- bodies live on disk (content addressed); ``envelope`` is the submission without
-- them. A scanned letter that matched no subscription is kept with the reason.
CREATE TABLE delivery_submissions (
    id TEXT PRIMARY KEY,
    subscription_id TEXT REFERENCES subscriptions (id),
    municipality_ags TEXT NOT NULL CHECK (
        length(municipality_ags) = 8 AND municipality_ags NOT GLOB '*[^0-9]*'
    ),
    external_id TEXT,
    source TEXT NOT NULL CHECK (source IN ('api', 'intake', 'probe')),
    channel TEXT NOT NULL CHECK (channel IN ('online', 'paper')),
    test INTEGER NOT NULL CHECK (test IN (0, 1)),
    service_leika TEXT,
    envelope BLOB NOT NULL,
    payload_bytes INTEGER NOT NULL CHECK (payload_bytes >= 0),
    undeliverable_reason TEXT,
    intake_sha256 TEXT,
    created_at TEXT NOT NULL,
    CHECK (subscription_id IS NOT NULL OR undeliverable_reason IS NOT NULL),
    CHECK (source <> 'probe' OR test = 1),
    CHECK (source <> 'intake' OR channel = 'paper')
);
CREATE UNIQUE INDEX delivery_submissions_external
    ON delivery_submissions (subscription_id, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX delivery_submissions_intake
    ON delivery_submissions (municipality_ags, intake_sha256) WHERE intake_sha256 IS NOT NULL;
CREATE INDEX delivery_submissions_municipality
    ON delivery_submissions (municipality_ags, created_at);

CREATE TABLE delivery_outbox (
    id INTEGER PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES delivery_submissions (id),
    route_id INTEGER NOT NULL REFERENCES delivery_routes (id),
    idempotency_key TEXT NOT NULL UNIQUE,
    test INTEGER NOT NULL CHECK (test IN (0, 1)),
    probe INTEGER NOT NULL DEFAULT 0 CHECK (probe IN (0, 1)),
    route_environment TEXT NOT NULL CHECK (route_environment IN ('test', 'production')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at REAL NOT NULL,         -- Unix seconds, like the scheduling columns
    next_attempt_at REAL NOT NULL,
    lease_until REAL,
    last_attempt_at REAL,
    last_reason TEXT,
    receipt TEXT,                     -- JSON of the connector's Receipt
    finished_at REAL,
    UNIQUE (submission_id, route_id),
    -- test only to test routes, production only to production routes; the one
    -- exception is the marketplace's own synthetic probe, flagged test, which
    -- tests exactly the route it was made for.
    CHECK (probe = 1 OR (test = 1) = (route_environment = 'test')),
    CHECK (probe = 0 OR test = 1),
    CHECK (state <> 'delivered' OR receipt IS NOT NULL),
    CHECK (state <> 'in_flight' OR lease_until IS NOT NULL)
);
CREATE INDEX delivery_outbox_due ON delivery_outbox (state, next_attempt_at);
CREATE INDEX delivery_outbox_lease ON delivery_outbox (state, lease_until);
CREATE INDEX delivery_outbox_route ON delivery_outbox (route_id, state);

CREATE TRIGGER delivery_outbox_copies_match
BEFORE INSERT ON delivery_outbox
WHEN NEW.test IS NOT (SELECT test FROM delivery_submissions WHERE id = NEW.submission_id)
    OR NEW.route_environment IS NOT (
        SELECT environment FROM delivery_routes WHERE id = NEW.route_id)
    OR (NEW.probe = 1 AND (
        SELECT source FROM delivery_submissions WHERE id = NEW.submission_id) <> 'probe')
BEGIN
    SELECT RAISE(ABORT, 'outbox row contradicts its submission or route');
END;

CREATE TRIGGER delivery_outbox_keys_fixed
BEFORE UPDATE OF submission_id, route_id, idempotency_key, test, probe,
    route_environment ON delivery_outbox
BEGIN
    SELECT RAISE(ABORT, 'an outbox row keeps its submission, route and key');
END;

-- Protokollfunktion: one row per delivery attempt outcome; names of data fields
-- and document ids/hashes only, never values or file names. Append-only.
CREATE TABLE delivery_transfer_log (
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
    outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'deferred', 'rejected')),
    receipt_reference TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT ''
);
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
