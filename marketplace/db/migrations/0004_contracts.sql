-- Contracts (Nachnutzungsvereinbarungen) between a municipality and a provider for
-- one offer version, their signatures and an append-only audit log.

CREATE TABLE contracts (
    id INTEGER PRIMARY KEY,
    offer_version_id INTEGER NOT NULL REFERENCES offer_versions (id),
    provider_id TEXT NOT NULL REFERENCES providers (id),
    municipality_ags TEXT NOT NULL REFERENCES municipalities (ags),
    state TEXT NOT NULL CHECK (
        state IN ('draft', 'offered', 'signed', 'countersigned', 'active',
                  'terminated', 'cancelled')
    ),
    text TEXT NOT NULL,
    text_sha256 TEXT NOT NULL CHECK (length(text_sha256) = 64),
    annual_cents INTEGER NOT NULL CHECK (annual_cents >= 0),
    first_year_cents INTEGER NOT NULL CHECK (first_year_cents >= 0),
    quote TEXT NOT NULL,                 -- JSON: costs.schemas.Quote at creation
    notice_period_months INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    active_since TEXT,
    ends_at TEXT
);
CREATE INDEX contracts_municipality ON contracts (municipality_ags, state);
CREATE INDEX contracts_provider ON contracts (provider_id, state);
-- At most one open contract per municipality and offer version.
CREATE UNIQUE INDEX contracts_one_open ON contracts (offer_version_id, municipality_ags)
    WHERE state NOT IN ('terminated', 'cancelled');

-- The text may never change once a contract left the draft state.
CREATE TRIGGER contracts_text_is_fixed
BEFORE UPDATE OF text, text_sha256 ON contracts
WHEN OLD.state != 'draft'
BEGIN
    SELECT RAISE(ABORT, 'the contract text is fixed once offered');
END;

-- Contracts are kept (their audit log refers to them) and only move along the
-- state machine, whoever writes to the file: the service checks it, this enforces it.
CREATE TRIGGER contracts_are_kept
BEFORE DELETE ON contracts
BEGIN
    SELECT RAISE(ABORT, 'contracts are kept');
END;

CREATE TRIGGER contracts_follow_the_state_machine
BEFORE UPDATE OF state ON contracts
WHEN NEW.state != OLD.state AND (OLD.state || '>' || NEW.state) NOT IN (
    'draft>offered', 'offered>signed', 'signed>countersigned',
    'countersigned>active', 'active>terminated',
    'draft>cancelled', 'offered>cancelled', 'signed>cancelled'
)
BEGIN
    SELECT RAISE(ABORT, 'contract state change outside the state machine');
END;

CREATE TABLE contract_signatures (
    id INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    party TEXT NOT NULL CHECK (party IN ('municipality', 'provider')),
    user_id INTEGER REFERENCES users (id),   -- NULL: the provider's automation
    signer TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    text_sha256 TEXT NOT NULL CHECK (length(text_sha256) = 64),
    UNIQUE (contract_id, party)
);

CREATE TABLE contract_events (
    id INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    at TEXT NOT NULL,
    actor_user_id INTEGER REFERENCES users (id),  -- NULL: the automation
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    text_sha256 TEXT NOT NULL
);
CREATE INDEX contract_events_contract ON contract_events (contract_id, id);

CREATE TRIGGER contract_events_append_only_update
BEFORE UPDATE ON contract_events
BEGIN
    SELECT RAISE(ABORT, 'the contract audit log is append-only');
END;

CREATE TRIGGER contract_events_append_only_delete
BEFORE DELETE ON contract_events
BEGIN
    SELECT RAISE(ABORT, 'the contract audit log is append-only');
END;

CREATE TRIGGER contract_signatures_are_kept
BEFORE DELETE ON contract_signatures
BEGIN
    SELECT RAISE(ABORT, 'signatures are kept');
END;

CREATE TRIGGER contract_signatures_are_fixed
BEFORE UPDATE ON contract_signatures
BEGIN
    SELECT RAISE(ABORT, 'signatures are kept');
END;

-- "Automated contract handling": a provider may offer and countersign automatically.
CREATE TABLE provider_contract_settings (
    provider_id TEXT PRIMARY KEY REFERENCES providers (id),
    auto_offer INTEGER NOT NULL DEFAULT 0 CHECK (auto_offer IN (0, 1)),
    auto_countersign INTEGER NOT NULL DEFAULT 0 CHECK (auto_countersign IN (0, 1))
);
