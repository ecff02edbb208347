-- The sources a fresh market starts with (market_model::MarketSource::defaults;
-- the store contract checks that both agree). Seeded once: a source an operator
-- deletes stays deleted.
INSERT INTO market_sources (id, name, type, base_url, priority, is_active, description, updated_at) VALUES
    ('market.olares', 'Olares Market', 'remote', '', 100, FALSE, 'the public app catalog', now()),
    ('upload', 'Upload', 'local', '', 90, TRUE, 'charts uploaded by users', now()),
    ('studio', 'Studio', 'local', '', 80, TRUE, 'charts built in Studio', now()),
    ('cli', 'CLI', 'local', '', 70, TRUE, 'charts installed from the command line', now());
