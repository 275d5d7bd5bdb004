-- Word index for the catalog search, beside the trigram index of 0002.
-- unicode61 with remove_diacritics 2 folds case and diacritics, so "fuhrung"
-- finds "Führungszeugnis"; the prefix indexes make prefix queries ("Bewohner"*)
-- cheap and let words of one or two letters be searched at all, which trigrams
-- cannot. Both tables hold, under the version's id as rowid, the text of each
-- offer's current published version (see catalog_current).

CREATE VIRTUAL TABLE catalog_words USING fts5 (
    title, service_title, body,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);

INSERT INTO catalog_words (rowid, title, service_title, body)
SELECT rowid, title, service_title, body FROM catalog_fts;

-- Filtering by Lebenslage and Themenfeld.
CREATE INDEX service_life_situations_value
    ON service_life_situations (life_situation, service_id);

-- Each offer's current version carries its facet values, so that filtering and
-- counting facets read one narrow table instead of joining four per match.
-- Services and providers cannot be changed after creation, and a published
-- version is immutable, so these copies cannot go stale; set_current writes them.
ALTER TABLE catalog_current ADD COLUMN service_id INTEGER REFERENCES services (id);
ALTER TABLE catalog_current ADD COLUMN provider_id TEXT REFERENCES providers (id);
ALTER TABLE catalog_current ADD COLUMN land_code TEXT;      -- the providing Land
ALTER TABLE catalog_current ADD COLUMN topic TEXT;
ALTER TABLE catalog_current ADD COLUMN maturity INTEGER;
ALTER TABLE catalog_current ADD COLUMN leika_key TEXT;
ALTER TABLE catalog_current ADD COLUMN price_band TEXT;     -- from the Richtpreis
ALTER TABLE catalog_current ADD COLUMN sort_key TEXT;       -- service, then provider

UPDATE catalog_current SET
    service_id = (SELECT o.service_id FROM offers o WHERE o.id = offer_id),
    provider_id = (SELECT o.provider_id FROM offers o WHERE o.id = offer_id),
    land_code = (
        SELECT COALESCE(v.land_code, p.land_code) FROM offer_versions v
        JOIN offers o ON o.id = v.offer_id JOIN providers p ON p.id = o.provider_id
        WHERE v.id = offer_version_id
    ),
    topic = (
        SELECT s.topic FROM offers o JOIN services s ON s.id = o.service_id
        WHERE o.id = offer_id
    ),
    maturity = (
        SELECT s.maturity FROM offers o JOIN services s ON s.id = o.service_id
        WHERE o.id = offer_id
    ),
    leika_key = (
        SELECT s.leika_key FROM offers o JOIN services s ON s.id = o.service_id
        WHERE o.id = offer_id
    ),
    price_band = (
        SELECT CASE WHEN v.reference_annual_cents IS NULL THEN 'unbekannt'
            WHEN v.reference_annual_cents = 0 THEN 'kostenfrei'
            WHEN v.reference_annual_cents <= 100000 THEN 'bis-1000'
            WHEN v.reference_annual_cents <= 500000 THEN '1000-5000'
            WHEN v.reference_annual_cents <= 2000000 THEN '5000-20000'
            ELSE 'ueber-20000' END
        FROM offer_versions v WHERE v.id = offer_version_id
    ),
    sort_key = (
        SELECT s.title || char(31) || p.name FROM offers o
        JOIN services s ON s.id = o.service_id JOIN providers p ON p.id = o.provider_id
        WHERE o.id = offer_id
    );

CREATE INDEX catalog_current_sort ON catalog_current (sort_key, offer_version_id);
CREATE INDEX catalog_current_topic ON catalog_current (topic);
CREATE INDEX catalog_current_provider ON catalog_current (provider_id);
CREATE INDEX catalog_current_land ON catalog_current (land_code);
CREATE INDEX catalog_current_service ON catalog_current (service_id);
CREATE INDEX catalog_current_maturity ON catalog_current (maturity);
CREATE INDEX catalog_current_band ON catalog_current (price_band);

-- A counter that changes with every change to the searchable catalog, so that
-- computed facet counts can be reused until then (see catalog/search.py).
CREATE TABLE catalog_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO catalog_generation (id, generation) VALUES (1, 0);

CREATE TRIGGER catalog_current_inserted AFTER INSERT ON catalog_current
BEGIN
    UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER catalog_current_updated AFTER UPDATE ON catalog_current
BEGIN
    UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER catalog_current_deleted AFTER DELETE ON catalog_current
BEGIN
    UPDATE catalog_generation SET generation = generation + 1 WHERE id = 1;
END;
