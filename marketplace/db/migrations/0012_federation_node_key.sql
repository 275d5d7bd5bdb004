-- The node's public key beside its name: every worker of a node must sign with
-- the same key (peers verify with the one they were given), and a worker whose
-- key file differs refuses to start instead of sealing feed entries that peers
-- would refuse for ever (federation/service.check_node_key). NULL until the next
-- `marketplace node init` or the first start.
ALTER TABLE federation_node ADD COLUMN public_key TEXT
    CHECK (public_key IS NULL OR length(public_key) = 64);
