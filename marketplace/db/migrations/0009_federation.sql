-- Federation: this node's identity, its signed change feed of its own offers, the
-- peers it replicates from, and what it rejected from them. Replicated providers,
-- services and offers live in the catalog tables with their home node; rows with a
-- home node are read-only here (the service refuses writes, the triggers below
-- refuse drafts).

CREATE TABLE federation_node (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL CHECK (name GLOB '[a-z0-9]*' AND length(name) BETWEEN 2 AND 40),
    base_url TEXT NOT NULL CHECK (base_url GLOB 'http*://*'),
    created_at TEXT NOT NULL
);

-- NULL: this node's own row. Otherwise the name of the node that is authoritative
-- for it; offers also keep their id there.
ALTER TABLE providers ADD COLUMN home_node TEXT;
ALTER TABLE services ADD COLUMN home_node TEXT;
ALTER TABLE offers ADD COLUMN home_node TEXT;
ALTER TABLE offers ADD COLUMN home_offer_id INTEGER;
ALTER TABLE offer_versions ADD COLUMN home_version_id INTEGER;
CREATE UNIQUE INDEX offers_home ON offers (home_node, home_offer_id)
    WHERE home_node IS NOT NULL;

-- A replicated offer is changed only by its home node: no drafts here.
CREATE TRIGGER offer_versions_foreign_no_drafts
BEFORE INSERT ON offer_versions
WHEN NEW.status = 'draft'
    AND (SELECT home_node FROM offers WHERE id = NEW.offer_id) IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'offers of another node are read-only');
END;

-- The feed: one row per change of an own offer, numbered without gaps in commit
-- order (single writer; a rolled back change does not consume a number). The
-- entry is signed lazily (``body``/``signature`` NULL until sealed); what it
-- describes is immutable, so sealing later gives the same content.
CREATE TABLE federation_feed (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('offer_version', 'offer_withdrawn')),
    offer_id INTEGER NOT NULL REFERENCES offers (id),
    version_id INTEGER REFERENCES offer_versions (id),
    recorded_at TEXT NOT NULL,
    body BLOB,
    signature BLOB,
    CHECK ((body IS NULL) = (signature IS NULL))
);

CREATE TRIGGER federation_feed_published
AFTER UPDATE OF status ON offer_versions
WHEN OLD.status = 'draft' AND NEW.status = 'published'
    AND (SELECT home_node FROM offers WHERE id = NEW.offer_id) IS NULL
BEGIN
    INSERT INTO federation_feed (kind, offer_id, version_id, recorded_at)
    VALUES ('offer_version', NEW.offer_id, NEW.id, strftime('%Y-%m-%dT%H:%M:%SZ'));
END;

CREATE TRIGGER federation_feed_withdrawn
AFTER UPDATE OF withdrawn_at ON offers
WHEN OLD.withdrawn_at IS NULL AND NEW.withdrawn_at IS NOT NULL
    AND NEW.home_node IS NULL
BEGIN
    INSERT INTO federation_feed (kind, offer_id, recorded_at)
    VALUES ('offer_withdrawn', NEW.id, strftime('%Y-%m-%dT%H:%M:%SZ'));
END;

CREATE TRIGGER federation_feed_sealed_once
BEFORE UPDATE ON federation_feed
WHEN OLD.body IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'sealed feed entries are immutable');
END;

CREATE TRIGGER federation_feed_kept
BEFORE DELETE ON federation_feed
BEGIN
    SELECT RAISE(ABORT, 'feed entries are kept');
END;

-- What existed before this migration enters the feed in publication order.
INSERT INTO federation_feed (kind, offer_id, version_id, recorded_at)
SELECT 'offer_version', v.offer_id, v.id, v.published_at
FROM offer_versions v WHERE v.status = 'published' ORDER BY v.published_at, v.id;
INSERT INTO federation_feed (kind, offer_id, recorded_at)
SELECT 'offer_withdrawn', o.id, o.withdrawn_at
FROM offers o WHERE o.withdrawn_at IS NOT NULL ORDER BY o.withdrawn_at, o.id;

-- Withdrawn offers of other nodes, also when the tombstone arrives before (or
-- without) the offer's versions: a version applied later stays out of the catalog.
CREATE TABLE federation_tombstones (
    home_node TEXT NOT NULL,
    home_offer_id INTEGER NOT NULL,
    withdrawn_at TEXT NOT NULL,
    PRIMARY KEY (home_node, home_offer_id)
);

-- Peers are configured with their public key (no trust on first use).
CREATE TABLE federation_peers (
    name TEXT PRIMARY KEY CHECK (name GLOB '[a-z0-9]*' AND length(name) BETWEEN 2 AND 40),
    base_url TEXT NOT NULL CHECK (base_url GLOB 'http*://*'),
    public_key TEXT NOT NULL CHECK (length(public_key) = 64),  -- Ed25519, hex
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    cursor INTEGER NOT NULL DEFAULT 0 CHECK (cursor >= 0),
    entries_applied INTEGER NOT NULL DEFAULT 0,
    bytes_fetched INTEGER NOT NULL DEFAULT 0,
    added_at TEXT NOT NULL,
    last_attempt_at TEXT,
    last_success_at TEXT,
    last_error TEXT
);

-- Sequence numbers skipped by a peer's feed (after a rejected entry); fetched
-- again one by one.
CREATE TABLE federation_gaps (
    peer TEXT NOT NULL REFERENCES federation_peers (name) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    PRIMARY KEY (peer, seq)
);

-- Everything rejected from a peer, for the operator page.
CREATE TABLE federation_incidents (
    id INTEGER PRIMARY KEY,
    peer TEXT NOT NULL,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER,
    detail TEXT NOT NULL
);
CREATE INDEX federation_incidents_peer ON federation_incidents (peer, id);
