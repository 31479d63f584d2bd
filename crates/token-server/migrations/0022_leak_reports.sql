-- Leak reports from a secret scanning service (GitHub's partner program): the SHA-256 of each
-- signed body taken, so the same report sent again (a replay of a captured post) is refused by
-- every instance. Kept for `store::leaks::REPLAY_WINDOW`, then purged by the upkeep.
CREATE TABLE leak_reports (
    digest       TEXT PRIMARY KEY,
    received_at  BIGINT NOT NULL
);
CREATE INDEX leak_reports_by_time ON leak_reports (received_at);
