-- Subscriptions: a municipality's use of an offer version under an active contract,
-- with where its submissions go. Test and production are separate subscriptions
-- (seed 001 L1258-1265: test applications must never reach production systems).

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY CHECK (
        id GLOB '[A-Za-z0-9]*' AND id NOT GLOB '*[^A-Za-z0-9-]*'
        AND length(id) BETWEEN 3 AND 64
    ),
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    municipality_ags TEXT NOT NULL REFERENCES municipalities (ags),
    provider_id TEXT NOT NULL REFERENCES providers (id),
    offer_id INTEGER NOT NULL REFERENCES offers (id),
    offer_version_id INTEGER NOT NULL REFERENCES offer_versions (id),
    environment TEXT NOT NULL CHECK (environment IN ('test', 'production')),
    endpoint_url TEXT NOT NULL,
    fachverfahren TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('active', 'ended')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- the last day of the contract once it was terminated (end of the notice period)
    ends_at TEXT,
    ended_at TEXT
);
-- One active subscription per municipality, offer and environment, whichever
-- version or contract it runs under.
CREATE UNIQUE INDEX subscriptions_one_per_offer_and_environment
    ON subscriptions (municipality_ags, offer_id, environment) WHERE state = 'active';
CREATE INDEX subscriptions_contract ON subscriptions (contract_id, state);
CREATE INDEX subscriptions_municipality ON subscriptions (municipality_ags, state);
CREATE INDEX subscriptions_provider ON subscriptions (provider_id, state);
CREATE INDEX subscriptions_due ON subscriptions (ends_at) WHERE state = 'active';
