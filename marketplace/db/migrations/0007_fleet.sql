-- Fleet: scan stations per municipality, their enrolment tokens (stored hashed,
-- single use, expiring), last heartbeat, provisioning runs with their live events,
-- and staged rollouts.
CREATE TABLE fleet_appliances (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    municipality_ags TEXT NOT NULL REFERENCES municipalities (ags),
    hardware_kind TEXT NOT NULL CHECK (hardware_kind IN ('raspberrypi', 'pc')),
    rollout_group TEXT NOT NULL,
    connection TEXT NOT NULL CHECK (connection IN ('ssh', 'chroot', 'local')),
    address TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'registered'
        CHECK (state IN ('registered', 'enrolled', 'revoked')),
    public_key TEXT,
    key_fingerprint TEXT,
    hostname TEXT,
    software_version TEXT,
    target_version TEXT,
    enrolled_at TEXT,
    revoked_at TEXT,
    last_heartbeat_at TEXT,
    last_heartbeat_from TEXT,
    health TEXT,
    created_at TEXT NOT NULL,
    CHECK (state != 'enrolled' OR public_key IS NOT NULL),
    CHECK (state != 'revoked' OR revoked_at IS NOT NULL)
);
CREATE INDEX fleet_appliances_ags ON fleet_appliances (municipality_ags);
CREATE INDEX fleet_appliances_group ON fleet_appliances (rollout_group);

CREATE TABLE fleet_enrolment_tokens (
    token_hash TEXT PRIMARY KEY,
    appliance_id INTEGER NOT NULL REFERENCES fleet_appliances (id) ON DELETE CASCADE,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

CREATE TABLE fleet_rollouts (
    id INTEGER PRIMARY KEY,
    version TEXT NOT NULL,
    first_group TEXT NOT NULL,
    state TEXT NOT NULL CHECK (
        state IN ('first_stage', 'first_failed', 'ready', 'second_stage', 'completed',
                  'failed')
    ),
    started_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE fleet_runs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('provision', 'drift', 'rollout')),
    check_mode INTEGER NOT NULL CHECK (check_mode IN (0, 1)),
    state TEXT NOT NULL CHECK (
        state IN ('running', 'succeeded', 'failed', 'interrupted')
    ),
    hosts TEXT NOT NULL,
    extra_vars TEXT NOT NULL,
    rollout_id INTEGER REFERENCES fleet_rollouts (id),
    rollout_stage INTEGER CHECK (rollout_stage IN (1, 2)),
    started_by INTEGER NOT NULL REFERENCES users (id),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    summary TEXT,
    error TEXT,
    artifacts TEXT
);
CREATE INDEX fleet_runs_rollout ON fleet_runs (rollout_id);

CREATE TABLE fleet_run_events (
    run_id INTEGER NOT NULL REFERENCES fleet_runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    host TEXT,
    task TEXT NOT NULL,
    role TEXT,
    outcome TEXT,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
