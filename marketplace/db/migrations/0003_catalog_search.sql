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

-- Facet filters and the search page join these columns.
CREATE INDEX service_life_situations_value
    ON service_life_situations (life_situation, service_id);
CREATE INDEX services_topic ON services (topic);
