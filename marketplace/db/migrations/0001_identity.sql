-- Users, machine tokens and web sessions. Secrets are stored only as hashes.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('operator', 'provider_admin', 'municipality_buyer')),
    provider_id TEXT,
    municipality_ags TEXT,
    created_at TEXT NOT NULL,
    CHECK (role != 'provider_admin' OR provider_id IS NOT NULL),
    CHECK (role != 'municipality_buyer' OR municipality_ags IS NOT NULL)
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE web_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
