-- Cross-node contracts: a municipality on one node (the buyer's node) contracts
-- an offer homed on another node (the provider's node). Each node keeps its own
-- contract row (contracts, audit log, signatures as usual) and this row, which
-- ties it to the other node's by a request id chosen by the buyer's node.
--
-- buyer's node:    to_forward -> forwarded -> active -> confirmed, or rejected
-- provider's node: received -> countersigned -> confirmed, or rejected
-- A provider's node activates its contract only once the buyer's node has
-- confirmed its own activation (trigger below), so no contract is active on the
-- provider's side alone; the buyer's node activates only on a verified
-- countersignature over the same text hash.

CREATE TABLE federation_contracts (
    request_id TEXT PRIMARY KEY CHECK (length(request_id) BETWEEN 8 AND 64),
    side TEXT NOT NULL CHECK (side IN ('buyer', 'provider')),
    peer TEXT NOT NULL,                              -- the other node
    contract_id INTEGER REFERENCES contracts (id),   -- NULL: rejected before one
    state TEXT NOT NULL CHECK (state IN (
        'to_forward', 'forwarded', 'active', 'received', 'countersigned',
        'confirmed', 'rejected'
    )),
    text_sha256 TEXT NOT NULL CHECK (length(text_sha256) = 64),
    request BLOB NOT NULL,      -- the signed request as sent/received (JSON)
    reason TEXT,                -- why rejected, or the last error while trying
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX federation_contracts_open ON federation_contracts (side, state);
CREATE UNIQUE INDEX federation_contracts_contract ON federation_contracts (contract_id)
    WHERE contract_id IS NOT NULL;

CREATE TRIGGER federation_contracts_activate_after_confirmation
BEFORE UPDATE OF state ON contracts
WHEN NEW.state = 'active' AND OLD.state != 'active' AND EXISTS (
    SELECT 1 FROM federation_contracts f
    WHERE f.contract_id = NEW.id AND f.side = 'provider' AND f.state != 'confirmed'
)
BEGIN
    SELECT RAISE(ABORT, 'a cross-node contract is activated when the buyer''s node confirms');
END;
