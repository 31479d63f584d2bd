-- Audit streaming: a workspace's destinations (at most three), and the outbox of events each
-- has still to receive. A trigger on audit_events (made at start, one per database: see
-- `db::stream_trigger`) puts every new event in the outbox of each of its workspace's
-- destinations, in the transaction that records it; a delivery removes the rows it carried.
-- The instance that delivers to a destination holds its lease (lease_owner, lease_until), so
-- instances on one database share the work and send a batch once in the normal case.
CREATE TABLE audit_destinations (
    id                 TEXT PRIMARY KEY,
    workspace_id       TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    -- The URL as shown (origin, then "/…" for any path or query: a collector's URL may carry
    -- its key, as Sumo Logic's does), and the whole URL sealed with the key file's stream key,
    -- like the signing secret and the headers (JSON).
    url                TEXT NOT NULL,
    url_sealed         TEXT NOT NULL,
    secret_sealed      TEXT NOT NULL,
    headers_sealed     TEXT NOT NULL,
    -- The headers' names, space separated, which admins may read back.
    header_names       TEXT NOT NULL,
    state              TEXT NOT NULL,
    -- 1: the service paused it after a day of failures; 0: an admin did, or it runs.
    paused_by_service  INTEGER NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    last_delivered_at  BIGINT,
    last_error         TEXT,
    failing_since      BIGINT,
    failures           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    BIGINT NOT NULL,
    dropped            BIGINT NOT NULL DEFAULT 0,
    lease_owner        TEXT,
    lease_until        BIGINT
);
CREATE INDEX audit_destinations_by_workspace ON audit_destinations (workspace_id);

CREATE TABLE audit_outbox (
    destination_id  TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    at              BIGINT NOT NULL,
    PRIMARY KEY (destination_id, at, event_id)
);
