-- Subscriptions: a municipality's use of an offer version under an active contract,
-- with where its submissions go. Test and production are separate subscriptions.

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY CHECK (id GLOB '[A-Za-z0-9]*' AND length(id) BETWEEN 3 AND 64),
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    municipality_ags TEXT NOT NULL REFERENCES municipalities (ags),
    provider_id TEXT NOT NULL REFERENCES providers (id),
    offer_version_id INTEGER NOT NULL REFERENCES offer_versions (id),
    environment TEXT NOT NULL CHECK (environment IN ('test', 'production')),
    endpoint_url TEXT NOT NULL,
    fachverfahren TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('active', 'ended')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE UNIQUE INDEX subscriptions_one_per_environment
    ON subscriptions (contract_id, environment) WHERE state = 'active';
CREATE INDEX subscriptions_municipality ON subscriptions (municipality_ags, state);
CREATE INDEX subscriptions_provider ON subscriptions (provider_id, state);
