-- Single-flight of summaries across processes: the process holding a key's lease makes the one
-- LLM call; the others wait, then read the cached result. A lease expires, so a process that
-- dies mid-call holds nobody up for longer than its time to live.
CREATE TABLE summary_leases (
    key        TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
