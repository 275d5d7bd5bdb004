-- The catalog: Länder, providers, municipalities, EfA services and versioned offers.
-- A published offer version is immutable (enforced by triggers below); a change
-- creates a new version and subscribers keep the version they signed.

CREATE TABLE laender (
    code TEXT PRIMARY KEY CHECK (length(code) = 2 AND code GLOB '[01][0-9]'),
    abbreviation TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    population INTEGER NOT NULL CHECK (population >= 0)
);

CREATE TABLE providers (
    id TEXT PRIMARY KEY CHECK (id GLOB '[a-z0-9]*' AND length(id) BETWEEN 2 AND 40),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (
        kind IN ('land', 'public_it_provider', 'fitko', 'govdigital', 'private_vendor')
    ),
    land_code TEXT REFERENCES laender (code),
    website TEXT,
    created_at TEXT NOT NULL
);

-- AGS: 2 digits Land, 1 Regierungsbezirk, 2 Kreis, 3 Gemeinde. A Landkreis has
-- the Gemeinde part 000; a Gemeinde's Kreis is substr(ags, 1, 5) || '000'.
CREATE TABLE municipalities (
    ags TEXT PRIMARY KEY CHECK (
        length(ags) = 8 AND ags GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
    ),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (
        kind IN ('stadtstaat', 'kreisfreie_stadt', 'landkreis', 'gemeinde')
    ),
    land_code TEXT NOT NULL REFERENCES laender (code),
    population INTEGER NOT NULL CHECK (population >= 0),
    population_as_of TEXT,
    CHECK (land_code = substr(ags, 1, 2))
);
CREATE INDEX municipalities_land ON municipalities (land_code, kind);

CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    leika_key TEXT NOT NULL UNIQUE CHECK (
        length(leika_key) = 14 AND leika_key GLOB '99[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
    ),
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    ozg_bundle TEXT NOT NULL,
    topic TEXT NOT NULL,
    maturity INTEGER NOT NULL CHECK (maturity BETWEEN 0 AND 4),
    trust_level TEXT NOT NULL CHECK (
        trust_level IN ('keine', 'basisregistrierung', 'substantiell', 'hoch')
    ),
    delivery_standard TEXT NOT NULL,
    fachverfahren TEXT NOT NULL DEFAULT '[]',  -- JSON array of names
    has_test_instance INTEGER NOT NULL CHECK (has_test_instance IN (0, 1)),
    created_at TEXT NOT NULL
);

CREATE TABLE service_life_situations (
    service_id INTEGER NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    life_situation TEXT NOT NULL,
    PRIMARY KEY (service_id, life_situation)
);

CREATE TABLE offers (
    id INTEGER PRIMARY KEY,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    service_id INTEGER NOT NULL REFERENCES services (id),
    created_at TEXT NOT NULL,
    withdrawn_at TEXT,
    UNIQUE (provider_id, service_id)
);

CREATE TABLE offer_versions (
    id INTEGER PRIMARY KEY,
    offer_id INTEGER NOT NULL REFERENCES offers (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    land_code TEXT REFERENCES laender (code),         -- the providing Land, if any
    legal_route TEXT NOT NULL CHECK (
        legal_route IN (
            'fit_store', 'govdigital', 'nrw_intermediary',
            'administrative_agreement', 'direct'
        )
    ),
    cost_model TEXT NOT NULL,                          -- JSON: costs.schemas.CostModel
    contract_template TEXT NOT NULL,
    notice_period_months INTEGER NOT NULL CHECK (notice_period_months BETWEEN 0 AND 60),
    created_at TEXT NOT NULL,
    published_at TEXT,
    -- "Richtpreis": annual cost for a reference municipality of 100,000 inhabitants,
    -- computed when the version is published; drives the price facet.
    reference_annual_cents INTEGER CHECK (reference_annual_cents >= 0),
    UNIQUE (offer_id, version),
    CHECK ((status = 'published') = (published_at IS NOT NULL))
);

CREATE TRIGGER offer_versions_published_are_immutable
BEFORE UPDATE ON offer_versions
WHEN OLD.status = 'published'
BEGIN
    SELECT RAISE(ABORT, 'published offer versions are immutable');
END;

CREATE TRIGGER offer_versions_published_are_kept
BEFORE DELETE ON offer_versions
WHEN OLD.status = 'published'
BEGIN
    SELECT RAISE(ABORT, 'published offer versions are immutable');
END;

CREATE INDEX offer_versions_offer ON offer_versions (offer_id, status, version);
CREATE INDEX offers_service ON offers (service_id);

-- The searchable text of each offer's current published version. Trigram tokens
-- find parts of German compounds ("park" in "Bewohnerparkausweis").
CREATE VIRTUAL TABLE catalog_fts USING fts5 (
    title, service_title, body,
    tokenize = 'trigram'
);

-- One row per offer: which published version is current (searchable).
CREATE TABLE catalog_current (
    offer_id INTEGER PRIMARY KEY REFERENCES offers (id),
    offer_version_id INTEGER NOT NULL UNIQUE REFERENCES offer_versions (id)
);
